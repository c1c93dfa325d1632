import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../src/config/config.js';
import type { AuditService } from '../src/audit/audit-service.js';
import type { Logger } from '../src/lib/logger.js';
import { createQueue, queuePrefix, QUEUES, type JobName, type JobPayload, type JobResult, type TypedJob, type TypedQueue } from '../src/queues/registry.js';

export const QUEUE = 'audit-checkpoint' as const;

/**
 * One scheduler for every worker instance (upserting it again only updates the interval). BullMQ
 * types a scheduler id as a job name; the queue has one job, so its name is the id.
 */
export const SCHEDULER_ID = 'checkpoint' satisfies JobName<typeof QUEUE>;

/**
 * Repeats the checkpoint job every AUDIT_CHECKPOINT_INTERVAL_SECONDS (a BullMQ job scheduler,
 * so several worker instances share one schedule instead of each adding its own).
 */
export async function scheduleAuditCheckpoint(queue: TypedQueue<typeof QUEUE>, config: Pick<Config, 'AUDIT_CHECKPOINT_INTERVAL_SECONDS'>): Promise<void> {
  await queue.upsertJobScheduler(
    SCHEDULER_ID,
    { every: config.AUDIT_CHECKPOINT_INTERVAL_SECONDS * 1000 },
    { name: 'checkpoint', data: { trigger: 'schedule' }, opts: QUEUES[QUEUE].defaultJobOptions },
  );
}

/**
 * Signs the current head of the audit chain and stores it, so a later rewrite of history is
 * detectable against a checkpoint a supervisor (or anyone with the public key) already holds.
 * Idempotent: an unchanged head, or a checkpoint stored twice, writes nothing new.
 */
export function auditCheckpointProcessor(deps: { audit: Pick<AuditService, 'checkpoint'>; log: Logger }) {
  return async (job: TypedJob<typeof QUEUE>): Promise<JobResult<typeof QUEUE>> => {
    // A job this code does not know would fail the same way on every attempt.
    if (job.name !== 'checkpoint') throw new UnrecoverableError(`unknown job ${String(job.name)} on ${QUEUE}`);
    const signed = await deps.audit.checkpoint();
    if (signed) deps.log.info({ queue: QUEUE, jobId: job.id, seq: signed.seq }, 'audit checkpoint stored');
    return { seq: signed?.seq ?? null };
  };
}

export interface RunningAuditCheckpoint {
  queue: TypedQueue<typeof QUEUE>;
  worker: Worker<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>;
  close(): Promise<void>;
}

/** Starts the checkpoint worker and its schedule in a worker process. */
export async function startAuditCheckpoint(deps: { config: Pick<Config, 'REDIS_PREFIX' | 'AUDIT_CHECKPOINT_INTERVAL_SECONDS'>; audit: Pick<AuditService, 'checkpoint'>; connection: Redis; log: Logger }): Promise<RunningAuditCheckpoint> {
  const { config, connection, log } = deps;
  const queue = createQueue(QUEUE, { connection, config });
  queue.on('error', (err) => log.warn({ queue: QUEUE, err: { message: err.message } }, 'queue error'));
  const worker = new Worker<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>(QUEUE, auditCheckpointProcessor({ audit: deps.audit, log }), {
    connection,
    prefix: queuePrefix(config),
    concurrency: QUEUES[QUEUE].concurrency,
  });
  await scheduleAuditCheckpoint(queue, config);
  return {
    queue,
    worker,
    async close() {
      await queue.close();
    },
  };
}
