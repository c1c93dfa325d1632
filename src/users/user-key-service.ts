import { AppError } from '../lib/problem.js';
import type { RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import { publicKeyView } from '../keys/public-key-view.js';
import type { UserRepository, UserRow } from './user-repository.js';

/**
 * Who may be sealed to: an active account of a role that holds keys. Admins hold none by design
 * (access.md), and nobody grants to a disabled account.
 */
const grantee = (u: UserRow | undefined): u is UserRow => u !== undefined && u.status === 'active' && u.role !== 'admin';

export type UserKeyService = ReturnType<typeof createUserKeyService>;

/**
 * A colleague's public key, for a client about to seal a case envelope or a keyring entry to them.
 * Scope `organisation` (policies/access.yaml, user.key.read): staff read the keys of the
 * mechanism's active officers and supervisors, a partner member those of its own organisation's
 * active members; anyone else, a disabled account or an admin is out of scope (404, audited).
 */
export function createUserKeyService(deps: { users: Pick<UserRepository, 'byId'>; access: Pick<AccessService, 'authorize'> }) {
  const { users, access } = deps;

  return {
    async publicKey(ctx: RequestContext, userId: string) {
      const u = await users.byId(userId);
      const target = grantee(u) ? u : undefined;
      // Decided with the policy: a refused read holds one event, its denial (no allowed read first).
      await access.authorize(ctx, 'user.key.read', { resource: `user:${userId}/public-key`, found: target !== undefined, facts: { orgId: target?.orgId ?? null } }, undefined, { read: true });
      if (!target) throw new AppError('not_found');
      return { userId: target.id, ...publicKeyView(target) };
    },
  };
}
