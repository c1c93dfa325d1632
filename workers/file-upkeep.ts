import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../src/config/config.js';
import type { Clock } from '../src/lib/clock.js';
import type { Logger } from '../src/lib/logger.js';
import type { FileService } from '../src/files/file-service.js';
import { createTimestampClient, TimestampError, type TimestampClient } from '../src/files/timestamp-authority.js';
import type { OutboxHandler } from '../src/outbox/outbox-relay.js';
import { createQueue, queuePrefix, QUEUES, type JobName, type JobPayload, type JobResult, type TypedJob, type TypedQueue } from '../src/queues/registry.js';

export const QUEUE = 'file-upkeep' as const;
/** One sweep scheduler shared by every worker instance; the job name is its id. */
export const SCHEDULER_ID = 'sweep' satisfies JobName<typeof QUEUE>;

type UpkeepConfig = Pick<Config, 'REDIS_PREFIX' | 'TIMESTAMP_AUTHORITY_URL' | 'FILE_SWEEP_INTERVAL_SECONDS'>;
type UpkeepFiles = Pick<FileService, 'stampReceived' | 'sweepStale' | 'erase'>;

/** Runs the stale-upload sweep every FILE_SWEEP_INTERVAL_SECONDS (a BullMQ job scheduler: several worker instances share one schedule). */
export async function scheduleFileSweep(queue: TypedQueue<typeof QUEUE>, config: Pick<Config, 'FILE_SWEEP_INTERVAL_SECONDS'>): Promise<void> {
  await queue.upsertJobScheduler(SCHEDULER_ID, { every: config.FILE_SWEEP_INTERVAL_SECONDS * 1000 }, { name: 'sweep', data: { trigger: 'schedule' }, opts: QUEUES[QUEUE].defaultJobOptions });
}

/**
 * The queue's jobs, on the container's file service (the rules live there):
 * - `timestamp` {fileId}: an authority that cannot be reached (network, timeout, HTTP 5xx/429)
 *   is retried with the queue's backoff; a refusal, a bad reply or a token for another hash is
 *   not (UnrecoverableError: asking again gets the same answer, and the failed job is kept).
 * - `sweep`: removes uploads left unfinished, as of the worker's clock.
 */
export function fileUpkeepProcessor(deps: { files: UpkeepFiles; timestamps: TimestampClient | null; clock: Clock; log: Logger }) {
  return async (job: TypedJob<typeof QUEUE>): Promise<JobResult<typeof QUEUE>> => {
    const data = job.data;
    if (job.name === 'timestamp' && 'fileId' in data) {
      if (!deps.timestamps) throw new UnrecoverableError('no time-stamp authority is configured');
      try {
        const outcome = await deps.files.stampReceived(data.fileId, deps.timestamps);
        return { outcome, files: outcome === 'stamped' ? 1 : 0 };
      } catch (err) {
        if (err instanceof TimestampError && err.code !== 'tsa_unreachable') throw new UnrecoverableError(`${err.code}: ${err.message}`);
        throw err;
      }
    }
    if (job.name === 'sweep') {
      const removed = await deps.files.sweepStale(deps.clock.now());
      if (removed.length > 0) deps.log.info({ queue: QUEUE, jobId: job.id, removed: removed.length }, 'stale uploads removed');
      return { outcome: 'swept', files: removed.length };
    }
    throw new UnrecoverableError(`unknown job ${String(job.name)} on ${QUEUE}`);
  };
}

export interface FileUpkeep {
  queue: TypedQueue<typeof QUEUE>;
  worker: Worker<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>;
  /** 'file.received': queues the file's time-stamp when an authority is configured; acknowledges the rows otherwise. */
  onReceived: OutboxHandler<'file.received'>;
  /** 'file.erase': removes the files' bytes from the store, audited per file. */
  onErase: OutboxHandler<'file.erase'>;
  close(): Promise<void>;
}

/**
 * Evidence files' side of the workers: the `file-upkeep` queue (time-stamps and the stale-upload
 * sweep, on its schedule) and the handlers of the files' outbox topics.
 */
export async function startFileUpkeep(deps: {
  config: UpkeepConfig;
  files: UpkeepFiles;
  connection: Redis;
  /** where jobs are added from (default `connection`): a fail-fast one, see startWorkers */
  producer?: Redis;
  clock: Clock;
  log: Logger;
  /** the authority's client (default: one for TIMESTAMP_AUTHORITY_URL, or none when it is empty) */
  timestamps?: TimestampClient | null;
}): Promise<FileUpkeep> {
  const { config, files, log } = deps;
  const timestamps = deps.timestamps !== undefined ? deps.timestamps : config.TIMESTAMP_AUTHORITY_URL ? createTimestampClient({ url: config.TIMESTAMP_AUTHORITY_URL }) : null;
  const queue = createQueue(QUEUE, { connection: deps.producer ?? deps.connection, config });
  queue.on('error', (err) => log.warn({ queue: QUEUE, err: { message: err.message } }, 'queue error'));
  const worker = new Worker<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>(QUEUE, fileUpkeepProcessor({ files, timestamps, clock: deps.clock, log }), {
    connection: deps.connection,
    prefix: queuePrefix(config),
    concurrency: QUEUES[QUEUE].concurrency,
  });
  await scheduleFileSweep(queue, config);

  const onReceived: OutboxHandler<'file.received'> = async (rows) => {
    if (!timestamps) return;
    // The job id is the file's: a file already queued is not queued twice (the relay hands a row at least once).
    await queue.addBulk(rows.map((r) => ({ name: 'timestamp' as const, data: { fileId: r.payload.fileId }, opts: { jobId: `timestamp-${r.payload.fileId}` } })));
  };
  const onErase: OutboxHandler<'file.erase'> = async (rows, tx) => {
    for (const r of rows) await files.erase(r.payload.caseId, r.payload.fileIds, r.payload.why, tx);
  };

  return {
    queue,
    worker,
    onReceived,
    onErase,
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
