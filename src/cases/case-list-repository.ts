import type { CaseListScope } from '../access/case-scope.js';
import type { Sql } from 'postgres';

import type { CaseState, RiskLevel } from '../contracts/shared.js';
import { riskRank } from '../db/schema/cases.js';
import type { CaseSort } from '../contracts/case-list.js';

export interface CaseListFilters {
  state?: CaseState[];
  riskLevel?: RiskLevel;
  urgent?: boolean;
  region?: string;
  /** a defenderCategory code of policies/intake.yaml */
  category?: string;
  /** a user id, `me` (the caller) or `none` (unassigned) */
  assignee?: string;
  /** an open deadline is past due (by the injected clock) */
  overdue?: boolean;
  /** an open deadline falls due within this many days (those past due included) */
  dueWithin?: number;
}

/** Which rows of `cases` the caller may list: the union of these (policy scopes of case.list). */
export type ListScope = CaseListScope;

/** The sort key of a row (what a cursor holds), by sort; every one ends on a unique column. */
export type SortKey =
  /** due: urgent first, earliest open deadline (none last), oldest, id */
  | { s?: 'due'; u: boolean; d: string | null; c: string; i: string }
  /** created: newest first, id */
  | { s: 'created'; c: string; i: string }
  /** risk: highest level first (none last), oldest, id */
  | { s: 'risk'; r: RiskLevel | null; c: string; i: string }
  /** reference: in order (references are unique) */
  | { s: 'reference'; f: string };

/**
 * Each sort: its key as in its index, ascending or descending as a whole, so that a keyset cursor
 * is one row comparison bounded by the index.
 */
const SORTS: Record<CaseSort, { key: string; desc: boolean }> = {
  // The index cases_list_idx; the planner matches it to walk it in order.
  due: { key: `(not urgent), coalesce(next_due_at, 'infinity'::timestamptz), created_at, id`, desc: false },
  created: { key: 'created_at, id', desc: true },
  risk: { key: `${riskRank('risk_level')}, created_at, id`, desc: false },
  reference: { key: 'reference', desc: false },
};

/** A cursor's values, as parameters in the shape of its sort's key. */
function keyOf(k: SortKey, p: (v: string | boolean) => string): string {
  switch (k.s) {
    case 'created':
      return `(${p(k.c)}::timestamptz, ${p(k.i)}::uuid)`;
    case 'risk':
      return `(${riskRank(`${p(k.r ?? '')}::text`)}, ${p(k.c)}::timestamptz, ${p(k.i)}::uuid)`;
    case 'reference':
      return `(${p(k.f)}::text)`;
    default:
      return `(${p(!k.u)}::boolean, ${p(k.d ?? 'infinity')}::timestamptz, ${p(k.c)}::timestamptz, ${p(k.i)}::uuid)`;
  }
}

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

type Params = Array<string | number | boolean | string[]>;

/** The caller's scope and the filters as the conditions of a WHERE clause ($1 is the current time). */
function conditions(scope: ListScope, f: CaseListFilters, callerId: string | null, p: (v: string | number | boolean | string[]) => string): string[] {
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
  if (f.category) where.push(`defender_category = ${p(f.category)}`);
  if (f.assignee === 'none') where.push('assignee_id is null');
  else if (f.assignee === 'me') where.push(callerId ? `assignee_id = ${p(callerId)}::uuid` : 'false');
  else if (f.assignee) where.push(`assignee_id = ${p(f.assignee)}::uuid`);
  if (f.overdue === true) where.push('next_due_at < $1::timestamptz');
  if (f.overdue === false) where.push('(next_due_at is null or next_due_at >= $1::timestamptz)');
  if (f.dueWithin !== undefined) where.push(`next_due_at < $1::timestamptz + make_interval(days => ${p(f.dueWithin)}::int)`);
  return where;
}

/**
 * The list statement: scope and filters as a WHERE clause, keyset after the cursor, in index
 * order, one row more than the page to tell whether another page follows. Every value is a
 * parameter; the text depends only on which filters are present and the sort, so postgres.js
 * prepares each shape once per connection. Plain SQL rather than the query builder: this is the
 * hottest read of the service and the builder cost more than the query
 * (bench/triage-queue.bench.ts, which also runs this exact statement directly and prints its plan).
 */
export function listStatement(args: { scope: ListScope; filters: CaseListFilters; callerId: string | null; after: SortKey | null; limit: number; now: Date; sort?: CaseSort }): { text: string; params: Params } {
  const { scope, filters, callerId, after, limit, now } = args;
  const sort = SORTS[args.sort ?? 'due'];
  const params: Params = [now.toISOString()];
  const p = (v: string | number | boolean | string[]) => `$${params.push(v)}`;
  const where = conditions(scope, filters, callerId, p);
  // The cursor's sort is checked by the service; a key of another sort never reaches here.
  if (after) where.push(`(${sort.key}) ${sort.desc ? '<' : '>'} ${keyOf(after, p)}`);
  const order = sort.desc ? sort.key.split(', ').map((c) => `${c} desc`).join(', ') : sort.key;
  const text = `${SELECT}${where.length > 0 ? ` where ${where.join(' and ')}` : ''} order by ${order} limit ${p(limit + 1)}::int`;
  return { text, params };
}

/** What the queue counts, within the caller's scope. */
export interface CaseCountsRow {
  /** received and unassigned */
  pool: number;
  /** assigned to the caller, open */
  mine: number;
  /** open, with an open deadline past due */
  overdue: number;
  /** open and urgent */
  urgent: number;
  byState: Record<string, number>;
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

    /** The queue's counts within the caller's scope, in one pass over the rows in scope. */
    async counts(args: { scope: ListScope; callerId: string | null; now: Date }): Promise<CaseCountsRow> {
      const params: Params = [args.now.toISOString()];
      const p = (v: string | number | boolean | string[]) => `$${params.push(v)}`;
      const where = conditions(args.scope, {}, args.callerId, p);
      const me = args.callerId ? `assignee_id = ${p(args.callerId)}::uuid` : 'false';
      const text = `select state, count(*)::int as n,
          count(*) filter (where state = 'received' and assignee_id is null)::int as pool,
          count(*) filter (where ${me} and state <> 'closed')::int as mine,
          count(*) filter (where next_due_at < $1::timestamptz and state <> 'closed')::int as overdue,
          count(*) filter (where urgent and state <> 'closed')::int as urgent
        from cases${where.length > 0 ? ` where ${where.join(' and ')}` : ''} group by state`;
      const rows = (await sql.unsafe(text, params, { prepare: true })) as unknown as Array<{ state: string; n: number; pool: number; mine: number; overdue: number; urgent: number }>;
      const sum = (k: 'pool' | 'mine' | 'overdue' | 'urgent') => rows.reduce((a, r) => a + r[k], 0);
      return { pool: sum('pool'), mine: sum('mine'), overdue: sum('overdue'), urgent: sum('urgent'), byState: Object.fromEntries(rows.map((r) => [r.state, r.n])) };
    },
  };
}
