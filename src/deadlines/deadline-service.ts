import { randomUUID } from 'node:crypto';
import type { Tx } from '../db/client.js';
import type { RiskLevel, DeadlinePolicy, DeadlineRule } from './deadline-policy.js';
import type { WorkCalendar } from './calendar.js';
import { dueFor, resume, type Duration } from './due-time.js';
import type { DeadlineRepository } from './deadline-repository.js';

/** Something that happened to a case, named as in policies/deadlines.yaml (`case.acknowledged`, ...). */
export interface CaseEvent {
  caseId: string;
  event: string;
  at: Date;
  urgent: boolean;
  /** The measure, referral or appeal the event is about, for rules that run per subject. */
  subjectId?: string | null;
  riskLevel?: RiskLevel;
  measureEnd?: Date;
}

export type DeadlineService = ReturnType<typeof createDeadlineService>;

/**
 * Turns case events into deadline rows, from the rules of policies/deadlines.yaml alone: an
 * event that ends a rule settles its open deadline, one that pauses or resumes it does so, one
 * that starts it creates it (with an outbox entry for the workers). Runs in the transaction of
 * the event, so a deadline exists exactly when the change that started it committed.
 */
export function createDeadlineService(deps: { repo: DeadlineRepository; policy: DeadlinePolicy; calendar: WorkCalendar }) {
  const { repo, policy, calendar } = deps;
  const rules = [...policy.rules.values()];
  const durationOf = (rule: DeadlineRule, urgent: boolean): Duration | null => {
    const d = urgent ? rule.urgent : rule.ordinary;
    return d && !('kind' in d) ? (d as Duration) : null;
  };

  return {
    /** Applies an event; returns the deadlines it created. */
    async apply(e: CaseEvent, tx: Tx): Promise<Array<{ id: string; rule: string; dueAt: Date }>> {
      const subject = e.subjectId ?? null;
      const ending = rules.filter((r) => r.ends.includes(e.event)).map((r) => r.name);
      const touched = [...ending, ...rules.filter((r) => r.pause?.on === e.event || r.pause?.resume === e.event).map((r) => r.name)];
      // Closing a case stops every deadline it has (retention, which starts on close, is created after).
      // An event that ends, pauses and resumes nothing (a filing) costs no query.
      // An event about a subject (a measure, a referral) acts on that subject's deadlines and on the
      // case's own deadlines of the rules it names: the first measure approved settles the case's
      // `decision` deadline as well as its own `approval`.
      const live =
        e.event === 'case.closed'
          ? await repo.live(e.caseId, null, undefined, tx)
          : touched.length > 0
            ? (await repo.live(e.caseId, touched, subject === null ? null : undefined, tx)).filter((d) => d.subjectId === null || d.subjectId === subject)
            : [];
      if (e.event === 'case.closed') {
        await repo.settle(live.map((d) => d.id), 'cancelled', e.at, tx);
      } else {
        await repo.settle(live.filter((d) => ending.includes(d.rule as never)).map((d) => d.id), 'settled', e.at, tx);
        for (const d of live) {
          const rule = policy.rules.get(d.rule as never);
          if (!rule?.pause) continue;
          if (rule.pause.on === e.event && d.state === 'open') {
            await repo.pause(d.id, e.at, d.dueAt.getTime() - e.at.getTime(), tx);
          } else if (rule.pause.resume === e.event && d.state === 'paused' && d.pausedAt) {
            const duration = durationOf(rule, d.urgent);
            const paused = { start: d.startedAt, duration: duration ?? {}, pausedAt: d.pausedAt, dueWhenPaused: d.dueAt, remainingMs: d.remainingMs ?? 0 };
            await repo.resume(d.id, resume(paused, e.at, calendar).due, e.at, tx);
          }
        }
      }
      const created: Array<{ id: string; rule: string; dueAt: Date }> = [];
      for (const rule of rules.filter((r) => r.starts.includes(e.event))) {
        // A recurring rule (referral report) may restart on the event that ended it.
        const due = dueFor(rule, e.at, { urgent: e.urgent, ...(e.riskLevel ? { riskLevel: e.riskLevel } : {}), ...(e.measureEnd ? { measureEnd: e.measureEnd } : {}) }, calendar);
        if (!due) continue;
        const id = randomUUID();
        await repo.open({ id, caseId: e.caseId, rule: rule.name, subjectId: subject, urgent: e.urgent, startedAt: e.at, dueAt: due }, tx);
        created.push({ id, rule: rule.name, dueAt: due });
      }
      return created;
    },
  };
}
