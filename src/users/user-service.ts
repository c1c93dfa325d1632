import { randomUUID } from 'node:crypto';
import { AppError } from '../lib/problem.js';
import { randomToken, sha256b64u } from '../lib/hash.js';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { ServerKeys } from '../lib/server-keys.js';
import type { AuditService } from '../audit/audit-service.js';
import type { AccessService } from '../access/access-service.js';
import type { RequestContext, StaffRole } from '../access/principal.js';
import type { SessionRepository } from '../auth/session-repository.js';
import type { KeyringRepository } from '../keys/keyring-repository.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import { checkNewTotpSecret, sealTotpSecret } from '../auth/totp.js';
import type { InvitationRow, UserRepository, UserRow } from './user-repository.js';
import { checkKeyMaterial } from './key-material.js';

const INVITATION_TTL_MS = 72 * 3600 * 1000;

/** What an enrolling client uploads (made with the SDK's `enrol`), plus the TOTP secret it showed the user. */
export interface EnrolmentInput {
  token: string;
  publicKey: string;
  keyId: string;
  salt: string;
  verifier: string;
  wrappedPrivateKey: string;
  recoveryWrap: string;
  totpSecret: string;
  totpCode: string;
}

export function publicUser(u: UserRow) {
  return { id: u.id, username: u.username, role: u.role, orgId: u.orgId, status: u.status, keyId: u.keyId, createdAt: u.createdAt.toISOString(), disabledAt: u.disabledAt?.toISOString() ?? null };
}

/** An invitation as the admins see it: never its token (only the token's hash is stored anyway). */
export function invitationView(i: InvitationRow) {
  return { id: i.id, username: i.username, role: i.role, orgId: i.orgId, createdBy: i.createdBy, createdAt: i.createdAt.toISOString(), expiresAt: i.expiresAt.toISOString() };
}

export type UserService = ReturnType<typeof createUserService>;

