import { systemContext } from '../access/principal.js';
import type { AuditService } from '../audit/audit-service.js';
import type { CaseRepository } from '../cases/case-repository.js';
import type { Db, Tx } from '../db/client.js';
import type { DeadlinePolicy, DeadlineRule } from '../deadlines/deadline-policy.js';
import type { Clock } from '../lib/clock.js';
import type { EscalationRepository } from './escalation-repository.js';
import { LEVEL_OF, STEPS, stepTimes, type Step } from './step-times.js';
import type { Outbox } from '../outbox/outbox.js';
import { DEADLINE_STEP, type PayloadOf } from '../outbox/topics.js';

/** What a firing did: `fired` lists the steps this call recorded (earlier overdue ones included). */
export type FireOutcome =
  | { outcome: 'fired'; fired: Step[] }
  | { outcome: 'already' | 'not_open' | 'not_due' | 'not_in_ladder' | 'gone' | 'unknown_rule'; fired: [] };

export type EscalationService = ReturnType<typeof createEscalationService>;

/**
 * Fires the steps of the escalation ladder (workflow.md): reminder to whoever must act, level 1 to
 * the case's supervisor (or every supervisor), level 2 to every supervisor for the head. The
 * database decides: a step is recorded in `deadline_steps` (one row per deadline and step) in the
 * same transaction as its timeline entry, audit event and notification, so any number of workers,
 * retries and re-enqueued jobs record and notify it once.
 */
export function createEscalationService(deps: {
  db: Db;
  repo: EscalationRepository;
  cases: Pick<CaseRepository, 'addTimeline' | 'byIdForUpdate'>;
  outbox: Outbox;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  policy: DeadlinePolicy;
}) {
  const { db, repo, cases, outbox, audit, clock, policy } = deps;

  async function supervisorsOf(c: { supervisorId: string | null }, tx: Tx): Promise<string[]> {
    if (c.supervisorId && (await repo.isActive(c.supervisorId, tx))) return [c.supervisorId];
    return repo.activeUserIds('supervisor', tx);
  }

  /** Who hears of a step (ids only). Falls back to every supervisor rather than to nobody. */
  async function recipientsOf(step: Step, rule: DeadlineRule, c: { assigneeId: string | null; supervisorId: string | null }, subjectId: string | null, tx: Tx): Promise<string[]> {
    if (step === 'level2') return repo.activeUserIds('supervisor', tx);
    if (step === 'level1') return supervisorsOf(c, tx);
    switch (rule.actor) {
      case 'defender':
        return ['defender'];
      case 'partner': {
        const org = subjectId ? await repo.referralOrg(subjectId, tx) : undefined;
        return org ? [`org:${org}`] : supervisorsOf(c, tx);
      }
      case 'supervisor':
        return supervisorsOf(c, tx);
      case 'officer':
        // No officer yet (a new case in the intake pool): every officer may take it.
        if (c.assigneeId && (await repo.isActive(c.assigneeId, tx))) return [c.assigneeId];
        return repo.activeUserIds('officer', tx);
    }
  }

  return {
    /**
     * Fires `step` of a deadline if it is still open and the step is due by its current due time
     * (a resumed deadline moves it), along with any earlier step still unfired, in ladder order.
     * One transaction; the case row is locked first, as the case commands do, then the deadline.
     */
    async fire(deadlineId: string, step: Step): Promise<FireOutcome> {
      const caseId = await repo.caseIdOf(deadlineId);
      if (!caseId) return { outcome: 'gone', fired: [] };
      return db.transaction(async (tx): Promise<FireOutcome> => {
        const c = await cases.byIdForUpdate(caseId, tx);
        const d = await repo.deadlineForUpdate(deadlineId, tx);
        if (!c || !d) return { outcome: 'gone', fired: [] };
        if (d.state !== 'open' || c.state === 'closed') return { outcome: 'not_open', fired: [] };
        const rule = policy.rules.get(d.rule as DeadlineRule['name']);
        if (!rule) return { outcome: 'unknown_rule', fired: [] };
        const now = clock.now();
        const times = stepTimes(rule, d);
        const target = times.find((s) => s.step === step);
        if (!target) return { outcome: 'not_in_ladder', fired: [] };
        if (target.at.getTime() > now.getTime()) return { outcome: 'not_due', fired: [] };
        const fired: Step[] = [];
        for (const s of times.filter((x) => STEPS.indexOf(x.step) <= STEPS.indexOf(step))) {
          const recipients = [...new Set(await recipientsOf(s.step, rule, c, d.subjectId, tx))];
          if (!(await repo.insertStep({ deadlineId, step: s.step, dueAt: s.at, firedAt: now, recipients }, tx))) continue;
          fired.push(s.step);
          await repo.raiseLevel(deadlineId, LEVEL_OF[s.step], tx);
          const action = s.step === 'reminder' ? 'deadline.reminder' : 'deadline.escalated';
          const reason = s.step === 'reminder' ? `${rule.name}: reminder` : `${rule.name}: level ${LEVEL_OF[s.step]}`;
          await cases.addTimeline({ caseId, at: now, actor: 'system', action, fromState: null, toState: null, reason }, tx);
          await audit.record(systemContext(`escalation:${deadlineId}:${s.step}`), { action, resource: `deadline:${deadlineId}`, caseId, outcome: 'allowed', reason }, tx);
          // Ids, codes and policy text only: the notifications relay delivers it to inboxes and webhooks.
          const payload: PayloadOf<typeof DEADLINE_STEP> = {
            deadlineId,
            caseId,
            reference: c.reference,
            rule: rule.name,
            step: s.step,
            level: LEVEL_OF[s.step],
            dueAt: d.dueAt.toISOString(),
            stepAt: s.at.toISOString(),
            recipients,
            markForHead: s.step === 'level2' && rule.ladder.level2?.markForHead === true,
            action: rule.description,
          };
          await outbox.add(tx, DEADLINE_STEP, payload, now);
        }
        return fired.length > 0 ? { outcome: 'fired', fired } : { outcome: 'already', fired: [] };
      });
    },
  };
}
