import { AppError } from '../lib/problem.js';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { actorOf, type RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { DeadlineService } from '../deadlines/deadline-service.js';
import { caseView, type CaseRepository } from './case-repository.js';
import { defenderView } from './case-service.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { Outbox } from '../outbox/outbox.js';
import { caseScope } from '../access/case-scope.js';

/**
 * What stops with the defender's consent, owned by other modules and run in the withdrawal's
 * transaction. Each returns how many things it stopped.
 */
export interface WithdrawalPorts {
  /** Open measures (proposed to active) end; their deadlines settle. */
  stopOpenMeasures(caseId: string, reason: string, at: Date, tx: Tx, ctx: RequestContext): Promise<number>;
  /** Open referrals are withdrawn: the partner's access ends (packet and envelopes deleted). */
  withdrawOpenReferrals(caseId: string, reason: string, at: Date, tx: Tx, ctx: RequestContext): Promise<number>;
  /** Appeals still open are closed: nobody is left to rule for. */
  dismissOpenAppeals(caseId: string, reason: string, at: Date, tx: Tx, ctx: RequestContext): Promise<number>;
}

export type CaseWithdrawalService = ReturnType<typeof createCaseWithdrawalService>;

/** Why the case ends, as the stopped measures, referrals and appeals record it. */
const REASON = 'consent withdrawn by the defender';

/** Why the defender cannot withdraw now, or null. */
export function withdrawalRefusal(c: { state: string; closeReason: string | null }): AppError | null {
  return c.state === 'closed' ? new AppError('invalid_transition', `the case is closed already (${c.closeReason ?? 'no reason'})`) : null;
}

/**
 * The defender withdraws consent (workflow.md "Withdrawal"): at any time, in any open state. In
 * one transaction: open measures and referrals stop, open appeals close, the case closes as
 * consent_withdrawn (timeline, `case.closed`: every open deadline is cancelled and retention
 * starts), the assigned officer is told, and the decision is audited. On a closed case it is
 * refused (409 invalid_transition), audited as denied, and nothing changes.
 */
export function createCaseWithdrawalService(deps: {
  db: Db;
  cases: Pick<CaseRepository, 'byIdForUpdate' | 'update' | 'addTimeline'>;
  ports: WithdrawalPorts;
  deadlines: Pick<DeadlineService, 'apply'>;
  outbox: Outbox;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
}) {
  const { db, cases, ports, deadlines, outbox, access, audit, clock } = deps;
  const command = createCommandRunner({ db, audit });

  return {
    async withdraw(ctx: RequestContext, caseId: string, input: { reason?: string }) {
      const outcome = await command(ctx, { action: 'case.withdraw', resource: `case:${caseId}`, caseId }, async (tx) => {
        const c = await cases.byIdForUpdate(caseId, tx);
        await access.authorize(ctx, 'case.withdraw', { resource: `case:${caseId}`, caseId: c ? caseId : null, facts: caseScope(c) }, tx, { reason: input.reason ?? null });
        if (!c) throw new AppError('not_found');
        const refused = withdrawalRefusal(c);
        if (refused) throw refused;
        const now = clock.now();
        const why = input.reason ? `${REASON}: ${input.reason}` : REASON;
        // The ports get the defender's context, so what they audit names who made it happen.
        const measuresStopped = await ports.stopOpenMeasures(caseId, why, now, tx, ctx);
        const referralsWithdrawn = await ports.withdrawOpenReferrals(caseId, why, now, tx, ctx);
        const appealsClosed = await ports.dismissOpenAppeals(caseId, why, now, tx, ctx);
        const updated = await cases.update(caseId, { state: 'closed', closedAt: now, closeReason: 'consent_withdrawn', updatedAt: now }, tx);
        await cases.addTimeline({ caseId, at: now, actor: actorOf(ctx.principal), action: 'withdraw', fromState: c.state, toState: 'closed', reason: input.reason ?? null }, tx);
        await deadlines.apply({ caseId, event: 'case.closed', at: now, urgent: c.urgent }, tx);
        await outbox.add(tx, 'case.consent_withdrawn', { caseId, reference: c.reference, notify: c.assigneeId ? 'assignee' : 'supervisors', assigneeId: c.assigneeId, measuresStopped, referralsWithdrawn, appealsClosed }, now);
        return { updated, measuresStopped, referralsWithdrawn, appealsClosed };
      });
      const { updated, ...stopped } = outcome;
      return { case: { ...defenderView(caseView(updated)), closeReason: updated.closeReason }, ...stopped };
    },
  };
}
