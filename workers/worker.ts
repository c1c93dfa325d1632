import { Worker } from 'bullmq';
import { loggableError } from '../src/lib/loggable-error.js';
import type { Logger } from '../src/lib/logger.js';
import { pino } from 'pino';
import type { Config } from '../src/config/config.js';
import { createDatabase, type Database } from '../src/db/client.js';
import { systemClock, type Clock } from '../src/lib/clock.js';
import { loadServerKeys } from '../src/lib/server-keys.js';
import { createAuditRepository } from '../src/audit/audit-repository.js';
import { createAuditService } from '../src/audit/audit-service.js';
import { createQueue, createQueueConnection, queuePrefix, QUEUES, type JobName, type JobPayload, type JobResult, type QueueName } from '../src/queues/registry.js';
import { auditCheckpointProcessor, QUEUE as AUDIT_CHECKPOINT, SCHEDULER_ID as AUDIT_CHECKPOINT_SCHEDULER, scheduleAuditCheckpoint } from './audit-checkpoint.js';
import { startAuditChainer } from './audit-chainer.js';
import { DEADLINE_STEPS, startEscalation } from './escalation.js';
import { QUEUE as NOTIFICATION_QUEUE, startNotificationDelivery } from './notification-delivery.js';
import { QUEUE as MEASURE_EXPIRY, SCHEDULER_ID as MEASURE_EXPIRY_SCHEDULER, scheduleMeasureExpiry, startMeasureExpiry } from './measure-expiry.js';
import { startScheduleKeeper } from './schedule-keeper.js';
import { startHeartbeat } from './heartbeat.js';

export interface StartWorkersOptions {
  config: Config;
  /** A pool to share (then not closed here); by default the workers open a small one of their own. */
  database?: Database;
  logger?: Logger;
  clock?: Clock;
  /** How often the heartbeat (WORKER_HEARTBEAT_FILE) is written; tests shorten it. */
  heartbeatIntervalMs?: number;
}

export interface Workers {
  workers: Array<Pick<Worker, 'name' | 'close' | 'isRunning'>>;
  /** Stops taking jobs, lets the running ones finish, then closes the connections the workers opened. */
  close(): Promise<void>;
}

/**
 * Starts one BullMQ worker per queue of the registry, in this process. Used by `src/main.ts`
 * (API and workers together) and `workers/main.ts` (workers alone); run as many processes as
 * the load needs, they share the queues.
 */
