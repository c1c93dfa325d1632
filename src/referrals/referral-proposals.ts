import { caseScope } from '../access/case-scope.js';
import { AppError, type FieldError } from '../lib/problem.js';
import { actorOf, type RequestContext } from '../access/principal.js';
import { checkOralConsent } from '../consent/oral-consent.js';
import { invalid, refuse, userIdOf, type ReferralCommands, type ReferralDeps } from './referral-commands.js';
import type { BodyOf } from '../contracts/operation.js';
import type { consentToReferral, proposeReferral } from '../contracts/referral.js';
import { assertReferralCommand } from './referral-refusals.js';

/** A referral as the client proposes it (with `lifeThreat`: the exception, a supervisor refers to a state authority without consent, with a written reason). */
export type NewReferral = BodyOf<typeof proposeReferral>;

/**
 * Why no referral can be proposed from the case now (`exception`: without consent, a life at
 * stake), or null: asked by the proposal and by the list of what the caller may do on a case.
 */
export function referralRefusal(c: { state: string; consent: string | null }, exception: boolean): AppError | null {
  if (c.state === 'closed' || c.state === 'received') return refuse('invalid_transition', `no referral from a case in state ${c.state}`);
  // Someone filing for another person needs that person's consent before anything is referred.
  if (!exception && c.consent === 'refused') return refuse('consent_required', 'the defender has refused that anything in this case be disclosed');
  return null;
}

