import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../src/config/config.js';
import type { Clock } from '../src/lib/clock.js';
import type { MeasureService } from '../src/measures/measure-service.js';
import { createQueue, queuePrefix, QUEUES, type JobName, type JobPayload, type JobResult, type TypedJob, type TypedQueue } from '../src/queues/registry.js';
import type { Logger } from '../src/lib/logger.js';

export const QUEUE = 'measure-expiry' as const;
/** One scheduler shared by every worker instance (as the audit checkpoint's); the job name is its id. */
export const SCHEDULER_ID = 'expire' satisfies JobName<typeof QUEUE>;
const EVERY_MS = 60_000;

/** Runs the sweep every minute (a BullMQ job scheduler: several worker instances share one schedule). */
export async function scheduleMeasureExpiry(queue: TypedQueue<typeof QUEUE>, everyMs = EVERY_MS): Promise<void> {
  await queue.upsertJobScheduler(SCHEDULER_ID, { every: everyMs }, { name: 'expire', data: { trigger: 'schedule' }, opts: QUEUES[QUEUE].defaultJobOptions });
}

/**
 * Ends what time has ended, as of the worker's clock: active measures past their end date expire,
 * urgent-track measures unconfirmed after the confirmation window lapse (measure-ends.ts
 * `expireDue`: each in its own transaction, re-checked under the case lock, with timeline, audit,
 * notices, and the measure's remaining deadlines cancelled). A sweep run twice ends nothing twice.
 */
export function measureExpiryProcessor(deps: { measures: Pick<MeasureService, 'expireDue'>; clock: Clock; log: Logger }) {
  return async (job: TypedJob<typeof QUEUE>): Promise<JobResult<typeof QUEUE>> => {
    if (job.name !== 'expire') throw new UnrecoverableError(`unknown job ${String(job.name)} on ${QUEUE}`);
    const { expired, lapsed } = await deps.measures.expireDue(deps.clock.now());
    if (expired.length + lapsed.length > 0) deps.log.info({ queue: QUEUE, jobId: job.id, expired, lapsed }, 'measures ended by time');
    return { expired: expired.length, lapsed: lapsed.length };
  };
}

export interface RunningMeasureExpiry {
  queue: TypedQueue<typeof QUEUE>;
  worker: Worker<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>;
  close(): Promise<void>;
}

/**
 * Starts the measure-expiry worker and its schedule in a worker process, on the container's
 * measure service: the one service that ends measures, so the worker keeps no copy of the rules.
 */
export async function startMeasureExpiry(deps: { config: Pick<Config, 'REDIS_PREFIX'>; measures: Pick<MeasureService, 'expireDue'>; connection: Redis; clock: Clock; log: Logger }): Promise<RunningMeasureExpiry> {
  const { measures } = deps;
  const queue = createQueue(QUEUE, { connection: deps.connection, config: deps.config });
  queue.on('error', (err) => deps.log.warn({ queue: QUEUE, err: { message: err.message } }, 'queue error'));
  const worker = new Worker<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>(QUEUE, measureExpiryProcessor({ measures, clock: deps.clock, log: deps.log }), {
    connection: deps.connection,
    prefix: queuePrefix(deps.config),
    concurrency: QUEUES[QUEUE].concurrency,
  });
  await scheduleMeasureExpiry(queue);
  return {
    queue,
    worker,
    async close() {
      await queue.close();
    },
  };
}
