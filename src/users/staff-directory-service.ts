import type { RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import { fingerprintOf } from '../keys/public-key-view.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import type { UserRepository } from './user-repository.js';

export type StaffDirectoryService = ReturnType<typeof createStaffDirectoryService>;

/**
 * The active colleagues who may hold the caller's organisation's keys, so that a colleague is
 * picked by name (a case handed over, a key granted) rather than by a typed account id: the
 * mechanism's officers and supervisors for staff, the members of a partner organisation for its
 * member (scope `organisation`: never another organisation's). Only what names a person and
 * their key: never a wrapped key, a recovery wrap, a verifier or a TOTP secret. Audited as a read.
 */
export function createStaffDirectoryService(deps: { users: Pick<UserRepository, 'activeStaffOf'>; orgs: Pick<OrgRepository, 'mechanism'>; access: Pick<AccessService, 'authorize'> }) {
  const { users, orgs, access } = deps;

  return {
    async list(ctx: RequestContext) {
      const p = ctx.principal;
      const partner = p.kind === 'user' && p.role === 'partner' ? p.orgId : null;
      await access.authorize(ctx, 'staff.directory', { resource: 'staff', facts: { orgId: partner } }, undefined, { read: true });
      const orgId = partner ?? (await orgs.mechanism())?.id;
      const rows = orgId ? await users.activeStaffOf(orgId, partner ? ['partner'] : ['officer', 'supervisor']) : [];
      return {
        items: rows.map((u) => ({ userId: u.id, username: u.username, role: u.role as 'officer' | 'supervisor' | 'partner', keyId: u.keyId, fingerprint: fingerprintOf(u.keyId) })),
      };
    },
  };
}
