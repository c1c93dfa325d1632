import { CryptoError, parseSealedField } from '../sdk/index.js';
import { AppError } from '../lib/problem.js';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { actorOf, type RequestContext } from '../access/principal.js';
import type { AccessService, ScopeFacts } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { CaseRepository, CaseRow } from '../cases/case-repository.js';
import type { DeadlineService } from '../deadlines/deadline-service.js';
import type { AppealPolicy, AppealSubject, UpheldEffect } from './appeal-policy.js';
import { appealView, type AppealRepository, type AppealRow, type StaffAppeal } from './appeal-repository.js';
import type { AppealMeasureEffects } from './appeal-measure-effects.js';
import { assertKeyEpoch } from '../cases/key-epoch.js';
import type { CaseParticipation } from '../access/case-participation.js';
import { withheldFlag } from '../lib/sealed-withheld.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { Outbox } from '../outbox/outbox.js';
import { caseScope } from '../access/case-scope.js';
import type { BodyOf } from '../contracts/operation.js';
import type { decideAppeal, fileAppeal } from '../contracts/appeal.js';

const DAY_MS = 86_400_000;

/** The closing transition (policies/workflow.yaml) and close reason a case subject appeals against. */
const CASE_DECISIONS = {
  decline: { action: 'decline', closeReason: 'declined' },
  no_measures: { action: 'decide_no_measures', closeReason: 'no_measures' },
} as const;
const isCaseSubject = (s: AppealSubject): s is keyof typeof CASE_DECISIONS => s in CASE_DECISIONS;

export type FileAppealInput = BodyOf<typeof fileAppeal>;

export type DecideAppealInput = BodyOf<typeof decideAppeal>;

/** What the defender sees of an appeal: never who decided (staff ids stay internal). */
function defenderAppealView(v: StaffAppeal) {
  const { deciderId, decidedBy, ...shown } = v;
  return shown;
}

const userIdOf = (actor: string | undefined): string | null => (actor?.startsWith('u:') ? actor.slice(2) : null);

export type AppealService = ReturnType<typeof createAppealService>;

/**
 * Appeals (workflow.md "Appeal"; Mexico's law arts. 57-58). The defender appeals a decision that
 * went against them within the policy's window; the server, not the defender, says which decision
 * that was, when it was taken and by whom, from the case's own record. A supervisor other than the
 * decider rules (policies/access.yaml `unless: [decider]`); an upheld appeal undoes the decision
 * as policies/appeals.yaml says. Each command is one transaction with its timeline entry, deadline
 * events, outbox notice and audit event; a refused one changes nothing and is audited as denied.
 */
