import t from 'tap';

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { envInit } from '../../src/cli/env-init.js';
import { configVariables, loadConfig } from '../../src/config/config.js';
import { MIGRATIONS_DIR } from '../../src/db/migrate.js';
import { projectRoot } from '../../src/lib/paths.js';
import { generateSecrets } from '../../src/lib/server-keys.js';
import { REDIS_URL, testRedisPrefix } from '../helpers/app.js';
import { APP_ROLE, createTestDatabase, OWNER_ROLE, PG_BASE, roleUrl } from '../helpers/db.js';
import { queueNames } from '../../src/queues/registry.js';
import { holdsWithin } from '../helpers/wait-for.js';

// Spawns many processes that each compile and load the app: slower than a unit file on 2 cores.
t.setTimeout(300_000);

/**
 * The processes as operators start them (`node --import tsx src/main.ts`, what `npm start` runs
 * compiled): clear messages and exit 1 when the configuration or a dependency is wrong, and a
 * full start (database created and migrated, API and worker up) that SIGTERM stops with exit 0.
 */
const root = projectRoot();
const secrets = await generateSecrets();

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs an entry point with exactly `env` (no inherited variables, no .env file). */
function launch(entry: string, env: Record<string, string>) {
  return launchArgs([entry], env);
}

function launchArgs(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', EGIDE_ENV_FILE: 'none', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exited, output: () => stdout + stderr };
}

