import { AppError } from '../lib/problem.js';
import type { RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { Clock } from '../lib/clock.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import type { CaseState } from '../contracts/shared.js';
import type { OfficerLoadView } from '../contracts/staff-oversight.js';
import type { StaffOversightRepository } from './staff-oversight-repository.js';

export type StaffOversightService = ReturnType<typeof createStaffOversightService>;

/**
 * What supervisors see of the staff's work: the load per officer (counts of open cases) and,
 * when someone leaves, what they still hold. Both are metadata a supervisor may read of every
 * case (case.list: all); each is audited as a read.
 *
 * There is deliberately no bulk hand-over command: a leaver's cases are handed over one case at a
 * time with the existing reassign and re-key commands, each its own transaction, audited with its
 * reason, checked by the same rules as everywhere else. A bulk command could not be all-or-nothing
 * anyway (each re-key is made by the client against one case's epoch), and the holdings answer is
 * recomputed from the database each time, which is what makes an interrupted hand-over resumable.
 */
export function createStaffOversightService(deps: { repo: StaffOversightRepository; orgs: Pick<OrgRepository, 'mechanism'>; access: Pick<AccessService, 'authorize'>; clock: Clock }) {
  const { repo, orgs, access, clock } = deps;

  return {
    async load(ctx: RequestContext) {
      await access.authorize(ctx, 'staff.load', { resource: 'staff' }, undefined, { read: true });
      const mechanism = await orgs.mechanism();
      const rows = await repo.loadRows(clock.now());
      const assignees = new Set(rows.flatMap((r) => (r.assignee_id ? [r.assignee_id] : [])));
      // Every active officer (one without cases is someone to give cases to), and anyone else still holding open cases (someone who left).
      const staff = mechanism ? await repo.staffRows(mechanism.id) : [];
      const people = staff.filter((u) => (u.role === 'officer' && u.status === 'active') || assignees.has(u.id));
      const items: OfficerLoadView[] = people.map((u) => ({ userId: u.id, username: u.username, role: u.role, status: u.status, open: 0, urgent: 0, overdue: 0, byState: {} }));
      const byId = new Map(items.map((i) => [i.userId, i]));
      let unassigned = 0;
      for (const r of rows) {
        const item = r.assignee_id ? byId.get(r.assignee_id) : undefined;
        if (!item) {
          if (!r.assignee_id) unassigned += r.n;
          continue;
        }
        item.open += r.n;
        item.urgent += r.urgent;
        item.overdue += r.overdue;
        item.byState[r.state] = (item.byState[r.state] ?? 0) + r.n;
      }
      return { items, unassigned };
    },

    async holdings(ctx: RequestContext, userId: string) {
      const mechanism = await orgs.mechanism();
      const u = await repo.user(userId);
      const found = u !== undefined && mechanism !== undefined && u.org_id === mechanism.id && (u.role === 'officer' || u.role === 'supervisor');
      await access.authorize(ctx, 'staff.holdings', { resource: `user:${userId}`, found }, undefined, { read: true });
      if (!found || !u) throw new AppError('not_found');
      const [cases, keyring, searchKey] = await Promise.all([repo.heldCases(userId), repo.keyring(userId), repo.holdsSearchKey(userId)]);
      return {
        userId: u.id,
        username: u.username,
        role: u.role as 'officer' | 'supervisor',
        status: u.status,
        disabledAt: u.disabled_at,
        cases: cases.map((c) => ({ caseId: c.id, reference: c.reference, state: c.state as CaseState, urgent: c.urgent, assigned: c.assigned, keyIds: c.key_ids })),
        keyring: keyring.map((k) => ({ orgId: k.org_id, orgKind: k.kind, orgKeyId: k.org_key_id, current: k.current })),
        searchKey,
      };
    },
  };
}
