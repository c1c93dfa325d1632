import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ex } from '../lib/openapi-examples.js';
import { SEALED_JSON_BYTES, SealedValue, Timestamp, Uuid, responses } from '../lib/schemas.js';
import { ctxOf } from '../plugins/context.js';
import { SealedWithheld } from '../lib/sealed-withheld.js';
import type { CaseReportInput, CaseReportService } from './case-report-service.js';
import { KeyEpoch } from '../cases/key-epoch.js';

const Kind = Type.Union([Type.Literal('incident'), Type.Literal('checkin'), Type.Literal('alert')]);
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

const bodies = {
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

const routes = [
  { kind: 'incident', operationId: 'reportIncident', path: 'incidents', action: 'incident.create', summary: 'Report a new incident: the assigned officer is told at once; on a case in protection a reassessment starts', states: 'Any open state (refused on a closed case: a supervisor reopens it).' },
  { kind: 'checkin', operationId: 'checkIn', path: 'checkins', action: 'checkin.create', summary: 'Check in: settles the running check-in deadline and starts the next (by risk level)', states: 'In protection, or while a check-in schedule runs (a reassessment started from protection).' },
  { kind: 'alert', operationId: 'raiseAlert', path: 'alerts', action: 'alert.create', summary: 'Raise an alert ("I am in danger now"): the assigned officer and every supervisor at once', states: 'Every state, closed included.' },
] as const;

/** Incidents, check-ins and alerts of a case (workflow.md, "Cross-cutting"); the note is sealed on the client. */
const caseReportRoutes: FastifyPluginAsyncTypebox<{ reports: CaseReportService }> = async (fastify, { reports }) => {
  for (const r of routes) {
    fastify.post(`/v1/cases/:caseId/${r.path}`, {
      config: { action: r.action },
      schema: {
        operationId: r.operationId,
        tags: ['reports'],
        summary: r.summary,
        description: `${r.states} The defender records it with the receipt session, or staff on their behalf.`,
        security: [{ bearer: [] }],
        params: Type.Object({ caseId: Uuid }),
        body: bodies[r.kind],
        response: responses({ 201: Recorded }, [401, 403, 404, 409]),
      },
      handler: async (request, reply) => reply.code(201).send(await reports.record(ctxOf(request), request.params.caseId, r.kind, request.body as CaseReportInput)),
    });
  }

  fastify.get('/v1/cases/:caseId/reports', {
    config: { action: 'report.read' },
    schema: {
      operationId: 'listCaseReports',
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
    },
    handler: async (request) => {
      const { kind, beforeAt, beforeId, limit } = request.query;
      return { items: await reports.list(ctxOf(request), request.params.caseId, { limit: Number(limit ?? 50), ...(kind ? { kind } : {}), ...(beforeAt && beforeId ? { before: { at: beforeAt, id: beforeId } } : {}) }) };
    },
  });
};

export default caseReportRoutes;
