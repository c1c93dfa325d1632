import { AppError } from '../lib/problem.js';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { actorOf, type RequestContext } from '../access/principal.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { UserRepository } from '../users/user-repository.js';
import type { DeadlineService } from '../deadlines/deadline-service.js';
import { caseView, type CaseRepository, type CaseRow } from './case-repository.js';
import { defenderView } from './case-service.js';
import type { TransitionGuard, WorkflowPolicy } from './workflow-policy.js';
import type { WithdrawalPorts } from './case-withdrawal-service.js';
import { caseScope } from '../access/case-scope.js';

/** Checks a transition's precondition inside its transaction; returns the refusal, or null. */
export type GuardCheck = (c: CaseRow, tx: Tx) => Promise<AppError | null>;

export interface TransitionInput {
  reason?: string;
  closeReason?: string;
  /** acknowledge: the officer a supervisor assigns (an officer always takes the case for themself) */
  assigneeId?: string;
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
  cases: Pick<CaseRepository, 'byIdForUpdate' | 'update' | 'addTimeline'>;
  users: Pick<UserRepository, 'byId'>;
  deadlines: Pick<DeadlineService, 'apply'>;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  workflow: WorkflowPolicy;
  guards: Record<TransitionGuard, GuardCheck>;
  /** What stops when a case closes: its open measures and referrals (appeals are left to be decided). */
  openWork: Pick<WithdrawalPorts, 'stopOpenMeasures' | 'withdrawOpenReferrals'>;
}) {
  const { db, cases, users, deadlines, access, audit, clock, workflow, guards, openWork } = deps;

  const command = createCommandRunner({ db, audit });

  async function assignee(ctx: RequestContext, input: TransitionInput): Promise<string> {
    const p = ctx.principal;
    if (p.kind === 'user' && p.role === 'officer') {
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

  return {
    async transition(ctx: RequestContext, caseId: string, name: string, input: TransitionInput) {
      const rule = workflow.transitions.get(name);
      if (!rule) throw new AppError('route_not_found');
      for (const field of rule.requires) {
        if (!input[field]) throw new AppError('validation_failed', `${name} needs a ${field}`, { errors: [{ field: `/body/${field}`, message: 'is required' }] });
      }
      if (input.closeReason && !workflow.closeReasons.includes(input.closeReason)) {
        throw new AppError('validation_failed', 'unknown close reason', { errors: [{ field: '/body/closeReason', message: `one of ${workflow.closeReasons.join(', ')}` }] });
      }
      const updated = await command(ctx, { action: rule.action, resource: `case:${caseId}`, caseId }, async (tx) => {
        const c = await cases.byIdForUpdate(caseId, tx);
        await access.authorize(ctx, rule.action, { resource: `case:${caseId}`, caseId: c ? caseId : null, facts: caseScope(c) }, tx, { reason: input.reason ?? null });
        if (!c) throw new AppError('not_found');
        // Its content is gone for good: reopening would run a case nobody can read (a new request is filed instead).
        if (c.purgedAt) throw new AppError('invalid_transition', `the case was purged on ${c.purgedAt.toISOString()}; file a new request instead`);
        if (!(rule.from as readonly string[]).includes(c.state)) throw new AppError('invalid_transition', `cannot ${name} a case in state ${c.state} (allowed from ${rule.from.join(', ')})`);
        if (rule.guard) {
          const refusal = await guards[rule.guard](c, tx);
          if (refusal) throw refusal;
        }
        const now = clock.now();
        const set: Partial<CaseRow> = { state: rule.to, updatedAt: now };
        if (rule.assigns) set.assigneeId = await assignee(ctx, input);
        if (rule.to === 'closed') {
          set.closedAt = now;
          set.closeReason = rule.closeReason ?? input.closeReason ?? null;
        }
        if (c.state === 'closed') {
          set.closedAt = null;
          set.closeReason = null;
        }
        const updated = await cases.update(caseId, set, tx);
        await cases.addTimeline({ caseId, at: now, actor: actorOf(ctx.principal), action: name, fromState: c.state, toState: rule.to, reason: input.reason ?? null }, tx);
        if (rule.to === 'closed') {
          // A closed case protects no one any more: its measures end and partners lose access, with the closing reason.
          const why = `case closed (${set.closeReason}): ${input.reason ?? ''}`.trim();
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
      return command(ctx, { action: 'case.urgency', resource: `case:${caseId}`, caseId }, async (tx) => {
        const c = await cases.byIdForUpdate(caseId, tx);
        await access.authorize(ctx, 'case.urgency', { resource: `case:${caseId}`, caseId: c ? caseId : null, facts: caseScope(c) }, tx, { reason });
        if (!c) throw new AppError('not_found');
        if (c.state === 'closed') throw new AppError('invalid_transition', 'a closed case has no urgency to change');
        const now = clock.now();
        const updated = await cases.update(caseId, { urgent, updatedAt: now }, tx);
        await cases.addTimeline({ caseId, at: now, actor: actorOf(ctx.principal), action: urgent ? 'urgency_confirmed' : 'urgency_lifted', fromState: c.state, toState: c.state, reason }, tx);
        return caseView(updated);
      });
    },
  };
}
