import { Type, type Static } from 'typebox';
import { ex } from '../lib/openapi-examples.js';
import { SEALED_JSON_BYTES, SealedValue, Timestamp, Uuid, responses } from '../lib/schemas.js';
import { SealedWithheld } from '../lib/sealed-withheld.js';
import { KeyEpoch } from './shared.js';
import { operation } from './operation.js';

export const Kind = Type.Union([Type.Literal('incident'), Type.Literal('checkin'), Type.Literal('alert')]);
const Note = (kind: string) => Type.Optional(SealedValue(SEALED_JSON_BYTES.text, `sealed under the case DEK, AD egide/v1/${kind}/<id>/note`));
const Recorded = Type.Object({
  id: Uuid,
  caseId: Uuid,
  kind: Kind,
  code: Type.Union([Type.String(), Type.Null()]),
  reportedBy: Type.String({ description: '`d:<caseId>` (the defender) or `u:<userId>` (staff on their behalf)' }),
  at: Timestamp,
  caseState: Type.String({ description: 'the case state after the report (an incident on a case in protection starts a reassessment)' }),
});
const Report = Type.Object({ id: Uuid, kind: Kind, code: Type.Union([Type.String(), Type.Null()]), note: Type.Union([Type.String(), Type.Null()]), sealedWithheld: SealedWithheld, reportedBy: Type.String(), at: Timestamp });
/** One report of a case as the list shows it. */
export type CaseReport = Static<typeof Report>;

export const bodies = {
  incident: Type.Object(
    { id: Uuid, code: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$', description: 'a threat type code of policies/intake.yaml' })), note: Note('incident'), keyEpoch: Type.Optional(KeyEpoch) },
    { additionalProperties: false, examples: [{ id: ex.reportId, code: 'death_threat', note: ex.sealed }] },
  ),
  checkin: Type.Object(
    { id: Uuid, code: Type.Optional(Type.Union([Type.Literal('ok'), Type.Literal('need_contact')], { description: '`ok` when absent' })), note: Note('checkin'), keyEpoch: Type.Optional(KeyEpoch) },
    { additionalProperties: false, examples: [{ id: ex.reportId, code: 'ok' }, { id: ex.reportId, code: 'need_contact', note: ex.sealed }] },
  ),
  alert: Type.Object({ id: Uuid, note: Note('alert'), keyEpoch: Type.Optional(KeyEpoch) }, { additionalProperties: false, examples: [{ id: ex.reportId }, { id: ex.reportId, note: ex.sealed }] }),
};

export const REPORT_KINDS = [
  { kind: 'incident', operationId: 'reportIncident', path: 'incidents', action: 'incident.create', summary: 'Report a new incident: the assigned officer is told at once; on a case in protection a reassessment starts', states: 'Any open state (refused on a closed case: a supervisor reopens it).' },
  { kind: 'checkin', operationId: 'checkIn', path: 'checkins', action: 'checkin.create', summary: 'Check in: settles the running check-in deadline and starts the next (by risk level)', states: 'In protection, or while a check-in schedule runs (a reassessment started from protection).' },
  { kind: 'alert', operationId: 'raiseAlert', path: 'alerts', action: 'alert.create', summary: 'Raise an alert ("I am in danger now"): the assigned officer and every supervisor at once', states: 'Every state, closed included.' },
] as const;

/** The operation recording one kind of report: the same shape, the kind's own body. */
function reportOperation<K extends (typeof REPORT_KINDS)[number]>(r: K) {
  return operation(r.operationId, {
    tags: ['reports'],
    summary: r.summary,
    description: `${r.states} The defender records it with the receipt session, or staff on their behalf.`,
    security: [{ bearer: [] }],
    params: Type.Object({ caseId: Uuid }),
    body: bodies[r.kind] as (typeof bodies)[K['kind']],
    response: responses({ 201: Recorded }, [401, 403, 404, 409]),
  });
}

export const reportIncident = reportOperation(REPORT_KINDS[0]);

export const checkIn = reportOperation(REPORT_KINDS[1]);

export const raiseAlert = reportOperation(REPORT_KINDS[2]);

export const listCaseReports = operation('listCaseReports', {
  tags: ['reports'],
  summary: 'Incidents, check-ins and alerts of a case, newest first, with their sealed notes',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  querystring: Type.Object(
{
  kind: Type.Optional(Kind),
  beforeAt: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
  beforeId: Type.Optional(Uuid),
  limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|100)$' })),
},
{ additionalProperties: false },
  ),
  response: responses({ 200: Type.Object({ items: Type.Array(Report) }) }, [401, 403, 404]),
});
