import { MAX_PAGE, type CaseSort, type CaseSummary } from '../contracts/case-list.js';
import { RISK_LEVELS } from '../contracts/shared.js';
import type { IntakePolicy } from '../intake/intake-policy.js';
import { fieldInvalid } from '../lib/problem.js';
import { decodeKeyset, encodeKeyset, isIsoInstant, isUuid, notACursor } from '../lib/cursor.js';
import type { Clock } from '../lib/clock.js';
import { listScopeOf } from '../access/case-scope.js';
import { actorOf, type RequestContext } from '../access/principal.js';
import type { AccessService, ScopeFacts } from '../access/access-service.js';
import type { CaseListFilters, CaseListRepository, SortKey } from './case-list-repository.js';

export type { CaseListFilters } from './case-list-repository.js';

export type CaseListService = ReturnType<typeof createCaseListService>;

export const DEFAULT_PAGE = 50;

export interface CaseListPage {
  limit?: number;
  /** the order (default `due`); a cursor continues the sort it was made for */
  sort?: CaseSort;
  /** opaque: from the previous page's `nextCursor` */
  cursor?: string;
}

export const encodeCursor = (k: SortKey): string => encodeKeyset(k);

const isRisk = (r: unknown): r is (typeof RISK_LEVELS)[number] => typeof r === 'string' && (RISK_LEVELS as readonly string[]).includes(r);

/** Parses an opaque cursor of `sort`; anything but a well-formed sort key of that sort is a 400. */
export function decodeCursor(cursor: string, sort: CaseSort = 'due'): SortKey {
  const o = decodeKeyset(cursor, '/querystring/cursor');
  const size = Object.keys(o).length;
  const bad = notACursor('/querystring/cursor');
  switch (sort) {
    case 'due': {
      const { u, d, c, i } = o;
      if (size !== 4 || typeof u !== 'boolean' || !isIsoInstant(c) || !isUuid(i) || !(d === null || isIsoInstant(d))) throw bad;
      return { u, d, c, i };
    }
    case 'created': {
      const { s, c, i } = o;
      if (size !== 3 || s !== 'created' || !isIsoInstant(c) || !isUuid(i)) throw bad;
      return { s, c, i };
    }
    case 'risk': {
      const { s, r, c, i } = o;
      if (size !== 4 || s !== 'risk' || !(r === null || isRisk(r)) || !isIsoInstant(c) || !isUuid(i)) throw bad;
      return { s, r, c, i };
    }
    case 'reference': {
      const { s, f } = o;
      if (size !== 2 || s !== 'reference' || typeof f !== 'string' || f.length === 0 || f.length > 32) throw bad;
      return { s, f };
    }
  }
}

/** The sort key of the last item of a page, for the next page's cursor. */
function keyOfItem(sort: CaseSort, last: CaseSummary): SortKey {
  switch (sort) {
    case 'due':
      return { u: last.urgent, d: last.nextDue?.dueAt ?? null, c: last.createdAt, i: last.id };
    case 'created':
      return { s: 'created', c: last.createdAt, i: last.id };
    case 'risk':
      return { s: 'risk', r: isRisk(last.riskLevel) ? last.riskLevel : null, c: last.createdAt, i: last.id };
    case 'reference':
      return { s: 'reference', f: last.reference };
  }
}

/**
 * The case lists of staff: the triage queue and each person's own cases. An officer lists the
 * intake pool and the cases assigned to them, a supervisor every case; the scopes come from the
 * policy (case.list) and become the WHERE clause, so nothing outside them is ever read. Metadata
 * only: codes, states, dates, the next deadline.
 */
export function createCaseListService(deps: {
  lists: CaseListRepository;
  access: Pick<AccessService, 'authorize' | 'permits'>;
  clock: Clock;
  intake: Pick<IntakePolicy, 'has'>;
  /** messages of others after the reader's marker, per case (the messages module's repository) */
  unreadMessages: (caseIds: readonly string[], reader: string) => Promise<Map<string, number>>;
}) {
  const { lists, access, clock, unreadMessages, intake } = deps;

  return {
    async list(ctx: RequestContext, filters: CaseListFilters, page: CaseListPage = {}) {
      const limit = page.limit ?? DEFAULT_PAGE;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw fieldInvalid('/querystring/limit', `between 1 and ${MAX_PAGE}`);
      if (filters.assignee !== undefined && filters.assignee !== 'me' && filters.assignee !== 'none' && !isUuid(filters.assignee)) throw fieldInvalid('/querystring/assignee', 'a user id, me or none');
      if (filters.category !== undefined && !intake.has('defenderCategory', filters.category)) throw fieldInvalid('/querystring/category', 'a defenderCategory code of policies/intake.yaml');
      if (filters.dueWithin !== undefined && (!Number.isInteger(filters.dueWithin) || filters.dueWithin < 1 || filters.dueWithin > 365)) throw fieldInvalid('/querystring/dueWithin', 'between 1 and 365');
      const sort = page.sort ?? 'due';
      const after = page.cursor !== undefined ? decodeCursor(page.cursor, sort) : null;

      const scope = listScopeOf(access, ctx.principal, 'case.list');
      // One decision for the whole list, audited as a read. The facts describe what the list
      // covers (the pool, the caller's assigned cases): with none of them the caller is refused.
      const facts: ScopeFacts = {};
      if (scope.pool) facts.caseState = 'received';
      if (scope.assignedTo) facts.assigneeId = scope.assignedTo;
      // The audit write and the list query run side by side; the answer waits for both.
      const { audited } = await access.authorize(ctx, 'case.list', { resource: 'cases', facts }, undefined, { read: true, deferAudit: true });

      const now = clock.now();
      const callerId = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
      const [rows] = await Promise.all([lists.page({ scope, filters, callerId, after, limit, now, sort }), audited]);
      const more = rows.length > limit;
      // A second query for the page's cases only, kept apart from the list's own filters and order.
      const shown = more ? rows.slice(0, limit) : rows;
      const unread = await unreadMessages(shown.map((r) => r.id), actorOf(ctx.principal));
      const items = shown.map((r): CaseSummary => ({
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
        unreadMessages: unread.get(r.id) ?? 0,
      }));
      const last = items[items.length - 1];
      const nextCursor = more && last ? encodeCursor(keyOfItem(sort, last)) : null;
      return { items, nextCursor };
    },

    /** The queue's counts, within the caller's scope only; one audited decision, as for the list. */
    async counts(ctx: RequestContext) {
      const scope = listScopeOf(access, ctx.principal, 'case.list');
      const facts: ScopeFacts = {};
      if (scope.pool) facts.caseState = 'received';
      if (scope.assignedTo) facts.assigneeId = scope.assignedTo;
      const { audited } = await access.authorize(ctx, 'case.list', { resource: 'cases/counts', facts }, undefined, { read: true, deferAudit: true });
      const callerId = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
      const [counts] = await Promise.all([lists.counts({ scope, callerId, now: clock.now() }), audited]);
      return counts;
    },
  };
}
