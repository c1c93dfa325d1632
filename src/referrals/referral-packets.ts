import { AppError, type FieldError } from '../lib/problem.js';
import { parseSealedField, referralFileEntry } from '../sdk/index.js';
import { checkEnvelope } from '../lib/key-envelope.js';
import type { RequestContext } from '../access/principal.js';
import { cryptoMessage, invalid, refuse, type ReferralCommands, type ReferralDeps } from './referral-commands.js';
import type { BodyOf } from '../contracts/operation.js';
import type { uploadReferralPacket } from '../contracts/referral.js';
import { assertReferralCommand } from './referral-refusals.js';

export type PacketUpload = BodyOf<typeof uploadReferralPacket>;

/** Staff may hold the referral DEK too (to read the partner's reports); only these people. */
const STAFF_ROLES = new Set(['officer', 'supervisor']);

/** The packet of a consented referral, sealed for the partner: once it is stored, the referral is sent. */
export function createReferralPackets(deps: ReferralDeps, kit: ReferralCommands) {
  const { referrals, orgs, users, deadlines, outbox, clock } = deps;
  const { views, onReferral, timeline } = kit;

  return {
    /**
     * Uploads the packet once consent is on record: exactly the consented fields and files, sealed under a
     * fresh referral DEK, that DEK sealed to the organisation's current key (and, optionally, to
     * referring staff so they can read the partner's reports). The referral is then sent.
     */
    async uploadPacket(ctx: RequestContext, referralId: string, input: PacketUpload) {
      // Shapes first: the server cannot open anything, only check that it is sealed.
      const errors: FieldError[] = [];
      for (const [name, sealed] of Object.entries(input.packet)) {
        try {
          parseSealedField(sealed);
        } catch (err) {
          errors.push({ field: `/body/packet/${name}`, message: cryptoMessage(err) });
        }
      }
      const keyIds = new Set<string>();
      input.envelopes.forEach((e, i) => {
        try {
          checkEnvelope(e.envelope);
        } catch (err) {
          errors.push({ field: `/body/envelopes/${i}/envelope`, message: cryptoMessage(err) });
        }
        if (keyIds.has(e.keyId)) errors.push({ field: `/body/envelopes/${i}/keyId`, message: 'one envelope per key' });
        keyIds.add(e.keyId);
      });
      if (errors.length > 0) throw new AppError('validation_failed', 'the packet is malformed', { errors: errors.slice(0, 20) });

      return onReferral(ctx, referralId, 'referral.create', null, async (r, c, tx) => {
        assertReferralCommand('send', r);
        // One entry per consented field, and one (file.<fileId>) per consented file.
        const expected = [...r.fields, ...r.files.map(referralFileEntry)];
        const sent = Object.keys(input.packet);
        const extra = sent.filter((f) => !expected.includes(f));
        const missing = expected.filter((f) => !sent.includes(f));
        if (extra.length > 0 || missing.length > 0) {
          throw invalid('the packet must hold exactly the consented fields and files', [
            ...extra.map((f) => ({ field: `/body/packet/${f}`, message: 'not consented to' })),
            ...missing.map((f) => ({ field: `/body/packet/${f}`, message: 'is missing' })),
          ]);
        }
        const org = await orgs.byId(r.orgId, tx);
        const current = org && !org.disabledAt ? await orgs.currentKey(org.id, tx) : undefined;
        if (!current) throw refuse('recipient_not_eligible', 'the organisation is disabled or has no key');
        const problems: FieldError[] = [];
        const mayHold = new Set([r.createdBy, ...(ctx.principal.kind === 'user' ? [ctx.principal.userId] : []), ...(c.assigneeId ? [c.assigneeId] : [])]);
        let toOrg = 0;
        for (const [i, e] of input.envelopes.entries()) {
          if (e.recipientType === 'org') {
            toOrg++;
            if (e.recipientId !== r.orgId) problems.push({ field: `/body/envelopes/${i}/recipientId`, message: 'not the recipient organisation' });
            else if (e.keyId !== current.keyId) problems.push({ field: `/body/envelopes/${i}/keyId`, message: `not the organisation's current key: expected ${current.keyId}` });
            continue;
          }
          const user = mayHold.has(e.recipientId) ? await users.byId(e.recipientId, tx) : undefined;
          if (!user || user.status !== 'active' || !STAFF_ROLES.has(user.role)) problems.push({ field: `/body/envelopes/${i}/recipientId`, message: 'only the referring staff, active, may hold the referral key' });
          else if (user.keyId !== e.keyId) problems.push({ field: `/body/envelopes/${i}/keyId`, message: `not this person's current key: expected ${user.keyId}` });
        }
        if (toOrg !== 1) problems.push({ field: '/body/envelopes', message: 'exactly one envelope for the recipient organisation' });
        if (problems.length > 0) throw invalid('the envelopes do not fit the referral', problems);

        const now = clock.now();
        await referrals.insertEnvelopes(input.envelopes.map((e) => ({ referralId: r.id, keyId: e.keyId, envelope: e.envelope, recipientType: e.recipientType, recipientId: e.recipientId, createdAt: now })), tx);
        // Stored in the consented order, whatever order the client sent.
        const packet = Object.fromEntries(expected.map((f) => [f, input.packet[f]!]));
        const updated = await referrals.update(r.id, { state: 'sent', packet, sentAt: now, updatedAt: now }, tx);
        await timeline(c, ctx, 'referral.sent', `referral ${r.id} sent (${r.fields.join(', ')}${r.files.length > 0 ? `; ${r.files.length} file${r.files.length > 1 ? 's' : ''}` : ''})`, now, tx);
        await deadlines.apply({ caseId: c.id, event: 'referral.sent', at: now, urgent: c.urgent || r.consentBasis === 'life_threat', subjectId: r.id }, tx);
        await outbox.add(tx, 'referral.sent', { referralId: r.id, orgId: r.orgId, purpose: r.purpose }, now);
        return views.staff(updated, { orgName: org!.name, orgCategory: org!.category });
      });
    },

  };
}
