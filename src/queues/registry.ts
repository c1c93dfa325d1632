import { Queue, type DefaultJobOptions, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config/config.js';

/**
 * The one registry of queues, shared by the API (which enqueues, after commit) and the workers
 * (which process). A queue is added here first: its name, its job names and payload type, and
 * its default job options; `workers/` then adds one processor per queue.
 *
 * Payloads carry ids and reasons only, never case content: whatever is in Redis must be
 * rebuildable from PostgreSQL, and Redis must never see a sealed field.
 */
export interface QueueDefinitions {
  /** Signs and stores a checkpoint of the audit chain head (a repeatable job, see workers/audit-checkpoint.ts). */
  'audit-checkpoint': {
    job: 'checkpoint';
    payload: { trigger: 'schedule' | 'manual' };
    result: { seq: number | null };
  };
  /** One step of a deadline's escalation ladder, due at the job's delay (workers/deadline-steps.ts). */
  'deadline-steps': {
    job: 'step';
    payload: { deadlineId: string; step: 'reminder' | 'level1' | 'level2'; dueAt: string };
    result: { outcome: string; fired: Array<'reminder' | 'level1' | 'level2'> };
  };
  /**
   * Evidence files' upkeep (workers/file-upkeep.ts): `timestamp` stamps one received file's
   * ciphertext hash at the RFC 3161 authority; `sweep` (a repeatable job) removes uploads left
   * unfinished past policies/files.yaml staleUploadAfterSeconds.
   */
  'file-upkeep': {
    job: 'timestamp' | 'sweep';
    payload: { fileId: string } | { trigger: 'schedule' | 'manual' };
    result: { outcome: 'stamped' | 'already' | 'gone' | 'swept'; files: number };
  };
  /** Expires measures past their end and lapses unconfirmed urgent ones (a repeatable job, see workers/measure-expiry.ts). */
  'measure-expiry': {
    job: 'expire';
    payload: { trigger: 'schedule' | 'manual' };
    result: { expired: number; lapsed: number };
  };
  /**
   * On call (workers/on-call.ts): `send` one channel of a page's notice (e-mail or SMS); `turn`
   * ends a page's time to acknowledge (delayed), paging the next person unless acknowledged.
   */
  'on-call': {
    job: 'send' | 'turn';
    payload: { pageId: string; channel: 'email' | 'sms' } | { pageId: string };
    result: { outcome: string };
  };
  /** POSTs one webhook delivery (a row of webhook_deliveries) to a partner's endpoint (workers/notification-delivery.ts). */
  webhooks: {
    job: 'deliver';
    payload: { deliveryId: string };
    result: { outcome: string; statusCode: number | null };
  };
}

export type QueueName = keyof QueueDefinitions;
export type JobName<N extends QueueName> = QueueDefinitions[N]['job'];
export type JobPayload<N extends QueueName> = QueueDefinitions[N]['payload'];
export type JobResult<N extends QueueName> = QueueDefinitions[N]['result'];
export type TypedQueue<N extends QueueName> = Queue<JobPayload<N>, JobResult<N>, JobName<N>>;
export type TypedJob<N extends QueueName> = Job<JobPayload<N>, JobResult<N>, JobName<N>>;

export interface QueueSpec {
  /** Jobs of this queue one worker process runs at once. */
  concurrency: number;
  defaultJobOptions: DefaultJobOptions;
  /**
   * How long a worker's lock on an active job lasts without renewal, and how often workers look
   * for jobs whose lock lapsed (a worker killed mid-job): BullMQ's defaults (30 s each) unless set.
   */
  lock?: { durationMs: number; stalledCheckMs: number };
}

/**
 * Retries back off exponentially (1 s, 2 s, 4 s, ...) so a dependency that is down for a minute
 * does not burn the attempts; finished jobs are trimmed so Redis (with `noeviction`) never fills.
 */
export const QUEUES = {
  'audit-checkpoint': {
    concurrency: 1,
    defaultJobOptions: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 1000 },
    },
  },
  // Many small jobs, mostly waiting out their delay; failed ones are kept (and logged) for
  // inspection, and the reconciler fires whatever a lost or failed job left undone.
  'deadline-steps': {
    concurrency: 8,
    // A step takes milliseconds; with BullMQ's 30 s lock, the steps a killed worker held would
    // wait 30 s for another worker, and the bar is every escalation within 5 s. A lock lapsing
    // under a stalled event loop only means a second look at the deadline: firing is idempotent.
    lock: { durationMs: 2000, stalledCheckMs: 1000 },
    defaultJobOptions: {
      attempts: 8,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 7 * 24 * 3600, count: 50_000 },
      removeOnFail: { age: 30 * 24 * 3600 },
    },
  },
  // A time-stamp authority may be down for a while: 10 attempts back off over about 17 minutes
  // (refusals fail at once, UnrecoverableError). The sweep is repeated anyway: a failed one
  // only waits for the next.
  'file-upkeep': {
    concurrency: 2,
    defaultJobOptions: {
      attempts: 10,
      backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 10000 },
    },
  },
  // A sweep every minute; a failed one is retried, and the next sweep catches up anyway (each
  // measure is checked again under its lock, so a sweep run twice ends nothing twice).
  'measure-expiry': {
    concurrency: 1,
    defaultJobOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 1000 },
    },
  },
  // Few jobs; a mail server or SMS gateway may be down for a while: the sends' attempts and
  // backoff come from policies/on-call.yaml (retry), set on each job. Failed jobs are kept.
  'on-call': {
    concurrency: 4,
    defaultJobOptions: {
      attempts: 1,
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 10000 },
    },
  },
  // A partner's endpoint may be down for a while: 8 attempts back off over about 4 minutes; failed
  // jobs are kept (and the delivery log says why) rather than silently dropped.
  webhooks: {
    concurrency: 4,
    defaultJobOptions: {
      attempts: 8,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 10000 },
    },
  },
} as const satisfies Record<QueueName, QueueSpec>;

