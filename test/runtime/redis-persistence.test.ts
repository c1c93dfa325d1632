/**
 * BullMQ keeps the queued jobs in Redis only: Redis must write them to its append-only file and
 * never evict them. At start the API and the workers check it (CONFIG GET, else INFO where a
 * managed Redis disables CONFIG): a warning in the log and on the admins' health page, a refusal
 * to start with REDIS_REQUIRE_PERSISTENCE=true. On Redis servers of this file's own: one run as
 * development and CI run it (no append-only file), one with AOF and noeviction, a managed-like one
 * with CONFIG disabled, and one whose account may run neither CONFIG nor INFO.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/config.js';
import { probeRedisPersistence } from '../../src/lib/redis-persistence.js';
import { projectRoot } from '../../src/lib/paths.js';
import { generateSecrets } from '../../src/lib/server-keys.js';
import { checkDependencies, StartupError } from '../../src/main.js';
import { freePort } from '../faults/own-servers.js';
import { buildTestApp } from '../helpers/app.js';
import { PG_BASE } from '../helpers/db.js';
import { bootstrap, refreshIfStale } from '../helpers/world.js';
import { waitFor } from '../helpers/wait-for.js';

t.setTimeout(120_000);

const root = mkdtempSync(join(tmpdir(), 'egide-redis-persistence-'));
const children: ChildProcess[] = [];
const cleanUp = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
};
t.teardown(cleanUp);
// Also when the file fails before its tests run (teardowns would not).
process.once('exit', cleanUp);

/** A redis-server of this test's own, in a directory of its own, with `args`. */
async function ownRedis(name: string, args: string[]): Promise<string> {
  const port = await freePort();
  const dir = join(root, name);
  mkdirSync(dir);
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...args], { stdio: 'ignore' });
  children.push(child);
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  await waitFor(() => probe.connect().then(() => true, () => false), { what: `redis-server ${name} on ${port}`, timeoutMs: 10_000 });
  probe.disconnect();
  return `redis://127.0.0.1:${port}`;
}

// As .ci/run starts it (and a default install): no append-only file; noeviction is Redis's default.
const plain = await ownRedis('plain', ['--appendonly', 'no']);
const persistent = await ownRedis('persistent', ['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']);
// A managed Redis that refuses CONFIG: what INFO says is used instead.
const managed = await ownRedis('managed', ['--appendonly', 'yes', '--maxmemory-policy', 'allkeys-lru', '--rename-command', 'CONFIG', '']);
// One whose account may run neither CONFIG nor INFO (an ACL, as managed services restrict them).
const opaque = await (async () => {
  const url = await ownRedis('opaque', ['--appendonly', 'yes']);
  const admin = new Redis(url);
  await admin.call('ACL', 'SETUSER', 'egide', 'on', '>egide-secret', '~*', '&*', '+@all', '-config', '-info');
  admin.disconnect();
  return url.replace('redis://', 'redis://egide:egide-secret@');
})();

const probeOf = async (url: string) => {
  // Fail fast, as the API's and the start check's connections do.
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  r.on('error', () => undefined);
  await r.connect().catch(() => undefined);
  try {
    return await probeRedisPersistence(r);
  } finally {
    r.disconnect();
  }
};

t.test('the settings as Redis reports them', async (t) => {
  const dev = await probeOf(plain);
  t.match(dev, { appendonly: 'no', maxmemoryPolicy: 'noeviction', status: 'warning' });
  t.match(dev.problems.join(' '), /appendonly no/);
  t.match(await probeOf(persistent), { appendonly: 'yes', maxmemoryPolicy: 'noeviction', status: 'ok', problems: [] });
  const viaInfo = await probeOf(managed);
  t.match(viaInfo, { appendonly: 'yes', maxmemoryPolicy: 'allkeys-lru', status: 'warning' }, 'CONFIG disabled: read from INFO');
  t.match(viaInfo.problems.join(' '), /maxmemory-policy is allkeys-lru/);
  const silent = await probeOf(opaque);
  t.match(silent, { appendonly: 'unknown', maxmemoryPolicy: 'unknown', status: 'unknown' }, 'CONFIG and INFO refused: unknown');
  t.match(silent.problems.join(' '), /does not say/);
  const down = await probeOf(`redis://127.0.0.1:${await freePort()}`).catch(() => null);
  t.match(down, { status: 'unknown', appendonly: 'unknown' }, 'Redis not answering: unknown, never a guess');
});

