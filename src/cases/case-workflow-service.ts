import { AppError } from '../lib/problem.js';
import { checkEnvelope } from '../lib/key-envelope.js';
import { CryptoError } from '../sdk/index.js';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { actorOf, type Principal, type RequestContext } from '../access/principal.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { UserRepository } from '../users/user-repository.js';
import type { DeadlineService } from '../deadlines/deadline-service.js';
import { caseView, type CaseRepository, type CaseRow } from './case-repository.js';
import type { VerificationStatus } from '../contracts/case-verification.js';
import { defenderView } from './case-service.js';
import type { TransitionGuard, TransitionRule, WorkflowPolicy } from './workflow-policy.js';
import type { WithdrawalPorts } from './case-withdrawal-service.js';
import { caseScope } from '../access/case-scope.js';
import type { CaseParticipation } from '../access/case-participation.js';

/** Checks a transition's precondition inside its transaction; returns the refusal, or null. */
export type GuardCheck = (c: CaseRow, tx: Tx) => Promise<AppError | null>;

export interface TransitionInput {
  reason?: string;
  closeReason?: string;
  /** decline: why, as one of policies/workflow.yaml's codes (what the statistics count) */
  declineReason?: string;
  /** acknowledge: the officer a supervisor assigns (an officer always takes the case for themself) */
  assigneeId?: string;
  /** a transition that hands the case over: the case key sealed to the new assignee's current key */
  keyId?: string;
  envelope?: string;
}

/** Whether the caller names the officer an assigning transition assigns (a supervisor), rather than taking the case themself (an officer). */
export function choosesAssignee(p: Principal): boolean {
  return !(p.kind === 'user' && p.role === 'officer');
}

/**
 * Why the verification status of the case cannot be changed now, or null. A closed case keeps
 * counting in the statistics, so it may still be verified; a purged one is not processed any more.
 */
export function verificationRefusal(c: Pick<CaseRow, 'purgedAt'>): AppError | null {
  return c.purgedAt ? new AppError('invalid_transition', `the case was purged on ${c.purgedAt.toISOString()}; its verification status stays as it was`) : null;
}

/** Why the urgency of the case cannot be changed now, or null. */
export function urgencyRefusal(c: Pick<CaseRow, 'state'>): AppError | null {
  return c.state === 'closed' ? new AppError('invalid_transition', 'a closed case has no urgency to change') : null;
}

export type CaseWorkflowService = ReturnType<typeof createCaseWorkflowService>;

/**
 * The one place where the procedure's transitions (policies/workflow.yaml) are enforced. Each is
 * one transaction: authorisation (policies/access.yaml, audited), the state check, the change,
 * the timeline entry and the deadline events. A refused transition changes nothing and is
 * audited as denied with the rule that refused it.
 */
