import { randomUUID } from 'node:crypto';
import { AppError } from '../lib/problem.js';
import { randomToken, sha256b64u } from '../lib/hash.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { ServerKeys } from '../lib/server-keys.js';
import type { AuditService } from '../audit/audit-service.js';
import type { AccessService } from '../access/access-service.js';
import type { RequestContext, StaffRole } from '../access/principal.js';
import type { SessionRepository } from '../auth/session-repository.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import { checkNewTotpSecret, sealTotpSecret } from '../auth/totp.js';
import type { UserRepository, UserRow } from './user-repository.js';
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

export type UserService = ReturnType<typeof createUserService>;

export function createUserService(deps: {
  db: Db;
  users: UserRepository;
  orgs: Pick<OrgRepository, 'byId'>;
  sessions: Pick<SessionRepository, 'revokeAllOfUser'>;
  audit: Pick<AuditService, 'record'>;
  access: Pick<AccessService, 'authorize'>;
  clock: Clock;
  keys: Pick<ServerKeys, 'totpKey'>;
}) {
  const { db, users, orgs, sessions, audit, access, clock, keys } = deps;

  return {
    /** An admin invites a person; the token is handed over out of band and works once. */
    async invite(ctx: RequestContext, input: { username: string; role: StaffRole; orgId: string }) {
      return db.transaction(async (tx) => {
        await access.authorize(ctx, 'user.invite', { resource: `user:${input.username}` }, tx);
        const org = await orgs.byId(input.orgId, tx);
        if (!org) throw new AppError('validation_failed', 'no such organisation', { errors: [{ field: '/body/orgId', message: 'no such organisation' }] });
        if ((input.role === 'partner') !== (org.kind === 'partner')) {
          throw new AppError('validation_failed', 'partners belong to partner organisations; staff to the mechanism', { errors: [{ field: '/body/role', message: `role ${input.role} does not fit a ${org.kind} organisation` }] });
        }
        if (await users.byUsername(input.username, tx)) throw new AppError('already_exists', 'that username is taken');
        const token = randomToken();
        const id = randomUUID();
        const expiresAt = new Date(clock.now().getTime() + INVITATION_TTL_MS);
        await users.insertInvitation({ id, tokenHash: sha256b64u(token), username: input.username, role: input.role, orgId: input.orgId, createdBy: ctx.principal.kind === 'user' ? ctx.principal.userId : null, expiresAt }, tx);
        return { invitationId: id, token, username: input.username, role: input.role, orgId: input.orgId, expiresAt: expiresAt.toISOString() };
      });
    },

    /** Completes enrolment: one transaction, or nothing (a used, expired or unknown token changes nothing). */
    async enrol(ctx: RequestContext, input: EnrolmentInput) {
      checkKeyMaterial(input);
      let step: number;
      try {
        step = checkNewTotpSecret(input.totpSecret, input.totpCode, clock.now());
      } catch (err) {
        if (err instanceof AppError) await audit.record(ctx, { action: 'enrolment.complete', resource: 'invitation', outcome: 'denied', reason: `${err.code}: ${err.detail ?? ''}` });
        throw err;
      }
      const outcome = await db.transaction(async (tx) => {
        const inv = await users.invitationForUpdate(sha256b64u(input.token), tx);
        const now = clock.now();
        if (!inv || inv.usedAt || inv.expiresAt <= now) return { denied: !inv ? 'unknown invitation' : inv.usedAt ? 'invitation already used' : 'invitation expired' } as const;
        if (await users.byUsername(inv.username, tx)) return { denied: 'username taken' } as const;
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
        return { user: (await users.byId(userId, tx))! };
      });
      if ('denied' in outcome) {
        await audit.record(ctx, { action: 'enrolment.complete', resource: 'invitation', outcome: 'denied', reason: outcome.denied });
        throw new AppError('invitation_invalid', 'this invitation cannot be used (unknown, used or expired)');
      }
      return publicUser(outcome.user);
    },

    async list(ctx: RequestContext, page: { after?: string; limit: number }) {
      await access.authorize(ctx, 'user.list', { resource: 'users' });
      return (await users.list(page)).map(publicUser);
    },

    /** Disabling ends every session of the user at once (the auth plugin re-checks sessions on each request). */
    async disable(ctx: RequestContext, userId: string, reason: string) {
      return db.transaction(async (tx) => {
        await access.authorize(ctx, 'user.disable', { resource: `user:${userId}` }, tx, { reason });
        const user = await users.byId(userId, tx);
        if (!user) throw new AppError('not_found');
        const now = clock.now();
        await users.disable(userId, now, tx);
        const ended = await sessions.revokeAllOfUser(userId, `disabled: ${reason}`, now, tx);
        return { user: publicUser((await users.byId(userId, tx))!), sessionsEnded: ended };
      });
    },
  };
}