export async function startWorkers(opts: StartWorkersOptions): Promise<Workers> {
  const { config } = opts;
  const log = opts.logger ?? pino({ level: config.LOG_LEVEL, base: { component: 'worker' } });
  const clock = opts.clock ?? systemClock;
  // Step jobs, the relay, the reconciler and the chainer share it: sized like the API's (with 2
  // connections, 10,000 escalations due within minutes waited for a connection: bench/escalation.bench.ts).
  const database = opts.database ?? createDatabase(config.DATABASE_URL, { max: config.DATABASE_POOL_SIZE });
  const connection = createQueueConnection(config.REDIS_URL, 'worker');
  // BullMQ forwards connection errors to the workers' 'error' listeners; this one only keeps an
  // error raised before they attach (or after they close) from being unhandled.
  connection.on('error', (err: Error) => log.debug({ err: { message: err.message } }, 'worker redis connection error'));
  // Jobs are added (by the outbox relay while it holds its claim, the reconciler, the delivery
  // sweep) on a connection that fails at once while Redis is down: the worker connection above
  // would wait for Redis forever, holding a PostgreSQL transaction and stalling every topic.
  const producer = createQueueConnection(config.REDIS_URL, 'producer');
  producer.on('error', (err: Error) => log.debug({ err: { message: err.message } }, 'producer redis connection error'));

  const keys = await loadServerKeys(config);
  const audit = createAuditService({ repo: createAuditRepository(database.db), clock, signingSecretKey: keys.audit.secretKey });

  const chainer = startAuditChainer({ audit, log, intervalMs: config.AUDIT_CHAIN_INTERVAL_MS });
  const checkpointQueue = createQueue(AUDIT_CHECKPOINT, { connection, config });
  checkpointQueue.on('error', (err) => log.warn({ queue: AUDIT_CHECKPOINT, err: { message: err.message } }, 'queue error'));

  const workers: Workers['workers'] = [];
  function watch<N extends QueueName>(name: N, worker: Worker<JobPayload<N>, JobResult<N>, JobName<N>>): void {
    // Without an 'error' listener a Redis outage would surface as unhandled errors; with it the
    // worker keeps reconnecting and resumes when Redis is back.
    worker.on('error', (err) => log.warn({ queue: name, err: { message: err.message } }, 'worker error'));
    worker.on('failed', (job, err) => {
      const attempts = job?.opts.attempts ?? 1;
      const final = err.name === 'UnrecoverableError' || (job?.attemptsMade ?? attempts) >= attempts;
      const entry = { queue: name, jobId: job?.id, job: job?.name, attemptsMade: job?.attemptsMade, err: loggableError(err) };
      if (final) log.error(entry, 'job failed for good');
      else log.warn(entry, 'job failed, will retry');
    });
    workers.push(worker);
  }

  watch(
    AUDIT_CHECKPOINT,
    new Worker(AUDIT_CHECKPOINT, auditCheckpointProcessor({ audit, log }), {
      connection,
      prefix: queuePrefix(config),
      concurrency: QUEUES[AUDIT_CHECKPOINT].concurrency,
    }),
  );
  await scheduleAuditCheckpoint(checkpointQueue, config);
  // Escalation: the deadline-steps worker, the outbox relay and the reconciler. Other
  // modules deliver their outbox topics through the same relay: `escalation.relay.register(topic, handler)`.
  const escalation = startEscalation({ config, database, connection, producer, audit, clock, log, relayIntervalMs: config.OUTBOX_RELAY_INTERVAL_MS, reconcileIntervalMs: config.RECONCILER_INTERVAL_MS });
  watch(DEADLINE_STEPS, escalation.worker);
  // One relay claims every outbox topic: the notifications register theirs with the escalation's.
  const notificationDelivery = await startNotificationDelivery({ config, database, connection, producer, audit, clock, log, relay: escalation.relay, keys });
  watch(NOTIFICATION_QUEUE, notificationDelivery.worker);
  // Measures past their end expire, unconfirmed urgent ones lapse: a sweep every minute.
  const measureExpiry = await startMeasureExpiry({ config, database, connection, audit, clock, log });
  watch(MEASURE_EXPIRY, measureExpiry.worker);
  // The schedules above live in Redis only: re-created if a Redis loss took them (as often as the reconciler runs).
  const scheduleKeeper = startScheduleKeeper({
    log,
    intervalMs: config.RECONCILER_INTERVAL_MS,
    schedules: [
      { queue: checkpointQueue, id: AUDIT_CHECKPOINT_SCHEDULER, create: () => scheduleAuditCheckpoint(checkpointQueue, config) },
      { queue: measureExpiry.queue, id: MEASURE_EXPIRY_SCHEDULER, create: () => scheduleMeasureExpiry(measureExpiry.queue) },
    ],
  });
  // For the container's healthcheck: alive while the workers run and both stores answer.
  const heartbeat = config.WORKER_HEARTBEAT_FILE
    ? startHeartbeat({
        file: config.WORKER_HEARTBEAT_FILE,
        log,
        ...(opts.heartbeatIntervalMs ? { intervalMs: opts.heartbeatIntervalMs } : {}),
        probe: async () => {
          if (!workers.every((w) => w.isRunning())) throw new Error('a queue worker has stopped');
          await database.sql`select 1`;
          // The producer fails at once while Redis is down (the worker connection would wait).
          await producer.ping();
        },
      })
    : null;
  log.info({ queues: workers.map((w) => w.name), prefix: queuePrefix(config) }, 'workers started');

  let closing: Promise<void> | undefined;
  return {
    workers,
    close() {
      closing ??= (async () => {
        await heartbeat?.close();
        await Promise.all([...workers.map((w) => w.close()), chainer.close(), scheduleKeeper.close()]);
        await escalation.close();
        await notificationDelivery.close();
        await measureExpiry.close();
        await checkpointQueue.close();
        // QUIT would wait for a Redis that is down; then just drop the socket.
        for (const c of [connection, producer]) {
          if (c.status === 'ready') await c.quit().catch(() => c.disconnect());
          else c.disconnect();
        }
        if (!opts.database) await database.close();
      })();
      return closing;
    },
  };
}