export function createAppealService(deps: {
  db: Db;
  appeals: AppealRepository;
  cases: Pick<CaseRepository, 'byId' | 'byIdForUpdate' | 'update' | 'addTimeline'>;
  measures: AppealMeasureEffects;
  deadlines: Pick<DeadlineService, 'apply'>;
  outbox: Outbox;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  /** whether a supervisor gets the sealed grounds (part of the case, or a break-glass) */
  participation: Pick<CaseParticipation, 'sealedAccess'>;
  clock: Clock;
  policy: AppealPolicy;
}) {
  const { db, appeals, cases, measures, deadlines, outbox, access, audit, participation, clock, policy } = deps;

  const command = createCommandRunner({ db, audit });

  /** The decision appealed: when it was taken and by whom, as the case records it. */
  async function decisionOf(c: CaseRow, input: FileAppealInput, tx: Tx): Promise<{ at: Date; deciderId: string | null }> {
    if (isCaseSubject(input.subject)) {
      const d = CASE_DECISIONS[input.subject];
      if (c.state !== 'closed' || c.closeReason !== d.closeReason || !c.closedAt) {
        throw new AppError('invalid_transition', `the case is not closed as ${d.closeReason}: there is no ${input.subject} decision to appeal`);
      }
      const entry = await appeals.closingEntry(c.id, d.action, tx);
      return { at: c.closedAt, deciderId: userIdOf(entry?.actor) };
    }
    if (c.state === 'closed') throw new AppError('invalid_transition', 'the case is closed: its measures can no longer be appealed');
    const m = await appeals.measureFacts(c.id, input.subjectId!, tx);
    if (!m) throw new AppError('not_found', 'no such measure on this case');
    if (input.subject === 'measure_rejected') {
      if (m.status !== 'rejected' || !m.decidedAt) throw new AppError('invalid_transition', `the measure is ${m.status}, not rejected`);
      return { at: m.decidedAt, deciderId: m.decidedBy };
    }
    if (m.status !== 'lifted' || !m.endedAt) throw new AppError('invalid_transition', `the measure is ${m.status}, not lifted`);
    return { at: m.endedAt, deciderId: m.endedBy };
  }

  /**
   * What an upheld appeal does (policies/appeals.yaml), checking first that the decision appealed
   * still stands. Returns the case's state afterwards and the deadline events of the case itself.
   */
  async function undo(effect: UpheldEffect, a: AppealRow, c: CaseRow, now: Date, tx: Tx): Promise<CaseRow['state']> {
    if (effect === 'record_only') return c.state;
    if (effect === 'reopen_to_triage' || effect === 'reopen_to_decision') {
      const d = isCaseSubject(a.subject) ? CASE_DECISIONS[a.subject] : null;
      if (!d || c.state !== 'closed' || c.closeReason !== d.closeReason || c.closedAt?.getTime() !== a.decisionAt.getTime()) {
        throw new AppError('invalid_transition', 'the decision appealed no longer stands: the case has moved on since');
      }
      const to = effect === 'reopen_to_triage' ? 'triage' : 'decision';
      await cases.update(c.id, { state: to, closedAt: null, closeReason: null, updatedAt: now }, tx);
      // case.reopened ends the retention deadline; back in decision, the decision deadline starts again.
      for (const event of ['case.reopened', ...(to === 'decision' ? ['case.decision_reopened'] : [])]) {
        await deadlines.apply({ caseId: c.id, event, at: now, urgent: c.urgent }, tx);
      }
      return to;
    }
    if (c.state === 'closed') throw new AppError('invalid_transition', 'the case is closed: reopen it before restoring a measure');
    const input = { caseId: c.id, measureId: a.subjectId!, at: now, urgent: c.urgent };
    const refusal = effect === 'measure_to_consented' ? await measures.toConsented(input, tx) : await measures.toActive(input, tx);
    if (refusal) throw refusal;
    return c.state;
  }

  return {
    async file(ctx: RequestContext, caseId: string, input: FileAppealInput) {
      if (input.grounds !== undefined) {
        try {
          parseSealedField(input.grounds);
        } catch (err) {
          throw new AppError('validation_failed', 'the grounds must be a sealed field', { errors: [{ field: '/body/grounds', message: err instanceof CryptoError ? `${err.code}: ${err.message}` : 'is invalid' }] });
        }
      }
      const forMeasure = !isCaseSubject(input.subject);
      if (forMeasure !== (input.subjectId !== undefined)) {
        throw new AppError('validation_failed', forMeasure ? 'name the measure appealed' : 'a case decision takes no subjectId', { errors: [{ field: '/body/subjectId', message: forMeasure ? 'is required' : 'must be absent' }] });
      }
      if (!policy.subjects.has(input.subject)) {
        throw new AppError('validation_failed', `a ${input.subject} decision cannot be appealed (policies/appeals.yaml)`, { errors: [{ field: '/body/subject', message: 'not appealable' }] });
      }
      const resource = `appeal:${input.id}`;
      return command(ctx, { action: 'appeal.file', resource, caseId }, async (tx) => {
        const c = await cases.byIdForUpdate(caseId, tx);
        await access.authorize(ctx, 'appeal.file', { resource, caseId: c ? caseId : null, facts: c ? caseScope(c) : {} }, tx);
        if (!c) throw new AppError('not_found');
        assertKeyEpoch(c, input.keyEpoch);
        const now = clock.now();
        const decision = await decisionOf(c, input, tx);
        if (now.getTime() - decision.at.getTime() > policy.fileWithinDays * DAY_MS) {
          throw new AppError('appeal_window_closed', `an appeal is filed within ${policy.fileWithinDays} days of the decision (taken ${decision.at.toISOString()})`);
        }
        const row = { id: input.id, caseId, subject: input.subject, subjectId: input.subjectId ?? null, deciderId: decision.deciderId, decisionAt: decision.at, grounds: input.grounds ?? null, state: 'filed' as const, filedAt: now };
        if (!(await appeals.insert(row, tx))) {
          throw new AppError('already_exists', 'an appeal with this id exists, or this decision is already under appeal');
        }
        await cases.addTimeline({ caseId, at: now, actor: actorOf(ctx.principal), action: 'appeal_filed', fromState: c.state, toState: c.state, reason: input.subjectId ? `${input.subject} ${input.subjectId}` : input.subject }, tx);
        await deadlines.apply({ caseId, event: 'appeal.filed', at: now, urgent: c.urgent, subjectId: input.id }, tx);
        await outbox.add(tx, 'appeal.filed', { caseId, reference: c.reference, appealId: input.id, subject: input.subject, notify: 'supervisors' }, now);
        const filed = await appeals.byId(input.id, tx);
        return defenderAppealView(appealView(filed!));
      });
    },

    async decide(ctx: RequestContext, appealId: string, input: DecideAppealInput) {
      const resource = `appeal:${appealId}`;
      const found = await appeals.byId(appealId);
      return command(ctx, { action: 'appeal.decide', resource, caseId: found?.caseId ?? null }, async (tx) => {
        // Case first, then the appeal: the same lock order as every command on the case.
        const c = found ? await cases.byIdForUpdate(found.caseId, tx) : undefined;
        const a = found ? await appeals.byIdForUpdate(appealId, tx) : undefined;
        const facts: ScopeFacts = c && a ? { ...caseScope(c), deciderId: a.deciderId } : {};
        await access.authorize(ctx, 'appeal.decide', { resource, caseId: c ? c.id : null, facts }, tx, { reason: input.reason });
        if (!c || !a) throw new AppError('not_found');
        if (a.state !== 'filed') throw new AppError('invalid_transition', `the appeal was ${a.state} already`);
        const now = clock.now();
        const effect = input.outcome === 'upheld' ? (policy.subjects.get(a.subject)?.upheld ?? 'record_only') : null;
        const toState = effect ? await undo(effect, a, c, now, tx) : c.state;
        const p = ctx.principal;
        const decided = await appeals.decide(appealId, { state: input.outcome, decidedBy: p.kind === 'user' ? p.userId : null, decidedAt: now, reason: input.reason }, tx);
        await cases.addTimeline({ caseId: c.id, at: now, actor: actorOf(p), action: `appeal_${input.outcome}`, fromState: c.state, toState, reason: input.reason }, tx);
        await deadlines.apply({ caseId: c.id, event: 'appeal.decided', at: now, urgent: c.urgent, subjectId: appealId }, tx);
        await outbox.add(tx, 'appeal.decided', { caseId: c.id, reference: c.reference, appealId, subject: a.subject, outcome: input.outcome, notify: 'defender' }, now);
        if (effect) {
          // The officer has work again: triage, a decision, a measure to approve, review or propose again.
          await outbox.add(tx, 'appeal.upheld', { caseId: c.id, reference: c.reference, appealId, subject: a.subject, effect, notify: c.assigneeId ? 'assignee' : 'supervisors', assigneeId: c.assigneeId }, now);
        }
        return { ...appealView(decided), caseState: toState, effect };
      });
    },

    /** The appeals of a case, oldest first: the defender's own without staff ids, all of them for staff. */
    async list(ctx: RequestContext, caseId: string) {
      const c = await cases.byId(caseId);
      // Subjects, states and dates are metadata every supervisor sees; the sealed grounds only a
      // supervisor part of the case (one who decides a filed appeal is), or through a break-glass.
      const sealed = c ? await participation.sealedAccess(ctx.principal, c) : { served: true as const, breakGlassId: null };
      await access.authorize(ctx, 'appeal.read', { resource: `case:${caseId}/appeals`, caseId: c ? caseId : null, found: c !== undefined, facts: c ? caseScope(c) : {} }, undefined, { read: true, breakGlassId: sealed.served ? sealed.breakGlassId : null });
      if (!c) throw new AppError('not_found');
      const rows = await appeals.forCase(caseId);
      const views = rows.map(appealView);
      if (ctx.principal.kind === 'defender') return views.map(defenderAppealView);
      return views.map((a) => (sealed.served || a.grounds === null ? a : { ...a, grounds: null, ...withheldFlag(false) }));
    },
  };
}
