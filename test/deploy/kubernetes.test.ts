/**
 * deploy/kubernetes, checked without a cluster: the kustomization lists every manifest and nothing
 * else; every object is valid against the Kubernetes OpenAPI schemas (kubernetes-models); every
 * pod template is hardened as the compose services are (non-root, read-only root with an emptyDir
 * /tmp, no privilege escalation, no capabilities, RuntimeDefault seccomp, no service account
 * token, CPU and memory requests and limits); the serving pods get only the application role's
 * URL and require a persistent Redis; the probes reach the service's own health routes and the
 * worker's heartbeat; and what the pods run exists in the image the Dockerfile builds.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseEnv } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { loadConfig, urlUser } from '../../src/config/config.js';
import { projectRoot } from '../../src/lib/paths.js';
import { generateSecrets } from '../../src/lib/server-keys.js';
import { DEFAULT_MAX_AGE_MS } from '../../workers/healthcheck.js';
import { buildTestApp } from '../helpers/app.js';

const root = projectRoot();
const dir = join(root, 'deploy/kubernetes');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
interface Kustomization {
  apiVersion: string;
  kind: string;
  namespace: string;
  resources: string[];
  images: Array<{ name: string; newName?: string; newTag?: string; digest?: string }>;
}
type Workload = K8sObject & { spec: { replicas?: number; template: IPodTemplateSpec } };
type Env = NonNullable<IContainer['env']>;

function filesUnder(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(d, e.name)) : [relative(dir, join(d, e.name))]));
}

const kustomization = parse(read('deploy/kubernetes/kustomization.yaml')) as Kustomization;
const documents = kustomization.resources.flatMap((file) =>
  parseAllDocuments(read(`deploy/kubernetes/${file}`)).map((doc, i) => ({ file, index: i, doc })),
);
const objects = documents.map((d) => ({ file: d.file, object: d.doc.toJS() as K8sObject }));
const workloads = objects.map((o) => o.object).filter((o): o is Workload => o.kind === 'Deployment' || o.kind === 'Job');
const byName = (kind: string, name: string) => {
  const found = objects.find((o) => o.object.kind === kind && o.object.metadata.name === name)?.object;
  if (!found) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return found;
};
const workload = (kind: string, name: string) => byName(kind, name) as Workload;
const containerOf = (w: Workload) => w.spec.template.spec!.containers[0]!;
const envValue = (env: Env | undefined, name: string) => env?.find((e) => e.name === name);
const configMap = byName('ConfigMap', 'egide-config').data ?? {};
const secretTemplate = (name: string) => parseEnv(read(`deploy/kubernetes/secrets/${name}.env.example`)) as Record<string, string>;

t.test('the kustomization lists every manifest, and every manifest it lists exists', async (t) => {
  t.equal(kustomization.apiVersion, 'kustomize.config.k8s.io/v1beta1');
  t.equal(kustomization.kind, 'Kustomization');
  const files = filesUnder(dir).sort();
  const manifests = files.filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
  t.same([...kustomization.resources].sort(), manifests, 'resources: exactly the YAML files beside it');
  t.equal(new Set(kustomization.resources).size, kustomization.resources.length, 'none listed twice');
  // Anything else is a secret's template, documented and never applied (the Secrets are made from a filled copy).
  t.same(
    files.filter((f) => !manifests.includes(f) && f !== 'kustomization.yaml'),
    ['secrets/app.env.example', 'secrets/migrate.env.example'],
    'besides them, only the Secrets\' templates',
  );
  t.same(byName('Namespace', kustomization.namespace).kind, 'Namespace', `the namespace ${kustomization.namespace} is one of them`);
  for (const { object } of objects) t.notOk('namespace' in object.metadata, `${object.kind}/${object.metadata.name}: namespaced by the kustomization only`);
  t.notOk(objects.some((o) => o.object.kind === 'Secret'), 'no Secret committed');
});

t.test('every manifest parses as YAML, one object per document', async (t) => {
  t.ok(documents.length >= kustomization.resources.length, `${documents.length} objects in ${kustomization.resources.length} files`);
  for (const { file, index, doc } of documents) {
    t.same(doc.errors.map((e) => e.message), [], `${file}#${index}: no YAML error`);
    t.same(doc.warnings.map((e) => e.message), [], `${file}#${index}: no YAML warning`);
  }
  const names = objects.map((o) => `${o.object.kind}/${o.object.metadata?.name}`);
  t.equal(new Set(names).size, names.length, `no object twice (${names.join(', ')})`);
});

/** The kubernetes-models class for an object's apiVersion and kind (its module: group/version/Kind, or version/Kind for the core group). */
async function modelOf(o: { apiVersion: string; kind: string }): Promise<new (data: unknown) => { validate(): void }> {
  const mod = (await import(`kubernetes-models/${o.apiVersion}/${o.kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
  const model = mod[o.kind];
  if (!model) throw new Error(`kubernetes-models has no ${o.apiVersion} ${o.kind}`);
  return model;
}

async function schemaErrors(o: K8sObject): Promise<string> {
  const Model = await modelOf(o);
  try {
    new Model(o).validate();
    return '';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

t.test('every object is valid against the Kubernetes schemas', async (t) => {
  for (const { file, object } of objects) t.equal(await schemaErrors(object), '', `${file}: ${object.apiVersion} ${object.kind} ${object.metadata.name}`);
});

t.test('the schema check catches a mistyped manifest', async (t) => {
  const api = structuredClone(workload('Deployment', 'egide-api'));
  (api.spec as Record<string, unknown>).replicas = 'two';
  t.match(await schemaErrors(api), /replicas must be integer/);
  const worker = structuredClone(workload('Deployment', 'egide-worker'));
  (containerOf(worker).securityContext!.capabilities as Record<string, unknown>).drop = 'ALL';
  t.match(await schemaErrors(worker), /capabilities\/drop must be array/);
  const job = structuredClone(workload('Job', 'egide-migrate'));
  (job.spec.template.spec as unknown as Record<string, unknown>).containers = [{ image: 'egide' }];
  t.match(await schemaErrors(job), /containers\/0 must have required property name/);
  await t.rejects(modelOf({ apiVersion: 'apps/v1', kind: 'Deploymnet' }), 'an unknown kind is refused, not skipped');
});

/**
 * What docker-compose.yml's hardening says, in a pod's terms: the problems of one pod template,
 * empty when hardened.
 */
function hardeningProblems(template: IPodTemplateSpec): string[] {
  const pod = template.spec;
  if (!pod) return ['no pod spec'];
  const problems: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  need(pod.automountServiceAccountToken === false, 'automountServiceAccountToken: false');
  need(pod.securityContext?.runAsNonRoot === true, 'securityContext.runAsNonRoot: true');
  need(Number.isInteger(pod.securityContext?.runAsUser) && pod.securityContext!.runAsUser! > 0, 'securityContext.runAsUser: a numeric non-root uid');
  need(pod.securityContext?.seccompProfile?.type === 'RuntimeDefault', 'securityContext.seccompProfile.type: RuntimeDefault');
  need(!pod.hostNetwork && !pod.hostPID && !pod.hostIPC, 'none of the host\'s namespaces');
  need(!(pod.volumes ?? []).some((v) => v.hostPath), 'no hostPath volume');
  const tmp = (pod.volumes ?? []).filter((v) => v.emptyDir);
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    const s = c.securityContext;
    need(s?.allowPrivilegeEscalation === false, `${c.name}: allowPrivilegeEscalation: false`);
    need(s?.readOnlyRootFilesystem === true, `${c.name}: readOnlyRootFilesystem: true`);
    need(JSON.stringify(s?.capabilities?.drop) === '["ALL"]' && !s?.capabilities?.add?.length, `${c.name}: capabilities.drop: [ALL], none added`);
    need(s?.privileged !== true && s?.runAsUser !== 0, `${c.name}: not privileged, not root`);
    const mount = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
    const volume = tmp.find((v) => v.name === mount?.name);
    need(Boolean(volume?.emptyDir?.sizeLimit), `${c.name}: /tmp on an emptyDir bounded in size`);
    for (const kind of ['requests', 'limits'] as const) {
      for (const resource of ['cpu', 'memory']) need(c.resources?.[kind]?.[resource] !== undefined, `${c.name}: resources.${kind}.${resource}`);
    }
  }
  return problems;
}

for (const w of workloads) {
  t.test(`${w.kind}/${w.metadata.name}: hardened as the compose services`, async (t) => {
    t.same(hardeningProblems(w.spec.template), []);
    for (const c of w.spec.template.spec!.containers) {
      const limit = Number(/^(\d+)Mi$/.exec(String(c.resources?.limits?.memory))?.[1]);
      const request = Number(/^(\d+)Mi$/.exec(String(c.resources?.requests?.memory))?.[1]);
      t.ok(request > 0 && request <= limit, `${c.name}: memory request ${request} Mi within its limit ${limit} Mi`);
    }
  });
}

t.test('the hardening check fails on a pod missing any one of its keys', async (t) => {
  const base = workload('Deployment', 'egide-worker').spec.template;
  t.same(hardeningProblems(base), [], 'the worker as committed passes');
  const mutations: Record<string, (p: IPodTemplateSpec) => void> = {
    automountServiceAccountToken: (p) => delete p.spec!.automountServiceAccountToken,
    runAsNonRoot: (p) => (p.spec!.securityContext!.runAsNonRoot = false),
    runAsUser: (p) => delete p.spec!.securityContext!.runAsUser,
    seccompProfile: (p) => delete p.spec!.securityContext!.seccompProfile,
    hostNetwork: (p) => (p.spec!.hostNetwork = true),
    hostPath: (p) => p.spec!.volumes!.push({ name: 'host', hostPath: { path: '/' } }),
    allowPrivilegeEscalation: (p) => delete p.spec!.containers[0]!.securityContext!.allowPrivilegeEscalation,
    readOnlyRootFilesystem: (p) => (p.spec!.containers[0]!.securityContext!.readOnlyRootFilesystem = false),
    capabilities: (p) => (p.spec!.containers[0]!.securityContext!.capabilities = { drop: ['ALL'], add: ['NET_ADMIN'] }),
    privileged: (p) => (p.spec!.containers[0]!.securityContext!.privileged = true),
    'emptyDir /tmp': (p) => (p.spec!.containers[0]!.volumeMounts = []),
    sizeLimit: (p) => delete p.spec!.volumes![0]!.emptyDir!.sizeLimit,
    'resources.limits.memory': (p) => delete p.spec!.containers[0]!.resources!.limits!.memory,
    'resources.requests.cpu': (p) => delete p.spec!.containers[0]!.resources!.requests!.cpu,
    'an init container': (p) => (p.spec!.initContainers = [{ name: 'init', image: 'egide' }]),
  };
  for (const [name, mutate] of Object.entries(mutations)) {
    const copy = structuredClone(base);
    mutate(copy);
    t.not(hardeningProblems(copy).length, 0, `without ${name}: refused (${hardeningProblems(copy).join('; ')})`);
  }
});

t.test('database roles: only the migration Job holds the owner URL; the serving pods connect as the application role', async (t) => {
  const secrets = await generateSecrets();
  const app = secretTemplate('app');
  const migrate = secretTemplate('migrate');
  t.equal(urlUser(app.DATABASE_URL ?? ''), 'egide_app', 'egide-app: the application role');
  t.equal(urlUser(migrate.DATABASE_OWNER_URL ?? ''), 'egide_owner', 'egide-migrate: the owner role');
  t.notOk('DATABASE_OWNER_URL' in app, 'egide-app has no owner URL');
  // Every workload reads the ConfigMap and egide-app; only the Job reads egide-migrate.
  for (const w of workloads) {
    const c = containerOf(w);
    t.same(c.envFrom, [{ configMapRef: { name: 'egide-config' } }, { secretRef: { name: 'egide-app' } }], `${w.metadata.name}: the ConfigMap and egide-app`);
    const refs = (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [`${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`] : []));
    if (w.kind === 'Job') {
      t.same(refs, ['egide-migrate/DATABASE_OWNER_URL', 'egide-migrate/DATABASE_ADMIN_URL'], `${w.metadata.name}: the owner's URL, and the superuser's for a first run`);
      for (const ref of refs) t.ok(ref.split('/')[1]! in migrate, `${ref}: in the template`);
      t.same(c.command, ['node', 'dist/src/cli/main.js', 'db', 'migrate'], 'runs `egide db migrate`');
      // The template's empty secrets, filled as `env init` would.
      const env = { ...configMap, ...app, ...secrets, ...migrate };
      t.ok(loadConfig(env), 'its environment is a valid configuration');
    } else {
      t.same(refs, [], `${w.metadata.name}: no other Secret`);
      t.same(envValue(c.env, 'DATABASE_OWNER_URL'), { name: 'DATABASE_OWNER_URL', value: '' }, `${w.metadata.name}: the owner URL blanked`);
      const env = { ...configMap, ...app, ...secrets, ...Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? ''])) };
      t.equal(loadConfig(env).DATABASE_OWNER_URL, '', `${w.metadata.name}: a valid configuration, without the owner URL`);
    }
  }
});

t.test('the templates and the ConfigMap name only settings the service reads', async (t) => {
  const known = new Set(Object.keys(parseEnv(read('.env.example'))));
  for (const [where, keys] of [['egide-config', Object.keys(configMap)], ['app.env.example', Object.keys(secretTemplate('app'))], ['migrate.env.example', Object.keys(secretTemplate('migrate'))]] as const) {
    for (const key of keys) t.ok(known.has(key), `${where}: ${key} is a setting of .env.example`);
  }
  for (const key of ['JWT_SIGNING_KEY', 'AUDIT_SIGNING_KEY', 'SERVER_SECRET', 'METRICS_TOKEN', 'DATABASE_URL', 'REDIS_URL', 'S3_SECRET_ACCESS_KEY']) {
    t.ok(key in secretTemplate('app'), `${key}: in the Secret`);
    t.notOk(key in configMap, `${key}: not in the ConfigMap`);
  }
  for (const [key, value] of Object.entries({ ...secretTemplate('app'), ...secretTemplate('migrate') })) {
    t.notOk(/^[A-Za-z0-9_-]{43}$/.test(value), `${key}: no secret value committed`);
  }
});

t.test('Redis must be persistent, evidence files in the object store, one proxy believed', async (t) => {
  t.equal(configMap.REDIS_REQUIRE_PERSISTENCE, 'true', 'the serving pods refuse a Redis without AOF and noeviction');
  t.equal(configMap.FILE_STORE, 's3', 'pods on several nodes share no disk');
  t.equal(configMap.TRUST_PROXY, '1', 'the ingress controller');
  t.equal(configMap.HOST, '0.0.0.0');
});

t.test('the API: probes on the service\'s health routes, which also serves the web apps', async (t) => {
  const api = workload('Deployment', 'egide-api');
  const c = containerOf(api);
  const http = c.ports?.find((p) => p.name === 'http');
  t.equal(String(http?.containerPort), configMap.PORT, 'listens on PORT');
  t.equal(c.readinessProbe?.httpGet?.path, '/readyz', 'ready: PostgreSQL and Redis answer');
  t.equal(c.livenessProbe?.httpGet?.path, '/healthz', 'live: the process answers');
  t.equal(c.startupProbe?.httpGet?.path, '/healthz');
  for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) t.equal(probe?.httpGet?.port, 'http', 'on the named port');
  t.ok((api.spec.replicas ?? 1) >= 2, 'two replicas at least, for the disruption budget');
  const T = await buildTestApp(t);
  for (const path of ['/healthz', '/readyz']) t.equal((await T.app.inject({ method: 'GET', url: path })).statusCode, 200, `${path} answers 200`);
  // The web apps are in the API's image and process: no server of their own to deploy.
  for (const path of ['/', '/console/']) {
    const r = await T.app.inject({ method: 'GET', url: path });
    t.equal(r.statusCode, 200, `${path} served by the API`);
    t.match(r.headers['content-type'], /^text\/html/);
  }
});

t.test('the workers: liveness is the heartbeat they write, on their emptyDir', async (t) => {
  const w = workload('Deployment', 'egide-worker');
  const c = containerOf(w);
  const file = envValue(c.env, 'WORKER_HEARTBEAT_FILE')?.value ?? '';
  t.ok(file.startsWith('/tmp/'), `WORKER_HEARTBEAT_FILE ${file}: on /tmp, the writable emptyDir`);
  const check = ['node', 'dist/workers/healthcheck.js', file, String(DEFAULT_MAX_AGE_MS / 1000)];
  t.same(c.livenessProbe?.exec?.command, check, 'liveness: the heartbeat is fresh');
  t.same(c.startupProbe?.exec?.command, check, 'startup: the first heartbeat');
  t.notOk(c.ports, 'no port');
  t.same(c.command, ['node', 'dist/workers/main.js']);
});

t.test('Service, disruption budgets and network policy select the pods they are for', async (t) => {
  const api = workload('Deployment', 'egide-api');
  const labels = api.spec.template.metadata?.labels ?? {};
  const matches = (selector: Record<string, string> | undefined, l: Record<string, string>) => Object.keys(selector ?? {}).length > 0 && Object.entries(selector ?? {}).every(([k, v]) => l[k] === v);
  const svc = byName('Service', 'egide-api').spec as { selector: Record<string, string>; ports: Array<{ targetPort: string }> };
  t.ok(matches(svc.selector, labels), 'the Service selects the API pods');
  t.ok(svc.ports.every((p) => containerOf(api).ports?.some((cp) => cp.name === p.targetPort)), 'on a port the API names');
  const worker = workload('Deployment', 'egide-worker');
  t.notOk(matches(svc.selector, worker.spec.template.metadata?.labels ?? {}), 'and not the workers');
  for (const w of [api, worker]) {
    const pdb = objects.map((o) => o.object).find((o) => o.kind === 'PodDisruptionBudget' && matches((o.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels, w.spec.template.metadata?.labels ?? {}));
    const min = (pdb?.spec as { minAvailable?: number } | undefined)?.minAvailable ?? 0;
    t.ok(pdb && min >= 1 && min < (w.spec.replicas ?? 1), `${w.metadata.name}: a disruption budget that still lets a node drain (minAvailable ${min} of ${w.spec.replicas})`);
    const selector = (w.spec as unknown as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    t.ok(matches(selector, w.spec.template.metadata?.labels ?? {}), `${w.metadata.name}: its selector matches its pods`);
  }
  const policies = objects.map((o) => o.object).filter((o) => o.kind === 'NetworkPolicy');
  const denyAll = policies.find((p) => JSON.stringify((p.spec as { podSelector: unknown }).podSelector) === '{}');
  t.ok(denyAll && !(denyAll.spec as { ingress?: unknown }).ingress, 'every pod: no ingress unless allowed');
  const apiPolicy = policies.find((p) => matches((p.spec as { podSelector: { matchLabels?: Record<string, string> } }).podSelector.matchLabels, labels));
  const ports = (apiPolicy?.spec as { ingress: Array<{ ports: Array<{ port: string }> }> } | undefined)?.ingress.flatMap((i) => i.ports.map((p) => p.port));
  t.same(ports, ['http'], 'the API: its HTTP port only');
  t.notOk(policies.some((p) => p !== denyAll && matches((p.spec as { podSelector: { matchLabels?: Record<string, string> } }).podSelector.matchLabels, worker.spec.template.metadata?.labels ?? {})), 'the workers: nothing');
});

t.test('the image the Dockerfile builds has what the pods run, as the user they run as', async (t) => {
  const dockerfile = read('Dockerfile');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  t.match(dockerfile, /^ARG NODE_IMAGE=node:[\w.-]+$/m, 'an official Node.js image, whose `node` user is uid 1000');
  t.match(runtime, /^USER node$/m, 'the image runs as node');
  const exposed = /^EXPOSE (\d+)$/m.exec(runtime)?.[1];
  t.equal(exposed, configMap.PORT, 'the port it exposes');
  t.same(kustomization.images.map((i) => i.name), ['egide'], 'one image, set in the kustomization');
  const build = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
  for (const w of workloads) {
    t.equal(w.spec.template.spec!.securityContext?.runAsUser, 1000, `${w.metadata.name}: as node (uid 1000)`);
    for (const c of w.spec.template.spec!.containers) {
      t.equal(c.image, 'egide', `${w.metadata.name}: the egide image`);
      const scripts = [...(c.command ?? []), ...(c.livenessProbe?.exec?.command ?? [])].filter((a) => /^dist\/.+\.js$/.test(a));
      t.ok(scripts.length > 0 && c.command?.[0] === 'node', `${w.metadata.name}: node runs a compiled script`);
      for (const script of scripts) {
        const source = script.replace(/^dist\//, '').replace(/\.js$/, '.ts');
        t.ok(existsSync(join(root, source)), `${w.metadata.name}: ${script} is compiled from ${source}`);
        t.ok(build.include.some((d) => source.startsWith(`${d}/`)), `${w.metadata.name}: ${source} is in tsconfig.build.json`);
      }
    }
  }
});

t.test('the same limits and heartbeat as docker-compose.yml', async (t) => {
  type ComposeService = { environment?: Record<string, string>; deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } } };
  const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
  const cpus = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));
  // Compose's M and G are binary units, as Kubernetes' Mi and Gi.
  const mebibytes = (q: string) => {
    const m = /^(\d+)(Mi|M|Gi|G)$/.exec(q);
    return m ? Number(m[1]) * (m[2]!.startsWith('G') ? 1024 : 1) : Number.NaN;
  };
  for (const [service, w] of [['api', workload('Deployment', 'egide-api')], ['worker', workload('Deployment', 'egide-worker')], ['migrate', workload('Job', 'egide-migrate')]] as const) {
    const limits = compose.services[service]?.deploy?.resources?.limits ?? {};
    const c = containerOf(w);
    t.equal(cpus(String(c.resources?.limits?.cpu)), cpus(String(limits.cpus)), `${service}: CPU limit ${limits.cpus}`);
    t.equal(mebibytes(String(c.resources?.limits?.memory)), mebibytes(String(limits.memory)), `${service}: memory limit ${limits.memory}`);
  }
  t.equal(envValue(containerOf(workload('Deployment', 'egide-worker')).env, 'WORKER_HEARTBEAT_FILE')?.value, compose.services.worker?.environment?.WORKER_HEARTBEAT_FILE, 'the same heartbeat file');
});