export function createUserService(deps: {
  db: Db;
  users: UserRepository;
  orgs: Pick<OrgRepository, 'byId'>;
  sessions: Pick<SessionRepository, 'revokeAllOfUser'>;
  audit: Pick<AuditService, 'record'>;
  access: Pick<AccessService, 'authorize'>;
  clock: Clock;
  keyring: Pick<KeyringRepository, 'mechanismKeyHolderIds'>;
  keys: Pick<ServerKeys, 'totpKey'>;
}) {
  const { db, users, orgs, sessions, keyring, audit, access, clock, keys } = deps;
  const command = createCommandRunner({ db, audit });

  /** A pending invitation, locked; one that was used, revoked or has expired cannot be resent or revoked. */
  async function pendingById(id: string, tx: Tx) {
    const inv = await users.invitationByIdForUpdate(id, tx);
    if (!inv) throw new AppError('not_found');
    if (inv.usedAt || inv.revokedAt || inv.expiresAt <= clock.now()) {
      throw new AppError('invitation_invalid', inv.usedAt ? 'this invitation was used already' : inv.revokedAt ? 'this invitation was revoked' : 'this invitation has expired: invite the person again');
    }
    return inv;
  }

  return {
    /**
     * An admin invites a person; the token is handed over out of band and works once. One live
     * invitation per username: a second is refused (`invitation_pending`) until the first is
     * used or expires, so no second token for the same account is ever in circulation.
     */
    async invite(ctx: RequestContext, input: { username: string; role: StaffRole; orgId: string }) {
      const resource = `user:${input.username}`;
      return command(ctx, { action: 'user.invite', resource, caseId: null }, async (tx) => {
        await access.authorize(ctx, 'user.invite', { resource }, tx);
        const org = await orgs.byId(input.orgId, tx);
        if (!org) throw new AppError('validation_failed', 'no such organisation', { errors: [{ field: '/body/orgId', message: 'no such organisation' }] });
        if ((input.role === 'partner') !== (org.kind === 'partner')) {
          throw new AppError('validation_failed', 'partners belong to partner organisations; staff to the mechanism', { errors: [{ field: '/body/role', message: `role ${input.role} does not fit a ${org.kind} organisation` }] });
        }
        await users.lockUsername(input.username, tx);
        const taken = await users.byUsername(input.username, tx);
        if (taken) {
          // A person who left and came back keeps their account: a new one would orphan their envelopes.
          throw new AppError('already_exists', taken.status === 'disabled' ? `that username is a disabled account: enable it (POST /v1/users/${taken.id}/enable) rather than inviting the person again` : 'that username is taken');
        }
        const now = clock.now();
        const pending = await users.pendingInvitation(input.username, now, tx);
        if (pending) {
          throw new AppError('invitation_pending', `an invitation for this username (${pending.id}) can be used until ${pending.expiresAt.toISOString()}; hand that one over, or invite again once it has expired`);
        }
        const token = randomToken();
        const id = randomUUID();
        const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS);
        await users.insertInvitation({ id, tokenHash: sha256b64u(token), username: input.username, role: input.role, orgId: input.orgId, createdBy: ctx.principal.kind === 'user' ? ctx.principal.userId : null, expiresAt }, tx);
        return { invitationId: id, token, username: input.username, role: input.role, orgId: input.orgId, expiresAt: expiresAt.toISOString() };
      });
    },

    /** Completes enrolment: one transaction, or nothing (a used, expired or unknown token changes nothing). */
    async enrol(ctx: RequestContext, input: EnrolmentInput) {
      checkKeyMaterial(input);
      // No policy decision here: the token is the authority, so the runner's target is the one audited.
      return command(ctx, { action: 'enrolment.complete', resource: 'invitation', caseId: null }, async (tx) => {
        const step = checkNewTotpSecret(input.totpSecret, input.totpCode, clock.now());
        const inv = await users.invitationForUpdate(sha256b64u(input.token), tx);
        const now = clock.now();
        // One answer for every reason (nothing is told about the invitation); the log says which.
        const invalid = (why: string) => new AppError('invitation_invalid', 'this invitation cannot be used (unknown, used or expired)', { auditReason: why });
        if (!inv || inv.usedAt || inv.revokedAt || inv.expiresAt <= now) throw invalid(!inv ? 'unknown invitation' : inv.usedAt ? 'invitation already used' : inv.revokedAt ? 'invitation revoked' : 'invitation expired');
        if (await users.byUsername(inv.username, tx)) throw invalid('username taken');
        const userId = randomUUID();
        await users.insert(
          {
            id: userId,
            username: inv.username,
            role: inv.role,
            orgId: inv.orgId,
            salt: input.salt,
            verifier: input.verifier,
            publicKey: input.publicKey,
            keyId: input.keyId,
            wrappedPrivateKey: input.wrappedPrivateKey,
            recoveryWrap: input.recoveryWrap,
            totpSecret: sealTotpSecret(input.totpSecret, keys.totpKey),
            totpLastStep: step,
          },
          tx,
        );
        await users.markInvitationUsed(inv.id, userId, now, tx);
        await audit.record(ctx, { action: 'enrolment.complete', resource: `user:${userId}`, outcome: 'allowed', reason: `invitation ${inv.id}` }, tx);
        return publicUser((await users.byId(userId, tx))!);
      });
    },

    /** The invitations still pending (never a token), for the admins to resend or revoke. */
    async pendingInvitations(ctx: RequestContext, limit: number) {
      await access.authorize(ctx, 'invitation.list', { resource: 'invitations' }, undefined, { read: true });
      return (await users.pendingInvitations(clock.now(), limit)).map(invitationView);
    },

    /**
     * A new one-time token for a pending invitation (the person lost the link, or it went to the
     * wrong hands): the stored hash is replaced, so the old token stops enrolling in the same
     * transaction, and the invitation runs for a full period again. Shown once, like the first.
     */
    async resendInvitation(ctx: RequestContext, invitationId: string) {
      const resource = `invitation:${invitationId}`;
      return command(ctx, { action: 'invitation.resend', resource, caseId: null }, async (tx) => {
        await access.authorize(ctx, 'invitation.resend', { resource }, tx);
        const inv = await pendingById(invitationId, tx);
        const token = randomToken();
        const row = await users.replaceInvitationToken(inv.id, sha256b64u(token), new Date(clock.now().getTime() + INVITATION_TTL_MS), tx);
        return { invitationId: row.id, token, username: row.username, role: row.role, orgId: row.orgId, expiresAt: row.expiresAt.toISOString() };
      });
    },

    /** Withdraws a pending invitation: its token no longer enrols, and the username may be invited again. */
    async revokeInvitation(ctx: RequestContext, invitationId: string) {
      const resource = `invitation:${invitationId}`;
      return command(ctx, { action: 'invitation.revoke', resource, caseId: null }, async (tx) => {
        await access.authorize(ctx, 'invitation.revoke', { resource }, tx);
        const inv = await pendingById(invitationId, tx);
        return invitationView(await users.revokeInvitation(inv.id, clock.now(), tx));
      });
    },

    async list(ctx: RequestContext, page: { after?: string; limit: number }) {
      await access.authorize(ctx, 'user.list', { resource: 'users' });
      return (await users.list(page)).map(publicUser);
    },

    /**
     * Disabling ends every session of the user at once (the auth plugin re-checks sessions on
     * each request). Refused when it would leave the service without an active admin
     * (`last_admin`), when an admin would disable their own account (`self_disable`: another
     * admin does it, so nobody locks themselves out by mistake), and when it would leave the
     * mechanism's current key without an active holder (`last_keyholder`: nobody could open a
     * case again).
     */
    async disable(ctx: RequestContext, userId: string, reason: string) {
      const resource = `user:${userId}`;
      return command(ctx, { action: 'user.disable', resource, caseId: null }, async (tx) => {
        await access.authorize(ctx, 'user.disable', { resource }, tx, { reason });
        await users.lockAccountChanges(tx);
        const user = await users.byId(userId, tx);
        if (!user) throw new AppError('not_found');
        if (user.status !== 'active') throw new AppError('conflict', `the account is disabled already (since ${user.disabledAt?.toISOString() ?? 'an unknown time'})`);
        if (user.role === 'admin' && (await users.activeAdmins(tx)) <= 1) throw new AppError('last_admin', 'this is the only active admin: enrol another admin first');
        if (ctx.principal.kind === 'user' && ctx.principal.userId === userId) throw new AppError('self_disable', 'an admin does not disable their own account: another admin does');
        const holders = await keyring.mechanismKeyHolderIds(tx);
        if (holders.length === 1 && holders[0] === userId) {
          throw new AppError('last_keyholder', 'this is the only active holder of the mechanism key: a holder must first seal it to another supervisor (POST /v1/orgs/{orgId}/keyring), or no case could be opened again');
        }
        const now = clock.now();
        await users.disable(userId, now, tx);
        const ended = await sessions.revokeAllOfUser(userId, `disabled: ${reason}`, now, tx);
        return { user: publicUser((await users.byId(userId, tx))!), sessionsEnded: ended };
      });
    },

    /**
     * Enables a disabled account: the same person comes back with the same id, keys, envelopes
     * and keyring entries (a new invitation would make a new user id and orphan them). The
     * sessions the disable ended stay ended: the person logs in again.
     */
    async enable(ctx: RequestContext, userId: string, reason: string) {
      const resource = `user:${userId}`;
      return command(ctx, { action: 'user.enable', resource, caseId: null }, async (tx) => {
        await access.authorize(ctx, 'user.enable', { resource }, tx, { reason });
        await users.lockAccountChanges(tx);
        const user = await users.byId(userId, tx);
        if (!user) throw new AppError('not_found');
        if (!(await users.enable(userId, tx))) throw new AppError('conflict', 'the account is active already');
        return { user: publicUser((await users.byId(userId, tx))!) };
      });
    },
  };
}
