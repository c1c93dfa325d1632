import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config.js';
import type { Logger } from '../lib/logger.js';
import { createQueue, type QueueName } from './registry.js';

/** The job states an operator watches: a growing `waiting` or `delayed` is a backlog, `failed` needs a look. */
export const WATCHED_JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type WatchedJobState = (typeof WATCHED_JOB_STATES)[number];

export type QueueReaders = ReturnType<typeof createQueueReaders>;

/**
 * The API's handles on the registry's queues, for looking only (the admins' health report, the
 * metrics scrape, the queue dashboard): built by the composition root, one per queue on first
 * use, on the API's own Redis connection (fail fast: no offline queue), and closed with it.
 * Nothing is added through them: jobs come from the outbox relay and the workers' sweeps.
 */
export function createQueueReaders(deps: { connection: Redis; config: Pick<Config, 'REDIS_PREFIX'>; log?: Logger }) {
  const queues = new Map<QueueName, Queue>();

  function handle(name: QueueName): Queue {
    let q = queues.get(name);
    if (!q) {
      q = createQueue(name, { connection: deps.connection, config: deps.config });
      // Without a listener a Redis outage is an unhandled error; it shows in the counts (null) anyway.
      q.on('error', (err) => deps.log?.debug({ queue: name, err: { message: err.message } }, 'queue reader error'));
      queues.set(name, q);
    }
    return q;
  }

  return {
    handle,

    /** One queue's jobs by watched state, read now; rejects when Redis does not answer within `timeoutMs`. */
    async counts(name: QueueName, timeoutMs: number): Promise<Record<WatchedJobState, number>> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const c = await Promise.race([handle(name).getJobCounts(...WATCHED_JOB_STATES), timeout]);
        return { waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
      } finally {
        clearTimeout(timer);
      }
    },

    /** Closes the handles, never the connection they share (the composition root's). */
    async close(): Promise<void> {
      const open = [...queues.values()];
      queues.clear();
      await Promise.all(open.map((q) => q.close().catch(() => undefined)));
    },
  };
}
