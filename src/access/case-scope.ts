import type { AccessService, ScopeFacts } from './access-service.js';
import type { Principal } from './principal.js';

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

/** Which cases a list may show: the union of these, each a scope of the policy tested on its own. */
export interface CaseListScope {
  all: boolean;
  pool: boolean;
  /** the caller's user id when the `assigned` scope applies */
  assignedTo: string | null;
}

/**
 * The scopes of a list action (case.list, case.search) the caller holds: a list cannot ask the
 * policy case by case, so each scope is tested with the facts that make it hold, and the query
 * shows the union.
 */
export function listScopeOf(access: Pick<AccessService, 'permits'>, principal: Principal, action: string): CaseListScope {
  const holds = (facts: ScopeFacts) => access.permits(principal, action, facts);
  const all = holds({});
  const pool = !all && holds({ caseState: 'received' });
  const assignedTo = !all && principal.kind === 'user' && holds({ assigneeId: principal.userId }) ? principal.userId : null;
  return { all, pool, assignedTo };
}
