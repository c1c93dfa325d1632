import type { Sql } from 'postgres';

import type { CaseState, RiskLevel } from '../contracts/shared.js';

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

/** Which rows of `cases` the caller may list: the union of these (policy scopes of case.list). */
export interface ListScope {
  all: boolean;
  pool: boolean;
  /** the caller's user id when the `assigned` scope applies */
  assignedTo: string | null;
}

/** The sort key of a row: urgent first, earliest open deadline (none last), oldest, id. */
export interface SortKey {
  u: boolean;
  d: string | null;
  c: string;
  i: string;
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

export type CaseListRepository = ReturnType<typeof createCaseListRepository>;

/** The case lists, on the pool's own client: the statement above, prepared. */
export function createCaseListRepository(sql: Sql) {
  return {
    /** One page of the list (and one row more when another page follows). */
    async page(args: Parameters<typeof listStatement>[0]): Promise<ListRow[]> {
      const stmt = listStatement(args);
      return (await sql.unsafe(stmt.text, stmt.params, { prepare: true })) as unknown as ListRow[];
    },
  };
}
