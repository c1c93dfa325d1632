import type { DeadlinePolicy } from '../src/deadlines/deadline-policy.js';
import type { EscalationRepository } from '../src/escalation/escalation-repository.js';
import type { EscalationService } from '../src/escalation/escalation-service.js';
import type { Clock } from '../src/lib/clock.js';
import { loggableError } from '../src/lib/loggable-error.js';
import { pendingSteps, type StepScheduler } from './deadline-steps.js';
import type { WorkerLogger } from '../src/lib/worker-logger.js';
import { every } from './periodic.js';

export interface ReconcileResult {
  deadlines: number;
  enqueued: number;
  fired: number;
}

/**
 * Redis holds nothing PostgreSQL cannot rebuild. On start and every minute the reconciler walks
 * the open deadlines: it fires at once the steps already overdue (a lost job, a flushed Redis, a
 * worker down for an hour) and adds the jobs of the steps to come (job ids dedupe those that
 * exist). Any number of workers may run it at once, so it takes no advisory lock: a step fires by
 * inserting its row into deadline_steps, whose primary key (deadline_id, step) lets one insert
 * win (`on conflict do nothing`; the loser writes no timeline, audit or notification), and the
 * jobs it adds are deduplicated by job id. Concurrent passes cost duplicate reads, nothing more;
 * a session advisory lock would instead pin one of the worker's two pool connections for the
 * whole walk.
 * It needs no Redis to fire, so escalations go on during a Redis outage, a minute late at worst.
 */
export function createReconciler(deps: {
  repo: Pick<EscalationRepository, 'open'>;
  escalation: Pick<EscalationService, 'fire'>;
  scheduler: Pick<StepScheduler, 'enqueue'>;
  policy: DeadlinePolicy;
  clock: Clock;
  log: WorkerLogger;
  pageSize?: number;
}) {
  const { repo, escalation, scheduler, policy, clock, log } = deps;
  const pageSize = deps.pageSize ?? 1000;

  async function reconcile(): Promise<ReconcileResult> {
    const result: ReconcileResult = { deadlines: 0, enqueued: 0, fired: 0 };
    let after: string | null = null;
    for (;;) {
      const page = await repo.open({ after, limit: pageSize });
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
      result.deadlines += page.length;
      const now = clock.now();
      for (const d of page) {
        const last = pendingSteps(d, policy, now).overdue.at(-1);
        // Firing the latest overdue step fires the earlier unfired ones first, in ladder order.
        if (last) result.fired += (await escalation.fire(d.id, last.step)).fired.length;
      }
      try {
        result.enqueued += await scheduler.enqueue(page, { includeOverdue: false });
      } catch (err) {
        // Redis down: the overdue steps above still fired; the next pass adds the jobs.
        log.warn({ err: loggableError(err) }, 'reconciler could not enqueue step jobs');
      }
      if (page.length < pageSize) break;
    }
    return result;
  }

  let loop: { close(): Promise<void> } | undefined;
  const tick = async () => {
    try {
      const r = await reconcile();
      if (r.fired > 0) log.info(r, 'reconciler fired overdue deadline steps');
      else log.debug(r, 'reconciled deadlines');
    } catch (err) {
      log.warn({ err: loggableError(err) }, 'reconciler failed; next pass in a minute');
    }
  };
  return {
    reconcile,
    /** Runs once now, then every `intervalMs`. */
    start(intervalMs: number): void {
      loop = every(intervalMs, tick, { now: true });
    },
    async close(): Promise<void> {
      await loop?.close();
    },
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;
