import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../src/config/config.js';
import type { Database } from '../src/db/client.js';
import type { Clock } from '../src/lib/clock.js';
import { ready } from '../src/sdk/index.js';
import { createAccessService } from '../src/access/access-service.js';
import type { AuditService } from '../src/audit/audit-service.js';
import { loadAccessPolicy } from '../src/access/policy.js';
import { createCaseRepository } from '../src/cases/case-repository.js';
import { createCaseService } from '../src/cases/case-service.js';
import { createUserRepository } from '../src/users/user-repository.js';
import { createKeyringRepository } from '../src/keys/keyring-repository.js';
import { createNotificationService } from '../src/notifications/notification-service.js';
import { createWebhookService } from '../src/notifications/webhook-service.js';
import { webhookKey } from '../src/notifications/webhook-secret.js';
import { dispatchNotificationBatch } from '../src/notifications/outbox-dispatcher.js';
import { createQueue, queuePrefix, QUEUES, type JobName, type JobPayload, type JobResult, type TypedQueue } from '../src/queues/registry.js';
import { isAbsolute, join } from 'node:path';
import { projectRoot } from '../src/lib/paths.js';
import type { WorkerLogger } from './worker.js';

export const QUEUE = 'webhooks' as const;

/** Exponential backoff of the queue (registry): the delay before the retry after `attemptsMade` attempts. */
const backoffMs = (attemptsMade: number): number => {
  const b = QUEUES[QUEUE].defaultJobOptions.backoff;
  return b.delay * 2 ** Math.max(0, attemptsMade - 1);
};

export interface NotificationDelivery {
  worker: Worker<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>;
  /** One pass of the dispatcher (tests call it to avoid waiting for the loop). */
  tick(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The notification side of the workers: a small claim loop over the outbox's notification topics
 * (inbox rows and webhook deliveries, see src/notifications/outbox-dispatcher.ts), and the
 * `webhooks` queue whose jobs POST one delivery each, retried with backoff.
 */
export async function startNotificationDelivery(deps: { config: Config; database: Database; connection: Redis; audit: AuditService; clock: Clock; log: WorkerLogger; intervalMs?: number }): Promise<NotificationDelivery> {
  const { config, database, connection, clock, log } = deps;
  await ready();
  const db = database.db;
  const access = createAccessService({ policy: loadAccessPolicy(isAbsolute(config.POLICIES_DIR) ? config.POLICIES_DIR : join(projectRoot(), config.POLICIES_DIR)), audit: deps.audit });
  const caseRepo = createCaseRepository(db);
  const cases = createCaseService({ cases: caseRepo, users: createUserRepository(db), keyring: createKeyringRepository(db), access, clock, db });
  const notifications = createNotificationService({ db, access, cases, clock });
  const webhooks = createWebhookService({ db, access, clock, secretKey: webhookKey(config.SERVER_SECRET) });
  const queue: TypedQueue<typeof QUEUE> = createQueue(QUEUE, { connection, config });
  queue.on('error', (err) => log.warn({ queue: QUEUE, err: { message: err.message } }, 'queue error'));

  const worker = new Worker<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>(
    QUEUE,
    async (job: Job<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>) => {
      const attempts = job.opts.attempts ?? 1;
      const final = job.attemptsMade + 1 >= attempts;
      const r = await webhooks.attempt(job.data.deliveryId, final, backoffMs(job.attemptsMade + 1));
      // Thrown so that BullMQ retries with backoff and keeps the failed job (removeOnFail).
      if (r.outcome === 'retry' || r.outcome === 'failed') throw new Error(r.error ?? 'delivery failed');
      return { outcome: r.outcome, statusCode: r.statusCode };
    },
    { connection, prefix: queuePrefix(config), concurrency: QUEUES[QUEUE].concurrency },
  );

  const enqueue = async (ids: string[]) => {
    // The job id is the delivery id: a delivery already queued (waiting, delayed, failed) is not queued twice.
    if (ids.length > 0) await queue.addBulk(ids.map((deliveryId) => ({ name: 'deliver' as const, data: { deliveryId }, opts: { jobId: `delivery-${deliveryId}` } })));
  };

  let running: Promise<void> | null = null;
  const tick = () =>
    (running ??= (async () => {
      try {
        for (;;) {
          const batch = await dispatchNotificationBatch({ db, notifications });
          await enqueue(batch.deliveries);
          if (batch.events === 0) break;
        }
        // Deliveries whose job was lost (Redis flushed, or the add failed after commit).
        await enqueue(await webhooks.due());
      } catch (err) {
        log.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'notification dispatch failed; retrying on the next tick');
      } finally {
        running = null;
      }
    })());

  const intervalMs = deps.intervalMs ?? 1000;
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  void tick();

  return {
    worker,
    tick,
    async close() {
      clearInterval(timer);
      await running;
      await worker.close();
      await queue.close();
    },
  };
}
