import { AppError } from '../lib/problem.js';
import type { ReferralCommand } from '../contracts/referral.js';
import type { ReferralRow } from './referral-repository.js';

/** The permission of policies/access.yaml each referral command is authorised with (the routes' `action`). */
export const REFERRAL_COMMAND_ACTIONS: Record<ReferralCommand, string> = {
  consent: 'referral.consent',
  send: 'referral.create',
  withdraw: 'referral.withdraw',
};

/**
 * Why a staff command on a referral would be refused now, from the referral's state (beyond the
 * access policy): the commands throw what this returns, and the list of a case's referrals asks
 * it for each command, so a button is shown exactly when the command is taken.
 */
export function referralCommandRefusal(command: ReferralCommand, r: Pick<ReferralRow, 'state'>): AppError | null {
  switch (command) {
    case 'consent':
      return r.state === 'awaiting_consent' ? null : new AppError('invalid_transition', `the referral is ${r.state}, not awaiting consent`);
    case 'send':
      if (r.state === 'awaiting_consent' || r.state === 'refused') return new AppError('consent_required', `the referral is ${r.state}: no packet without consent`);
      return r.state === 'consented' ? null : new AppError('invalid_transition', `the referral is ${r.state}: its packet was sent already`);
    case 'withdraw':
      // A closed referral may be withdrawn too: that deletes the packet the partner could still read.
      return r.state === 'refused' || r.state === 'declined' || r.state === 'withdrawn' ? new AppError('invalid_transition', `the referral is ${r.state} already`) : null;
  }
}

/** Throws the refusal of `command`, if any (the commands' own check). */
export function assertReferralCommand(command: ReferralCommand, r: Pick<ReferralRow, 'state'>): void {
  const refused = referralCommandRefusal(command, r);
  if (refused) throw refused;
}
