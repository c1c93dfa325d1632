import { Writable } from 'node:stream';
import type { FastifyPluginAsync, FastifyPluginCallback } from 'fastify';
import { Redis } from 'ioredis';
import { createDatabase } from '../../src/db/client.js';
import { fixedClock } from '../../src/lib/clock.js';
import { buildServer } from '../../src/server.js';
import { REDIS_URL, testConfig, testRedisPrefix, type Teardown, type TestApp } from './app.js';
import { createTestDatabase, type TestDatabase } from './db.js';

/** A plugin and its options, registered on the app before `ready()`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ExtraPlugin = { plugin: FastifyPluginAsync<any> | FastifyPluginCallback<any>; opts?: Record<string, unknown> };

/**
 * `buildTestApp` with plugins of the caller's registered before `ready()` (for routes not yet
 * wired into app.ts), and optionally on an existing test database (e.g. one a CLI bootstrapped).
 * `extraPlugins` receives the built app, so it can hand services of the app to the plugins.
 */
export async function buildTestAppWith(
  t: Teardown,
  opts: { env?: Record<string, string>; now?: string; db?: TestDatabase; extraPlugins?: (app: TestApp['app'], config: TestApp['config']) => Promise<ExtraPlugin[]> | ExtraPlugin[] } = {},
): Promise<TestApp> {
  const db = opts.db ?? (await createTestDatabase());
  const prefix = await testRedisPrefix(t);
  const config = await testConfig({ DATABASE_URL: db.url, REDIS_URL, REDIS_PREFIX: prefix, ...opts.env });
  const database = createDatabase(db.url, { max: 5 });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const clock = fixedClock(opts.now ?? new Date().toISOString());
  const app = await buildServer({ config, clock, database, redis, logStream });
  // Registered after the app plugin has loaded, so that its decorators (services) exist.
  await app.after();
  for (const p of (await opts.extraPlugins?.(app, config)) ?? []) await app.register(p.plugin, p.opts ?? {});
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await database.close();
    redis.disconnect();
    if (!opts.db) await db.drop();
  });
  return { app, config, database, db, redis, clock, logs };
}

/**
 * The app with the audit routes, whether or not app.ts registers them yet: until it does (and
 * services.ts builds `auditQuery`), the routes are registered here with a query service built
 * from the app's own services and keys.
 */
export async function buildAuditTestApp(t: Teardown, opts: { env?: Record<string, string>; now?: string; db?: TestDatabase } = {}): Promise<TestApp> {
  const { default: auditRoutes } = await import('../../src/audit/audit-routes.js');
  const { createAuditQueryService } = await import('../../src/audit/audit-query-service.js');
  const { loadServerKeys } = await import('../../src/lib/server-keys.js');
  return buildTestAppWith(t, {
    ...opts,
    extraPlugins: async (app, config) => {
      if (app.hasRoute({ method: 'GET', url: '/v1/audit/head' })) return [];
      const s = app.services;
      const auditQuery = createAuditQueryService({ audit: s.audit, access: s.access, repo: s.repos.audit, signingPublicKey: (await loadServerKeys(config)).audit.publicKey });
      return [{ plugin: auditRoutes, opts: { auditQuery } }];
    },
  });
}
