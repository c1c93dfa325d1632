import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Container } from '../src/container.js';
import type { Clock } from '../src/lib/clock.js';
import { ready } from '../src/sdk/index.js';
import { createWebhookDelivery, type DueDelivery } from '../src/notifications/webhook-delivery.js';
import { NOTIFICATION_TOPICS, notificationOutboxHandler } from '../src/notifications/outbox-dispatcher.js';
import { createOutboxRelay, type OutboxRelay } from '../src/outbox/outbox-relay.js';
import { createQueue, queuePrefix, QUEUES, type JobName, type JobPayload, type JobResult, type TypedQueue } from '../src/queues/registry.js';
import type { Logger } from '../src/lib/logger.js';
import { loggableError } from '../src/lib/loggable-error.js';

export const QUEUE = 'webhooks' as const;

/** Exponential backoff of the queue (registry): the delay before the retry after `attemptsMade` attempts. */
const backoffMs = (attemptsMade: number): number => {
  const b = QUEUES[QUEUE].defaultJobOptions.backoff;
  return b.delay * 2 ** Math.max(0, attemptsMade - 1);
};

/** What the notification side takes from the container: the notification service, the keys, the pool. */
export type NotificationContainer = Pick<Container, 'config' | 'database' | 'clock' | 'keys'> & { services: Pick<Container['services'], 'notifications'> };

export interface WebhookDelivery {
  worker: Worker<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>;
  /** The handler of every notification topic (NOTIFICATION_TOPICS), for the process's one outbox relay. */
  outboxHandler: ReturnType<typeof notificationOutboxHandler>;
  /** Queues the due deliveries whose job was lost and the claims whose worker died. */
  sweep(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The notification side of the workers: the handler of the outbox's notification topics (inbox
 * rows and webhook deliveries, see src/notifications/outbox-dispatcher.ts), a sweep that
 * re-queues due deliveries whose job was lost and claims whose worker died, and the `webhooks`
 * queue whose jobs POST one delivery each (at least once, never holding a database connection
 * during the POST: src/notifications/webhook-delivery.ts), retried with backoff.
 */
export async function startWebhookDelivery(deps: {
  container: NotificationContainer;
  connection: Redis;
  /** where delivery jobs are added from (default `connection`): a fail-fast one, see startWorkers */
  producer?: Redis;
  log: Logger;
  /** the deliveries' clock (default the container's): tests of timeouts run it on the real one */
  clock?: Clock;
  intervalMs?: number;
}): Promise<WebhookDelivery> {
  const { container, connection, log } = deps;
  const { config } = container;
  await ready();
  const webhookDelivery = createWebhookDelivery({
    db: container.database.db,
    clock: deps.clock ?? container.clock,
    keys: container.keys,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    maxAttempts: QUEUES[QUEUE].defaultJobOptions.attempts,
    retryDelayMs: backoffMs,
    allowPrivateTargets: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
  });
  const queue: TypedQueue<typeof QUEUE> = createQueue(QUEUE, { connection: deps.producer ?? connection, config });
  queue.on('error', (err) => log.warn({ queue: QUEUE, err: { message: err.message } }, 'queue error'));

  const worker = new Worker<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>(
    QUEUE,
    async (job: Job<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>) => {
      // The delivery row decides (claims, attempts left, the next attempt's time): see
      // src/notifications/webhook-delivery.ts. Errors name the endpoint by its origin only.
      const r = await webhookDelivery.attempt(job.data.deliveryId);
      // Thrown so that BullMQ retries with backoff and keeps the failed job (removeOnFail).
      if (r.outcome === 'retry') throw new Error(`${r.origin ?? 'webhook'}: ${r.error ?? 'delivery failed'}`);
      if (r.outcome === 'failed') throw new UnrecoverableError(`${r.origin ?? 'webhook'}: ${r.error ?? 'delivery failed'}`);
      return { outcome: r.outcome, statusCode: r.statusCode };
    },
    { connection, prefix: queuePrefix(config), concurrency: QUEUES[QUEUE].concurrency },
  );

  const enqueue = async (due: DueDelivery[]) => {
    // The job id is the delivery id: a delivery already queued (waiting, delayed, failed) is not
    // queued twice. A claim that lapsed (its worker died mid-attempt) gets a job of its own, once
    // per claim: the first job may still sit in BullMQ as active or completed.
    // A delivery an admin sent again (`round` > 0) is a new job per round: the failed job of the
    // last round stays in BullMQ under its own id.
    const jobId = (d: DueDelivery) => {
      const base = d.round ? `delivery-${d.id}-round-${d.round}` : `delivery-${d.id}`;
      return d.lapsedClaim === null ? base : `${base}-reclaim-${d.lapsedClaim}`;
    };
    if (due.length > 0) await queue.addBulk(due.map((d) => ({ name: 'deliver' as const, data: { deliveryId: d.id }, opts: { jobId: jobId(d) } })));
  };
  const outboxHandler = notificationOutboxHandler({ notifications: container.services.notifications, queueDeliveries: (ids) => enqueue(ids.map((id) => ({ id, lapsedClaim: null }))) });

  let running: Promise<void> | null = null;
  // Deliveries whose job was lost (Redis flushed, or the add failed after commit) and claims whose
  // worker died. Not an outbox claim: the outbox rows are the relay's alone.
  const sweep = () =>
    (running ??= (async () => {
      try {
        await enqueue(await webhookDelivery.due());
      } catch (err) {
        log.warn({ err: loggableError(err) }, 'webhook delivery sweep failed; retrying on the next tick');
      } finally {
        running = null;
      }
    })());

  const timer = setInterval(() => void sweep(), deps.intervalMs ?? 1000);
  timer.unref();
  void sweep();

  return {
    worker,
    outboxHandler,
    sweep,
    async close() {
      clearInterval(timer);
      await running;
      await worker.close();
      await queue.close();
    },
  };
}

export interface NotificationDelivery {
  worker: WebhookDelivery['worker'];
  /** One relay pass, then the delivery sweep (tests call it to avoid waiting for the loops). */
  tick(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The notification side on a relay of the caller's (`relay`: e.g. the escalation's parts, as one
 * process has one relay) or, without one, on a relay of its own that claims only the notification
 * topics: how the tests drive it. A worker process starts it from its module instead (src/notifications/notification-module.ts).
 */
export async function startNotificationDelivery(deps: Parameters<typeof startWebhookDelivery>[0] & { relay?: Pick<OutboxRelay, 'register' | 'relayOnce' | 'idle'> }): Promise<NotificationDelivery> {
  const delivery = await startWebhookDelivery(deps);
  const intervalMs = deps.intervalMs ?? 1000;
  const own = deps.relay ? null : createOutboxRelay({ database: deps.container.database, clock: deps.container.clock, log: deps.log });
  const relay = deps.relay ?? own!;
  for (const topic of NOTIFICATION_TOPICS) relay.register(topic, delivery.outboxHandler);
  own?.start(intervalMs);
  return {
    worker: delivery.worker,
    async tick() {
      do {
        await relay.idle();
      } while ((await relay.relayOnce()) > 0);
      await relay.idle();
      await delivery.sweep();
    },
    async close() {
      await own?.close();
      await delivery.close();
    },
  };
}