export const queueNames = Object.keys(QUEUES) as QueueName[];

/**
 * BullMQ's key prefix: every queue key lives under `<REDIS_PREFIX>:bull:`, beside the API's
 * own keys (`<REDIS_PREFIX>:rl:` ...). BullMQ's `prefix` option, never ioredis' `keyPrefix`
 * (which BullMQ refuses because its Lua scripts build keys themselves).
 */
export function queuePrefix(config: Pick<Config, 'REDIS_PREFIX'>): string {
  return `${config.REDIS_PREFIX}:bull`;
}

/** ioredis 6's options minus `replyMapping`, which its constructor types as a type parameter. */
export type ConnectionOptions = Omit<RedisOptions, 'replyMapping'>;

/** Reconnect forever, backing off to 5 s: Redis may come back at any time and work resumes. */
const reconnect = (times: number): number => Math.min(times * 250, 5000);

/**
 * A Redis connection for BullMQ.
 * - `worker`: `maxRetriesPerRequest: null` (BullMQ requires it for blocking commands, and a
 *   worker should wait for Redis rather than fail its job), offline queue kept.
 * - `producer`: for the API's queues, fail fast (the request gets a 503 and the outbox keeps
 *   the job) instead of hanging while Redis is down.
 * The caller owns the connection: BullMQ does not close a client it was given.
 */
export function createQueueConnection(url: string, role: 'worker' | 'producer', extra: ConnectionOptions = {}): Redis {
  const options: ConnectionOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, retryStrategy: reconnect, connectionName: 'egide-worker', ...extra }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 3000, retryStrategy: reconnect, connectionName: 'egide-producer', ...extra };
  if (options.keyPrefix) throw new Error('use queuePrefix() (BullMQ prefix), never ioredis keyPrefix');
  return new Redis(url, options);
}

/** A typed queue of the registry, with its default job options. */
export function createQueue<N extends QueueName>(name: N, deps: { connection: Redis; config: Pick<Config, 'REDIS_PREFIX'> }): TypedQueue<N> {
  return new Queue<JobPayload<N>, JobResult<N>, JobName<N>>(name, {
    connection: deps.connection,
    prefix: queuePrefix(deps.config),
    defaultJobOptions: QUEUES[name].defaultJobOptions,
  });
}
