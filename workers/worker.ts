import type { Worker } from 'bullmq';
import { loggableError } from '../src/lib/loggable-error.js';
import { pino } from 'pino';
import { createContainer } from '../src/container.js';
import { assertModulesMatchPolicy, type ModuleSchedule, type ModuleWorkerContext, type StartedModuleWorker } from '../src/module.js';
import { defaultModules } from '../src/modules.js';
import { createQueueConnection, queuePrefix } from '../src/queues/registry.js';
import type { StartWorkersOptions, Workers } from '../src/worker-api.js';
import { createOutboxRelay } from '../src/outbox/outbox-relay.js';
import { OUTBOX_TOPICS, type TopicCatalogue } from '../src/outbox/topics.js';
import { startScheduleKeeper } from './schedule-keeper.js';
import { startHeartbeat } from './heartbeat.js';

export type { StartWorkersOptions, Workers };

/**
 * Starts the worker side of every module of the list (src/modules.ts) in this process: their
 * queues' BullMQ workers, their loops, and one outbox relay that claims every topic they
 * declare. Used by `src/main.ts` (API and workers together) and `workers/main.ts` (workers
 * alone); run as many processes as the load needs, they share the queues. The services come from
 * the container (src/container.ts), built here unless the caller passes one.
 */
export async function startWorkers(opts: StartWorkersOptions): Promise<Workers> {
  const { config } = opts;
  const log = opts.logger ?? pino({ level: config.LOG_LEVEL, base: { component: 'worker' } });
  const modules = opts.modules ?? defaultModules;
  // Step jobs, the relay, the reconciler and the chainer share its pool: sized like the API's (with 2
  // connections, 10,000 escalations due within minutes waited for a connection: bench/escalation.bench.ts).
  const container =
    opts.container ??
    (await createContainer({ config, modules, redisOnDemand: true, ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.database ? { database: opts.database } : {}), log }));
  if (opts.container) assertModulesMatchPolicy(modules, container.policies.access);
  const { clock } = container;
  const connection = createQueueConnection(config.REDIS_URL, 'worker');
  // BullMQ forwards connection errors to the workers' 'error' listeners; this one only keeps an
  // error raised before they attach (or after they close) from being unhandled.
  connection.on('error', (err: Error) => log.debug({ err: { message: err.message } }, 'worker redis connection error'));
  // Jobs are added (by the outbox relay while it holds its claim, the reconciler, the delivery
  // sweep) on a connection that fails at once while Redis is down: the worker connection above
  // would wait for Redis forever, holding a PostgreSQL transaction and stalling every topic.
  const producer = createQueueConnection(config.REDIS_URL, 'producer');
  producer.on('error', (err: Error) => log.debug({ err: { message: err.message } }, 'producer redis connection error'));

  const workers: Array<Pick<Worker, 'name' | 'close' | 'isRunning'>> = [];
  const schedules: ModuleSchedule[] = [];
  const ctx: ModuleWorkerContext = {
    container,
    log,
    connection,
    producer,
    watch(worker) {
      const { name } = worker;
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
    },
    keepSchedule(schedule) {
      schedules.push(schedule);
    },
  };

  // One relay claims every outbox topic the modules declare.
  const topics: TopicCatalogue = Object.assign({}, OUTBOX_TOPICS, ...modules.map((m) => m.topics));
  const relay = createOutboxRelay<TopicCatalogue>({ database: container.database, clock, log, topics });
  const started: StartedModuleWorker[] = [];
  for (const m of modules) {
    const part = await m.startWorker(ctx);
    started.push(part);
    for (const [topic, handler] of part.outbox) relay.register(topic, handler);
    for (const [topic, handler] of part.taps) relay.tap(topic, handler);
  }
  relay.start(config.OUTBOX_RELAY_INTERVAL_MS);
  // Job schedulers live in Redis only: re-created if a Redis loss took them (as often as the reconciler runs).
  const scheduleKeeper = startScheduleKeeper({ log, intervalMs: config.RECONCILER_INTERVAL_MS, schedules });
  // For the container's healthcheck: alive while the workers run and both stores answer.
  const heartbeat = config.WORKER_HEARTBEAT_FILE
    ? startHeartbeat({
        file: config.WORKER_HEARTBEAT_FILE,
        log,
        ...(opts.heartbeatIntervalMs ? { intervalMs: opts.heartbeatIntervalMs } : {}),
        probe: async () => {
          if (!workers.every((w) => w.isRunning())) throw new Error('a queue worker has stopped');
          await container.database.sql`select 1`;
          // The producer fails at once while Redis is down (the worker connection would wait).
          await producer.ping();
        },
      })
    : null;
  log.info({ queues: workers.map((w) => w.name), modules: modules.map((m) => m.name), prefix: queuePrefix(config) }, 'workers started');

  let closing: Promise<void> | undefined;
  return {
    workers,
    close() {
      closing ??= (async () => {
        await heartbeat?.close();
        await Promise.all([...workers.map((w) => w.close()), scheduleKeeper.close()]);
        // The relay first: its handlers add jobs to the modules' queues.
        await relay.close();
        for (const part of started.reverse()) await part.close();
        // QUIT would wait for a Redis that is down; then just drop the socket.
        for (const c of [connection, producer]) {
          if (c.status === 'ready') await c.quit().catch(() => c.disconnect());
          else c.disconnect();
        }
        if (!opts.container) await container.close();
      })();
      return closing;
    },
  };
}
