import { Type } from 'typebox';
import { ex } from '../lib/openapi-examples.js';
import { Nullable, responses, SEALED_JSON_BYTES, SealedValue, sealedFieldMaxLength, Timestamp, Uuid } from '../lib/schemas.js';
import { SealedWithheld } from '../lib/sealed-withheld.js';
import { KeyEpoch } from './shared.js';
import { operation } from './operation.js';

/** What a defender may appeal (the `appeals.subject` column). */
export const APPEAL_SUBJECTS = ['decline', 'no_measures', 'measure_rejected', 'measure_lifted'] as const;

export type AppealSubject = (typeof APPEAL_SUBJECTS)[number];

export const UPHELD_EFFECTS = ['reopen_to_triage', 'reopen_to_decision', 'measure_to_consented', 'measure_to_active', 'record_only'] as const;

export type UpheldEffect = (typeof UPHELD_EFFECTS)[number];

const Subject = Type.Union([Type.Literal('decline'), Type.Literal('no_measures'), Type.Literal('measure_rejected'), Type.Literal('measure_lifted')], { description: 'the decision appealed: a decline, a no-measures decision, a rejected or a lifted measure' });

const AppealState = Type.Union([Type.Literal('filed'), Type.Literal('upheld'), Type.Literal('dismissed')]);

const DefenderAppeal = Type.Object({
  id: Uuid,
  caseId: Uuid,
  subject: Subject,
  subjectId: Nullable(Uuid),
  decisionAt: Timestamp,
  grounds: Nullable(Type.String({ maxLength: sealedFieldMaxLength(SEALED_JSON_BYTES.text) })),
  state: AppealState,
  filedAt: Timestamp,
  decidedAt: Nullable(Timestamp),
  reason: Nullable(Type.String({ maxLength: 2000 })),
});

// Staff see who took the decision appealed and who ruled; a defender's listing leaves them out.
export const Appeal = Type.Object({ ...DefenderAppeal.properties, sealedWithheld: SealedWithheld, deciderId: Type.Optional(Nullable(Uuid)), decidedBy: Type.Optional(Nullable(Uuid)) });

export const Decided = Type.Object({
  ...DefenderAppeal.properties,
  deciderId: Nullable(Uuid),
  decidedBy: Nullable(Uuid),
  caseState: Type.String({ maxLength: 20 }),
  effect: Nullable(Type.Union(UPHELD_EFFECTS.map((e) => Type.Literal(e)))),
});

export const Reason = Type.String({ minLength: 3, maxLength: 2000, description: 'why: told to the defender, kept on the timeline and in the audit log (no sensitive details)' });

export const fileAppeal = operation('fileAppeal', {
  tags: ['appeals'],
  summary: 'Appeal a decline, a no-measures decision, a rejected or a lifted measure, within the policy window (30 days by default)',
  description: 'The server finds when the decision was taken and by whom. 409 appeal_window_closed past the window; 409 already_exists when the same decision is already under appeal.',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  body: Type.Object(
    {
      id: Uuid,
      subject: Subject,
      subjectId: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: 'the measure, for measure_rejected and measure_lifted' })),
      grounds: Type.Optional(SealedValue(SEALED_JSON_BYTES.text, 'sealed under the case DEK, AD egide/v1/appeal/<id>/grounds')),
      keyEpoch: Type.Optional(KeyEpoch),
    },
    { additionalProperties: false, examples: [{ id: ex.appealId, subject: 'decline', grounds: ex.sealed }, { id: ex.appealId, subject: 'measure_lifted', subjectId: ex.measureId, grounds: ex.sealed }] },
  ),
  response: responses({ 201: DefenderAppeal }, [401, 403, 404, 409]),
});

export const decideAppeal = operation('decideAppeal', {
  tags: ['appeals'],
  summary: 'Rule on an appeal (a supervisor other than the one who took the decision appealed)',
  description: 'upheld undoes the decision as policies/appeals.yaml says (a declined case back to triage, a no-measures case back to decision, a rejected measure back to consented, a lifted measure back to active); dismissed changes nothing but the record.',
  security: [{ bearer: [] }],
  params: Type.Object({ appealId: Uuid }),
  body: Type.Object(
    { outcome: Type.Union([Type.Literal('upheld'), Type.Literal('dismissed')]), reason: Reason },
    { additionalProperties: false, examples: [{ outcome: 'upheld', reason: 'Les menaces sont liées à son activité de défenseure : le dossier relève du mandat.' }] },
  ),
  response: responses({ 200: Decided }, [401, 403, 404, 409]),
});

export const listCaseAppeals = operation('listCaseAppeals', {
  tags: ['appeals'],
  summary: 'The appeals of a case, oldest first (the defender sees their own, without staff ids)',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  response: responses({ 200: Type.Object({ items: Type.Array(Appeal) }) }, [401, 403, 404]),
});
