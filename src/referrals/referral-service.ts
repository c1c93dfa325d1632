import { createReferralCommands, type ReferralDeps } from './referral-commands.js';
import { createReferralReads } from './referral-reads.js';
import { createReferralProposals } from './referral-proposals.js';
import { createReferralPackets } from './referral-packets.js';
import { createReferralResponses } from './referral-responses.js';
import { createReferralWithdrawals } from './referral-withdrawals.js';

export type ReferralService = ReturnType<typeof createReferralService>;

/**
 * Referrals of part of a case to a partner organisation (workflow.md "Referrals", crypto.md
 * "Referral packet"). The server checks who may do what, the referral's state, that the packet
 * shares exactly the consented fields, and that its key is sealed to the recipient's current key;
 * it never sees the packet's content. Every command is one transaction that locks the case row:
 * the change, a timeline entry, the audit event, deadline events and content-free outbox rows.
 */
export function createReferralService(deps: ReferralDeps) {
  const kit = createReferralCommands(deps);
  const { cases, referrals, orgs, access } = deps;
  return {
    ...createReferralReads({ cases, referrals, orgs, access, views: kit.views }),
    ...createReferralProposals(deps, kit),
    ...createReferralPackets(deps, kit),
    ...createReferralResponses(deps, kit),
    ...createReferralWithdrawals(deps, kit),
  };
}
