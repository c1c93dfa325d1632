import type { Redis } from 'ioredis';
import { AppError } from '../lib/problem.js';
import { randomToken, sha256b64u } from '../lib/hash.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { ServerKeys } from '../lib/server-keys.js';
import type { AuditService } from '../audit/audit-service.js';
import type { AccessService } from '../access/access-service.js';
import type { RequestContext } from '../access/principal.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { UserRepository } from '../users/user-repository.js';
import type { SessionRepository } from './session-repository.js';
import type { AuthThrottle } from './auth-throttle.js';
import type { CredentialChecks } from './credential-checks.js';
import { checkNewTotpSecret, sealTotpSecret } from './totp.js';
import { denialReason } from '../audit/decision-trail.js';
import type { Outbox } from '../outbox/outbox.js';

/** As long as an invitation: the token is handed over out of band, maybe in person. */
const RESET_TTL_SECONDS = 72 * 3600;

interface PendingReset {
  userId: string;
  username: string;
  expiresAt: string;
}

/**
 * A user who lost the second factor gets it back on the same account (same id, keys, envelopes
 * and keyring entries; a new invitation would make a new user and orphan them): an admin starts
 * a reset and hands a one-time token over out of band; the user proves the password with it and
 * enrols a new secret; every session of the account ends. Both halves are audited.
 *
 * A pending reset lives in Redis (hashed token, 72 h, one per account: a new start replaces the
 * previous one); losing it to a Redis flush only means starting again.
 */
export type TotpResetService = ReturnType<typeof createTotpResetService>;

export function createTotpResetService(deps: {
  db: Db;
  redis: Redis;
  prefix: string;
  users: Pick<UserRepository, 'byId' | 'byUsername' | 'setTotpSecret'>;
  sessions: Pick<SessionRepository, 'revokeAllOfUser'>;
  audit: Pick<AuditService, 'record'>;
  access: Pick<AccessService, 'authorize'>;
  outbox: Outbox;
  checks: CredentialChecks;
  throttle: Pick<AuthThrottle, 'clearLock'>;
  clock: Clock;
  keys: Pick<ServerKeys, 'totpKey'>;
}) {
  const { db, redis, users, sessions, audit, access, outbox, checks, throttle, clock, keys } = deps;
  const command = createCommandRunner({ db, audit });
  const tokenKey = (hash: string) => `${deps.prefix}:totp-reset:token:${hash}`;
  const userKey = (userId: string) => `${deps.prefix}:totp-reset:user:${userId}`;

  return {
    /** The admin's half: a one-time token for the user, replacing any earlier one of the account. */
    async start(ctx: RequestContext, userId: string, reason: string): Promise<{ userId: string; token: string; expiresAt: string }> {
      return command(ctx, { action: 'user.totp_reset', resource: `user:${userId}`, caseId: null }, async (tx) => {
        await access.authorize(ctx, 'user.totp_reset', { resource: `user:${userId}` }, tx, { reason });
        const user = await users.byId(userId, tx);
        if (!user) throw new AppError('not_found');
        // An admin who is logged in still has the factor; another admin resets it if needed.
        if (ctx.principal.kind === 'user' && ctx.principal.userId === userId) throw new AppError('separation_of_duties', 'another admin must reset your own second factor');
        const now = clock.now();
        const token = randomToken();
        const expiresAt = new Date(now.getTime() + RESET_TTL_SECONDS * 1000).toISOString();
        await outbox.add(tx, 'account.totp_reset_started', { recipients: [userId], action: 'user.totp_reset', dueAt: expiresAt }, now);
        // Last, so a refusal above leaves nothing in Redis; the token is only handed out on commit.
        const earlier = await redis.get(userKey(userId));
        const pending: PendingReset = { userId, username: user.username, expiresAt };
        const m = redis.multi().set(tokenKey(sha256b64u(token)), JSON.stringify(pending), 'EX', RESET_TTL_SECONDS).set(userKey(userId), sha256b64u(token), 'EX', RESET_TTL_SECONDS);
        if (earlier) m.del(tokenKey(earlier));
        for (const r of (await m.exec()) ?? []) if (r?.[0]) throw r[0];
        return { userId, token, expiresAt };
      });
    },

    /** The user's half: token, password and a new secret with its current code. */
    async complete(ctx: RequestContext, input: { username: string; token: string; authKey: string; totpSecret: string; totpCode: string; ip: string }): Promise<void> {
      const invalid = () => new AppError('invalid_credentials', 'username, password or reset token is wrong');
      const hash = sha256b64u(input.token);
      const raw = await redis.get(tokenKey(hash));
      const pending = raw ? (JSON.parse(raw) as PendingReset) : null;
      if (!pending || pending.username !== input.username || Date.parse(pending.expiresAt) <= clock.now().getTime()) {
        const user = await users.byUsername(input.username);
        return checks.deny(ctx, 'auth.totp_reset', user ? `user:${user.id}` : 'user:unknown', 'unknown, used or expired TOTP reset token', invalid());
      }
      const user = await checks.password(ctx, 'auth.totp_reset', input, invalid());
      if (user.id !== pending.userId) return checks.deny(ctx, 'auth.totp_reset', `user:${user.id}`, 'the reset token is of another account', invalid());
      let step: number;
      try {
        step = checkNewTotpSecret(input.totpSecret, input.totpCode, clock.now());
      } catch (err) {
        if (err instanceof AppError) await audit.record(ctx, { action: 'auth.totp_reset', resource: `user:${user.id}`, outcome: 'denied', reason: denialReason(err.code, err.detail, (err.extra.errors ?? []).map((e) => e.field)) });
        throw err;
      }
      await command(ctx, { action: 'auth.totp_reset', resource: `user:${user.id}`, caseId: null }, async (tx) => {
        const now = clock.now();
        await users.setTotpSecret(user.id, sealTotpSecret(input.totpSecret, keys.totpKey), step, tx);
        const ended = await sessions.revokeAllOfUser(user.id, 'second factor reset', now, tx);
        await audit.record(ctx, { action: 'auth.totp_reset', resource: `user:${user.id}`, outcome: 'allowed', reason: `new TOTP secret enrolled; ${ended} session(s) ended` }, tx);
        // The token works once, even for two racing requests: only the one that takes it commits.
        if ((await redis.getdel(tokenKey(hash))) === null) throw invalid();
      });
      await redis.del(userKey(user.id));
      await throttle.clearLock('totp', user.id);
    },
  };
}
