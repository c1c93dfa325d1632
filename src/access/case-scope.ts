import type { ScopeFacts } from './access-service.js';

/** What the policy needs of a case row: its id, its state and who it is assigned to. */
export interface CaseScopeRow {
  id: string;
  state: string;
  assigneeId: string | null;
}

/**
 * The scope facts of a case (policies/access.yaml: `pool` reads the state, `assigned` the
 * assignee, `own` the id), the same for every action on it; none when there is no such case, so
 * that no scope holds and the access service answers 404. Facts that need a query (`participant`,
 * `breakGlassId`) come from case-participation.ts and are added to these.
 */
export function caseScope(c: CaseScopeRow | null | undefined): ScopeFacts {
  return c ? { caseState: c.state, assigneeId: c.assigneeId, caseId: c.id } : {};
}