export function createCaseWorkflowService(deps: {
  db: Db;
  cases: Pick<CaseRepository, 'byIdForUpdate' | 'update' | 'addTimeline' | 'upsertEnvelope'>;
  users: Pick<UserRepository, 'byId'>;
  deadlines: Pick<DeadlineService, 'apply'>;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  /** for a transition whose supervisor scopes are `participant` / `break_glass` (a hand-over) */
  participation: Pick<CaseParticipation, 'facts'>;
  clock: Clock;
  workflow: WorkflowPolicy;
  guards: Record<TransitionGuard, GuardCheck>;
  /** What stops when a case closes: its open measures and referrals (appeals are left to be decided). */
  openWork: Pick<WithdrawalPorts, 'stopOpenMeasures' | 'withdrawOpenReferrals'>;
}) {
  const { db, cases, users, deadlines, access, audit, participation, clock, workflow, guards, openWork } = deps;

  const command = createCommandRunner({ db, audit });

  async function assignee(ctx: RequestContext, input: TransitionInput): Promise<string> {
    const p = ctx.principal;
    if (!choosesAssignee(p)) {
      if (p.kind !== 'user') throw new AppError('forbidden');
      if (input.assigneeId && input.assigneeId !== p.userId) throw new AppError('forbidden', 'an officer takes a case for themself; a supervisor assigns others');
      return p.userId;
    }
    if (!input.assigneeId) throw new AppError('validation_failed', 'name the officer to assign', { errors: [{ field: '/body/assigneeId', message: 'is required' }] });
    const officer = await users.byId(input.assigneeId);
    if (!officer || officer.role !== 'officer' || officer.status !== 'active') {
      throw new AppError('validation_failed', 'the assignee must be an active officer', { errors: [{ field: '/body/assigneeId', message: 'not an active officer' }] });
    }
    return officer.id;
  }

  /**
   * A case handed over to a new assignee: they need the case key, so the request carries it sealed
   * to their current key by the client of someone who holds it (as POST /v1/cases/:id/envelopes),
   * and it is written with the assignment. The previous assignee loses the case at once by scope
   * (an officer reads the cases assigned to them); their envelope stays until a re-key revokes it
   * (crypto.md: removing a reader is deleting the envelope and re-keying, never the first alone).
   */
  async function handOver(c: CaseRow, assigneeId: string, input: TransitionInput, now: Date, tx: Tx): Promise<void> {
    if (assigneeId === c.assigneeId) throw new AppError('validation_failed', 'the case is assigned to this officer already', { errors: [{ field: '/body/assigneeId', message: 'the current assignee' }] });
    if (!input.keyId || !input.envelope) {
      const missing = (['keyId', 'envelope'] as const).filter((f) => !input[f]);
      throw new AppError('validation_failed', "the new assignee needs the case key: seal it to their public key (GET /v1/users/:userId/public-key) and send it with the request", {
        errors: missing.map((f) => ({ field: `/body/${f}`, message: 'is required' })),
      });
    }
    const officer = await users.byId(assigneeId, tx);
    if (!officer || officer.keyId !== input.keyId) {
      throw new AppError('validation_failed', "the envelope is not addressed to the new assignee's current key", { errors: [{ field: '/body/keyId', message: `expected ${officer?.keyId ?? 'the key of an active officer'}` }] });
    }
    try {
      checkEnvelope(input.envelope);
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
      throw new AppError('validation_failed', 'the envelope is malformed', { errors: [{ field: '/body/envelope', message: `${err.code}: ${err.message}` }] });
    }
    await cases.upsertEnvelope({ caseId: c.id, keyId: input.keyId, envelope: input.envelope, recipientType: 'user', recipientId: officer.id, createdAt: now }, tx);
  }

  /**
   * A change of the case's metadata that keeps its state and needs a written reason (its urgency,
   * its verification status): authorised and audited with the reason, refused by `refusal`, written
   * with a timeline entry that `records` it.
   */
  async function changeWithReason(
    ctx: RequestContext,
    caseId: string,
    change: { action: string; reason: string; refusal: (c: CaseRow) => AppError | null; set: Partial<CaseRow>; records: string },
  ) {
    const { action, reason } = change;
    return command(ctx, { action, resource: `case:${caseId}`, caseId }, async (tx) => {
      const c = await cases.byIdForUpdate(caseId, tx);
      await access.authorize(ctx, action, { resource: `case:${caseId}`, caseId: c ? caseId : null, facts: caseScope(c) }, tx, { reason });
      if (!c) throw new AppError('not_found');
      const refused = change.refusal(c);
      if (refused) throw refused;
      const now = clock.now();
      const updated = await cases.update(caseId, { ...change.set, updatedAt: now }, tx);
      await cases.addTimeline({ caseId, at: now, actor: actorOf(ctx.principal), action: change.records, fromState: c.state, toState: c.state, reason }, tx);
      return caseView(updated);
    });
  }

  /**
   * Why the case cannot take this transition now (its state, its guard), or null: asked by the
   * transition itself and by the list of what the caller may do on a case.
   */
  async function refusal(rule: TransitionRule, c: CaseRow, tx: Tx): Promise<AppError | null> {
    // Its content is gone for good: reopening would run a case nobody can read (a new request is filed instead).
    if (c.purgedAt) return new AppError('invalid_transition', `the case was purged on ${c.purgedAt.toISOString()}; file a new request instead`);
    if (!(rule.from as readonly string[]).includes(c.state)) return new AppError('invalid_transition', `cannot ${rule.name} a case in state ${c.state} (allowed from ${rule.from.join(', ')})`);
    return rule.guard ? guards[rule.guard](c, tx) : null;
  }

  return {
    refusal,

    async transition(ctx: RequestContext, caseId: string, name: string, input: TransitionInput) {
      const rule = workflow.transitions.get(name);
      if (!rule) throw new AppError('route_not_found');
      for (const field of rule.requires) {
        if (!input[field]) throw new AppError('validation_failed', `${name} needs a ${field}`, { errors: [{ field: `/body/${field}`, message: 'is required' }] });
      }
      if (input.closeReason && !workflow.closeReasons.includes(input.closeReason)) {
        throw new AppError('validation_failed', 'unknown close reason', { errors: [{ field: '/body/closeReason', message: `one of ${workflow.closeReasons.join(', ')}` }] });
      }
      const declineCodes = workflow.declineReasons.map((r) => r.code);
      if (input.declineReason && !declineCodes.includes(input.declineReason)) {
        throw new AppError('validation_failed', 'unknown decline reason', { errors: [{ field: '/body/declineReason', message: `one of ${declineCodes.join(', ')}` }] });
      }
      const updated = await command(ctx, { action: rule.action, resource: `case:${caseId}`, caseId }, async (tx) => {
        const c = await cases.byIdForUpdate(caseId, tx);
        // A hand-over writes an envelope: the supervisor must be able to read the case (as for POST /v1/cases/:id/envelopes).
        const facts = rule.handsOver ? { ...caseScope(c), ...(await participation.facts(ctx.principal, c, tx)) } : caseScope(c);
        await access.authorize(ctx, rule.action, { resource: `case:${caseId}`, caseId: c ? caseId : null, facts }, tx, { reason: input.reason ?? null });
        if (!c) throw new AppError('not_found');
        const refused = await refusal(rule, c, tx);
        if (refused) throw refused;
        const now = clock.now();
        const to = rule.to ?? c.state;
        const set: Partial<CaseRow> = { state: to, updatedAt: now };
        if (rule.assigns) set.assigneeId = await assignee(ctx, input);
        if (rule.handsOver) await handOver(c, set.assigneeId!, input, now, tx);
        if (rule.to === 'closed') {
          set.closedAt = now;
          set.closeReason = rule.closeReason ?? input.closeReason ?? null;
          set.declineReason = rule.requires.includes('declineReason') ? (input.declineReason ?? null) : null;
        }
        if (c.state === 'closed') {
          set.closedAt = null;
          set.closeReason = null;
          set.declineReason = null;
        }
        const updated = await cases.update(caseId, set, tx);
        await cases.addTimeline({ caseId, at: now, actor: actorOf(ctx.principal), action: rule.records ?? name, fromState: c.state, toState: to, reason: input.reason ?? null }, tx);
        if (rule.to === 'closed') {
          // A closed case protects no one any more: its measures end and partners lose access, with the closing reason.
          const why = `case closed (${[set.closeReason, set.declineReason].filter(Boolean).join(', ')}): ${input.reason ?? ''}`.trim();
          await openWork.stopOpenMeasures(caseId, why, now, tx, ctx);
          await openWork.withdrawOpenReferrals(caseId, why, now, tx, ctx);
        }
        for (const event of [rule.event, rule.to === 'closed' ? 'case.closed' : undefined].filter((e): e is string => e !== undefined)) {
          await deadlines.apply({ caseId, event, at: now, urgent: updated.urgent }, tx);
        }
        return updated;
      });
      // The defender takes one transition (provide_info) and sees their case as the defender view, never staff ids.
      return ctx.principal.kind === 'defender' ? defenderView(caseView(updated)) : caseView(updated);
    },

    /** Confirm or lift the urgency claimed at filing; the deadlines started after keep the new pace. */
    async setUrgency(ctx: RequestContext, caseId: string, urgent: boolean, reason: string) {
      return changeWithReason(ctx, caseId, { action: 'case.urgency', reason, refusal: urgencyRefusal, set: { urgent }, records: urgent ? 'urgency_confirmed' : 'urgency_lifted' });
    },

    /** Record whether the alleged violation was verified: a code the statistics count; the reason stays on the timeline and in the audit log. */
    async setVerification(ctx: RequestContext, caseId: string, status: VerificationStatus, reason: string) {
      return changeWithReason(ctx, caseId, { action: 'case.verify', reason, refusal: verificationRefusal, set: { verification: status }, records: `verification_${status}` });
    },
  };
}
