import { CryptoError, parseSealedField } from '../sdk/index.js';
import { AppError } from '../lib/problem.js';
import { actorOf, type RequestContext } from '../access/principal.js';
import type { CaseRow } from '../cases/case-repository.js';
import { measureView, type MeasureRow } from './measure-repository.js';
import { catalogueImplementer, type ApiImplementer } from './measure-views.js';
import type { MeasureView } from '../contracts/measure.js';
import { checkOralConsent } from '../consent/oral-consent.js';
import { assertKeyEpoch } from '../cases/key-epoch.js';
import { ASSESSED_STATES, URGENT_PROPOSAL_STATES, invalid, note, type MeasureCommands, type MeasureDeps } from './measure-commands.js';
import { caseScope } from '../access/case-scope.js';
import { assertMeasureCommand } from './measure-refusals.js';
import type { BodyOf } from '../contracts/operation.js';
import type { consentToMeasure, proposeMeasure } from '../contracts/measure.js';

/** A proposal as the client sends it (the id is chosen by the client: it is part of the details' AD). */
export type ProposeInput = BodyOf<typeof proposeMeasure>;

export type ConsentInput = BodyOf<typeof consentToMeasure>;

/**
 * Which track a proposal takes on this case, or why it cannot be made now:
 * - `decision` / `protection` (an assessment has been completed): any measure, ordinary track;
 *   an `urgent`-category measure proposed here is decided like any other and needs no confirmation;
 * - `triage` / `assessment` on a case marked urgent: measures of category `urgent` only, flagged
 *   `urgent` (they lapse unless an ordinary decision confirms them);
 * - otherwise refused: 409 assessment_required before the assessment, invalid_transition elsewhere.
 */
export function proposalTrack(c: Pick<CaseRow, 'state' | 'urgent'>, category: string): { urgent: boolean } | AppError {
  if (ASSESSED_STATES.includes(c.state)) return { urgent: false };
  if (URGENT_PROPOSAL_STATES.includes(c.state)) {
    if (category !== 'urgent') return new AppError('assessment_required', 'before the assessment is complete only urgent measures may be proposed');
    if (!c.urgent) return new AppError('assessment_required', 'urgent measures before the assessment are for a case marked urgent; confirm the urgency first');
    return { urgent: true };
  }
  return new AppError('invalid_transition', `no measure can be proposed on a case in state ${c.state}`);
}

/** Proposals from the catalogue, and the defender's answer to them. */
export function createMeasureProposals(deps: MeasureDeps, kit: MeasureCommands) {
  const { measures: repo, cases, orgs, access, clock, catalogue, intake } = deps;
  const { command, onMeasure, event, notice, viewFor } = kit;
  const { outbox } = deps;

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

  return {
    async propose(ctx: RequestContext, caseId: string, input: ProposeInput): Promise<MeasureView> {
      const entry = await checkProposal(input);
      const resource = `measure:${input.id}`;
      const created = await command(ctx, { action: 'measure.propose', resource, caseId }, async (tx): Promise<MeasureRow> => {
        const c = await cases.byIdForUpdate(caseId, tx);
        await access.authorize(ctx, 'measure.propose', { resource, caseId: c ? caseId : null, facts: c ? caseScope(c) : {} }, tx, { reason: entry.code });
        if (!c) throw new AppError('not_found');
        assertKeyEpoch(c, input.keyEpoch);
        const track = proposalTrack(c, entry.category);
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
        await outbox.add(tx, 'measure.proposed', notice(c, row, 'defender'), now);
        return m!;
      });
      return measureView(created);
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
        assertMeasureCommand('consent', m, c);
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
        await outbox.add(tx, 'measure.answered', { ...notice(c, m, a ? 'defender' : 'officer'), decision: input.decision }, now);
        return viewFor(ctx, updated);
      });
    },
  };
}
