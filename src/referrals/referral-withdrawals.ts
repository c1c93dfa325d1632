import { systemContext, type RequestContext } from '../access/principal.js';
import type { Tx } from '../db/client.js';
import type { CaseRow } from '../cases/case-repository.js';
import type { ReferralRow } from './referral-repository.js';
import { OPEN_STATES } from './referral-views.js';
import { type ReferralCommands, type ReferralDeps } from './referral-commands.js';
import { assertReferralCommand } from './referral-refusals.js';

/** Withdrawals: by staff, one referral; by the case's closing, every open one. */
export function createReferralWithdrawals(deps: ReferralDeps, kit: ReferralCommands) {
  const { cases, referrals, deadlines, outbox, audit, clock } = deps;
  const { views, onReferral, orgInfo, timeline, endAccess } = kit;

  /** Withdraws one referral (authorised by the caller): packet and envelopes deleted, deadlines settled. */
  async function withdrawOne(ctx: RequestContext, r: ReferralRow, c: CaseRow, reason: string, at: Date, tx: Tx): Promise<ReferralRow> {
    await endAccess(r, tx);
    const updated = await referrals.update(r.id, { state: 'withdrawn', packet: null, endedAt: at, endReason: reason, updatedAt: at }, tx);
    await timeline(c, ctx, 'referral.withdrawn', `referral ${r.id}: ${reason}`, at, tx);
    await deadlines.apply({ caseId: c.id, event: 'referral.withdrawn', at, urgent: c.urgent, subjectId: r.id }, tx);
    // The partner is told its access ended, if it ever had any.
    if (r.sentAt) await outbox.add(tx, 'referral.withdrawn', { caseId: c.id, referralId: r.id, orgId: r.orgId }, at);
    return updated;
  }

  return {
    /** Staff withdraw a referral: packet and envelopes deleted, deadlines settled, the partner's access ends. */
    async withdraw(ctx: RequestContext, referralId: string, reason: string) {
      return onReferral(ctx, referralId, 'referral.withdraw', reason, async (r, c, tx) => {
        assertReferralCommand('withdraw', r);
        const updated = await withdrawOne(ctx, r, c, reason, clock.now(), tx);
        return views.staff(updated, await orgInfo(r.orgId, tx));
      });
    },

    /**
     * Withdraws every referral of the case that is still open (awaiting consent, consented, sent,
     * accepted), in the caller's transaction: the withdrawal of consent stops them all. The
     * caller has authorised its own action and locked the case row; each referral's withdrawal
     * is audited (as the caller when `ctx` is given, else as the system) and put on the timeline.
     * Returns how many were withdrawn.
     */
    async withdrawOpenReferrals(caseId: string, reason: string, at: Date, tx: Tx, ctx?: RequestContext): Promise<number> {
      const c = await cases.byIdForUpdate(caseId, tx);
      if (!c) return 0;
      const who = ctx ?? systemContext(`referrals-withdrawn-${caseId}`);
      const open = await referrals.ofCaseInStates(caseId, OPEN_STATES, tx);
      for (const r of open) {
        await audit.record(who, { action: 'referral.withdraw', resource: `referral:${r.id}`, caseId, outcome: 'allowed', reason }, tx);
        await withdrawOne(who, r, c, reason, at, tx);
      }
      return open.length;
    },
  };
}