/** Exits within `ms`, or is killed and the test fails. */
async function exitWithin(p: ReturnType<typeof launch>, ms: number): Promise<Exit> {
  const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** A port on 127.0.0.1 with nothing listening. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const db = await createTestDatabase();
t.teardown(() => db.drop());
const good = { ...secrets, DATABASE_URL: db.url, REDIS_URL, REDIS_PREFIX: `egide-test:${randomBytes(5).toString('hex')}` };
const [pgPort, redisPort] = await Promise.all([closedPort(), closedPort()]);

t.test('refuses to start, saying why and how to fix it (exit 1)', async (t) => {
  // All at once: each is a separate process and they touch nothing.
  const cases = {
    pgDown: launch('src/main.ts', { ...good, DATABASE_URL: `postgres://egide:hunter2@127.0.0.1:${pgPort}/egide` }),
    redisDown: launch('src/main.ts', { ...good, REDIS_URL: `redis://:hunter2@127.0.0.1:${redisPort}` }),
    bothDown: launch('src/api-main.ts', { ...good, DATABASE_URL: `postgres://postgres@127.0.0.1:${pgPort}/egide`, REDIS_URL: `redis://127.0.0.1:${redisPort}` }),
    missing: launch('workers/main.ts', { ...good, JWT_SIGNING_KEY: '' }),
    bad: launch('src/main.ts', { ...good, PORT: 'eighty', SERVER_SECRET: 'short' }),
    wrongUrl: launch('src/main.ts', { ...good, DATABASE_URL: 'mysql://127.0.0.1/egide' }),
    noPolicies: launch('src/api-main.ts', { ...good, POLICIES_DIR: '/nonexistent/policies' }),
  };
  // Seven processes compile and load the app at once on a 2-core CI machine that also runs another
  // test file: a generous bound (a process that hangs instead of exiting still fails).
  const r = Object.fromEntries(await Promise.all(Object.entries(cases).map(async ([k, p]) => [k, await exitWithin(p, 60_000)] as const))) as Record<keyof typeof cases, Exit>;

  t.test('PostgreSQL unreachable', async (t) => {
    t.equal(r.pgDown.code, 1);
    t.match(r.pgDown.stderr, `PostgreSQL is unreachable at postgres://egide:****@127.0.0.1:${pgPort}/egide`);
    t.match(r.pgDown.stderr, /ECONNREFUSED/);
    t.match(r.pgDown.stderr, /start it \(.*docker compose up -d db/);
    t.notMatch(r.pgDown.stderr, /Redis/, 'Redis is fine and not blamed');
    t.notMatch(r.pgDown.stderr + r.pgDown.stdout, /hunter2/, 'the password is not printed');
  });

  t.test('Redis unreachable', async (t) => {
    t.equal(r.redisDown.code, 1);
    t.match(r.redisDown.stderr, `Redis is unreachable at redis://:****@127.0.0.1:${redisPort}`);
    t.match(r.redisDown.stderr, /start it \(`redis-server --daemonize yes`.*docker compose up -d redis/);
    t.notMatch(r.redisDown.stderr, /PostgreSQL/);
    t.notMatch(r.redisDown.stderr + r.redisDown.stdout, /hunter2/);
  });

  t.test('both unreachable (API alone): both named', async (t) => {
    t.equal(r.bothDown.code, 1);
    t.match(r.bothDown.stderr, /PostgreSQL is unreachable/);
    t.match(r.bothDown.stderr, /Redis is unreachable/);
  });

  t.test('a missing variable (worker alone) is named, with how to generate it', async (t) => {
    t.equal(r.missing.code, 1);
    t.match(r.missing.stderr, /JWT_SIGNING_KEY is required/);
    t.match(r.missing.stderr, /npm run egide -- env init/);
    t.notMatch(r.missing.stderr, /AUDIT_SIGNING_KEY/, 'only the missing one');
  });

  t.test('bad variables are each named', async (t) => {
    t.equal(r.bad.code, 1);
    t.match(r.bad.stderr, /PORT is invalid/);
    t.match(r.bad.stderr, /SERVER_SECRET is invalid/);
    t.notMatch(r.bad.stderr, new RegExp(secrets.JWT_SIGNING_KEY), 'no secret value is printed');
  });

  t.test('unreadable policies are named, without a stack trace', async (t) => {
    t.equal(r.noPolicies.code, 1);
    t.match(r.noPolicies.stderr, /egide: cannot start: cannot read \/nonexistent\/policies\/access\.yaml/);
    t.notMatch(r.noPolicies.stderr, /\n\s+at /);
  });

  t.test('a URL of the wrong kind is named', async (t) => {
    t.equal(r.wrongUrl.code, 1);
    t.match(r.wrongUrl.stderr, /DATABASE_URL is invalid \(must be a postgres:\/\/ or postgresql:\/\/ URL\)/);
  });
});

t.test('npm start: creates and migrates the database, serves, stops on SIGTERM with exit 0', async (t) => {
  const name = `egide_t_${randomBytes(6).toString('hex')}`;
  const url = `${PG_BASE}/${name}`;
  const dir = mkdtempSync(join(tmpdir(), 'egide-start-'));
  const heartbeat = join(dir, 'worker.heartbeat');
  t.teardown(async () => {
    const admin = postgres(`${PG_BASE}/postgres`, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });
  const prefix = await testRedisPrefix(t);
  // The two roles of .env (`egide env init`): the database does not exist yet; the start creates it
  // as the superuser it finds on the same server, owned by the owner role.
  const p = launch('src/main.ts', {
    ...secrets,
    DATABASE_URL: roleUrl(APP_ROLE, name),
    DATABASE_OWNER_URL: roleUrl(OWNER_ROLE, name),
    REDIS_URL,
    REDIS_PREFIX: prefix,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    WORKER_HEARTBEAT_FILE: heartbeat,
  });
  t.teardown(() => {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });

  // Creating the database, migrating and granting, then the API and the worker: on a shared 2-core machine under load this can take a while.
  let base: string | undefined;
  const ready = await holdsWithin(async () => {
    if (p.child.exitCode !== null) return true;
    base ??= /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(p.output())?.[1];
    return base !== undefined && (await fetch(`${base}/readyz`).then((r) => r.status === 200, () => false));
  }, 60_000, 100);
  if (!ready || p.child.exitCode !== null) {
    t.fail(`not ready in time (exit ${p.child.exitCode}):\n${p.output()}`);
    return;
  }
  t.match(p.output(), `created database ${name} (owner ${OWNER_ROLE})`);
  const health = await exitWithin(launchArgs(['workers/healthcheck.ts', heartbeat]), 20_000);
  t.equal(health.code, 0, `the worker's healthcheck passes: ${health.stdout}${health.stderr}`);
  const queuesLine = /"queues":(\[[^\]]*\])/.exec(p.output());
  t.same(queuesLine ? (JSON.parse(queuesLine[1]!) as string[]).sort() : null, [...queueNames].sort(), 'the worker runs in the same process, one worker per queue of the registry');

  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  const [{ count }] = (await sql`select count(*)::int as count from drizzle.__drizzle_migrations`) as unknown as [{ count: number }];
  const migrations = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).length;
  t.equal(count, migrations, 'every migration in drizzle/ is applied');
  const sessions = await sql`select distinct usename from pg_stat_activity where datname = ${name} and pid <> pg_backend_pid()`;
  t.same(sessions.map((r) => r.usename), [APP_ROLE], 'once serving, the process is connected as the application role only');
  await sql.end();

  const redis = new Redis(REDIS_URL);
  t.ok((await redis.keys(`${prefix}:bull:audit-checkpoint:*`)).length > 0, 'the checkpoint job is scheduled under the REDIS_PREFIX');
  redis.disconnect();

  const started = Date.now();
  p.child.kill('SIGTERM');
  const exit = await exitWithin(p, 5000);
  t.equal(exit.code, 0, 'exit 0 after SIGTERM');
  t.ok(Date.now() - started < 5000, 'within 5 s');
  t.match(exit.stdout, /"signal":"SIGTERM","msg":"closing"/);
});

t.test('egide env init: a .env of fresh secrets, mode 0600, never overwritten', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'egide-env-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, '.env');
  t.same(await envInit({ file }), { status: 'created', path: file });
  t.equal(statSync(file).mode & 0o777, 0o600);
  const first = readFileSync(file, 'utf8');
  const vars = Object.fromEntries(first.split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=') as [string, string]));
  t.same(Object.keys(vars).sort(), ['AUDIT_SIGNING_KEY', 'DATABASE_OWNER_URL', 'DATABASE_URL', 'JWT_SIGNING_KEY', 'METRICS_TOKEN', 'SERVER_SECRET']);
  t.ok(loadConfig(vars), 'the generated secrets pass validation');
  const app = new URL(vars.DATABASE_URL!);
  const owner = new URL(vars.DATABASE_OWNER_URL!);
  t.same([app.username, owner.username], ['egide_app', 'egide_owner'], 'two roles: the application and the owner');
  t.ok(app.password.length >= 32 && owner.password.length >= 32 && app.password !== owner.password, 'each with a fresh password of its own');
  t.same(await envInit({ file }), { status: 'exists', path: file });
  t.equal(readFileSync(file, 'utf8'), first, 'an existing .env is kept as it is');

  writeFileSync(file, 'JWT_SIGNING_KEY=mine\n');
  const cli = (...args: string[]) => exitWithin(launchArgs(['src/cli/env-init.ts', '--file', file, ...args]), 20_000);
  const [strict, lenient] = await Promise.all([cli(), cli('--if-missing')]);
  t.equal(strict.code, 1, 'the CLI refuses to overwrite');
  t.match(strict.stderr, /exists already and was not overwritten/);
  t.equal(lenient.code, 0, '--if-missing (what prestart runs) succeeds quietly');
  t.equal(lenient.stdout + lenient.stderr, '');
  t.equal(readFileSync(file, 'utf8'), 'JWT_SIGNING_KEY=mine\n');
});

t.test('.env.example lists every variable, each with a comment, and its values are valid', async (t) => {
  const lines = readFileSync(join(root, '.env.example'), 'utf8').split('\n');
  const vars = new Map<string, string>();
  lines.forEach((line, i) => {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) return;
    vars.set(m[1]!, m[2]!);
    let j = i - 1;
    while (j >= 0 && /^[A-Z0-9_]+=/.test(lines[j]!)) j--;
    t.match(lines[j], /^# /, `${m[1]} has a comment`);
  });
  t.same([...vars.keys()].sort(), [...configVariables].sort());
  t.same(['AUDIT_SIGNING_KEY', 'JWT_SIGNING_KEY', 'SERVER_SECRET'].map((k) => vars.get(k)), ['', '', ''], 'secrets are left empty');
  t.ok(loadConfig({ ...Object.fromEntries(vars), ...secrets }), 'the example values pass validation once the secrets are filled in');
});
