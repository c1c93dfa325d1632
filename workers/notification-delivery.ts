import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../src/config/config.js';
import type { Database } from '../src/db/client.js';
import type { Clock } from '../src/lib/clock.js';
import { ready } from '../src/sdk/index.js';
import { createAccessService } from '../src/access/access-service.js';
import { createCaseParticipation } from '../src/access/case-participation.js';
import { loadBreakGlassPolicy } from '../src/access/break-glass-policy.js';
import type { AuditService } from '../src/audit/audit-service.js';
import { loadAccessPolicy } from '../src/access/policy.js';
import { createCaseRepository } from '../src/cases/case-repository.js';
import { createCaseService } from '../src/cases/case-service.js';
import { createUserRepository } from '../src/users/user-repository.js';
import { createKeyringRepository } from '../src/keys/keyring-repository.js';
import { createNotificationService } from '../src/notifications/notification-service.js';
import { createNotificationRepository } from '../src/notifications/notification-repository.js';
import { createWebhookRepository } from '../src/notifications/webhook-repository.js';
import { createWebhookDelivery, type DueDelivery } from '../src/notifications/webhook-delivery.js';
import { loadServerKeys, type ServerKeys } from '../src/lib/server-keys.js';
import { notificationOutboxHandler, registerNotificationTopics } from '../src/notifications/outbox-dispatcher.js';
import { createOutboxRelay, type OutboxRelay } from '../src/outbox/outbox-relay.js';
import { createQueue, queuePrefix, QUEUES, type JobName, type JobPayload, type JobResult, type TypedQueue } from '../src/queues/registry.js';
import { policiesPath } from '../src/lib/paths.js';
import type { Logger } from '../src/lib/logger.js';
import { loggableError } from '../src/lib/loggable-error.js';

export const QUEUE = 'webhooks' as const;

/** Exponential backoff of the queue (registry): the delay before the retry after `attemptsMade` attempts. */
const backoffMs = (attemptsMade: number): number => {
  const b = QUEUES[QUEUE].defaultJobOptions.backoff;
  return b.delay * 2 ** Math.max(0, attemptsMade - 1);
};

export interface NotificationDelivery {
  worker: Worker<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>;
  /** One relay pass, then the delivery sweep (tests call it to avoid waiting for the loops). */
  tick(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The notification side of the workers: a handler for the outbox's notification topics (inbox
 * rows and webhook deliveries, see src/notifications/outbox-dispatcher.ts) registered with the
 * one outbox relay of the process (`relay`: the escalation's, see workers/worker.ts), a sweep
 * that re-queues due deliveries whose job was lost and claims whose worker died, and the
 * `webhooks` queue whose jobs POST one delivery each (at least once, never holding a database
 * connection during the POST: src/notifications/webhook-delivery.ts), retried with backoff. Without a `relay` (a test of this module alone) it makes
 * and runs one of its own, which claims only the notification topics.
 */
export async function startNotificationDelivery(deps: {
  config: Config;
  database: Database;
  connection: Redis;
  /** where delivery jobs are added from (default `connection`): a fail-fast one, see startWorkers */
  producer?: Redis;
  audit: AuditService;
  clock: Clock;
  log: Logger;
  relay?: Pick<OutboxRelay, 'register' | 'relayOnce' | 'idle'>;
  intervalMs?: number;
  /** the server's keys, when the caller has loaded them already */
  keys?: ServerKeys;
}): Promise<NotificationDelivery> {
  const { config, database, connection, clock, log } = deps;
  await ready();
  const db = database.db;
  const access = createAccessService({ policy: loadAccessPolicy(policiesPath(config)), audit: deps.audit });
  const caseRepo = createCaseRepository(db);
  const participation = createCaseParticipation({ db, policy: loadBreakGlassPolicy(policiesPath(config)), clock });
  const cases = createCaseService({ cases: caseRepo, users: createUserRepository(db), keyring: createKeyringRepository(db), access, participation, audit: deps.audit, clock, db });
  const notifications = createNotificationService({ db, notifications: createNotificationRepository(db), webhooks: createWebhookRepository(db), access, audit: deps.audit, cases, clock });
  const keys = deps.keys ?? (await loadServerKeys(config));
  const webhookDelivery = createWebhookDelivery({
    db,
    clock,
    keys,
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
    if (due.length > 0) await queue.addBulk(due.map((d) => ({ name: 'deliver' as const, data: { deliveryId: d.id }, opts: { jobId: d.lapsedClaim === null ? `delivery-${d.id}` : `delivery-${d.id}-reclaim-${d.lapsedClaim}` } })));
  };

  const own = deps.relay ? null : createOutboxRelay({ database, clock, log });
  const relay = deps.relay ?? own!;
  registerNotificationTopics(relay, notificationOutboxHandler({ notifications, queueDeliveries: (ids) => enqueue(ids.map((id) => ({ id, lapsedClaim: null }))) }));

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
  const tick = async () => {
    do {
      await relay.idle();
    } while ((await relay.relayOnce()) > 0);
    await relay.idle();
    await sweep();
  };

  const intervalMs = deps.intervalMs ?? 1000;
  const timer = setInterval(() => void sweep(), intervalMs);
  timer.unref();
  own?.start(intervalMs);
  void sweep();

  return {
    worker,
    tick,
    async close() {
      clearInterval(timer);
      await own?.close();
      await running;
      await worker.close();
      await queue.close();
    },
  };
}
