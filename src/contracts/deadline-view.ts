import { Type, type Static } from 'typebox';
import { NullableScalar, responses, Timestamp, Uuid } from '../lib/schemas.js';
import { operation } from './operation.js';

export const DEADLINE_PAGE_MAX = 100;

const DeadlineItem = Type.Object(
  {
    id: Uuid,
    caseId: NullableScalar<string>({ type: 'string', format: 'uuid', maxLength: 36, description: 'null for a partner: it sees its referrals, never the case' }),
    reference: NullableScalar<string>({ type: 'string', maxLength: 32, description: 'null for a partner' }),
    rule: Type.String({ maxLength: 64 }),
    subjectId: NullableScalar<string>({ type: 'string', maxLength: 64 }),
    urgent: Type.Boolean(),
    startedAt: Timestamp,
    dueAt: Timestamp,
    state: Type.String({ maxLength: 16 }),
    levelReached: Type.Integer({ minimum: 0, description: '0 none, 1 level 1 (due), 2 level 2' }),
    settledAt: NullableScalar<string>({ type: 'string', format: 'date-time', maxLength: 40 }),
    overdue: Type.Boolean({ description: 'open and past its due time' }),
  },
  { additionalProperties: false },
);

/** One deadline as the lists show it (metadata only). */
export type DeadlineItem = Static<typeof DeadlineItem>;

// The app's ajv does not coerce: numbers and booleans of the query string are strings with a pattern.
export const Query = Type.Object(
  {
    state: Type.Optional(Type.String({ pattern: '^(open|paused)$', description: 'open or paused (default: both)' })),
    overdue: Type.Optional(Type.String({ pattern: '^(true|false)$', description: 'true: only open deadlines past due' })),
    rule: Type.Optional(Type.String({ pattern: '^[a-z][a-z_]{0,39}$', description: 'a rule of policies/deadlines.yaml' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: `page size, 1 to ${DEADLINE_PAGE_MAX} (default 50)` })),
    after: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]+$', maxLength: 200, description: "the previous page's nextCursor" })),
  },
  { additionalProperties: false },
);

export const listDeadlines = operation('listDeadlines', {
  tags: ['deadlines'],
  summary: "Open and paused deadlines across cases (a supervisor: every case; an officer: their assigned cases; a partner member: its organisation's referrals, without case id or reference), earliest due first",
  security: [{ bearer: [] }],
  querystring: Query,
  response: responses({ 200: Type.Object({ items: Type.Array(DeadlineItem), nextCursor: NullableScalar<string>({ type: 'string', maxLength: 200 }) }) }, [401, 403]),
});

export const listCaseDeadlines = operation('listCaseDeadlines', {
  tags: ['deadlines'],
  summary: "A case's deadlines, every state (staff in scope: all; the defender: those they must act on; partners: refused, see their referrals)",
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }, { additionalProperties: false }),
  response: responses({ 200: Type.Object({ items: Type.Array(DeadlineItem) }) }, [401, 403, 404]),
});
