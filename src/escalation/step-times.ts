/**
 * When each step of the escalation ladder falls for one deadline row. Pure: the same row and rule
 * give the same instants to the relay (which schedules jobs), the worker (which checks a job is
 * due) and the reconciler (which rebuilds jobs and fires what is overdue).
 */
import type { DeadlineRule } from '../deadlines/deadline-policy.js';
import { ladder } from '../deadlines/due-time.js';

export const STEPS = ['reminder', 'level1', 'level2'] as const;
export type Step = (typeof STEPS)[number];

/** `deadlines.level_reached` after a step: a reminder is not an escalation, so it stays 0. */
export const LEVEL_OF = { reminder: 0, level1: 1, level2: 2 } as const satisfies Record<Step, number>;

export interface StepTime {
  step: Step;
  at: Date;
}

/** What of a deadline row the ladder needs. */
export interface LadderRow {
  startedAt: Date;
  dueAt: Date;
  urgent: boolean;
}

/**
 * The ladder's steps for a deadline, in order: reminder (none for a check-in), level 1 at the due
 * time, level 2 after a further half window (capped). A resumed deadline keeps its start and gets
 * its new due time, so its steps move with it.
 */
export function stepTimes(rule: Pick<DeadlineRule, 'ladder'>, row: LadderRow): StepTime[] {
  const l = ladder(row.startedAt, row.dueAt, { urgent: row.urgent }, rule.ladder);
  const out: StepTime[] = [];
  if (l.reminder) out.push({ step: 'reminder', at: l.reminder });
  out.push({ step: 'level1', at: l.level1 });
  if (l.level2) out.push({ step: 'level2', at: l.level2 });
  return out;
}

/**
 * A job id per deadline, step and due time: BullMQ keeps one job per id, so the relay and the
 * reconciler may add the same step any number of times; a resumed deadline (new due time) gets
 * new ids. `_` rather than `:` because BullMQ reserves `:` in custom ids.
 */
export const stepJobId = (deadlineId: string, step: Step, dueAt: Date): string => `${deadlineId}_${step}_${dueAt.getTime()}`;
