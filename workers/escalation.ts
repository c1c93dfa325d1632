import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Container } from '../src/container.js';
import type { DeadlinePolicy } from '../src/deadlines/deadline-policy.js';
import type { EscalationService } from '../src/escalation/escalation-service.js';
import { createQueue, queuePrefix, QUEUES, type JobName, type JobPayload, type JobResult, type TypedQueue } from '../src/queues/registry.js';
import { createStepScheduler, deadlineStepProcessor, QUEUE as DEADLINE_STEPS, type StepScheduler } from './deadline-steps.js';
import { createOutboxRelay, type OutboxRelay } from '../src/outbox/outbox-relay.js';
import { DEADLINE_OPENED } from '../src/outbox/topics.js';
import { createReconciler, type Reconciler } from './reconciler.js';
import type { Logger } from '../src/lib/logger.js';

export { DEADLINE_STEPS };


/** What the escalation engine is built from: the container's escalation service, repository and deadline policy. */
export type EscalationContainer = Pick<Container, 'config' | 'clock'> & { policies: Pick<Container['policies'], 'deadlines'>; repos: Pick<Container['repos'], 'escalation'>; services: Pick<Container['services'], 'escalation'> };

export interface EscalationEngine {
  policy: DeadlinePolicy;
  escalation: EscalationService;
  queue: TypedQueue<typeof DEADLINE_STEPS>;
  scheduler: StepScheduler;
  reconciler: Reconciler;
}

export interface EscalationParts extends EscalationEngine {
  relay: OutboxRelay;
}

/**
 * The escalation engine's parts, started by nothing: the service that fires steps (the
 * container's), the `deadline-steps` queue and its scheduler, and the reconciler.
 */
export function createEscalationEngine(deps: {
  container: EscalationContainer;
  connection: Redis;
  /** where jobs are added from (default `connection`): a fail-fast one, see startWorkers */
  producer?: Redis;
  log: Logger;
}): EscalationEngine {
  const { container, log } = deps;
  const { clock } = container;
  const policy = container.policies.deadlines;
  const repo = container.repos.escalation;
  const escalation = container.services.escalation;
  const queue = createQueue(DEADLINE_STEPS, { connection: deps.producer ?? deps.connection, config: container.config });
  queue.on('error', (err) => log.warn({ queue: DEADLINE_STEPS, err: { message: err.message } }, 'queue error'));
  const scheduler = createStepScheduler({ queue, repo, policy, clock });
  const reconciler = createReconciler({ repo, escalation, scheduler, policy, clock, log });
  return { policy, escalation, queue, scheduler, reconciler };
}

/**
 * The engine with an outbox relay of its own that claims `deadline.opened` (the tests drive the
 * parts by hand with an injected clock; a worker process registers the topic with its one relay).
 */
export function createEscalationParts(deps: Parameters<typeof createEscalationEngine>[0] & { container: EscalationContainer & Pick<Container, 'database'> }): EscalationParts {
  const engine = createEscalationEngine(deps);
  const relay = createOutboxRelay({ database: deps.container.database, clock: deps.container.clock, log: deps.log });
  relay.register(DEADLINE_OPENED, (rows, tx) => engine.scheduler.onDeadlineOpened(rows, tx));
  return { ...engine, relay };
}

export function createDeadlineStepWorker(parts: Pick<EscalationEngine, 'escalation'>, deps: { config: Pick<Container['config'], 'REDIS_PREFIX'>; connection: Redis; log: Logger }) {
  return new Worker<JobPayload<typeof DEADLINE_STEPS>, JobResult<typeof DEADLINE_STEPS>, JobName<typeof DEADLINE_STEPS>>(DEADLINE_STEPS, deadlineStepProcessor({ escalation: parts.escalation, log: deps.log }), {
    connection: deps.connection,
    prefix: queuePrefix(deps.config),
    concurrency: QUEUES[DEADLINE_STEPS].concurrency,
    lockDuration: QUEUES[DEADLINE_STEPS].lock.durationMs,
    stalledInterval: QUEUES[DEADLINE_STEPS].lock.stalledCheckMs,
  });
}

export interface RunningEscalation extends EscalationEngine {
  worker: ReturnType<typeof createDeadlineStepWorker>;
  close(): Promise<void>;
}

/**
 * Starts the engine in a worker process: the step worker and the reconciler (now, then every
 * RECONCILER_INTERVAL_MS). `deadline.opened` is relayed by the process's one outbox relay.
 */
export function startEscalation(deps: Parameters<typeof createEscalationEngine>[0]): RunningEscalation {
  const engine = createEscalationEngine(deps);
  const worker = createDeadlineStepWorker(engine, { config: deps.container.config, connection: deps.connection, log: deps.log });
  engine.reconciler.start(deps.container.config.RECONCILER_INTERVAL_MS);
  return {
    ...engine,
    worker,
    async close() {
      await engine.reconciler.close();
      await engine.queue.close();
    },
  };
}
