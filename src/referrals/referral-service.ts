import { AppError, validationFailed, type FieldError } from '../lib/problem.js';
import { CryptoError, parseSealedField } from '../sdk/index.js';
import { checkEnvelope } from '../intake/intake-service.js';
import { actorOf, systemContext, type RequestContext } from '../access/principal.js';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { AccessService, ScopeFacts } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { CaseRepository, CaseRow } from '../cases/case-repository.js';
import type { DeadlineRepository } from '../deadlines/deadline-repository.js';
import type { DeadlineService } from '../deadlines/deadline-service.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import type { UserRepository } from '../users/user-repository.js';
import type { ReferralPolicy } from './referral-policy.js';
import type { ReferralRepository, ReferralRow } from './referral-repository.js';
import { OPEN_STATES, createViews, partnerMaySee } from './referral-views.js';
import { createReferralReads } from './referral-reads.js';
import { checkOralConsent, type OralConsent } from '../consent/oral-consent.js';
import type { IntakePolicy } from '../intake/intake-policy.js';
import { createCommandRunner } from '../audit/audited-command.js';
import { caseScope } from '../access/case-scope.js';

export interface NewReferral {
  id: string;
  orgId: string;
  fields: string[];
  purpose: string;
  /** The exception: a supervisor refers to a state authority without consent, with a written reason. */
  lifeThreat?: { reason: string };
}

export type Attestation = OralConsent;

export interface PacketUpload {
  packet: Record<string, string>;
  envelopes: Array<{ keyId: string; envelope: string; recipientType: 'org' | 'user'; recipientId: string }>;
}

export interface NewReport {
  id: string;
  status: 'in_progress' | 'completed' | 'unable_to_act';
  note?: string;
}

const refuse = (...args: ConstructorParameters<typeof AppError>): AppError => new AppError(...args);
const invalid = (detail: string, errors: FieldError[]): AppError => validationFailed(detail, errors);

/** Commands that name their author are made by signed-in users (the defender consents through `consentBy`). */
function userIdOf(ctx: RequestContext): string {
  if (ctx.principal.kind !== 'user') throw new AppError('forbidden');
  return ctx.principal.userId;
}

const cryptoMessage = (err: unknown): string => (err instanceof CryptoError ? `${err.code}: ${err.message}` : 'is invalid');

/** Staff may hold the referral DEK too (to read the partner's reports); only these people. */
const STAFF_ROLES = new Set(['officer', 'supervisor']);
/** Consent may be recorded a little after it was taken, never before (a minute of clock skew allowed). */

export type ReferralService = ReturnType<typeof createReferralService>;

/**
 * Referrals of part of a case to a partner organisation (workflow.md "Referrals", crypto.md
 * "Referral packet"). The server checks who may do what, the referral's state, that the packet
 * shares exactly the consented fields, and that its key is sealed to the recipient's current key;
 * it never sees the packet's content. Every command is one transaction that locks the case row:
 * the change, a timeline entry, the audit event, deadline events and content-free outbox rows.
 */
