import { AppError } from '../lib/problem.js';
import { parseSealedField } from '../sdk/index.js';
import type { RequestContext } from '../access/principal.js';
import { cryptoMessage, refuse, userIdOf, type ReferralCommands, type ReferralDeps } from './referral-commands.js';
import { reportView } from './referral-repository.js';
import type { BodyOf } from '../contracts/operation.js';
import type { addReferralReport } from '../contracts/referral.js';

export type NewReport = BodyOf<typeof addReferralReport>;

/** The partner's side: it accepts or declines a referral sent to it, then reports progress. */
export function createReferralResponses(deps: ReferralDeps, kit: ReferralCommands) {
  const { referrals, deadlines, outbox, clock } = deps;
  const { views, onReferral, orgInfo, timeline, endAccess } = kit;

  return {
    /** The partner accepts a referral sent to it: the progress reports are due from now on. */
    async accept(ctx: RequestContext, referralId: string) {
      return onReferral(ctx, referralId, 'referral.respond', 'accept', async (r, c, tx) => {
        if (r.state !== 'sent') throw refuse('invalid_transition', `the referral is ${r.state}, not awaiting a response`);
        const now = clock.now();
        const me = userIdOf(ctx);
        const updated = await referrals.update(r.id, { state: 'accepted', respondedBy: me, respondedAt: now, updatedAt: now }, tx);
        await timeline(c, ctx, 'referral.accepted', `referral ${r.id} accepted`, now, tx);
        await deadlines.apply({ caseId: c.id, event: 'referral.accepted', at: now, urgent: c.urgent || r.consentBasis === 'life_threat', subjectId: r.id }, tx);
        await outbox.add(tx, 'referral.accepted', { caseId: c.id, reference: c.reference, referralId: r.id, orgId: r.orgId }, now);
        return views.partner(updated, await orgInfo(r.orgId, tx));
      });
    },

    /**
     * The partner declines, with a reason. Its access to the content ends with it: an
     * organisation that will not act has no use for the packet, which is deleted with its
     * envelopes (the case stays with the mechanism, which may refer elsewhere).
     */
    async decline(ctx: RequestContext, referralId: string, reason: string) {
      return onReferral(ctx, referralId, 'referral.respond', reason, async (r, c, tx) => {
        if (r.state !== 'sent') throw refuse('invalid_transition', `the referral is ${r.state}, not awaiting a response`);
        const now = clock.now();
        const me = userIdOf(ctx);
        await endAccess(r, tx);
        const updated = await referrals.update(r.id, { state: 'declined', packet: null, respondedBy: me, respondedAt: now, responseReason: reason, endedAt: now, endReason: 'declined', updatedAt: now }, tx);
        await timeline(c, ctx, 'referral.declined', `referral ${r.id} declined: ${reason}`, now, tx);
        await deadlines.apply({ caseId: c.id, event: 'referral.declined', at: now, urgent: c.urgent, subjectId: r.id }, tx);
        await outbox.add(tx, 'referral.declined', { caseId: c.id, reference: c.reference, referralId: r.id, orgId: r.orgId }, now);
        return views.partner(updated, await orgInfo(r.orgId, tx));
      });
    },

    /**
     * The partner reports progress on an accepted referral (a status code, and a note sealed
     * under the referral DEK). `in_progress` restarts the recurring report deadline; `completed`
     * and `unable_to_act` close the referral (its report deadline ends).
     */
    async report(ctx: RequestContext, referralId: string, input: NewReport) {
      if (input.note !== undefined) {
        try {
          parseSealedField(input.note);
        } catch (err) {
          throw new AppError('validation_failed', 'the note must be a sealed field', { errors: [{ field: '/body/note', message: cryptoMessage(err) }] });
        }
      }
      return onReferral(ctx, referralId, 'referral.report', input.status, async (r, c, tx) => {
        if (r.state !== 'accepted') throw refuse('invalid_transition', `the referral is ${r.state}: progress is reported on an accepted referral`);
        const now = clock.now();
        const me = userIdOf(ctx);
        if (!(await referrals.insertReport({ id: input.id, referralId: r.id, status: input.status, note: input.note ?? null, reportedBy: me, reportedAt: now }, tx))) {
          throw refuse('already_exists', 'a report with this id exists; the client must choose a new id');
        }
        const final = input.status !== 'in_progress';
        const updated = final ? await referrals.update(r.id, { state: 'closed', endedAt: now, endReason: input.status, updatedAt: now }, tx) : r;
        await timeline(c, ctx, final ? 'referral.closed' : 'referral.progress_reported', `referral ${r.id}: ${input.status}`, now, tx);
        await deadlines.apply({ caseId: c.id, event: final ? 'referral.closed' : 'referral.progress_reported', at: now, urgent: c.urgent || r.consentBasis === 'life_threat', subjectId: r.id }, tx);
        await outbox.add(tx, 'referral.progress_reported', { caseId: c.id, reference: c.reference, referralId: r.id, reportId: input.id, status: input.status }, now);
        return { report: reportView({ id: input.id, referralId: r.id, status: input.status, note: input.note ?? null, reportedBy: me, reportedAt: now }), referral: views.partner(updated, await orgInfo(r.orgId, tx)) };
      });
    },

  };
}
