/**
 * The worker's health, for the container's healthcheck (docker-compose.yml): the worker rewrites
 * WORKER_HEARTBEAT_FILE while it runs and reaches PostgreSQL and Redis; `workers/healthcheck.ts`
 * answers healthy while the file is fresh, unhealthy once it is stale (Redis cut off) or gone
 * (the worker stopped), and healthy again when Redis is back.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createDatabase } from '../../src/db/client.js';
import { projectRoot } from '../../src/lib/paths.js';
import { checkHeartbeat } from '../../workers/healthcheck.js';
import { startWorkers } from '../../workers/worker.js';
import { REDIS_URL, testConfig, testRedisPrefix } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { hostPort, startTcpProxy, throughProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'egide-heartbeat-'));
const file = join(dir, 'worker.heartbeat');
const db = await createTestDatabase();
const prefix = await testRedisPrefix(t);
const redisProxy = await startTcpProxy(hostPort(REDIS_URL, 6379));
const config = await testConfig({ DATABASE_URL: db.url, REDIS_URL: throughProxy(REDIS_URL, redisProxy), REDIS_PREFIX: prefix, LOG_LEVEL: 'silent', WORKER_HEARTBEAT_FILE: file });
const database = createDatabase(db.url, { max: 3 });
const BEAT_MS = 100;
/** The workers' log lines: the test waits on what they report. */
const lines: string[] = [];
const workers = await startWorkers({ config, database, logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }), heartbeatIntervalMs: BEAT_MS });
let closed = false;
t.teardown(async () => {
  await redisProxy.restore();
  if (!closed) await workers.close();
  await database.close();
  await redisProxy.close();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

const mtime = () => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? null;

/** The healthcheck as the container runs it: a process of its own, exit code 0 or 1. */
function healthcheck(...args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/healthcheck.ts', ...args], { cwd: projectRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

const until = (what: string, ok: () => boolean, timeoutMs = 10_000) => waitFor(ok, { what, timeoutMs, everyMs: 20 });

t.test('a running worker keeps its heartbeat fresh', async (t) => {
  await until('the first heartbeat', () => mtime() !== null);
  const first = mtime()!;
  await until('a second heartbeat', () => (mtime() ?? 0) > first);
  t.ok(mtime()! > first, 'the file is rewritten every beat');
  t.match(await checkHeartbeat(file), { healthy: true });
  const hc = await healthcheck(file);
  t.equal(hc.code, 0, `healthy: ${hc.output}`);
});

t.test('cut off from Redis, the heartbeat stops; back, it resumes', async (t) => {
  const seen = lines.length;
  await redisProxy.cut();
  // A beat in flight may still land: take the time once the worker reports a beat it could not write.
  await until('a beat refused for want of Redis', () => lines.slice(seen).some((l) => l.includes('worker heartbeat not written')));
  const last = mtime()!;
  await waitFor(async () => !(await checkHeartbeat(file, 3 * BEAT_MS)).healthy, { what: 'the heartbeat to go stale', everyMs: BEAT_MS });
  t.equal(mtime(), last, 'no heartbeat while Redis does not answer');
  t.match(await checkHeartbeat(file, 3 * BEAT_MS), { healthy: false, message: /stuck or cannot reach PostgreSQL or Redis/ }, 'stale past the allowed age');
  const hc = await healthcheck(file, '0.3');
  t.equal(hc.code, 1, `unhealthy: ${hc.output}`);

  await redisProxy.restore();
  await until('the heartbeat after Redis is back', () => (mtime() ?? 0) > last, 15_000);
  t.match(await checkHeartbeat(file, 3 * BEAT_MS), { healthy: true }, 'healthy again by itself');
});

t.test('a stopped worker leaves no heartbeat: unhealthy at once', async (t) => {
  await workers.close();
  closed = true;
  t.equal(mtime(), null, 'the file is removed on close');
  const hc = await healthcheck(file);
  t.equal(hc.code, 1);
  t.match(hc.output, /no heartbeat/);
});
