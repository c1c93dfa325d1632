import type { Clock } from '../lib/clock.js';
import { AppError, fieldInvalid } from '../lib/problem.js';
import { decodeKeyset, encodeKeyset, isIsoInstant, isUuid, notACursor } from '../lib/cursor.js';
import type { RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { CaseRepository } from '../cases/case-repository.js';
import type { DeadlinePolicy } from './deadline-policy.js';
import type { DeadlineViewRepository } from './deadline-view-repository.js';
import { caseScope } from '../access/case-scope.js';
import { DEADLINE_PAGE_MAX } from '../contracts/deadline-view.js';

export type DeadlineViewService = ReturnType<typeof createDeadlineViewService>;

export const DEADLINE_PAGE_DEFAULT = 50;
/** A case has a handful of deadlines per rule and subject; this bounds the per-case answer. */
const CASE_DEADLINES_MAX = 500;


export interface DeadlineListFilters {
  state?: 'open' | 'paused';
  overdue?: boolean;
  rule?: string;
}

/** Keyset cursor: the last row's due time and id (the list's order). */
export const encodeDeadlineCursor = (k: { d: string; i: string }): string => encodeKeyset(k);

export function decodeDeadlineCursor(cursor: string): { d: Date; i: string } {
  const { d, i } = decodeKeyset(cursor, '/querystring/after');
  if (!isIsoInstant(d) || !isUuid(i)) throw notACursor('/querystring/after');
  return { d: new Date(d), i };
}

/**
 * What deadlines are running, for the people who answer for them: a supervisor across every case,
 * an officer across the cases assigned to them, a partner member those of its organisation's
 * referrals (without the case's id or reference) (the scopes of `deadline.list` become the WHERE
 * clause, so nothing outside them is read), and one case's deadlines for whoever may see that
 * case's deadlines. Metadata only: reference, rule, due time, state, ladder level.
 */
export function createDeadlineViewService(deps: { views: DeadlineViewRepository; access: Pick<AccessService, 'authorize' | 'permits'>; cases: Pick<CaseRepository, 'byId'>; policy: DeadlinePolicy; clock: Clock }) {
  const { views, access, clock, policy } = deps;
  /** The rules whose actor is the defender: the only ones a defender is shown (info_reply, consent, checkin). */
  const defenderRules = [...policy.rules].filter(([, r]) => r.actor === 'defender').map(([name]) => name as string);

  return {
    async list(ctx: RequestContext, filters: DeadlineListFilters, page: { limit?: number; after?: string }) {
      const limit = page.limit ?? DEADLINE_PAGE_DEFAULT;
      if (!Number.isInteger(limit) || limit < 1 || limit > DEADLINE_PAGE_MAX) throw fieldInvalid('/querystring/limit', `between 1 and ${DEADLINE_PAGE_MAX}`);
      if (filters.rule !== undefined && !policy.rules.has(filters.rule as never)) throw fieldInvalid('/querystring/rule', 'a rule of policies/deadlines.yaml');
      const after = page.after !== undefined ? decodeDeadlineCursor(page.after) : null;

      const p = ctx.principal;
      const all = access.permits(p, 'deadline.list', {});
      const assignedTo = !all && p.kind === 'user' && access.permits(p, 'deadline.list', { assigneeId: p.userId }) ? p.userId : null;
      // A partner member: the deadlines of its organisation's referrals (their response and progress reports).
      const partnerOrg = !all && !assignedTo && p.kind === 'user' && access.permits(p, 'deadline.list', { orgId: p.orgId }) ? p.orgId : null;
      // A defender holds deadline.list for their own case only: the list across cases is out of
      // their scope (404, audited by authorize), like any other resource.
      const facts = assignedTo ? { assigneeId: assignedTo } : partnerOrg ? { orgId: partnerOrg } : {};
      const { audited } = await access.authorize(ctx, 'deadline.list', { resource: 'deadlines', facts }, undefined, { read: true, deferAudit: true });

      const now = clock.now();
      const [rows] = await Promise.all([
        views.page({ state: filters.state, assignedTo, partnerOrg, rule: filters.rule, overdueAt: filters.overdue === true ? now : null, after, limit: limit + 1, now }),
        audited,
      ]);
      const more = rows.length > limit;
      // A partner sees referrals, never the case: no case id or reference (as in its referral view).
      const items = (more ? rows.slice(0, limit) : rows).map((r) => (partnerOrg ? { ...r, caseId: null, reference: null } : r));
      const last = items.at(-1);
      return { items, nextCursor: more && last ? encodeDeadlineCursor({ d: last.dueAt, i: last.id }) : null };
    },

    /**
     * One case's deadlines, every state, by due time. Staff in scope see them all; the defender
     * those they must act on (rules whose actor is the defender). A partner is refused here (404,
     * out of scope): it sees referrals, never the case.
     */
    async ofCase(ctx: RequestContext, caseId: string) {
      // Metadata only: the scopes of deadline.list never look at envelopes, so no key lookups.
      const c = await deps.cases.byId(caseId);
      const facts = caseScope(c);
      const { audited } = await access.authorize(ctx, 'deadline.list', { resource: `case:${caseId}/deadlines`, caseId: c ? caseId : null, found: c !== undefined, facts }, undefined, { read: true, deferAudit: true });
      if (!c) throw new AppError('not_found');
      const defender = ctx.principal.kind === 'defender';
      const [items] = await Promise.all([views.ofCase(caseId, defender ? defenderRules : null, CASE_DEADLINES_MAX, clock.now()), audited]);
      return { items };
    },
  };
}
