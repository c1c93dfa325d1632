import { randomUUID } from 'node:crypto';
import { CryptoError, parseSealedField } from '../sdk/index.js';
import { AppError, fieldInvalid } from '../lib/problem.js';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { actorOf, systemContext, type RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { CaseRepository, CaseRow } from '../cases/case-repository.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import type { DeadlineService } from '../deadlines/deadline-service.js';
import type { DeadlineRepository } from '../deadlines/deadline-repository.js';
import type { DeadlinePolicy } from '../deadlines/deadline-policy.js';
import type { WorkCalendar } from '../deadlines/calendar.js';
import { addDuration, type Duration } from '../deadlines/due-time.js';
import type { MeasureCatalogue } from './measure-catalogue.js';
import { IN_EFFECT_STATUSES, type MeasureRepository, type MeasureRow, type MeasureStatus } from './measure-repository.js';
import { catalogueEntryView, catalogueImplementer, defenderMeasureView, staffMeasureView, type ApiImplementer, type MeasureView } from './measure-views.js';
import { checkOralConsent, type OralConsent } from '../consent/oral-consent.js';
import type { IntakePolicy } from '../intake/intake-policy.js';
import { assertKeyEpoch } from '../cases/key-epoch.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { CaseParticipation } from '../access/case-participation.js';
import { caseScope } from '../access/case-scope.js';

export type MeasureService = ReturnType<typeof createMeasureService>;

export interface ProposeInput {
  /** chosen by the client: it is part of the details' AD */
  id: string;
  code: string;
  implementer: ApiImplementer;
  implementerOrgId?: string;
  durationDays?: number;
  details?: string;
  keyEpoch?: number;
}

export type Attestation = OralConsent;

export interface ConsentInput {
  decision: 'consent' | 'refuse';
  attestation?: Attestation;
}

const DAY_MS = 86_400_000;
/** Tolerated difference between a staff client's clock and ours, for the time consent was taken. */
/** workflow.md: urgent measures lapse unless confirmed within 14 days; used only if the policy gives no plain duration. */
const DEFAULT_CONFIRMATION: Duration = { days: 14 };

/** Case states where an assessment has been completed: ordinary measures are proposed and approved here. */
const ASSESSED_STATES: readonly string[] = ['decision', 'protection'];
/**
 * Case states before an assessment is complete, where only the urgent track runs: urgent measures
 * on an urgent case. `info_requested` is part of triage (its clock paused) and may approve or
 * carry out urgent measures proposed in triage; proposing needs triage or assessment.
 */
const URGENT_TRACK_STATES: readonly string[] = ['triage', 'info_requested', 'assessment'];
const URGENT_PROPOSAL_STATES: readonly string[] = ['triage', 'assessment'];

const invalid = (field: string, message: string, detail?: string) => fieldInvalid(field, message, detail ?? `${field.replace('/body/', '')} ${message}`);
/** The timeline's reason for a measure event: the code and the measure id, then the person's reason. */
const note = (m: Pick<MeasureRow, 'id' | 'code'>, reason?: string | null) => `${m.code} ${m.id}${reason ? `: ${reason}` : ''}`;

/**
 * Protective measures on a case (workflow.md, "Protective measures"): proposed from the catalogue,
 * consented to by the defender (or their oral consent recorded with an attestation), approved by a
 * supervisor who did not propose them, carried out, active until their end date, reviewed, lifted
 * or expired. Each command is one transaction on the locked case: the change, a timeline entry
 * (action `measure.<event>`, reason `<code> <measureId>[: <reason>]`), the audit event, the
 * deadline events (subject = the measure) and content-free notifications in the outbox. A refused
 * command changes nothing and is audited as denied with the rule that refused it.
 */
export function createMeasureService(deps: {
  db: Db;
  measures: MeasureRepository;
  cases: Pick<CaseRepository, 'byId' | 'byIdForUpdate' | 'update' | 'addTimeline'>;
  orgs: Pick<OrgRepository, 'byId'>;
  deadlines: Pick<DeadlineService, 'apply'>;
  deadlineRepo: Pick<DeadlineRepository, 'live' | 'settle' | 'enqueue'>;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  /** whether a supervisor gets the sealed details (part of the case, or a break-glass) */
  participation: Pick<CaseParticipation, 'sealedAccess'>;
  clock: Clock;
  catalogue: MeasureCatalogue;
  deadlinePolicy: DeadlinePolicy;
  calendar: WorkCalendar;
  /** the consentChannel codes an oral consent may name */
  intake: Pick<IntakePolicy, 'has'>;
}) {
  const { db, measures: repo, cases, orgs, deadlines, deadlineRepo, access, audit, participation, clock, catalogue, deadlinePolicy, calendar, intake } = deps;

  const confirmationWindow: Duration = (() => {
    const rule = deadlinePolicy.rules.get('urgent_confirmation');
    const d = rule?.urgent ?? rule?.ordinary ?? null;
    return d && !('kind' in d) ? d : DEFAULT_CONFIRMATION;
  })();

  const command = createCommandRunner({ db, audit });

  const event = (c: CaseRow, m: Pick<MeasureRow, 'id'>, name: string, at: Date, tx: Tx, extra: { urgent?: boolean; measureEnd?: Date } = {}) =>
    deadlines.apply({ caseId: c.id, event: name, at, urgent: extra.urgent ?? c.urgent, subjectId: m.id, ...(extra.measureEnd ? { measureEnd: extra.measureEnd } : {}) }, tx);

  /** A content-free notification: ids, the code and the case reference, never the sealed details. */
  const notify = (topic: string, c: CaseRow, m: Pick<MeasureRow, 'id' | 'code'>, to: 'defender' | 'officer', at: Date, tx: Tx, extra: Record<string, string> = {}) =>
    deadlineRepo.enqueue(topic, { caseId: c.id, reference: c.reference, measureId: m.id, code: m.code, to, ...extra }, at, tx);

  /**
   * A measure that is over leaves no deadline running: the events above settle what their rules
   * name; what no rule ends (implementation of a lifted measure, the confirmation of a lapsed one,
   * the review of an expired one) is cancelled.
   */
  async function cancelLeftovers(caseId: string, measureId: string, at: Date, tx: Tx): Promise<void> {
    const live = await deadlineRepo.live(caseId, null, measureId, tx);
    await deadlineRepo.settle(live.map((d) => d.id), 'cancelled', at, tx);
  }

  /**
   * The first measure approved (or urgent measure confirmed) on a case in `decision` takes it to
   * `protection` (the measure's event settles the case's decision deadline). A defender at high or
   * extreme risk starts checking in from here (policies/deadlines.yaml, `checkin`).
   */
  async function enterProtection(c: CaseRow, at: Date, tx: Tx): Promise<string> {
    if (c.state !== 'decision') return c.state;
    await cases.update(c.id, { state: 'protection', updatedAt: at }, tx);
    await deadlines.apply({ caseId: c.id, event: 'case.protection_started', at, urgent: c.urgent, ...(c.riskLevel ? { riskLevel: c.riskLevel } : {}) }, tx);
    return 'protection';
  }

  /**
   * Runs a command on one measure: case locked, then the measure, authorised with the proposer as
   * a fact. The measure it answers with leaves out the sealed details for a supervisor outside the
   * case (as the list does): acting on a measure is not reading the case.
   */
  async function onMeasure(ctx: RequestContext, measureId: string, action: string, reason: string | null, run: (m: MeasureRow, c: CaseRow, tx: Tx, now: Date) => Promise<MeasureView>): Promise<MeasureView> {
    const caseId = await repo.caseIdOf(measureId);
    const resource = `measure:${measureId}`;
    return command(ctx, { action, resource, caseId: caseId ?? null }, async (tx) => {
      const c = caseId ? await cases.byIdForUpdate(caseId, tx) : undefined;
      const m = c ? await repo.byIdForUpdate(measureId, tx) : undefined;
      const found = c && m ? { c, m } : null;
      await access.authorize(ctx, action, { resource, caseId: found ? found.c.id : null, facts: found ? { ...caseScope(found.c), proposerId: found.m.proposedBy } : {} }, tx, { reason });
      if (!found) throw new AppError('not_found');
      if (found.c.state === 'closed') throw new AppError('invalid_transition', 'the case is closed');
      // Asked before the command: a measure that waited on this supervisor no longer does after it.
      const sealed = await participation.sealedAccess(ctx.principal, found.c, tx);
      const out = await run(found.m, found.c, tx, clock.now());
      // A command answers with the measure only, so a break-glass adds nothing to read here: withheld unless part of the case.
      return sealed.served && sealed.breakGlassId === null ? out : withheld(out);
    });
  }

  const withheld = (v: MeasureView): MeasureView => (v.details === null ? v : { ...v, details: null, sealedWithheld: true });

  const viewFor = (ctx: RequestContext, m: MeasureRow): MeasureView => (ctx.principal.kind === 'defender' ? defenderMeasureView(m) : staffMeasureView(m));

  /** Checks a proposal against the catalogue and the organisations, before any transaction. */
  async function checkProposal(input: ProposeInput) {
    const entry = catalogue.measureByCode(input.code);
    if (!entry) throw invalid('/body/code', 'is not in the measure catalogue');
    const allowed = entry.implementers;
    if (!allowed.includes(catalogueImplementer[input.implementer])) {
      const names = (Object.keys(catalogueImplementer) as ApiImplementer[]).filter((k) => allowed.includes(catalogueImplementer[k]));
      throw invalid('/body/implementer', `must be one of ${names.join(', ')} for ${entry.code}`);
    }
    if (input.implementer === 'cndh' && input.implementerOrgId !== undefined) throw invalid('/body/implementerOrgId', 'is only for a partner or a state authority');
    if (input.implementer === 'partner' && input.implementerOrgId === undefined) throw invalid('/body/implementerOrgId', 'is required when a partner carries the measure out');
    if (input.implementerOrgId !== undefined) {
      const org = await orgs.byId(input.implementerOrgId);
      if (!org || org.kind !== 'partner' || org.disabledAt !== null) throw invalid('/body/implementerOrgId', 'is not an active partner organisation');
      if (input.implementer === 'state' && org.category !== 'state_authority') throw invalid('/body/implementerOrgId', 'is not a state authority');
    }
    if (input.durationDays !== undefined && input.durationDays > entry.maxDurationDays) {
      throw invalid('/body/durationDays', `must be at most ${entry.maxDurationDays} days for ${entry.code}`);
    }
    if (input.details !== undefined) {
      try {
        parseSealedField(input.details);
      } catch (err) {
        throw invalid('/body/details', err instanceof CryptoError ? `${err.code}: ${err.message}` : 'is invalid', 'the details must be a sealed field');
      }
    }
    return entry;
  }

  /**
   * Which track a proposal takes on this case, or why it cannot be made now:
   * - `decision` / `protection` (an assessment has been completed): any measure, ordinary track;
   *   an `urgent`-category measure proposed here is decided like any other and needs no confirmation;
   * - `triage` / `assessment` on a case marked urgent: measures of category `urgent` only, flagged
   *   `urgent` (they lapse unless an ordinary decision confirms them);
   * - otherwise refused: 409 assessment_required before the assessment, invalid_transition elsewhere.
   */
  function trackFor(c: CaseRow, category: string): { urgent: boolean } | AppError {
    if (ASSESSED_STATES.includes(c.state)) return { urgent: false };
    if (URGENT_PROPOSAL_STATES.includes(c.state)) {
      if (category !== 'urgent') return new AppError('assessment_required', 'before the assessment is complete only urgent measures may be proposed');
      if (!c.urgent) return new AppError('assessment_required', 'urgent measures before the assessment are for a case marked urgent; confirm the urgency first');
      return { urgent: true };
    }
    return new AppError('invalid_transition', `no measure can be proposed on a case in state ${c.state}`);
  }

  /** The single-step moves: refused unless the measure is in one of these statuses. */
  function expectStatus(m: MeasureRow, from: readonly MeasureStatus[], verb: string): void {
    if (!from.includes(m.status)) throw new AppError('invalid_transition', `cannot ${verb} a measure that is ${m.status} (allowed from ${from.join(', ')})`);
  }

  /** Ends one measure because its end date passed (`expired`) or it lapsed unconfirmed (`lapsed`); false when it no longer applies. */
  async function endBySystem(measureId: string, caseId: string, kind: 'expired' | 'lapsed', now: Date): Promise<boolean> {
    return db.transaction(async (tx) => {
      const c = await cases.byIdForUpdate(caseId, tx);
      const m = c ? await repo.byIdForUpdate(measureId, tx) : undefined;
      if (!c || !m) return false;
      // Checked again under the locks: a review or a confirmation may have come in meanwhile.
      const due =
        kind === 'expired'
          ? m.status === 'active' && m.endsAt !== null && m.endsAt.getTime() <= now.getTime()
          : m.urgent && m.confirmedAt === null && IN_EFFECT_STATUSES.includes(m.status) && m.decidedAt !== null && addDuration(m.decidedAt, confirmationWindow, calendar).getTime() <= now.getTime();
      if (!due) return false;
      await repo.update(m.id, { status: 'expired', endedAt: now, endedBy: null, endReason: kind, updatedAt: now }, tx);
      await cancelLeftovers(c.id, m.id, now, tx);
      await cases.addTimeline({ caseId: c.id, at: now, actor: 'system', action: `measure.${kind}`, fromState: c.state, toState: c.state, reason: note(m, kind === 'expired' ? 'end date reached' : 'not confirmed by an ordinary decision in time') }, tx);
      await audit.record(systemContext(`measure-expiry-${randomUUID()}`), { action: 'measure.expire', resource: `measure:${m.id}`, caseId: c.id, outcome: 'allowed', reason: kind }, tx);
      await notify('measure.ended', c, m, 'defender', now, tx, { reason: kind });
      await notify('measure.ended', c, m, 'officer', now, tx, { reason: kind });
      return true;
    });
  }

  return {
    /** The catalogue as clients show it (implementers named as the API names them). */
    async catalogue(ctx: RequestContext) {
      await access.authorize(ctx, 'measure.catalogue', { resource: 'measure-catalogue' }, undefined, { read: true });
      return catalogue.measures.map(catalogueEntryView);
    },

    async propose(ctx: RequestContext, caseId: string, input: ProposeInput): Promise<MeasureView> {
      const entry = await checkProposal(input);
      const resource = `measure:${input.id}`;
      const created = await command(ctx, { action: 'measure.propose', resource, caseId }, async (tx): Promise<MeasureRow> => {
        const c = await cases.byIdForUpdate(caseId, tx);
        await access.authorize(ctx, 'measure.propose', { resource, caseId: c ? caseId : null, facts: c ? caseScope(c) : {} }, tx, { reason: entry.code });
        if (!c) throw new AppError('not_found');
        assertKeyEpoch(c, input.keyEpoch);
        const track = trackFor(c, entry.category);
        if (track instanceof AppError) throw track;
        if (ctx.principal.kind !== 'user') throw new AppError('forbidden');
        const now = clock.now();
        const row = {
          id: input.id,
          caseId,
          code: entry.code,
          category: entry.category,
          implementer: input.implementer,
          implementerOrgId: input.implementerOrgId ?? null,
          urgent: track.urgent,
          status: 'proposed' as const,
          details: input.details ?? null,
          durationDays: input.durationDays ?? entry.durationDays,
          proposedBy: ctx.principal.userId,
          proposedAt: now,
          updatedAt: now,
        };
        if (!(await repo.insert(row, tx))) throw new AppError('already_exists', 'a measure with this id exists; the client must choose a new id');
        const m = await repo.byIdForUpdate(input.id, tx);
        await cases.addTimeline({ caseId, at: now, actor: actorOf(ctx.principal), action: 'measure.proposed', fromState: c.state, toState: c.state, reason: note(row, track.urgent ? 'urgent track' : null) }, tx);
        await event(c, row, 'measure.proposed', now, tx);
        await notify('measure.proposed', c, row, 'defender', now, tx);
        return m!;
      });
      return staffMeasureView(created);
    },

    /**
     * The defender consents or refuses (their receipt session); an assigned officer records an
     * answer given orally, with an attestation of how and when it was taken. A refusal is final
     * for that proposal. Staff recording an answer notify the defender, so that an answer
     * recorded in their name never goes unseen; the defender's own answer notifies the officer.
     */
    async consent(ctx: RequestContext, measureId: string, input: ConsentInput): Promise<MeasureView> {
      const p = ctx.principal;
      if (p.kind === 'defender' && input.attestation) throw invalid('/body/attestation', 'is for staff recording an oral answer; the defender answers for themself');
      if (p.kind === 'user' && !input.attestation) throw invalid('/body/attestation', 'is required: staff record an answer given orally, saying how and when it was taken');
      return onMeasure(ctx, measureId, 'measure.consent', input.decision, async (m, c, tx, now) => {
        if (m.status === 'refused') throw new AppError('invalid_transition', 'the defender refused this measure; a refusal is final for this proposal');
        expectStatus(m, ['proposed'], 'answer for');
        const checked = input.attestation ? checkOralConsent(input.attestation, { now, askedAt: m.proposedAt, channelKnown: (code) => intake.has('consentChannel', code) }) : null;
        if (checked && 'errors' in checked) throw invalid(checked.errors[0]!.field, checked.errors[0]!.message);
        const a = checked?.value;
        const consented = input.decision === 'consent';
        const updated = await repo.update(
          m.id,
          { status: consented ? 'consented' : 'refused', consentBy: actorOf(p), consentAt: now, consentAttestation: a ?? null, updatedAt: now },
          tx,
        );
        const name = consented ? 'measure.consented' : 'measure.refused';
        await cases.addTimeline({ caseId: c.id, at: now, actor: actorOf(p), action: name, fromState: c.state, toState: c.state, reason: note(m, a ? `recorded orally (${a.channel})` : null) }, tx);
        await event(c, m, name, now, tx);
        await notify('measure.answered', c, m, a ? 'defender' : 'officer', now, tx, { decision: input.decision });
        return viewFor(ctx, updated);
      });
    },

    /**
     * A supervisor other than the proposer approves or rejects a consented measure. Approval on a
     * case in `decision` takes it to `protection`. An urgent-track measure approved before an
     * assessment has been completed also starts its urgent confirmation (14 days); approved once the
     * assessment is complete (decision, protection), the approval is itself the ordinary decision
     * and the measure is confirmed at once.
     */
    async decide(ctx: RequestContext, measureId: string, input: { decision: 'approve' | 'reject'; reason: string }): Promise<MeasureView> {
      return onMeasure(ctx, measureId, 'measure.approve', input.reason, async (m, c, tx, now) => {
        if (m.status === 'proposed') throw new AppError('consent_required', "the defender's consent to this measure is not on record");
        expectStatus(m, ['consented'], 'decide');
        const actor = actorOf(ctx.principal);
        const decider = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
        if (input.decision === 'reject') {
          const updated = await repo.update(m.id, { status: 'rejected', decidedBy: decider, decidedAt: now, decisionReason: input.reason, updatedAt: now }, tx);
          await cases.addTimeline({ caseId: c.id, at: now, actor, action: 'measure.rejected', fromState: c.state, toState: c.state, reason: note(m, input.reason) }, tx);
          await event(c, m, 'measure.rejected', now, tx);
          await notify('measure.rejected', c, m, 'defender', now, tx);
          return staffMeasureView(updated);
        }
        const urgentTrack = m.urgent && URGENT_TRACK_STATES.includes(c.state);
        if (!urgentTrack && !ASSESSED_STATES.includes(c.state)) throw new AppError('assessment_required', 'an ordinary measure is approved once the assessment is complete');
        const updated = await repo.update(m.id, { status: 'approved', decidedBy: decider, decidedAt: now, decisionReason: input.reason, confirmedAt: m.urgent && !urgentTrack ? now : null, updatedAt: now }, tx);
        const toState = await enterProtection(c, now, tx);
        await cases.addTimeline({ caseId: c.id, at: now, actor, action: 'measure.approved', fromState: c.state, toState, reason: note(m, urgentTrack ? `urgent track, to be confirmed: ${input.reason}` : input.reason) }, tx);
        await event(c, m, 'measure.approved', now, tx);
        // The confirmation clock runs on the urgent track whatever the case's own pace.
        if (urgentTrack) await event(c, m, 'measure.urgent_approved', now, tx, { urgent: true });
        await notify('measure.approved', c, m, 'defender', now, tx);
        return staffMeasureView(updated);
      });
    },

    /**
     * An ordinary decision confirms an urgent-track measure still in effect. It needs a completed
     * assessment (the case in decision or protection: 409 assessment_required before); on a case in
     * `decision` it takes the case to `protection`, as a first approval does.
     */
    async confirm(ctx: RequestContext, measureId: string, input: { reason: string }): Promise<MeasureView> {
      return onMeasure(ctx, measureId, 'measure.approve', input.reason, async (m, c, tx, now) => {
        if (!m.urgent) throw new AppError('invalid_transition', 'only a measure approved on the urgent track is confirmed');
        if (m.confirmedAt !== null) throw new AppError('invalid_transition', 'this measure has been confirmed already');
        expectStatus(m, IN_EFFECT_STATUSES, 'confirm');
        if (!ASSESSED_STATES.includes(c.state)) throw new AppError('assessment_required', 'an urgent measure is confirmed by an ordinary decision, once the assessment is complete');
        const updated = await repo.update(m.id, { confirmedAt: now, updatedAt: now }, tx);
        const toState = await enterProtection(c, now, tx);
        await cases.addTimeline({ caseId: c.id, at: now, actor: actorOf(ctx.principal), action: 'measure.confirmed', fromState: c.state, toState, reason: note(m, input.reason) }, tx);
        await event(c, m, 'measure.confirmed', now, tx);
        return staffMeasureView(updated);
      });
    },

    /** approved -> implementing (the implementation deadline keeps running until it is active). */
    async implement(ctx: RequestContext, measureId: string, input: { reason?: string }): Promise<MeasureView> {
      return onMeasure(ctx, measureId, 'measure.implement', input.reason ?? null, async (m, c, tx, now) => {
        expectStatus(m, ['approved'], 'start implementing');
        const updated = await repo.update(m.id, { status: 'implementing', updatedAt: now }, tx);
        await cases.addTimeline({ caseId: c.id, at: now, actor: actorOf(ctx.principal), action: 'measure.implementing', fromState: c.state, toState: c.state, reason: note(m, input.reason) }, tx);
        return staffMeasureView(updated);
      });
    },

    /**
     * implementing -> active from now until `endsAt` (default: now + the measure's duration; at most
     * its catalogue maximum). The review deadline falls on the end date, its reminder before it.
     */
    async activate(ctx: RequestContext, measureId: string, input: { endsAt?: string }): Promise<MeasureView> {
      return onMeasure(ctx, measureId, 'measure.implement', null, async (m, c, tx, now) => {
        expectStatus(m, ['implementing'], 'activate');
        const maxDays = Math.max(catalogue.measureByCode(m.code)?.maxDurationDays ?? 0, m.durationDays ?? 0);
        const endsAt = input.endsAt ? new Date(input.endsAt) : new Date(now.getTime() + (m.durationDays ?? maxDays) * DAY_MS);
        if (endsAt.getTime() <= now.getTime()) throw invalid('/body/endsAt', 'must be in the future');
        if (endsAt.getTime() > now.getTime() + maxDays * DAY_MS) throw invalid('/body/endsAt', `must be within ${maxDays} days`);
        const updated = await repo.update(m.id, { status: 'active', startsAt: now, endsAt, updatedAt: now }, tx);
        await cases.addTimeline({ caseId: c.id, at: now, actor: actorOf(ctx.principal), action: 'measure.activated', fromState: c.state, toState: c.state, reason: note(m, `until ${endsAt.toISOString()}`) }, tx);
        await event(c, m, 'measure.activated', now, tx, { measureEnd: endsAt });
        await notify('measure.activated', c, m, 'defender', now, tx);
        return staffMeasureView(updated);
      });
    },

    /**
     * Records a review of an active measure (settles its review deadline). With `extendDays`, the
     * end date moves that many days past the later of the current end and now (at most the
     * catalogue maximum each time), and a new review deadline runs to it: the service emits
     * `measure.activated` again with the new end, which is what starts a review deadline.
     * Without an extension the measure keeps its end date and expires on it.
     */
    async review(ctx: RequestContext, measureId: string, input: { reason: string; extendDays?: number }): Promise<MeasureView> {
      return onMeasure(ctx, measureId, 'measure.lift', input.reason, async (m, c, tx, now) => {
        expectStatus(m, ['active'], 'review');
        const maxDays = Math.max(catalogue.measureByCode(m.code)?.maxDurationDays ?? 0, m.durationDays ?? 0);
        if (input.extendDays !== undefined && input.extendDays > maxDays) throw invalid('/body/extendDays', `must be at most ${maxDays} days for ${m.code}`);
        const endsAt = input.extendDays ? new Date(Math.max(m.endsAt?.getTime() ?? 0, now.getTime()) + input.extendDays * DAY_MS) : m.endsAt;
        const updated = await repo.update(m.id, { endsAt, updatedAt: now }, tx);
        const extended = input.extendDays && endsAt ? `extended to ${endsAt.toISOString()}; ` : '';
        await cases.addTimeline({ caseId: c.id, at: now, actor: actorOf(ctx.principal), action: 'measure.reviewed', fromState: c.state, toState: c.state, reason: note(m, `${extended}${input.reason}`) }, tx);
        await event(c, m, 'measure.reviewed', now, tx);
        if (input.extendDays && endsAt) await event(c, m, 'measure.activated', now, tx, { measureEnd: endsAt });
        return staffMeasureView(updated);
      });
    },

    /** Lifts a measure early (approved, implementing or active), with a reason and a notice to the defender, who may appeal. */
    async lift(ctx: RequestContext, measureId: string, input: { reason: string }): Promise<MeasureView> {
      return onMeasure(ctx, measureId, 'measure.lift', input.reason, async (m, c, tx, now) => {
        expectStatus(m, IN_EFFECT_STATUSES, 'lift');
        const updated = await repo.update(m.id, { status: 'lifted', endedAt: now, endedBy: ctx.principal.kind === 'user' ? ctx.principal.userId : null, endReason: input.reason, updatedAt: now }, tx);
        await cases.addTimeline({ caseId: c.id, at: now, actor: actorOf(ctx.principal), action: 'measure.lifted', fromState: c.state, toState: c.state, reason: note(m, input.reason) }, tx);
        await event(c, m, 'measure.lifted', now, tx);
        await cancelLeftovers(c.id, m.id, now, tx);
        await notify('measure.lifted', c, m, 'defender', now, tx);
        return staffMeasureView(updated);
      });
    },

    /** The measures of a case, oldest first; the defender's view leaves out staff ids. */
    async list(ctx: RequestContext, caseId: string): Promise<MeasureView[]> {
      const c = await cases.byId(caseId);
      // Codes, states and dates are metadata every supervisor sees; the sealed details only a
      // supervisor part of the case, or through a break-glass (then audited as such).
      const sealed = c ? await participation.sealedAccess(ctx.principal, c) : { served: true as const, breakGlassId: null };
      await access.authorize(ctx, 'measure.read', { resource: `case:${caseId}/measures`, caseId: c ? caseId : null, found: c !== undefined, facts: c ? caseScope(c) : {} }, undefined, { read: true, breakGlassId: sealed.served ? sealed.breakGlassId : null });
      if (!c) throw new AppError('not_found');
      const views = (await repo.byCase(caseId)).map((m) => viewFor(ctx, m));
      return sealed.served ? views : views.map(withheld);
    },

    /**
     * Stops every measure of a case that is not over, inside the caller's transaction (the caller
     * holds the case lock: the defender's withdrawal of consent). Measures approved, implementing or
     * active become `lifted`; proposed or consented ones become `refused`, since the defender's
     * consent is what is withdrawn (`rejected` would say a supervisor decided against them). Each
     * gets endedAt = at and endReason = reason, the event that settles its deadlines
     * (measure.lifted / measure.refused; anything left for it is cancelled), a timeline entry and
     * an audit event with the system as actor (the caller records its own command). No notice goes
     * to the defender: the stop is their own doing. Returns how many were stopped.
     */
    async stopOpenMeasures(caseId: string, reason: string, at: Date, tx: Tx): Promise<number> {
      const open = await repo.openOfCaseForUpdate(caseId, tx);
      if (open.length === 0) return 0;
      const c = await cases.byId(caseId, tx);
      if (!c) return 0;
      const ctx = systemContext(`measure-stop-${randomUUID()}`);
      for (const m of open) {
        const lifted = IN_EFFECT_STATUSES.includes(m.status);
        const status: MeasureStatus = lifted ? 'lifted' : 'refused';
        await repo.update(m.id, { status, endedAt: at, endReason: reason, updatedAt: at }, tx);
        const name = lifted ? 'measure.lifted' : 'measure.refused';
        await deadlines.apply({ caseId, event: name, at, urgent: c.urgent, subjectId: m.id }, tx);
        await cancelLeftovers(caseId, m.id, at, tx);
        await cases.addTimeline({ caseId, at, actor: 'system', action: name, fromState: c.state, toState: c.state, reason: note(m, reason) }, tx);
        await audit.record(ctx, { action: 'measure.stop', resource: `measure:${m.id}`, caseId, outcome: 'allowed', reason: `${m.status} -> ${status}: ${reason}` }, tx);
      }
      return open.length;
    },

    /**
     * Ends what time has ended (called by a worker): active measures past their end date become
     * `expired` (endReason `expired`); urgent-track measures still unconfirmed when the
     * urgent_confirmation window of policies/deadlines.yaml (14 days) has passed since approval
     * lapse (`expired`, endReason `lapsed`). Each in its own transaction, with a timeline entry and
     * an audit event by the system, and notices to the defender and the officer.
     */
    async expireDue(now: Date): Promise<{ expired: string[]; lapsed: string[] }> {
      const expired: string[] = [];
      const lapsed: string[] = [];
      for (const r of await repo.activeEndedBy(now)) {
        if (await endBySystem(r.id, r.caseId, 'expired', now)) expired.push(r.id);
      }
      for (const r of await repo.unconfirmedUrgent()) {
        if (r.decidedAt === null || addDuration(r.decidedAt, confirmationWindow, calendar).getTime() > now.getTime()) continue;
        if (await endBySystem(r.id, r.caseId, 'lapsed', now)) lapsed.push(r.id);
      }
      return { expired, lapsed };
    },
  };
}