export function createReferralService(deps: {
  db: Db;
  cases: Pick<CaseRepository, 'byId' | 'byIdForUpdate' | 'addTimeline'>;
  referrals: ReferralRepository;
  orgs: Pick<OrgRepository, 'byId' | 'currentKey'>;
  users: Pick<UserRepository, 'byId'>;
  deadlines: Pick<DeadlineService, 'apply'>;
  outbox: Pick<DeadlineRepository, 'enqueue'>;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  policy: ReferralPolicy;
  /** the consentChannel codes an oral consent may name */
  intake: Pick<IntakePolicy, 'has'>;
}) {
  const { db, cases, referrals, orgs, users, deadlines, outbox, access, audit, clock, policy, intake } = deps;
  const views = createViews(policy);

  const command = createCommandRunner({ db, audit });

  /**
   * Scope facts of a referral: its case for staff and the defender (who acts on their own case's
   * referrals; what they may read is narrower, see referral-reads.ts), its organisation for the
   * partner, but only while the partner may see it (never before it is sent, never after a
   * withdrawal): otherwise the partner is out of scope and gets 404, as for a referral that does
   * not exist.
   */
  function factsOf(r: ReferralRow | undefined, c: CaseRow | undefined): ScopeFacts {
    if (!r || !c) return {};
    return { ...caseScope(c), orgId: partnerMaySee(r) ? r.orgId : null };
  }

  /**
   * A command on an existing referral: locks its case then the referral, authorises (audited in
   * the transaction), then runs `fn`, which throws an AppError for a state that does not allow it.
   */
  async function onReferral<T>(ctx: RequestContext, referralId: string, action: string, reason: string | null, fn: (r: ReferralRow, c: CaseRow, tx: Tx) => Promise<T>): Promise<T> {
    let caseId: string | null = null;
    return command(ctx, { action, resource: `referral:${referralId}`, caseId: () => caseId }, async (tx) => {
      const peek = await referrals.byId(referralId, tx);
      const c = peek ? await cases.byIdForUpdate(peek.caseId, tx) : undefined;
      const r = c ? await referrals.byIdForUpdate(referralId, tx) : undefined;
      caseId = r?.caseId ?? null;
      await access.authorize(ctx, action, { resource: `referral:${referralId}`, caseId, facts: factsOf(r, c) }, tx, { reason });
      if (!r || !c) throw new AppError('not_found');
      return fn(r, c, tx);
    });
  }

  async function orgInfo(orgId: string, tx: Tx) {
    const org = await orgs.byId(orgId, tx);
    return { orgName: org?.name ?? '', orgCategory: org?.category ?? '' };
  }

  const timeline = (c: CaseRow, ctx: RequestContext, action: string, reason: string, at: Date, tx: Tx) =>
    cases.addTimeline({ caseId: c.id, at, actor: actorOf(ctx.principal), action, fromState: c.state, toState: c.state, reason }, tx);

  /** Ends the partner's access to the content: the envelopes go here, the packet with the caller's update (packet: null). */
  async function endAccess(r: ReferralRow, tx: Tx): Promise<void> {
    await referrals.deleteEnvelopes(r.id, tx);
  }

  /** Withdraws one referral (authorised by the caller): packet and envelopes deleted, deadlines settled. */
  async function withdrawOne(ctx: RequestContext, r: ReferralRow, c: CaseRow, reason: string, at: Date, tx: Tx): Promise<ReferralRow> {
    await endAccess(r, tx);
    const updated = await referrals.update(r.id, { state: 'withdrawn', packet: null, endedAt: at, endReason: reason, updatedAt: at }, tx);
    await timeline(c, ctx, 'referral.withdrawn', `referral ${r.id}: ${reason}`, at, tx);
    await deadlines.apply({ caseId: c.id, event: 'referral.withdrawn', at, urgent: c.urgent, subjectId: r.id }, tx);
    // The partner is told its access ended, if it ever had any.
    if (r.sentAt) await outbox.enqueue('referral.withdrawn', { caseId: c.id, referralId: r.id, orgId: r.orgId }, at, tx);
    return updated;
  }

  return {
    ...createReferralReads({ cases, referrals, orgs, access, views }),

    /**
     * Proposes a referral (recipient, fields, purpose): it waits for the defender's consent. With
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
      if (errors.length > 0) throw new AppError('validation_failed', 'the referral is not valid', { errors });

      const exception = input.lifeThreat !== undefined;
      const action = exception ? 'referral.exception' : 'referral.create';
      let known = false;
      return command(ctx, { action, resource: `referral:${input.id}`, caseId: () => (known ? caseId : null) }, async (tx) => {
        const c = await cases.byIdForUpdate(caseId, tx);
        known = c !== undefined;
        await access.authorize(ctx, action, { resource: `referral:${input.id}`, caseId: c ? caseId : null, facts: caseScope(c) }, tx, { reason: input.lifeThreat?.reason ?? null });
        if (!c) throw new AppError('not_found');
        if (c.state === 'closed' || c.state === 'received') throw refuse('invalid_transition', `no referral from a case in state ${c.state}`);
        // Someone filing for another person needs that person's consent before anything is referred.
        if (!exception && c.consent === 'refused') throw refuse('consent_required', 'the defender has refused that anything in this case be disclosed');
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
        const now = clock.now();
        const me = userIdOf(ctx);
        const inserted = await referrals.insert(
          {
            id: input.id,
            caseId,
            orgId: org.id,
            fields: input.fields,
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
          await outbox.enqueue('referral.defender_to_be_told', { caseId, reference: c.reference, referralId: input.id }, now, tx);
        } else {
          await timeline(c, ctx, 'referral.proposed', `referral ${input.id} for ${input.purpose}`, now, tx);
          await outbox.enqueue('referral.consent_requested', { caseId, reference: c.reference, referralId: input.id }, now, tx);
        }
        const r = (await referrals.byId(input.id, tx))!;
        return views.staff(r, { orgName: org.name, orgCategory: org.category });
      });
    },

    /**
     * The defender consents or refuses (with their receipt), or the assigned officer records what
     * the defender said orally, with an attestation (channel, when, statement). Final either way.
     */
    async consent(ctx: RequestContext, referralId: string, input: { decision: 'consent' | 'refuse'; attestation?: Attestation }) {
      const oral = ctx.principal.kind === 'user';
      const reason = oral ? `oral ${input.decision} recorded${input.attestation ? ` (${input.attestation.channel})` : ''}` : input.decision;
      return onReferral(ctx, referralId, 'referral.consent', reason, async (r, c, tx) => {
        const now = clock.now();
        if (oral && !input.attestation) throw invalid('staff record oral consent with an attestation', [{ field: '/body/attestation', message: 'is required' }]);
        if (!oral && input.attestation) throw invalid('an attestation is for staff recording oral consent', [{ field: '/body/attestation', message: 'must be absent' }]);
        const checked = input.attestation ? checkOralConsent(input.attestation, { now, askedAt: r.createdAt, channelKnown: (code) => intake.has('consentChannel', code) }) : null;
        if (checked && 'errors' in checked) throw invalid('the attestation is not valid', checked.errors);
        const attestation = checked ? checked.value : null;
        if (r.state !== 'awaiting_consent') throw refuse('invalid_transition', `the referral is ${r.state}, not awaiting consent`);
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
        await outbox.enqueue(consented ? 'referral.consented' : 'referral.refused', { caseId: c.id, reference: c.reference, referralId: r.id }, now, tx);
        return ctx.principal.kind === 'defender' ? views.defender(updated, await orgInfo(r.orgId, tx)) : views.staff(updated, await orgInfo(r.orgId, tx));
      });
    },

    /**
     * Uploads the packet once consent is on record: exactly the consented fields, sealed under a
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
        if (r.state === 'awaiting_consent' || r.state === 'refused') throw refuse('consent_required', `the referral is ${r.state}: no packet without consent`);
        if (r.state !== 'consented') throw refuse('invalid_transition', `the referral is ${r.state}: its packet was sent already`);
        const sent = Object.keys(input.packet);
        const extra = sent.filter((f) => !r.fields.includes(f));
        const missing = r.fields.filter((f) => !sent.includes(f));
        if (extra.length > 0 || missing.length > 0) {
          throw invalid('the packet must hold exactly the consented fields', [
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
        const packet = Object.fromEntries(r.fields.map((f) => [f, input.packet[f]!]));
        const updated = await referrals.update(r.id, { state: 'sent', packet, sentAt: now, updatedAt: now }, tx);
        await timeline(c, ctx, 'referral.sent', `referral ${r.id} sent (${r.fields.join(', ')})`, now, tx);
        await deadlines.apply({ caseId: c.id, event: 'referral.sent', at: now, urgent: c.urgent || r.consentBasis === 'life_threat', subjectId: r.id }, tx);
        await outbox.enqueue('referral.sent', { referralId: r.id, orgId: r.orgId, purpose: r.purpose }, now, tx);
        return views.staff(updated, { orgName: org!.name, orgCategory: org!.category });
      });
    },

    /** The partner accepts a referral sent to it: the progress reports are due from now on. */
    async accept(ctx: RequestContext, referralId: string) {
      return onReferral(ctx, referralId, 'referral.respond', 'accept', async (r, c, tx) => {
        if (r.state !== 'sent') throw refuse('invalid_transition', `the referral is ${r.state}, not awaiting a response`);
        const now = clock.now();
        const me = userIdOf(ctx);
        const updated = await referrals.update(r.id, { state: 'accepted', respondedBy: me, respondedAt: now, updatedAt: now }, tx);
        await timeline(c, ctx, 'referral.accepted', `referral ${r.id} accepted`, now, tx);
        await deadlines.apply({ caseId: c.id, event: 'referral.accepted', at: now, urgent: c.urgent || r.consentBasis === 'life_threat', subjectId: r.id }, tx);
        await outbox.enqueue('referral.accepted', { caseId: c.id, reference: c.reference, referralId: r.id, orgId: r.orgId }, now, tx);
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
        await outbox.enqueue('referral.declined', { caseId: c.id, reference: c.reference, referralId: r.id, orgId: r.orgId }, now, tx);
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
        await outbox.enqueue('referral.progress_reported', { caseId: c.id, reference: c.reference, referralId: r.id, reportId: input.id, status: input.status }, now, tx);
        return { report: views.report({ id: input.id, referralId: r.id, status: input.status, note: input.note ?? null, reportedBy: me, reportedAt: now }), referral: views.partner(updated, await orgInfo(r.orgId, tx)) };
      });
    },

    /** Staff withdraw a referral: packet and envelopes deleted, deadlines settled, the partner's access ends. */
    async withdraw(ctx: RequestContext, referralId: string, reason: string) {
      return onReferral(ctx, referralId, 'referral.withdraw', reason, async (r, c, tx) => {
        // A closed referral may be withdrawn too: that deletes the packet the partner could still read.
        if (r.state === 'refused' || r.state === 'declined' || r.state === 'withdrawn') throw refuse('invalid_transition', `the referral is ${r.state} already`);
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
