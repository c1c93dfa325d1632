import { Type, type Static } from 'typebox';
import { ex } from '../lib/openapi-examples.js';
import { Nullable, responses, SEALED_JSON_BYTES, SealedValue, Timestamp, Uuid } from '../lib/schemas.js';
import { SealedWithheld } from '../lib/sealed-withheld.js';
import { CommandState, KeyEpoch, OralConsentSchema } from './shared.js';
import { operation } from './operation.js';

export const Reason = Type.String({ minLength: 3, maxLength: 2000, description: 'why: kept on the timeline and in the audit log (no sensitive details: they belong in the sealed details)' });

const Str = Type.String({ maxLength: 2000 });

export const Labels = Type.Object({ fr: Str, en: Str });

export const Implementer = Type.Union([Type.Literal('cndh'), Type.Literal('state'), Type.Literal('partner')], { description: 'cndh (the mechanism), state (a state authority), partner (a partner organisation, through a referral)' });

export const CatalogueEntry = Type.Object({
  code: Type.String(),
  category: Type.String(),
  label: Labels,
  implementers: Type.Array(Type.String()),
  durationDays: Type.Integer(),
  maxDurationDays: Type.Integer(),
  reviewLeadDays: Type.Integer(),
  warning: Type.Union([Labels, Type.Null()]),
  requiresExplicitConsent: Type.Boolean({ description: 'the defender consents to this measure expressly, after the warning has been explained' }),
});

/** The commands on one measure the staff console shows as buttons, each named after what it does. */
export const MEASURE_COMMANDS = ['consent', 'approve', 'reject', 'confirm', 'implement', 'activate', 'review', 'lift'] as const;
export type MeasureCommand = (typeof MEASURE_COMMANDS)[number];

const MeasureCommandState = CommandState(MEASURE_COMMANDS);

/** One measure: the staff-only fields (who proposed, decided, recorded consent, lifted) are absent for the defender. */
export const MeasureView = Type.Object({
  id: Uuid,
  caseId: Uuid,
  code: Type.String(),
  category: Type.String(),
  implementer: Type.String(),
  implementerOrgId: Nullable(Type.String()),
  urgent: Type.Boolean({ description: 'proposed on the urgent track: lapses unless an ordinary decision confirms it' }),
  status: Type.String(),
  details: Nullable(Type.String({ description: 'sealed under the case DEK, AD egide/v1/measure/<id>/details' })),
  sealedWithheld: SealedWithheld,
  durationDays: Type.Union([Type.Integer(), Type.Null()]),
  proposedAt: Type.String(),
  consentAt: Nullable(Type.String()),
  consentGivenThrough: Nullable(Type.String({ description: 'defender (answered themself) or staff (oral answer recorded)' })),
  decidedAt: Nullable(Type.String()),
  decisionReason: Nullable(Type.String()),
  startsAt: Nullable(Type.String()),
  endsAt: Nullable(Type.String()),
  confirmedAt: Nullable(Type.String()),
  endedAt: Nullable(Type.String()),
  endReason: Nullable(Type.String()),
  proposedBy: Type.Optional(Type.String()),
  consentBy: Type.Optional(Nullable(Type.String())),
  consentAttestation: Type.Optional(Type.Union([Type.Object({ channel: Type.String(), takenAt: Type.String(), statement: Type.String() }), Type.Null()])),
  decidedBy: Type.Optional(Nullable(Type.String())),
  endedBy: Type.Optional(Nullable(Type.String())),
  updatedAt: Type.Optional(Type.String()),
  actions: Type.Optional(Type.Array(MeasureCommandState, { description: 'staff, in the list of a case: what the caller may do on this measure now, as the command itself would decide' })),
});

/** One measure as the API answers it (staff see every field, the defender the required ones). */
export type MeasureView = Static<typeof MeasureView>;
/** One entry of the measure catalogue as clients show it. */
export type CatalogueEntry = Static<typeof CatalogueEntry>;

const MeasureParams = Type.Object({ measureId: Uuid });

export const common = { security: [{ bearer: [] }] };

export const one = responses({ 200: MeasureView }, [401, 403, 404, 409]);

export const getMeasureCatalogue = operation('getMeasureCatalogue', {
  tags: ['measures'],
  summary: 'The catalogue of protective measures: codes, categories, labels (fr, en), default durations, warnings',
  ...common,
  response: responses({ 200: Type.Object({ items: Type.Array(CatalogueEntry) }) }, [401, 403]),
});

