import type { RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import { fingerprintOf } from '../keys/public-key-view.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import type { UserRepository } from './user-repository.js';

export type StaffDirectoryService = ReturnType<typeof createStaffDirectoryService>;

/**
 * The mechanism's active officers and supervisors, so that a colleague is picked by name (a case
 * handed over, a key granted) rather than by a typed account id. Only what names a person and
 * their key: never a wrapped key, a recovery wrap, a verifier or a TOTP secret. Audited as a read.
 */
export function createStaffDirectoryService(deps: { users: Pick<UserRepository, 'activeStaffOf'>; orgs: Pick<OrgRepository, 'mechanism'>; access: Pick<AccessService, 'authorize'> }) {
  const { users, orgs, access } = deps;

  return {
    async list(ctx: RequestContext) {
      await access.authorize(ctx, 'staff.directory', { resource: 'staff' }, undefined, { read: true });
      const mechanism = await orgs.mechanism();
      const rows = mechanism ? await users.activeStaffOf(mechanism.id) : [];
      return {
        items: rows.map((u) => ({ userId: u.id, username: u.username, role: u.role as 'officer' | 'supervisor', keyId: u.keyId, fingerprint: fingerprintOf(u.keyId) })),
      };
    },
  };
}
