import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { Database } from '../db/client.js';

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

/** The connections the container opened (src/container.ts), for the plugins that need them; the container closes them. */
export interface InfraOptions {
  database: Database;
  auditDatabase: Database;
  redis: Redis;
}

export default fp<InfraOptions>(
  async function infraPlugin(fastify, opts) {
    fastify.decorate('database', opts.database);
    fastify.decorate('auditDatabase', opts.auditDatabase);
    fastify.decorate('redis', opts.redis);
  },
  { name: 'infra' },
);
