/**
 * docker-compose.yml, checked without a container engine: it is valid against the Compose
 * Specification's JSON schema (vendored in test/fixtures/compose-spec, with ajv); every service is
 * hardened (read-only root with the tmpfs it needs, no capabilities, no-new-privileges, a non-root
 * user, CPU, memory and process limits, a healthcheck for each long-running one); the serving
 * containers get only the application role's database URL; and what it runs exists in the image
 * the Dockerfile builds. The `monitoring` profile (Prometheus and Grafana) is hardened the same way
 * and runs what deploy/ ships.
 */
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { loadConfig, urlUser } from '../../src/config/config.js';
import { projectRoot } from '../../src/lib/paths.js';
import { generateSecrets } from '../../src/lib/server-keys.js';

const root = projectRoot();
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  user?: string;
  command?: string[];
  entrypoint?: string[];
  profiles?: string[];
  ports?: string[];
  env_file?: unknown;
  restart?: string;
  read_only?: unknown;
  cap_drop?: string[];
  security_opt?: string[];
  pids_limit?: number;
  tmpfs?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[]; disable?: boolean };
  deploy?: { resources?: { limits?: { cpus?: string | number; memory?: string } } };
  depends_on?: Record<string, { condition: string }>;
}
interface ComposeFile {
  services: Record<'db' | 'redis' | 'migrate' | 'api' | 'worker' | 'prometheus' | 'grafana', Service>;
  volumes: Record<string, unknown>;
}

