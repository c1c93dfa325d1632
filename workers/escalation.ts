import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AuditService } from '../src/audit/audit-service.js';
import { createCaseRepository } from '../src/cases/case-repository.js';
import type { Config } from '../src/config/config.js';
import type { Database } from '../src/db/client.js';
import { loadDeadlinePolicy, type DeadlinePolicy } from '../src/deadlines/deadline-policy.js';
import { createEscalationRepository } from '../src/escalation/escalation-repository.js';
import { createEscalationService, type EscalationService } from '../src/escalation/escalation-service.js';
import type { Clock } from '../src/lib/clock.js';
import { policiesPath } from '../src/lib/paths.js';
import { createQueue, queuePrefix, QUEUES, type JobName, type JobPayload, type JobResult, type TypedQueue } from '../src/queues/registry.js';
import { createStepScheduler, deadlineStepProcessor, QUEUE as DEADLINE_STEPS, type StepScheduler } from './deadline-steps.js';
import { createOutbox } from '../src/outbox/outbox.js';
import { createOutboxRelay, type OutboxRelay } from '../src/outbox/outbox-relay.js';
import { DEADLINE_OPENED } from '../src/outbox/topics.js';
import { createReconciler, type Reconciler } from './reconciler.js';
import type { Logger } from '../src/lib/logger.js';

export { DEADLINE_STEPS };

export interface EscalationParts {
  policy: DeadlinePolicy;
  escalation: EscalationService;
  queue: TypedQueue<typeof DEADLINE_STEPS>;
  scheduler: StepScheduler;
  relay: OutboxRelay;
  reconciler: Reconciler;
}

/** The deadline policy the API uses (POLICIES_DIR, relative to the project root). */
export function loadWorkerDeadlinePolicy(config: Pick<Config, 'POLICIES_DIR'>): DeadlinePolicy {
  return loadDeadlinePolicy(policiesPath(config));
}

/**
 * Builds the escalation engine's parts without starting anything (the tests drive them by hand
 * with an injected clock): the service that fires steps, the `deadline-steps` queue and its
 * scheduler, the outbox relay (with `deadline.opened` registered) and the reconciler.
 */
export function createEscalationParts(deps: {
  config: Pick<Config, 'POLICIES_DIR' | 'REDIS_PREFIX'>;
  database: Database;
  connection: Redis;
  /** where jobs are added from (default `connection`): a fail-fast one, see startWorkers */
  producer?: Redis;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  log: Logger;
  policy?: DeadlinePolicy;
}): EscalationParts {
  const { database, connection, clock, log } = deps;
  const db = database.db;
  const policy = deps.policy ?? loadWorkerDeadlinePolicy(deps.config);
  const repo = createEscalationRepository(db);
  const escalation = createEscalationService({ db, repo, cases: createCaseRepository(db), outbox: createOutbox(), audit: deps.audit, clock, policy });
  const queue = createQueue(DEADLINE_STEPS, { connection: deps.producer ?? connection, config: deps.config });
  queue.on('error', (err) => log.warn({ queue: DEADLINE_STEPS, err: { message: err.message } }, 'queue error'));
  const scheduler = createStepScheduler({ queue, repo, policy, clock });
  const relay = createOutboxRelay({ database, clock, log });
  relay.register(DEADLINE_OPENED, (rows, tx) => scheduler.onDeadlineOpened(rows, tx));
  const reconciler = createReconciler({ repo, escalation, scheduler, policy, clock, log });
  return { policy, escalation, queue, scheduler, relay, reconciler };
}

export function createDeadlineStepWorker(parts: Pick<EscalationParts, 'escalation'>, deps: { config: Pick<Config, 'REDIS_PREFIX'>; connection: Redis; log: Logger }) {
  return new Worker<JobPayload<typeof DEADLINE_STEPS>, JobResult<typeof DEADLINE_STEPS>, JobName<typeof DEADLINE_STEPS>>(DEADLINE_STEPS, deadlineStepProcessor({ escalation: parts.escalation, log: deps.log }), {
    connection: deps.connection,
    prefix: queuePrefix(deps.config),
    concurrency: QUEUES[DEADLINE_STEPS].concurrency,
    lockDuration: QUEUES[DEADLINE_STEPS].lock.durationMs,
    stalledInterval: QUEUES[DEADLINE_STEPS].lock.stalledCheckMs,
  });
}

export interface RunningEscalation extends EscalationParts {
  worker: ReturnType<typeof createDeadlineStepWorker>;
  close(): Promise<void>;
}

/**
 * Starts the engine in a worker process: the step worker, the outbox relay (every
 * `relayIntervalMs`) and the reconciler (now, then every `reconcileIntervalMs`, a minute by default).
 */
export function startEscalation(
  deps: Parameters<typeof createEscalationParts>[0] & { config: Pick<Config, 'POLICIES_DIR' | 'REDIS_PREFIX'>; relayIntervalMs?: number; reconcileIntervalMs?: number },
): RunningEscalation {
  const parts = createEscalationParts(deps);
  const worker = createDeadlineStepWorker(parts, deps);
  parts.relay.start(deps.relayIntervalMs ?? 250);
  parts.reconciler.start(deps.reconcileIntervalMs ?? 60_000);
  return {
    ...parts,
    worker,
    async close() {
      await Promise.all([parts.relay.close(), parts.reconciler.close()]);
      await parts.queue.close();
    },
  };
}
