import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { createDatabase, type Database } from '../db/client.js';
import type { Config } from '../config/config.js';

declare module 'fastify' {
  interface FastifyInstance {
    database: Database;
    /**
     * Two connections of its own for the audit group commit: requests that hold a pool
     * connection (a transaction) while they wait for their audit event must never starve it.
     */
    auditDatabase: Database;
    redis: Redis;
  }
}

export interface InfraOptions {
  config: Config;
  /** Tests and the combined entry point may pass their own connections; they are then not closed here. */
  database?: Database;
  redis?: Redis;
}

/** API-side Redis: fail fast while Redis is down (the request gets a 503) instead of queueing commands. */
export function createApiRedis(url: string): Redis {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 3000, retryStrategy: (n) => Math.min(n * 200, 2000) });
}

export default fp<InfraOptions>(
  async function infraPlugin(fastify, opts) {
    const database = opts.database ?? createDatabase(opts.config.DATABASE_URL, { max: opts.config.DATABASE_POOL_SIZE });
    const redis = opts.redis ?? createApiRedis(opts.config.REDIS_URL);
    // Without a listener ioredis reports connection errors as unhandled; they surface via /readyz instead.
    redis.on('error', (err) => fastify.log.debug({ err: { message: err.message } }, 'redis error'));
    const auditDatabase = createDatabase(opts.config.DATABASE_URL, { max: 2 });
    fastify.decorate('database', database);
    fastify.decorate('auditDatabase', auditDatabase);
    fastify.decorate('redis', redis);
    fastify.addHook('onClose', async () => {
      if (!opts.database) await database.close();
      await auditDatabase.close();
      if (!opts.redis) redis.disconnect();
    });
  },
  { name: 'infra' },
);
