import { AppError } from '../lib/problem.js';
import { equalB64u, sha256b64u } from '../lib/hash.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { ServerKeys } from '../lib/server-keys.js';
import type { AuditService } from '../audit/audit-service.js';
import type { RequestContext } from '../access/principal.js';
import type { UserRepository, UserRow } from '../users/user-repository.js';
import type { AuthThrottle, LockScope, Wait } from './auth-throttle.js';
import { openTotpSecret, totpStep } from './totp.js';
import { denialReason } from '../audit/decision-trail.js';
import type { Outbox } from '../outbox/outbox.js';

export type CredentialChecks = ReturnType<typeof createCredentialChecks>;

const LOCKED_STEP: Record<LockScope, string> = { totp: 'the one-time code step', recovery: 'recovery' };

/**
 * The credential checks every path shares (login, password change, recovery, TOTP reset), with
 * their throttling: each refusal is audited once, with the reason, and answered with one generic
 * error whatever failed, so nothing tells a guesser which part was wrong.
 */
export function createCredentialChecks(deps: {
  db: Db;
  users: Pick<UserRepository, 'byUsername' | 'consumeTotpStep'>;
  throttle: AuthThrottle;
  audit: Pick<AuditService, 'record'>;
  outbox: Outbox;
  clock: Clock;
  keys: Pick<ServerKeys, 'totpKey'>;
}) {
  const { db, users, throttle, audit, outbox, clock, keys } = deps;

  async function deny(ctx: RequestContext, action: string, resource: string, reason: string, error: AppError): Promise<never> {
    await audit.record(ctx, { action, resource, outcome: 'denied', reason: denialReason(error.code, reason) });
    throw error;
  }

  const lockedError = (scope: LockScope, wait: Wait) =>
    new AppError(scope === 'totp' ? 'totp_locked' : 'recovery_locked', `too many failures: ${LOCKED_STEP[scope]} of this account is locked; retry after ${wait.until.toISOString()}`, { retryAfter: wait.retryAfter });

  /**
   * A failure of a locked step: counted; the failure that starts a lock is audited with it, the
   * user is told in the in-app inbox (one outbox row, in the audit event's transaction), and the
   * answer is the lock (429) rather than the generic error.
   */
  async function stepFailed(ctx: RequestContext, action: string, user: UserRow, scope: LockScope, reason: string, error: AppError): Promise<never> {
    const lock = await throttle.lockFailed(scope, user.id);
    if (!lock) return deny(ctx, action, `user:${user.id}`, reason, error);
    const locked = lockedError(scope, lock);
    await db.transaction(async (tx) => {
      await audit.record(ctx, { action, resource: `user:${user.id}`, outcome: 'denied', reason: denialReason(locked.code, `${reason}; ${LOCKED_STEP[scope]} locked until ${lock.until.toISOString()} (lock ${lock.level})`) }, tx);
      await outbox.add(tx, `account.${scope}_locked`, { recipients: [user.id], action, code: `${scope}_locked`, dueAt: lock.until.toISOString() }, clock.now());
    });
    throw locked;
  }

  return {
    deny,
    stepFailed,

    /**
     * The password step, for a username that may not exist: waits first if this address or this
     * account failed too often (429 `rate_limited`), then compares the authKey's hash in constant
     * time. Returns the active user; every refusal is audited and counted.
     */
    async password(ctx: RequestContext, action: string, input: { username: string; authKey: string; ip: string }, invalid: AppError): Promise<UserRow> {
      const user = await users.byUsername(input.username);
      const resource = user ? `user:${user.id}` : 'user:unknown';
      const wait = await throttle.passwordWait(input.username, input.ip);
      if (wait) {
        await deny(ctx, action, resource, `throttled after repeated wrong passwords: wait ${wait.retryAfter} s`, new AppError('rate_limited', 'too many failed attempts for this account; wait before trying again', { retryAfter: wait.retryAfter }));
      }
      const verifier = sha256b64u(Buffer.from(input.authKey, 'base64url'));
      if (!user || !equalB64u(verifier, user.verifier)) {
        await throttle.passwordFailed(input.username, input.ip);
        return deny(ctx, action, resource, user ? 'wrong authKey' : 'unknown username', invalid);
      }
      await throttle.passwordSucceeded(input.username, input.ip, false);
      if (user.status !== 'active') return deny(ctx, action, resource, 'account disabled', invalid);
      return user;
    },

    /** A complete login from this address: the account's own address is spared its account-wide wait. */
    loggedInFrom: (username: string, ip: string) => throttle.passwordSucceeded(username, ip, true),

    /** Refuses at once (429) while this step of the account is locked. */
    async notLocked(ctx: RequestContext, action: string, user: UserRow, scope: LockScope): Promise<void> {
      const lock = await throttle.locked(scope, user.id);
      if (lock) await deny(ctx, action, `user:${user.id}`, `${LOCKED_STEP[scope]} is locked until ${lock.until.toISOString()}`, lockedError(scope, lock));
    },

    stepSucceeded: (user: UserRow, scope: LockScope) => throttle.lockSucceeded(scope, user.id),

    /**
     * The account's one-time code, after a correct password: refused while locked, counted when
     * wrong, accepted once (a replayed code is refused without counting).
     */
    async totp(ctx: RequestContext, action: string, user: UserRow, code: string, invalid: AppError, scope: LockScope = 'totp'): Promise<void> {
      const step = totpStep(openTotpSecret(user.totpSecret, keys.totpKey), code, clock.now());
      if (step === null) await stepFailed(ctx, action, user, scope, 'wrong TOTP code', invalid);
      else if (!(await users.consumeTotpStep(user.id, step))) await deny(ctx, action, `user:${user.id}`, 'TOTP code already used', invalid);
    },
  };
}
