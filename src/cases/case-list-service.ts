import type { Sql } from 'postgres';
import type { CaseState, RiskLevel } from '../contracts/shared.js';
import { MAX_PAGE, type CaseSummary } from '../contracts/case-list.js';
import { fieldInvalid } from '../lib/problem.js';
import { decodeKeyset, encodeKeyset, isIsoInstant, isUuid, notACursor } from '../lib/cursor.js';
import type { Clock } from '../lib/clock.js';
import type { RequestContext } from '../access/principal.js';
import type { AccessService, ScopeFacts } from '../access/access-service.js';

export type CaseListService = ReturnType<typeof createCaseListService>;


export const DEFAULT_PAGE = 50;

export interface CaseListFilters {
  state?: CaseState[];
  riskLevel?: RiskLevel;
  urgent?: boolean;
  region?: string;
  /** a user id, `me` (the caller) or `none` (unassigned) */
  assignee?: string;
  /** an open deadline is past due (by the injected clock) */
  overdue?: boolean;
}

export interface CaseListPage {
  limit?: number;
  /** opaque: from the previous page's `nextCursor` */
  cursor?: string;
}

/** Which rows of `cases` the caller may list: the union of these (policy scopes of case.list). */
export interface ListScope {
  all: boolean;
  pool: boolean;
  /** the caller's user id when the `assigned` scope applies */
  assignedTo: string | null;
}

/** The sort key of a row: urgent first, earliest open deadline (none last), oldest, id. */
interface SortKey {
  u: boolean;
  d: string | null;
  c: string;
  i: string;
}

export const encodeCursor = (k: SortKey): string => encodeKeyset(k);

/** Parses an opaque cursor; anything but a well-formed sort key is a 400. */
export function decodeCursor(cursor: string): SortKey {
  const o = decodeKeyset(cursor, '/querystring/cursor');
  const { u, d, c, i } = o;
  if (Object.keys(o).length !== 4 || typeof u !== 'boolean' || !isIsoInstant(c) || !isUuid(i) || !(d === null || isIsoInstant(d))) throw notACursor('/querystring/cursor');
  return { u, d, c, i };
}

// The sort key, exactly as in the index cases_list_idx (src/db/schema/cases.ts): the planner
// matches it to walk the index in order and to bound the scan with the cursor's row comparison.
const SORT_KEY = `(not urgent), coalesce(next_due_at, 'infinity'::timestamptz), created_at, id`;
const iso = (col: string) => `to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const SELECT = `select id, reference, state, urgent, urgent_claimed as "urgentClaimed", risk_level as "riskLevel", region,
  defender_category as "defenderCategory", assignee_id as "assigneeId", ${iso('created_at')} as "createdAt",
  ${iso('next_due_at')} as "dueAt", next_due_rule as "rule", coalesce(next_due_at < $1::timestamptz, false) as overdue