export const listCaseMeasures = operation('listCaseMeasures', {
  tags: ['measures'],
  summary: 'The measures of a case, oldest first (the defender sees theirs without staff ids)',
  ...common,
  params: Type.Object({ caseId: Uuid }),
  response: responses({ 200: Type.Object({ items: Type.Array(MeasureView) }) }, [401, 403, 404]),
});

export const proposeMeasure = operation('proposeMeasure', {
  tags: ['measures'],
  summary: 'Propose a measure from the catalogue (before the assessment: urgent measures on an urgent case only)',
  description: 'Ordinary measures in decision or protection; measures of category urgent on a case marked urgent in triage or assessment (urgent track). The defender is notified; their consent comes next.',
  ...common,
  params: Type.Object({ caseId: Uuid }),
  body: Type.Object(
    {
      id: Uuid,
      code: Type.String({ pattern: '^[a-z][a-z0-9_]*$', maxLength: 64 }),
      implementer: Implementer,
      implementerOrgId: Type.Optional(Uuid),
      durationDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'default: the catalogue duration; at most its maximum' })),
      details: Type.Optional(SealedValue(SEALED_JSON_BYTES.text, 'addresses, providers, amounts: sealed under the case DEK, AD egide/v1/measure/<id>/details')),
      keyEpoch: Type.Optional(KeyEpoch),
    },
    { additionalProperties: false, examples: [{ id: ex.measureId, code: 'securing_premises', implementer: 'cndh', details: ex.sealed }] },
  ),
  response: responses({ 201: MeasureView }, [401, 403, 404, 409]),
});

export const consentToMeasure = operation('consentToMeasure', {
  tags: ['measures'],
  summary: 'Consent to or refuse a proposed measure (a refusal is final for that proposal)',
  description: 'The defender answers for themself (no attestation). An assigned officer records an answer given orally, with an attestation of how and when it was taken.',
  ...common,
  params: MeasureParams,
  body: Type.Object(
    {
      decision: Type.Union([Type.Literal('consent'), Type.Literal('refuse')]),
      attestation: Type.Optional(
        OralConsentSchema,
      ),
    },
    { additionalProperties: false, examples: [{ decision: 'consent' }, { decision: 'consent', attestation: { channel: 'phone_call', takenAt: '2026-03-02T10:15:00Z', statement: 'Accord donné par téléphone à l’officier chargé du dossier, après lecture de l’avertissement.' } }] },
  ),
  response: one,
});

export const decideMeasure = operation('decideMeasure', {
  tags: ['measures'],
  summary: 'Approve or reject a consented measure (a supervisor who did not propose it)',
  ...common,
  params: MeasureParams,
  body: Type.Object({ decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]), reason: Reason }, { additionalProperties: false, examples: [{ decision: 'approve', reason: 'Menaces confirmées par l’évaluation ; locaux exposés.' }] }),
  response: one,
});

export const confirmMeasure = operation('confirmMeasure', {
  tags: ['measures'],
  summary: 'Confirm an urgent-track measure by an ordinary decision (once the assessment is complete)',
  ...common,
  params: MeasureParams,
  body: Type.Object({ reason: Reason }, { additionalProperties: false, examples: [{ reason: 'Évaluation terminée : le risque élevé justifie de maintenir la mesure.' }] }),
  response: one,
});

export const implementMeasure = operation('implementMeasure', {
  tags: ['measures'],
  summary: 'Start implementing an approved measure',
  ...common,
  params: MeasureParams,
  body: Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false, examples: [{ reason: 'Prestataire mandaté, travaux prévus dans la semaine.' }, {}] }),
  response: one,
});

export const activateMeasure = operation('activateMeasure', {
  tags: ['measures'],
  summary: 'Mark a measure active from now until its end date (default: now + its duration)',
  ...common,
  params: MeasureParams,
  body: Type.Object({ endsAt: Type.Optional(Timestamp) }, { additionalProperties: false, examples: [{ endsAt: '2026-09-30T23:59:59Z' }, {}] }),
  response: one,
});

export const reviewMeasure = operation('reviewMeasure', {
  tags: ['measures'],
  summary: 'Record the review of an active measure, optionally extending it',
  ...common,
  params: MeasureParams,
  body: Type.Object({ reason: Reason, extendDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })) }, { additionalProperties: false, examples: [{ reason: 'Menaces toujours actives : mesure prolongée de six mois.', extendDays: 182 }] }),
  response: one,
});

export const liftMeasure = operation('liftMeasure', {
  tags: ['measures'],
  summary: 'Lift a measure early, with a reason; the defender is notified and may appeal',
  ...common,
  params: MeasureParams,
  body: Type.Object({ reason: Reason }, { additionalProperties: false, examples: [{ reason: 'Risque redevenu faible selon la dernière évaluation.' }] }),
  response: one,
});