const text = read('docker-compose.yml');
// Compose resolves YAML merge keys (<<) as the YAML 1.1 spec says; so does this parse.
const compose = parse(text, { merge: true }) as ComposeFile;
const services = Object.entries(compose.services);
const schema = JSON.parse(read('test/fixtures/compose-spec/compose-spec.json')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

t.test('valid against the Compose Specification schema', async (t) => {
  const ok = validate(compose);
  t.ok(ok, JSON.stringify(validate.errors, null, 1));
  t.same(services.map(([name]) => name).sort(), ['api', 'db', 'grafana', 'migrate', 'prometheus', 'redis', 'worker']);
});

t.test('the schema check catches what a mistyped hardening would look like', async (t) => {
  const broken = (mutate: (c: ComposeFile) => void) => {
    const copy = structuredClone(compose);
    mutate(copy);
    return validate(copy) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
  t.match(broken((c) => ((c.services.api as Record<string, unknown>).cap_drop = 'ALL')).join('\n'), /\/services\/api\/cap_drop must be array/);
  t.match(broken((c) => ((c.services.worker as Record<string, unknown>).readonly = true)).join('\n'), /must NOT have additional properties/);
  t.match(broken((c) => ((c.services.db.deploy!.resources!.limits as Record<string, unknown>).memory = 512)).join('\n'), /\/services\/db\/deploy\/resources\/limits\/memory must be string/);
});

for (const [name, s] of services) {
  t.test(`${name}: hardened`, async (t) => {
    t.equal(s.read_only, true, 'read-only root filesystem');
    t.ok(Array.isArray(s.tmpfs) && s.tmpfs.length > 0, 'with a tmpfs for what it writes');
    for (const mount of s.tmpfs ?? []) t.match(mount, /^\/[^:]+:size=\d+[km],mode=1777$/, `${mount}: bounded in size`);
    t.same(s.cap_drop, ['ALL'], 'every capability dropped');
    t.ok(s.security_opt?.includes('no-new-privileges:true'), 'no-new-privileges');
    t.ok(s.user && s.user !== 'root' && s.user !== '0', `runs as ${s.user ?? 'root'}, not root`);
    t.ok(Number(s.pids_limit) > 0, 'a process-count limit');
    const limits = s.deploy?.resources?.limits;
    t.ok(Number(limits?.cpus) > 0, `a CPU limit (${limits?.cpus})`);
    t.match(limits?.memory, /^\d+[MG]$/, `a memory limit (${limits?.memory})`);
    if (s.restart !== 'no') {
      t.ok(s.healthcheck?.test && s.healthcheck.test.length > 1 && !s.healthcheck.disable, 'a healthcheck (it keeps running)');
    } else {
      t.notOk(s.healthcheck, 'a one-shot step: its exit code is its health');
    }
  });
}

t.test('db: writes only to its volume and its tmpfs', async (t) => {
  const db = compose.services.db;
  t.ok(db.volumes?.some((v) => v.endsWith(':/var/lib/postgresql/data')), 'the data on a volume');
  t.ok(db.tmpfs?.some((m) => m.startsWith('/var/run/postgresql:')), 'the socket directory on a tmpfs');
  t.notOk(db.environment?.POSTGRES_DB, 'the application database is made by migrate, owned by the owner role');
});

t.test('redis: keeps the queues (AOF), never evicts, and refuses writes before its container is killed', async (t) => {
  const cmd = compose.services.redis.command ?? [];
  t.equal(cmd[cmd.indexOf('--appendonly') + 1], 'yes', 'the append-only file');
  t.equal(cmd[cmd.indexOf('--maxmemory-policy') + 1], 'noeviction');
  t.ok(compose.services.redis.volumes?.some((v) => v.endsWith(':/data')), 'the AOF on a volume');
  for (const name of ['api', 'worker'] as const) {
    const env = compose.services[name].environment ?? {};
    t.equal(env.REDIS_REQUIRE_PERSISTENCE, 'true', `${name} refuses to start on a Redis that would lose the queues`);
    t.equal(loadConfig({ ...(await generateSecrets()), ...env }).REDIS_REQUIRE_PERSISTENCE, true, `${name}: read as on`);
  }
  const maxmemory = Number(/^(\d+)mb$/.exec(cmd[cmd.indexOf('--maxmemory') + 1] ?? '')?.[1]);
  const limit = Number(/^(\d+)M$/.exec(compose.services.redis.deploy?.resources?.limits?.memory ?? '')?.[1]);
  t.ok(maxmemory > 0 && maxmemory < limit, `maxmemory ${maxmemory} MB below the ${limit} MB limit`);
});

t.test('database roles: only migrate holds the owner URL; the API and the worker connect as the application role', async (t) => {
  const secrets = await generateSecrets();
  const migrate = compose.services.migrate.environment ?? {};
  t.equal(urlUser(migrate.DATABASE_OWNER_URL ?? ''), 'egide_owner');
  t.equal(urlUser(migrate.DATABASE_URL ?? ''), 'egide_app');
  t.ok(loadConfig({ ...secrets, ...migrate }), 'migrate\'s environment is a valid configuration');
  t.same(compose.services.migrate.command, ['node', 'dist/src/cli/main.js', 'db', 'migrate']);
  for (const name of ['api', 'worker'] as const) {
    const s = compose.services[name];
    t.equal(s.environment?.DATABASE_OWNER_URL, '', `${name}: the owner URL blanked (even one from .env)`);
    t.equal(urlUser(s.environment?.DATABASE_URL ?? ''), 'egide_app', `${name}: the application role`);
    t.same(s.depends_on?.migrate, { condition: 'service_completed_successfully' }, `${name}: starts once migrate has succeeded`);
    t.ok(loadConfig({ ...secrets, ...s.environment }), `${name}: a valid configuration`);
  }
});

t.test('worker: its healthcheck reads the heartbeat it writes, on its tmpfs', async (t) => {
  const w = compose.services.worker;
  const file = w.environment?.WORKER_HEARTBEAT_FILE ?? '';
  t.ok(file.startsWith('/'), 'WORKER_HEARTBEAT_FILE is set');
  t.ok(w.tmpfs?.some((m) => file.startsWith(`${m.split(':')[0]}/`)), 'on a tmpfs (the root is read-only)');
  t.same(w.healthcheck?.test?.slice(0, 4), ['CMD', 'node', 'dist/workers/healthcheck.js', file]);
});

t.test('the Dockerfile builds what the services run', async (t) => {
  const dockerfile = read('Dockerfile');
  const ignored = new Set(read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.startsWith('!')));
  t.match(dockerfile, /^ARG NODE_IMAGE=node:[\w.-]+$/m, 'one Node base image, a build argument (pinnable by digest)');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  t.match(runtime, /^USER node$/m, 'the image runs as node');
  t.match(runtime, /^COPY --from=build \/app\/dist \.\/dist$/m, 'with the compiled code');
  for (const dir of ['drizzle', 'policies']) t.match(runtime, new RegExp(`^COPY ${dir} \\./${dir}$`, 'm'), `and ${dir}/, read at run time`);
  for (const [, sources] of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
    for (const src of sources!.split(' ')) {
      t.ok(existsSync(join(root, src)), `COPY ${src}: exists`);
      t.notOk(ignored.has(src), `COPY ${src}: not excluded by .dockerignore`);
    }
  }
  const build = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
  const exposed = /^EXPOSE (\d+)$/m.exec(runtime)?.[1];
  for (const [name, s] of services) {
    if (s.image !== 'egide:local') continue;
    t.ok(s.build, `${name}: built from the Dockerfile`);
    const scripts = [...(s.command ?? []), ...(s.healthcheck?.test ?? [])].filter((a) => /^dist\/.+\.js$/.test(a));
    t.ok(scripts.length > 0, `${name}: runs a compiled script`);
    for (const script of scripts) {
      const source = script.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      t.ok(existsSync(join(root, source)), `${name}: ${script} is compiled from ${source}`);
      t.ok(build.include.some((dir) => source.startsWith(`${dir}/`)), `${name}: ${source} is in tsconfig.build.json`);
    }
    if (s.environment?.PORT) t.equal(s.environment.PORT, exposed, `${name}: listens on the port the image exposes`);
  }
});

t.test('monitoring: Prometheus and Grafana start only with the profile, over the shipped rules and dashboard', async (t) => {
  for (const [name, s] of services) {
    if (name === 'prometheus' || name === 'grafana') t.same(s.profiles, ['monitoring'], `${name}: in the monitoring profile only`);
    else t.notOk(s.profiles, `${name}: starts without a profile`);
  }
  const { prometheus, grafana } = compose.services;
  for (const [name, s] of [['prometheus', prometheus], ['grafana', grafana]] as const) {
    // Pinned by an exact release tag, never a moving one.
    t.match(s.image, /^[\w./-]+:v?\d+\.\d+\.\d+$/, `${name}: image pinned by release tag (${s.image})`);
    for (const port of s.ports ?? []) t.match(port, /^127\.0\.0\.1:/, `${name}: published on 127.0.0.1 only`);
    t.notOk(s.env_file, `${name}: none of the secrets of .env`);
    for (const mount of s.volumes ?? []) {
      const [source, , mode] = mount.split(':');
      if (!source?.startsWith('./')) {
        t.ok(compose.volumes[source ?? ''] !== undefined, `${name}: ${source} is a declared volume`);
        continue;
      }
      t.equal(mode, 'ro', `${name}: ${source} mounted read-only`);
      t.ok(existsSync(join(root, source)), `${name}: ${source} exists`);
    }
  }
  // Prometheus reads its configuration from deploy/prometheus, with the METRICS_TOKEN written where the scrape looks for it.
  t.ok(prometheus.volumes?.includes('./deploy/prometheus:/etc/prometheus:ro'));
  t.ok(prometheus.command?.includes('--config.file=/etc/prometheus/prometheus.yml'));
  t.same(Object.keys(prometheus.environment ?? {}), ['METRICS_TOKEN'], 'only the metrics token reaches Prometheus');
  const scrape = parse(read('deploy/prometheus/prometheus.yml')) as { rule_files: string[]; scrape_configs: Array<{ authorization: { credentials_file: string }; static_configs: Array<{ targets: string[] }> }> };
  t.same(scrape.rule_files, ['alerts.yml']);
  const tokenFile = scrape.scrape_configs[0]?.authorization.credentials_file ?? '';
  t.ok(prometheus.entrypoint?.join(' ').includes(`> ${tokenFile} `), `the entrypoint writes ${tokenFile}`);
  t.ok(prometheus.tmpfs?.some((m) => tokenFile.startsWith(`${m.split(':')[0]}/`)), 'on a tmpfs (the root is read-only)');
  t.same(scrape.scrape_configs[0]?.static_configs[0]?.targets, [`api:${compose.services.api.environment?.PORT}`], 'the API service on its port');
  // Grafana provisions the datasource the dashboard's panels name, and the dashboard from where it is mounted.
  const datasource = (parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: Array<{ uid: string; url: string }> }).datasources[0];
  t.equal(datasource?.url, 'http://prometheus:9090');
  const dashboard = JSON.parse(read('deploy/grafana/egide.json')) as { panels: Array<{ type: string; datasource?: { uid: string } }> };
  for (const p of dashboard.panels.filter((x) => x.type !== 'row')) t.equal(p.datasource?.uid, datasource?.uid, 'a panel reads the provisioned datasource');
  const provider = (parse(read('deploy/grafana/provisioning/dashboards/egide.yml')) as { providers: Array<{ options: { path: string } }> }).providers[0];
  t.ok(grafana.volumes?.includes(`./deploy/grafana/egide.json:${provider?.options.path}/egide.json:ro`), 'the dashboard is mounted where the provider reads');
  t.same(grafana.depends_on?.prometheus, { condition: 'service_healthy' });
});