from cases`;

export interface ListRow {
  id: string;
  reference: string;
  state: string;
  urgent: boolean;
  urgentClaimed: boolean;
  riskLevel: string | null;
  region: string;
  defenderCategory: string;
  assigneeId: string | null;
  createdAt: string;
  dueAt: string | null;
  rule: string | null;
  overdue: boolean;
}

/**
 * The list statement: scope and filters as a WHERE clause, keyset after the cursor, in index
 * order, one row more than the page to tell whether another page follows. Every value is a
 * parameter; the text depends only on which filters are present, so postgres.js prepares each
 * shape once per connection. Plain SQL rather than the query builder: this is the hottest read
 * of the service and the builder cost more than the query (bench/triage-queue.bench.ts, which
 * also runs this exact statement directly and prints its plan).
 */
export function listStatement(args: { scope: ListScope; filters: CaseListFilters; callerId: string | null; after: SortKey | null; limit: number; now: Date }): { text: string; params: Array<string | number | boolean | string[]> } {
  const { scope, filters: f, callerId, after, limit, now } = args;
  const params: Array<string | number | boolean | string[]> = [now.toISOString()];
  const p = (v: string | number | boolean | string[]) => `$${params.push(v)}`;
  const where: string[] = [];
  if (!scope.all) {
    const parts: string[] = [];
    if (scope.pool) parts.push(`state = 'received'`);
    if (scope.assignedTo) parts.push(`assignee_id = ${p(scope.assignedTo)}::uuid`);
    // No scope at all never reaches here (authorize refuses), but an empty OR must not list everything.
    where.push(parts.length > 0 ? `(${parts.join(' or ')})` : 'false');
  }
  if (f.state && f.state.length > 0) where.push(f.state.length === 1 ? `state = ${p(f.state[0]!)}` : `state = any(${p(f.state)}::text[])`);
  if (f.riskLevel) where.push(`risk_level = ${p(f.riskLevel)}`);
  if (f.urgent !== undefined) where.push(`urgent = ${p(f.urgent)}::boolean`);
  if (f.region) where.push(`region = ${p(f.region)}`);
  if (f.assignee === 'none') where.push('assignee_id is null');
  else if (f.assignee === 'me') where.push(callerId ? `assignee_id = ${p(callerId)}::uuid` : 'false');
  else if (f.assignee) where.push(`assignee_id = ${p(f.assignee)}::uuid`);
  if (f.overdue === true) where.push('next_due_at < $1::timestamptz');
  if (f.overdue === false) where.push('(next_due_at is null or next_due_at >= $1::timestamptz)');
  if (after) where.push(`(${SORT_KEY}) > (${p(!after.u)}::boolean, ${p(after.d ?? 'infinity')}::timestamptz, ${p(after.c)}::timestamptz, ${p(after.i)}::uuid)`);
  const text = `${SELECT}${where.length > 0 ? ` where ${where.join(' and ')}` : ''} order by ${SORT_KEY} limit ${p(limit + 1)}::int`;
  return { text, params };
}

/**
 * The case lists of staff: the triage queue and each person's own cases. An officer lists the
 * intake pool and the cases assigned to them, a supervisor every case; the scopes come from the
 * policy (case.list) and become the WHERE clause, so nothing outside them is ever read. Metadata
 * only: codes, states, dates, the next deadline.
 */
export function createCaseListService(deps: { sql: Sql; access: Pick<AccessService, 'authorizeRead' | 'decide'>; clock: Clock }) {
  const { sql, access, clock } = deps;

  /** The policy's scopes of case.list for this caller, each tested on its own. */
  function scopeOf(ctx: RequestContext): ListScope {
    const p = ctx.principal;
    const holds = (facts: ScopeFacts) => access.decide(p, 'case.list', facts).allowed;
    const all = holds({});
    const pool = !all && holds({ caseState: 'received' });
    const assignedTo = !all && p.kind === 'user' && holds({ assigneeId: p.userId }) ? p.userId : null;
    return { all, pool, assignedTo };
  }

  return {
    async list(ctx: RequestContext, filters: CaseListFilters, page: CaseListPage = {}) {
      const limit = page.limit ?? DEFAULT_PAGE;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw fieldInvalid('/querystring/limit', `between 1 and ${MAX_PAGE}`);
      if (filters.assignee !== undefined && filters.assignee !== 'me' && filters.assignee !== 'none' && !isUuid(filters.assignee)) throw fieldInvalid('/querystring/assignee', 'a user id, me or none');
      const after = page.cursor !== undefined ? decodeCursor(page.cursor) : null;

      const scope = scopeOf(ctx);
      // One decision for the whole list, audited as a read. The facts describe what the list
      // covers (the pool, the caller's assigned cases): with none of them the caller is refused.
      const facts: ScopeFacts = {};
      if (scope.pool) facts.caseState = 'received';
      if (scope.assignedTo) facts.assigneeId = scope.assignedTo;
      // The audit write and the list query run side by side; the answer waits for both.
      const { audited } = await access.authorizeRead(ctx, 'case.list', { resource: 'cases', facts });

      const now = clock.now();
      const callerId = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
      const stmt = listStatement({ scope, filters, callerId, after, limit, now });
      const [rows] = (await Promise.all([sql.unsafe(stmt.text, stmt.params, { prepare: true }), audited])) as unknown as [ListRow[], void];
      const more = rows.length > limit;
      const items = (more ? rows.slice(0, limit) : rows).map((r): CaseSummary => ({
        id: r.id,
        reference: r.reference,
        state: r.state,
        urgent: r.urgent,
        urgentClaimed: r.urgentClaimed,
        riskLevel: r.riskLevel,
        region: r.region,
        defenderCategory: r.defenderCategory,
        assigneeId: r.assigneeId,
        createdAt: r.createdAt,
        nextDue: r.dueAt !== null ? { rule: r.rule ?? '', dueAt: r.dueAt } : null,
        overdue: r.overdue,
      }));
      const last = items[items.length - 1];
      const nextCursor = more && last ? encodeCursor({ u: last.urgent, d: last.nextDue?.dueAt ?? null, c: last.createdAt, i: last.id }) : null;
      return { items, nextCursor };
    },
  };
}
