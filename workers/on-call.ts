import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Container } from '../src/container.js';
import type { Tx } from '../src/db/client.js';
import { createNoticeSender } from '../src/oncall/notice-sender.js';
import type { PageRow } from '../src/oncall/on-call-repository.js';
import type { Channel, PagerEvent } from '../src/oncall/pager.js';
import { createQueue, queuePrefix, QUEUES, type JobName, type JobPayload, type JobResult } from '../src/queues/registry.js';
import type { Logger } from '../src/lib/logger.js';
import { loggableError } from '../src/lib/loggable-error.js';

export const QUEUE = 'on-call' as const;

/** What the on-call side takes from the container: the pager, its policy, the config of the channels. */
export type OnCallContainer = Pick<Container, 'config' | 'clock'> & { policies: Pick<Container['policies'], 'onCall'>; services: Pick<Container['services'], 'pager'> };

export interface OnCallWorker {
  worker: Worker<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>;
  /** The outbox topics the pager reads (policies/on-call.yaml events). */
  topics: string[];
  /** The tap on those topics: pages in the relay's claim, their jobs queued after commit. */
  tap(rows: readonly PagerEvent[], tx: Tx): Promise<void | (() => Promise<void>)>;
  /** Queues again the notices and turns whose job was lost (Redis flushed, an add failed after commit). */
  sweep(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The on-call side of the workers: the pager's outbox tap, and the `on-call` queue whose jobs
 * send one channel of a notice each (retried with backoff per policies/on-call.yaml, the row
 * deciding whether anything is left to send) and end a page's turn after its acknowledgement
 * delay. Job ids are the page's: a job queued twice (the tap's row handed again, the sweep)
 * runs once while BullMQ holds it, and the page row settles what a rerun does.
 */
export async function startOnCall(deps: { container: OnCallContainer; connection: Redis; producer?: Redis; log: Logger; intervalMs?: number }): Promise<OnCallWorker> {
  const { container, connection, log } = deps;
  const { config } = container;
  const policy = container.policies.onCall;
  const pager = container.services.pager;
  const sender = createNoticeSender(config, { clock: container.clock, timeoutMs: config.WEBHOOK_TIMEOUT_MS });
  const queue = createQueue(QUEUE, { connection: deps.producer ?? connection, config });
  queue.on('error', (err) => log.warn({ queue: QUEUE, err: { message: err.message } }, 'queue error'));
  const retry = { attempts: policy.retry.attempts, backoff: { type: 'exponential', delay: policy.retry.backoffSeconds * 1000 } };

  const sendJob = (pageId: string, channel: Channel) => ({ name: 'send' as const, data: { pageId, channel }, opts: { jobId: `send-${pageId}-${channel}`, ...retry } });
  const turnJob = (pageId: string, delay: number) => ({ name: 'turn' as const, data: { pageId }, opts: { jobId: `turn-${pageId}`, delay, attempts: 5, backoff: { type: 'exponential', delay: 1000 } } });
  const queuePages = async (pages: PageRow[]) => {
    const jobs = pages.flatMap((p) => [
      ...(p.emailStatus === 'pending' ? [sendJob(p.id, 'email')] : []),
      ...(p.smsStatus === 'pending' ? [sendJob(p.id, 'sms')] : []),
      turnJob(p.id, policy.acknowledgeWithinSeconds * 1000),
    ]);
    if (jobs.length > 0) await queue.addBulk(jobs);
  };

  const worker = new Worker<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>(
    QUEUE,
    async (job: Job<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>) => {
      if (job.name === 'turn') {
        const r = await pager.escalate(job.data.pageId);
        if (r.page) await queuePages([r.page]);
        if (r.outcome === 'nobody') log.warn({ pageId: job.data.pageId }, 'on-call page not acknowledged and nobody else is on call');
        return { outcome: r.outcome };
      }
      const { pageId, channel } = job.data as { pageId: string; channel: Channel };
      const notice = await pager.noticeOf(pageId, channel);
      if (!notice) return { outcome: 'nothing to send' };
      const result = channel === 'email' ? await sender.email(notice.to, notice.language) : await sender.sms(notice.to, notice.language);
      const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      await pager.recordSend(pageId, channel, result, final);
      // Thrown so that BullMQ retries with backoff; the message names the channel and a class of error, never an address.
      if (!result.ok) throw final ? new UnrecoverableError(`${channel}: ${result.error}`) : new Error(`${channel}: ${result.error}`);
      return { outcome: 'sent' };
    },
    { connection, prefix: queuePrefix(config), concurrency: QUEUES[QUEUE].concurrency },
  );

  let running: Promise<void> | null = null;
  const sweep = () =>
    (running ??= (async () => {
      try {
        const { sends, escalations } = await pager.stalled();
        const jobs = [...sends.map((s) => sendJob(s.pageId, s.channel)), ...escalations.map((id) => turnJob(id, 0))];
        if (jobs.length > 0) await queue.addBulk(jobs);
      } catch (err) {
        log.warn({ err: loggableError(err) }, 'on-call sweep failed; retrying on the next tick');
      } finally {
        running = null;
      }
    })());
  const timer = setInterval(() => void sweep(), deps.intervalMs ?? config.RECONCILER_INTERVAL_MS);
  timer.unref();

  return {
    worker,
    topics: pager.topics,
    async tap(rows, tx) {
      const { pages, unanswered } = await pager.onEvents(rows, tx);
      if (unanswered > 0) log.warn({ events: unanswered }, 'urgent events out of office hours with nobody on the on-call roster');
      if (pages.length > 0) return () => queuePages(pages);
    },
    sweep,
    async close() {
      clearInterval(timer);
      await running;
      await worker.close();
      await queue.close();
      sender.close();
    },
  };
}