/** A referral proposed (or made without consent when a life is at stake), and the defender's answer. */
export function createReferralProposals(deps: ReferralDeps, kit: ReferralCommands) {
  const { cases, referrals, orgs, outbox, access, clock, policy, intake } = deps;
  const { views, command, onReferral, orgInfo, timeline } = kit;

  return {
    /**
     * Proposes a referral (recipient, fields, files, purpose): it waits for the defender's consent. With
     * `lifeThreat`, a supervisor refers to a state authority without consent (the exception of
     * workflow.md): consented at once on that basis, the reason in the audit log, and a notice
     * for the defender queued (defenderToldAt is when that notice was created).
     */
    async create(ctx: RequestContext, caseId: string, input: NewReferral) {
      // The request's own shape first: codes and field names of the policy.
      const errors: FieldError[] = [];
      if (!policy.purposes.has(input.purpose)) errors.push({ field: '/body/purpose', message: `one of ${[...policy.purposes.keys()].join(', ')}` });
      input.fields.forEach((f, i) => {
        if (!policy.fields.has(f)) errors.push({ field: `/body/fields/${i}`, message: `one of ${[...policy.fields.keys()].join(', ')}` });
      });
      if (new Set(input.fields).size !== input.fields.length) errors.push({ field: '/body/fields', message: 'fields repeat' });
      // UUIDs are compared (and stored, and named in the packet) in lower case, as PostgreSQL gives them back.
      const files = (input.files ?? []).map((f) => f.toLowerCase());
      if (new Set(files).size !== files.length) errors.push({ field: '/body/files', message: 'files repeat' });
      if (errors.length > 0) throw new AppError('validation_failed', 'the referral is not valid', { errors });

      const exception = input.lifeThreat !== undefined;
      const action = exception ? 'referral.exception' : 'referral.create';
      let known = false;
      return command(ctx, { action, resource: `referral:${input.id}`, caseId: () => (known ? caseId : null) }, async (tx) => {
        const c = await cases.byIdForUpdate(caseId, tx);
        known = c !== undefined;
        await access.authorize(ctx, action, { resource: `referral:${input.id}`, caseId: c ? caseId : null, facts: caseScope(c) }, tx, { reason: input.lifeThreat?.reason ?? null });
        if (!c) throw new AppError('not_found');
        const refused = referralRefusal(c, exception);
        if (refused) throw refused;
        const org = await orgs.byId(input.orgId, tx);
        if (!org) throw invalid('no such organisation', [{ field: '/body/orgId', message: 'no such organisation' }]);
        if (org.kind !== 'partner') throw refuse('recipient_not_eligible', 'referrals go to partner organisations');
        if (org.disabledAt) throw refuse('recipient_not_eligible', 'the organisation is disabled');
        if (exception && !(policy.lifeThreatCategories as ReadonlySet<string>).has(org.category)) {
          throw refuse('recipient_not_eligible', `without consent, only an organisation of category ${[...policy.lifeThreatCategories].join(' or ')} may receive a referral`);
        }
        if (!(await orgs.currentKey(org.id, tx))) throw refuse('recipient_not_eligible', 'the organisation has no key yet: nothing could be sealed to it');
        const has = new Set(await referrals.caseFieldNames(caseId, tx));
        const missing = input.fields.map((f, i) => ({ f, i })).filter(({ f }) => !has.has(f));
        if (missing.length > 0) throw invalid('the case does not have these fields', missing.map(({ f, i }) => ({ field: `/body/fields/${i}`, message: `the case has no ${f}` })));
        // Only attached files: an upload in progress has no sealed description to share yet. A
        // file of another case gets the same answer as one that does not exist.
        const available = new Set(await referrals.availableFileIds(caseId, files, tx));
        const absent = files.map((f, i) => ({ f, i })).filter(({ f }) => !available.has(f));
        if (absent.length > 0) throw invalid('the case has no such attached files', absent.map(({ i }) => ({ field: `/body/files/${i}`, message: 'not an attached file of this case' })));
        const now = clock.now();
        const me = userIdOf(ctx);
        const inserted = await referrals.insert(
          {
            id: input.id,
            caseId,
            orgId: org.id,
            fields: input.fields,
            files,
            purpose: input.purpose,
            state: exception ? 'consented' : 'awaiting_consent',
            ...(exception ? { consentBasis: 'life_threat' as const, consentBy: actorOf(ctx.principal), consentAt: now, defenderToldAt: now } : {}),
            createdBy: me,
            createdAt: now,
            updatedAt: now,
          },
          tx,
        );
        if (!inserted) throw refuse('already_exists', 'a referral with this id exists; the client must choose a new id');
        if (exception) {
          await timeline(c, ctx, 'referral.exception', `referral ${input.id} to ${org.category} without consent (threat to life): ${input.lifeThreat!.reason}`, now, tx);
          await outbox.add(tx, 'referral.defender_to_be_told', { caseId, reference: c.reference, referralId: input.id }, now);
        } else {
          await timeline(c, ctx, 'referral.proposed', `referral ${input.id} for ${input.purpose}`, now, tx);
          await outbox.add(tx, 'referral.consent_requested', { caseId, reference: c.reference, referralId: input.id }, now);
        }
        const r = (await referrals.byId(input.id, tx))!;
        return views.staff(r, { orgName: org.name, orgCategory: org.category });
      });
    },

    /**
     * The defender consents or refuses (with their receipt), or the assigned officer records what
     * the defender said orally, with an attestation (channel, when, statement). Final either way.
     */
    async consent(ctx: RequestContext, referralId: string, input: BodyOf<typeof consentToReferral>) {
      const oral = ctx.principal.kind === 'user';
      const reason = oral ? `oral ${input.decision} recorded${input.attestation ? ` (${input.attestation.channel})` : ''}` : input.decision;
      return onReferral(ctx, referralId, 'referral.consent', reason, async (r, c, tx) => {
        const now = clock.now();
        if (oral && !input.attestation) throw invalid('staff record oral consent with an attestation', [{ field: '/body/attestation', message: 'is required' }]);
        if (!oral && input.attestation) throw invalid('an attestation is for staff recording oral consent', [{ field: '/body/attestation', message: 'must be absent' }]);
        const checked = input.attestation ? checkOralConsent(input.attestation, { now, askedAt: r.createdAt, channelKnown: (code) => intake.has('consentChannel', code) }) : null;
        if (checked && 'errors' in checked) throw invalid('the attestation is not valid', checked.errors);
        const attestation = checked ? checked.value : null;
        assertReferralCommand('consent', r);
        const consented = input.decision === 'consent';
        const updated = await referrals.update(
          r.id,
          {
            state: consented ? 'consented' : 'refused',
            consentBasis: oral ? 'oral' : 'defender',
            consentBy: actorOf(ctx.principal),
            consentAt: now,
            consentAttestation: attestation,
            ...(consented ? {} : { endedAt: now, endReason: 'consent_refused' }),
            updatedAt: now,
          },
          tx,
        );
        await timeline(c, ctx, consented ? 'referral.consented' : 'referral.refused', `referral ${r.id}: ${reason}`, now, tx);
        await outbox.add(tx, consented ? 'referral.consented' : 'referral.refused', { caseId: c.id, reference: c.reference, referralId: r.id }, now);
        return ctx.principal.kind === 'defender' ? views.defender(updated, await orgInfo(r.orgId, tx)) : views.staff(updated, await orgInfo(r.orgId, tx));
      });
    },

  };
}
