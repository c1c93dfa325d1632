import { UnrecoverableError } from 'bullmq';
import type { Clock } from '../src/lib/clock.js';
import type { DeadlinePolicy, DeadlineRule } from '../src/deadlines/deadline-policy.js';
import type { EscalationRepository, OpenDeadline } from '../src/escalation/escalation-repository.js';
import type { EscalationService } from '../src/escalation/escalation-service.js';
import { STEPS, stepJobId, stepTimes, type Step, type StepTime } from '../src/escalation/step-times.js';
import type { JobResult, TypedJob, TypedQueue } from '../src/queues/registry.js';
import type { OutboxRow } from './outbox-relay.js';
import type { WorkerLogger } from '../src/lib/worker-logger.js';
import type { Tx } from '../src/db/client.js';

export const QUEUE = 'deadline-steps' as const;

/**
 * Runs one step of a deadline's ladder. The job only says "look at this deadline now": the
 * service re-reads the row and fires only what is still due, once (the database enforces it), so
 * a retried, duplicated or stale job is harmless.
 */
export function deadlineStepProcessor(deps: { escalation: Pick<EscalationService, 'fire'>; log: WorkerLogger }) {
  return async (job: TypedJob<typeof QUEUE>): Promise<JobResult<typeof QUEUE>> => {
    if (job.name !== 'step' || !STEPS.includes(job.data.step)) throw new UnrecoverableError(`unknown job ${String(job.name)}/${String(job.data.step)} on ${QUEUE}`);
    const r = await deps.escalation.fire(job.data.deadlineId, job.data.step);
    if (r.outcome === 'fired') deps.log.info({ queue: QUEUE, jobId: job.id, deadlineId: job.data.deadlineId, fired: r.fired }, 'deadline step fired');
    else deps.log.debug({ queue: QUEUE, jobId: job.id, outcome: r.outcome }, 'deadline step: nothing to do');
    return r;
  };
}

/** The steps of an open deadline still to fire, split into those due by `now` and those to come. */
export function pendingSteps(d: OpenDeadline, policy: DeadlinePolicy, now: Date): { overdue: StepTime[]; future: StepTime[] } {
  const rule = policy.rules.get(d.rule as DeadlineRule['name']);
  if (!rule) return { overdue: [], future: [] };
  const left = stepTimes(rule, d).filter((s) => !d.fired.includes(s.step));
  return { overdue: left.filter((s) => s.at.getTime() <= now.getTime()), future: left.filter((s) => s.at.getTime() > now.getTime()) };
}

/**
 * Turns open deadlines into delayed jobs, one per step still to fire, with a job id made of the
 * deadline, the step and the due time: adding the same step again (the relay after a crash, the
 * reconciler every minute) is a no-op in BullMQ, and a resumed deadline gets fresh jobs.
 */
export function createStepScheduler(deps: { queue: TypedQueue<typeof QUEUE>; repo: Pick<EscalationRepository, 'open'>; policy: DeadlinePolicy; clock: Clock }) {
  const { queue, repo, policy, clock } = deps;
  async function enqueue(deadlines: OpenDeadline[], opts: { includeOverdue: boolean }): Promise<number> {
    const now = clock.now();
    const jobs = deadlines.flatMap((d) => {
      const { overdue, future } = pendingSteps(d, policy, now);
      return [...(opts.includeOverdue ? overdue : []), ...future].map((s) => ({
        name: 'step' as const,
        data: { deadlineId: d.id, step: s.step, dueAt: d.dueAt.toISOString() },
        opts: { jobId: stepJobId(d.id, s.step, d.dueAt), delay: Math.max(0, s.at.getTime() - now.getTime()) },
      }));
    });
    if (jobs.length > 0) await queue.addBulk(jobs);
    return jobs.length;
  }
  return {
    enqueue,
    /** The outbox handler of `deadline.opened` (`{ deadlineId }`, for a deadline started or resumed). */
    async onDeadlineOpened(rows: OutboxRow[], tx: Tx): Promise<void> {
      const ids = [...new Set(rows.map((r) => r.payload.deadlineId).filter((id): id is string => typeof id === 'string'))];
      if (ids.length === 0) return;
      // A deadline settled or paused since is no longer open: it gets no job (a resume writes a new row).
      // Added while the rows are claimed, so that a Redis failure leaves them pending for the next
      // pass; the queue's connection fails fast (startWorkers), so a Redis outage never holds the claim.
      await enqueue(await repo.open({ ids }, tx), { includeOverdue: true });
    },
  };
}

export type StepScheduler = ReturnType<typeof createStepScheduler>;
export type { Step };
