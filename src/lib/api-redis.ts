import { Redis } from 'ioredis';

/** API-side Redis: fail fast while Redis is down (the request gets a 503) instead of queueing commands. */
export function createApiRedis(url: string): Redis {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 3000, retryStrategy: (n) => Math.min(n * 200, 2000) });
}

/**
 * Redis for a process that seldom or never needs it (the workers, whose queues have their own
 * connections, and the CLI): connects on the first command only.
 */
export function createOnDemandRedis(url: string): Redis {
  return new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3000, retryStrategy: (n) => Math.min(n * 200, 2000) });
}
