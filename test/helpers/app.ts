import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, FastifyPluginAsync, FastifyPluginCallback } from 'fastify';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createDatabase, type Database } from '../../src/db/client.js';
import { fixedClock } from '../../src/lib/clock.js';
import { generateSecrets } from '../../src/lib/server-keys.js';
import { buildServer } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import type { Resolver } from '../../src/notifications/webhook-target.js';
import type { AppModule } from '../../src/module.js';

/** Minimal view of a tap test, so helpers work with any `t`. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Deletes every key under a prefix (what a lost Redis would have lost, or a test's cleanup). */
export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await r.del(...keys);
  } while (cursor !== '0');
  r.disconnect();
}

/** A Redis key prefix of this test file's own; every key under it is deleted at teardown. */
export async function testRedisPrefix(t: Teardown): Promise<string> {
  const prefix = `egide-test:${randomBytes(5).toString('hex')}`;
  t.teardown(() => deleteRedisPrefix(prefix));
  return prefix;
}

/** Evidence-store directories this process's configs named: removed when the test process exits. */
const fileStoreDirs: string[] = [];
process.once('exit', () => {
  for (const dir of fileStoreDirs) rmSync(dir, { recursive: true, force: true });
});

/** A directory of this test's own for the disk evidence store (created by the store at start). */
function testFileStoreDir(): string {
  const dir = join(tmpdir(), `egide-files-${randomBytes(6).toString('hex')}`);
  fileStoreDirs.push(dir);
  return dir;
}

export async function testConfig(overrides: Record<string, string> = {}): Promise<Config> {
  const secrets = await generateSecrets();
  overrides = { FILE_STORE_DIR: testFileStoreDir(), ...overrides };
  // Login rate limits are tested on their own; elsewhere they would only slow the suite's many logins.
  // Webhook receivers in tests listen on 127.0.0.1; test/security/owasp-api-top10 turns the SSRF guard back on.
  return loadConfig({ ...secrets, LOG_LEVEL: 'info', LOGIN_RATE_LIMIT_PER_MINUTE: '1000', FILING_RATE_LIMIT_PER_MINUTE: '1000', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', ...overrides });
}

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  database: Database;
  db: TestDatabase;
  redis: Redis;
  clock: ReturnType<typeof fixedClock>;
  /** Every log line the app wrote, for leak checks. */
  logs: string[];
}

/**
 * The app as users meet it: real PostgreSQL (a database of this file's own), real Redis (a
 * prefix of its own), logs captured. Torn down with the test.
 */
/** Plugins a test adds (e.g. routes that throw on purpose), registered before `ready()`. */
export type ExtraPlugin = { plugin: FastifyPluginAsync<any> | FastifyPluginCallback<any>; opts?: Record<string, unknown> };

export async function buildTestApp(
  t: Teardown,
  opts: { env?: Record<string, string>; now?: string; auditReads?: boolean; db?: TestDatabase; extraPlugins?: ExtraPlugin[]; webhookResolver?: Resolver; modules?: readonly AppModule[]; redisUrl?: string } = {},
): Promise<TestApp> {
  // An existing database (e.g. one a CLI test bootstrapped) is used as is and not dropped here.
  const db = opts.db ?? (await createTestDatabase());
  const prefix = await testRedisPrefix(t);
  // Another Redis than the shared one (a test's own server, set up as the test needs).
  const redisUrl = opts.redisUrl ?? REDIS_URL;
  const config = await testConfig({ DATABASE_URL: db.url, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, ...opts.env });
  // Small by default (test files run in parallel); DATABASE_POOL_SIZE in `env` sets it, for the tests of pool pressure.
  const database = createDatabase(db.url, { max: opts.env?.DATABASE_POOL_SIZE ? config.DATABASE_POOL_SIZE : 5 });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const clock = fixedClock(opts.now ?? new Date().toISOString());
  const app = await buildServer({ config, clock, database, redis, logStream, ...(opts.auditReads !== undefined ? { auditReads: opts.auditReads } : {}), ...(opts.webhookResolver ? { webhookResolver: opts.webhookResolver } : {}), ...(opts.modules ? { modules: opts.modules } : {}) });
  // Registered after the app plugin has loaded, so that its decorators (services) exist.
  await app.after();
  for (const p of opts.extraPlugins ?? []) await app.register(p.plugin, p.opts ?? {});
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await database.close();
    redis.disconnect();
    if (!opts.db) await db.drop();
  });
  return { app, config, database, db, redis, clock, logs };
}
