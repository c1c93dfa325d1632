import { Type, type Static } from 'typebox';
import { NullableScalar, responses, Timestamp, Uuid } from '../lib/schemas.js';
import { CASE_STATES, RISK_LEVELS } from './shared.js';
import { operation } from './operation.js';

/** The orders of the case list: `due` (urgent first, then the next due time) is the queue's. */
export const CASE_SORTS = ['due', 'created', 'risk', 'reference'] as const;
export type CaseSort = (typeof CASE_SORTS)[number];

/** The largest page of the case list. */
export const MAX_PAGE = 100;

// The app's ajv does not coerce: numbers and booleans of the query string are strings with a
// pattern, converted below.
export const states = CASE_STATES.join('|');

/** The list's filters and sort (what a saved view keeps of a query). */
export const ListFilters = {
  state: Type.Optional(Type.String({ pattern: `^(${states})(,(${states})){0,6}$`, maxLength: 120, description: 'one state or several, comma-separated' })),
  riskLevel: Type.Optional(Type.String({ pattern: `^(${RISK_LEVELS.join('|')})$` })),
  urgent: Type.Optional(Type.String({ pattern: '^(true|false)$' })),
  region: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$', description: 'a region code of policies/intake.yaml' })),
  category: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$', description: 'a defenderCategory code of policies/intake.yaml' })),
  dueWithin: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: 'days, 1 to 365: an open deadline falls due within them (those past due included)' })),
  sort: Type.Optional(Type.Unsafe<CaseSort>(Type.Union(CASE_SORTS.map((x) => Type.Literal(x)), { description: 'due (default): urgent first, then the next due time; created: newest first; risk: highest level first, unassessed last; reference' }))),
  assignee: Type.Optional(Type.String({ pattern: '^(me|none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$', maxLength: 36, description: 'a user id, me, or none (unassigned)' })),
  overdue: Type.Optional(Type.String({ pattern: '^(true|false)$', description: 'an open deadline is past due' })),
};

export const Query = Type.Object(
  {
    ...ListFilters,
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
    unreadMessages: Type.Integer({ minimum: 0, description: "messages of others on the case after the caller's read marker" }),
  },
  { additionalProperties: false },
);

/** A case as the lists show it (no sealed content). */
export type CaseSummary = Static<typeof CaseListItem>;

export const countCases = operation('countCases', {
  tags: ['cases'],
  summary: "The queue's counts within the caller's scope: the intake pool, one's own open cases, overdue, urgent, and per state",
  security: [{ bearer: [] }],
  response: responses(
    {
      200: Type.Object(
        {
          pool: Type.Integer({ minimum: 0, description: 'received and unassigned' }),
          mine: Type.Integer({ minimum: 0, description: 'assigned to the caller, open' }),
          overdue: Type.Integer({ minimum: 0, description: 'open, an open deadline past due' }),
          urgent: Type.Integer({ minimum: 0, description: 'open and urgent' }),
          byState: Type.Record(Type.String({ pattern: `^(${states})$` }), Type.Integer({ minimum: 0 }), { description: 'every state with at least one case in scope' }),
        },
        { additionalProperties: false },
      ),
    },
    [401, 403, 429],
  ),
});

export const listCases = operation('listCases', {
  tags: ['cases'],
  summary: 'List cases (an officer: the intake pool and own cases; a supervisor: all), urgent first, then by next due time',
  security: [{ bearer: [] }],
  querystring: Query,
  response: responses({ 200: Type.Object({ items: Type.Array(CaseListItem), nextCursor: NullableScalar<string>({ type: 'string', maxLength: 400 }) }) }, [401, 403, 429]),
});

/** The schema of a case summary, for the other answers that list cases (the blind-index search). */
export const CaseSummarySchema = CaseListItem;
