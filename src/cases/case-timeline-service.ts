import { AppError } from '../lib/problem.js';
import type { RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { CaseRepository } from './case-repository.js';
import { caseScope } from '../access/case-scope.js';

export type CaseTimelineService = ReturnType<typeof createCaseTimelineService>;

/**
 * A case's history for staff: every transition with actor (an id), time, action, states and
 * reason, oldest first, in pages after an entry id (the bigserial orders entries as they were
 * written, and the (case_id, id) index bounds each page). Every read is audited.
 */
export function createCaseTimelineService(deps: { cases: Pick<CaseRepository, 'byId' | 'timeline'>; access: Pick<AccessService, 'authorize'> }) {
  const { cases, access } = deps;

  return {
    async list(ctx: RequestContext, caseId: string, page: { afterId?: number; limit: number }) {
      const c = await cases.byId(caseId);
      await access.authorize(ctx, 'case.timeline', { resource: `case:${caseId}/timeline`, caseId: c ? caseId : null, found: c !== undefined, facts: caseScope(c) }, undefined, { read: true });
      if (!c) throw new AppError('not_found');
      const rows = await cases.timeline(caseId, { afterId: page.afterId, limit: page.limit + 1 });
      const items = rows.slice(0, page.limit);
      return { items, nextAfterId: rows.length > page.limit ? items[items.length - 1]!.id : null };
    },
  };
}
