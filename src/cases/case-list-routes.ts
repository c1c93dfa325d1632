import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { NullableScalar, responses, Timestamp, Uuid } from '../lib/schemas.js';
import { ctxOf } from '../plugins/context.js';
import { CASE_STATES, MAX_PAGE, RISK_LEVELS, type CaseListFilters, type CaseListPage, type CaseListService, type CaseState, type RiskLevel } from './case-list-service.js';

// The app's ajv does not coerce: numbers and booleans of the query string are strings with a
// pattern, converted below.
const states = CASE_STATES.join('|');
const Query = Type.Object(
  {
    state: Type.Optional(Type.String({ pattern: `^(${states})(,(${states})){0,6}$`, maxLength: 120, description: 'one state or several, comma-separated' })),
    riskLevel: Type.Optional(Type.String({ pattern: `^(${RISK_LEVELS.join('|')})$` })),
    urgent: Type.Optional(Type.String({ pattern: '^(true|false)$' })),
    region: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$', description: 'a region code of policies/intake.yaml' })),
    assignee: Type.Optional(Type.String({ pattern: '^(me|none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$', maxLength: 36, description: 'a user id, me, or none (unassigned)' })),
    overdue: Type.Optional(Type.String({ pattern: '^(true|false)$', description: 'an open deadline is past due' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: `page size, 1 to ${MAX_PAGE} (default 50)` })),
    cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]+$', maxLength: 400, description: "the previous page's nextCursor" })),
  },
  { additionalProperties: false },
);

const NullableString = NullableScalar<string>({ type: 'string', maxLength: 64 });
const CaseListItem = Type.Object(
  {
    id: Uuid,
    reference: Type.String({ maxLength: 32 }),
    state: Type.String({ maxLength: 32 }),
    urgent: Type.Boolean(),
    urgentClaimed: Type.Boolean(),
    riskLevel: NullableString,
    region: Type.String({ maxLength: 64 }),
    defenderCategory: Type.String({ maxLength: 64 }),
    assigneeId: NullableScalar<string>({ type: 'string', format: 'uuid', maxLength: 36 }),
    createdAt: Timestamp,
    nextDue: NullableScalar<{ rule: string; dueAt: string }>({ type: 'object', properties: { rule: { type: 'string', maxLength: 64 }, dueAt: { type: 'string', format: 'date-time', maxLength: 40 } }, required: ['rule', 'dueAt'], additionalProperties: false }),
    overdue: Type.Boolean(),
  },
  { additionalProperties: false },
);

/** The case lists of staff (GET /v1/cases): filters, urgent first then by next due time, keyset pages. */
const caseListRoutes: FastifyPluginAsyncTypebox<{ caseList: CaseListService }> = async (fastify, { caseList }) => {
  fastify.get('/v1/cases', {
    config: { action: 'case.list', limit: 'caseList' },
    schema: {
      operationId: 'listCases',
      tags: ['cases'],
      summary: 'List cases (an officer: the intake pool and own cases; a supervisor: all), urgent first, then by next due time',
      security: [{ bearer: [] }],
      querystring: Query,
      response: responses({ 200: Type.Object({ items: Type.Array(CaseListItem), nextCursor: NullableScalar<string>({ type: 'string', maxLength: 400 }) }) }, [401, 403, 429]),
    },
    handler: async (request) => {
      const q = request.query;
      const filters: CaseListFilters = {};
      if (q.state !== undefined) filters.state = [...new Set(q.state.split(','))] as CaseState[];
      if (q.riskLevel !== undefined) filters.riskLevel = q.riskLevel as RiskLevel;
      if (q.urgent !== undefined) filters.urgent = q.urgent === 'true';
      if (q.region !== undefined) filters.region = q.region;
      if (q.assignee !== undefined) filters.assignee = q.assignee.toLowerCase();
      if (q.overdue !== undefined) filters.overdue = q.overdue === 'true';
      const page: CaseListPage = {};
      if (q.limit !== undefined) page.limit = Number(q.limit);
      if (q.cursor !== undefined) page.cursor = q.cursor;
      return caseList.list(ctxOf(request), filters, page);
    },
  });
};

export default caseListRoutes;
