/**
 * The app with PostgreSQL and Redis reached through TCP proxies the test cuts and restores: how
 * the outage tests take a server away from a running app without stopping the shared servers.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../src/config/config.js';
import { createDatabase } from '../../src/db/client.js';
import { buildServer } from '../../src/server.js';
import { REDIS_URL, testConfig, testRedisPrefix, type Teardown } from './app.js';
import { createTestDatabase } from './db.js';
import { hostPort, startTcpProxy, throughProxy, type TcpProxy } from './tcp-proxy.js';

export interface AppBehindProxies {
  app: FastifyInstance;
  config: Config;
  pgProxy: TcpProxy;
  redisProxy: TcpProxy;
}

export async function startAppBehindProxies(t: Teardown): Promise<AppBehindProxies> {
  const db = await createTestDatabase();
  const prefix = await testRedisPrefix(t);
  const pgProxy = await startTcpProxy(hostPort(db.url, 5432));
  const redisProxy = await startTcpProxy(hostPort(REDIS_URL, 6379));
  const config = await testConfig({ DATABASE_URL: throughProxy(db.url, pgProxy), REDIS_URL: throughProxy(REDIS_URL, redisProxy), REDIS_PREFIX: prefix, LOG_LEVEL: 'silent' });
  // The pool the infra plugin would open (same factory and size), passed in only so teardown can end
  // it at once; the Redis client is the infra plugin's own, from the config.
  const database = createDatabase(config.DATABASE_URL, { max: config.DATABASE_POOL_SIZE });
  const app = await buildServer({ config, database, logStream: new Writable({ write: (_c, _e, cb) => cb() }) });
  await app.ready();
  t.teardown(async () => {
    await app.close();
    // postgres.js' graceful end can wait its whole timeout for a connection reset under it (porsager/postgres#1130).
    await database.sql.end({ timeout: 0 });
    await pgProxy.close();
    await redisProxy.close();
    await db.drop();
  });
  return { app, config, pgProxy, redisProxy };
}
