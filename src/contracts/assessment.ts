import { Type, type Static } from 'typebox';
import { ex } from '../lib/openapi-examples.js';
import { SEALED_JSON_BYTES, SealedValue, Timestamp, Uuid, responses } from '../lib/schemas.js';
import { SealedWithheld } from '../lib/sealed-withheld.js';
import { KeyEpoch } from './shared.js';
import { operation } from './operation.js';
import { REASONING_FIELDS, THREAT_STEPS } from '../sdk/risk/assessment-fields.js';

export { REASONING_FIELDS, THREAT_STEPS };

const MAX_THREATS = 20;

/** The largest sealed map a version can carry: every step of every threat, and both reasonings. */
const MAX_SEALED_FIELDS = MAX_THREATS * THREAT_STEPS.length + REASONING_FIELDS.length;

export const Code = Type.String({ pattern: '^[a-z][a-z0-9_]*$', maxLength: 64, description: 'a code of policies/risk.yaml' });

// The scale is the policy's (1-5 by default): the service checks it, so an institution that
// changes the scale needs no new schema.
const Rating = Type.Integer({ minimum: 0, maximum: 100, description: "a whole number on the risk policy's scale (1-5 by default)" });

export const Level = Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high'), Type.Literal('extreme')]);

export const Threat = Type.Object(
  {
    kind: Type.Union([Type.Literal('declared'), Type.Literal('possible')]),
    source: Code,
    canBeCarriedOut: Type.Union([Type.Literal('yes'), Type.Literal('no'), Type.Literal('unknown')], { description: 'step 5 of the threat analysis' }),
    imminent: Type.Boolean(),
    rating: Rating,
  },
  { additionalProperties: false },
);

const Factors = Type.Object({ factors: Type.Array(Code, { maxItems: 30 }), rating: Rating }, { additionalProperties: false });

export const SealedMap = Type.Record(Type.String({ pattern: '^[a-z][a-z0-9.]{0,63}$' }), SealedValue(SEALED_JSON_BYTES.text, 'sealed under the case DEK, AD egide/v1/assessment/<id>/<field>'), {
  maxProperties: MAX_SEALED_FIELDS,
  description:
    'Sealed under the case DEK, AD egide/v1/assessment/<id>/<field>. Fields: threats.<i>.facts, threats.<i>.pattern, threats.<i>.objective, threats.<i>.perpetrator, threats.<i>.feasibility (the five steps, <i> = index in threats), reasoning.vulnerability, reasoning.capacity.',
});

const Version = Type.Object({
  id: Uuid,
  version: Type.Integer(),
  threats: Type.Array(Threat),
  vulnerability: Factors,
  capacity: Factors,
  score: Type.Union([Type.Number(), Type.Null()], { description: 'R = T x V / C; null when there is no threat' }),
  level: Level,
  override: Type.Boolean({ description: 'a declared, feasible, imminent threat forced the level' }),
  sealed: Type.Record(Type.String(), Type.String()),
  sealedWithheld: SealedWithheld,
  createdBy: Uuid,
  createdAt: Timestamp,
});
/** One assessment version as staff see it (`sealedWithheld` when the narratives are left out). */
export type AssessmentVersion = Static<typeof Version>;

export const recordAssessment = operation('recordAssessment', {
  tags: ['assessments'],
  summary: 'Record a new assessment version; the server computes the risk level (R = T x V / C, with the override)',
  description: 'Only while the case is in `assessment`. The case takes the level; a level on the urgent track, or the override, makes it urgent.',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  body: Type.Object(
    {
      id: Uuid,
      threats: Type.Array(Threat, { maxItems: MAX_THREATS }),
      vulnerability: Factors,
      capacity: Factors,
      sealed: SealedMap,
      keyEpoch: Type.Optional(KeyEpoch),
    },
    {
      additionalProperties: false,
      examples: [
        {
          id: ex.assessmentId,
          threats: [{ kind: 'declared', source: 'armed_group', canBeCarriedOut: 'yes', imminent: false, rating: 4 }],
          vulnerability: { factors: ['exposed_location', 'family_exposed'], rating: 3 },
          capacity: { factors: ['support_network'], rating: 2 },
          sealed: { 'threats.0.facts': ex.sealed, 'threats.0.perpetrator': ex.sealed2, 'reasoning.vulnerability': ex.sealed3 },
        },
      ],
    },
  ),
  response: responses({ 201: Type.Object({ ...Version.properties, caseUrgent: Type.Boolean({ description: 'the case is urgent after this version' }) }) }, [401, 403, 404, 409]),
});

export const listCaseAssessments = operation('listCaseAssessments', {
  tags: ['assessments'],
  summary: 'The assessment versions of a case, oldest first, and its current level (staff only)',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  response: responses({ 200: Type.Object({ caseId: Uuid, current: Type.Union([Level, Type.Null()]), urgent: Type.Boolean(), versions: Type.Array(Version) }) }, [401, 403, 404]),
});