const secrets = await generateSecrets();
const configWith = (redisUrl: string, env: Record<string, string> = {}) => loadConfig({ ...secrets, DATABASE_URL: `${PG_BASE}/postgres`, REDIS_URL: redisUrl, ...env });

t.test('at start: a warning by default, a refusal with REDIS_REQUIRE_PERSISTENCE=true', async (t) => {
  const warned = await checkDependencies(configWith(plain));
  t.ok(warned.warnings.some((w) => /appendonly no/.test(w)), 'development and CI: starts, with a warning');
  const refused = await checkDependencies(configWith(plain, { REDIS_REQUIRE_PERSISTENCE: 'true' })).catch((err: unknown) => err);
  t.ok(refused instanceof StartupError, 'required: the start is refused');
  t.match((refused as StartupError).message, /REDIS_REQUIRE_PERSISTENCE=true: Redis runs without its append-only file \(appendonly no\)/, 'saying why and what to set');
  t.same((await checkDependencies(configWith(persistent, { REDIS_REQUIRE_PERSISTENCE: 'true' }))).warnings, [], 'AOF and noeviction: starts, nothing to say');
  await t.rejects(checkDependencies(configWith(managed, { REDIS_REQUIRE_PERSISTENCE: 'true' })), /maxmemory-policy is allkeys-lru/, 'an evicting managed Redis is refused too');
  await t.rejects(checkDependencies(configWith(opaque, { REDIS_REQUIRE_PERSISTENCE: 'true' })), /does not say/, 'so is one that cannot be checked');
  t.ok((await checkDependencies(configWith(opaque))).warnings.some((w) => /does not say/.test(w)), 'which otherwise starts with a warning');
});

t.test('the API process exits 1 with the reason when persistence is required and missing', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/api-main.ts'], {
    cwd: projectRoot(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', EGIDE_ENV_FILE: 'none', LOG_LEVEL: 'warn', ...secrets, DATABASE_URL: `${PG_BASE}/postgres`, REDIS_URL: plain, REDIS_REQUIRE_PERSISTENCE: 'true', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 1);
  t.match(stderr, /cannot start:[\s\S]*REDIS_REQUIRE_PERSISTENCE=true[\s\S]*appendonly/);
});

/** The admins' health report of an app on `redisUrl`. */
async function healthOn(t: Test, redisUrl: string) {
  const T = await buildTestApp(t, { redisUrl });
  const dep = await bootstrap(T);
  await refreshIfStale(T, dep.admin);
  const r = await T.app.inject({ method: 'GET', url: '/v1/admin/health', headers: dep.admin.auth() });
  t.equal(r.statusCode, 200);
  return r.json<{ status: string; warnings: string[]; redisPersistence: { appendonly: string; maxmemoryPolicy: string; status: string } }>();
}

t.test('the admins health page: a warning on a Redis without AOF, OK on one with AOF and noeviction', async (t) => {
  const dev = await healthOn(t, plain);
  t.equal(dev.status, 'ready', 'the service runs');
  t.same(dev.redisPersistence, { appendonly: 'no', maxmemoryPolicy: 'noeviction', status: 'warning' });
  t.ok(dev.warnings.some((w) => /appendonly no/.test(w)), 'and says so among the warnings');
  const prod = await healthOn(t, persistent);
  t.same(prod.redisPersistence, { appendonly: 'yes', maxmemoryPolicy: 'noeviction', status: 'ok' });
  t.notOk(prod.warnings.some((w) => /Redis/.test(w)), 'no Redis warning');
});
