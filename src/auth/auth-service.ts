import { hkdfSync, randomUUID } from 'node:crypto';
import sodium from 'libsodium-wrappers-sumo';
import type { Redis } from 'ioredis';
import { KDF_PARAMS, fromB64u, keyIdOf, toB64u } from '../sdk/index.js';
import { AppError } from '../lib/problem.js';
import { equalB64u, hmacB64u, randomToken, sha256b64u } from '../lib/hash.js';
import type { CredentialChecks } from './credential-checks.js';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../config/config.js';
import type { ServerKeys } from '../lib/server-keys.js';
import type { AuditService } from '../audit/audit-service.js';
import type { AccessService } from '../access/access-service.js';
import type { RequestContext, StaffRole } from '../access/principal.js';
import type { UserRepository, UserRow } from '../users/user-repository.js';
import type { SessionRepository } from './session-repository.js';
import type { KeyringRepository } from '../keys/keyring-repository.js';
import type { AccessClaims } from './access-claims.js';
import { checkKeyMaterial } from '../users/key-material.js';
import { denialReason } from '../audit/decision-trail.js';
import { createCommandRunner } from '../audit/audited-command.js';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
}

export interface PasswordMaterial {
  salt: string;
  verifier: string;
  wrappedPrivateKey: string;
}

/** A recovery challenge lives this long in Redis. */
const CHALLENGE_TTL_SECONDS = 300;

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService(deps: {
  db: Db;
  redis: Redis;
  users: UserRepository;
  sessions: SessionRepository;
  keyring: KeyringRepository;
  audit: Pick<AuditService, 'record'>;
  access: Pick<AccessService, 'authorize'>;
  clock: Clock;
  config: Config;
  keys: ServerKeys;
  checks: CredentialChecks;
  signAccessToken: (claims: AccessClaims) => string;
  /** The case a receipt verifier belongs to (defenders log in with their receipt), its row locked (key share) in `tx`. */
  findCaseByVerifier: (verifier: string, tx: Tx) => Promise<{ id: string } | undefined>;
}) {
  const { db, redis, users, sessions, keyring, audit, access, clock, config, keys, checks, signAccessToken, findCaseByVerifier } = deps;
  const command = createCommandRunner({ db, audit });

  /** The same salt for the same unknown name, every time, so that names cannot be probed. */
  const fakeSalt = (username: string) => hmacB64u(keys.preloginKey, `prelogin:${username}`, 16);

  const invalidLogin = () => new AppError('invalid_credentials', 'username, password or one-time code is wrong');

  /** authKey then TOTP, throttled and locked (credential-checks.ts); one generic error whatever failed, and failures audited. */
  async function checkCredentials(ctx: RequestContext, action: string, input: { username: string; authKey: string; totp: string; ip: string }): Promise<UserRow> {
    const user = await checks.password(ctx, action, input, invalidLogin());
    await checks.notLocked(ctx, action, user, 'totp');
    await checks.totp(ctx, action, user, input.totp, invalidLogin());
    await checks.stepSucceeded(user, 'totp');
    await checks.loggedInFrom(input.username, input.ip);
    return user;
  }

  /**
   * What an unknown username gets from recovery/start, the same every time for the same name
   * (HMAC-based HKDF of the name under a SERVER_SECRET subkey, as the fake prelogin salt): a wrap
   * of the real shape and a public key to seal the challenge to, whose private key nobody has.
   * Computed for every name, known or not, so both answers take the same work.
   */
  function decoyRecovery(username: string): { recoveryWrap: string; publicKey: Uint8Array } {
    const wrap = new Uint8Array(hkdfSync('sha256', keys.recoveryKey, new Uint8Array(0), `recovery-wrap:${username}`, 24 + 48));
    const seed = new Uint8Array(hkdfSync('sha256', keys.recoveryKey, new Uint8Array(0), `recovery-key:${username}`, 32));
    return { recoveryWrap: `v1.${toB64u(wrap.subarray(0, 24))}.${toB64u(wrap.subarray(24))}`, publicKey: sodium.crypto_scalarmult_base(seed) };
  }

  async function issueTokens(session: { id: string; subject: string; role: AccessClaims['role']; orgId?: string }, tx: Parameters<SessionRepository['addRefreshToken']>[2]): Promise<TokenPair> {
    const refreshToken = randomToken();
    await sessions.addRefreshToken(sha256b64u(refreshToken), session.id, tx);
    return {
      accessToken: signAccessToken({ sub: session.subject, sid: session.id, role: session.role, ...(session.orgId ? { org: session.orgId } : {}) }),
      refreshToken,
      expiresIn: config.ACCESS_TOKEN_TTL_SECONDS,
      tokenType: 'Bearer',
    };
  }

  return {
    prelogin(username: string) {
      return users.byUsername(username).then((u) => ({ salt: u?.salt ?? fakeSalt(username), ...KDF_PARAMS }));
    },

    async login(ctx: RequestContext, input: { username: string; authKey: string; totp: string; ip: string }): Promise<TokenPair & { userId: string }> {
      const user = await checkCredentials(ctx, 'auth.login', input);
      const sessionId = randomUUID();
      const now = clock.now();
      const tokens = await db.transaction(async (tx) => {
        await sessions.create({ id: sessionId, userId: user.id, role: user.role, expiresAt: new Date(now.getTime() + config.REFRESH_TOKEN_TTL_SECONDS * 1000) }, tx);
        await audit.record({ ...ctx, principal: { kind: 'user', userId: user.id, role: user.role, orgId: user.orgId, sessionId } }, { action: 'auth.login', resource: `user:${user.id}`, outcome: 'allowed' }, tx);
        return issueTokens({ id: sessionId, subject: user.id, role: user.role, orgId: user.orgId }, tx);
      });
      return { ...tokens, userId: user.id };
    },

    /**
     * Rotates a refresh token. A token presented twice means it was stolen (or the client is
     * confused): the whole session is revoked so neither party keeps access.
     */
    async refresh(ctx: RequestContext, refreshToken: string): Promise<TokenPair> {
      const now = clock.now();
      const outcome = await db.transaction(async (tx) => {
        const used = await sessions.useRefreshToken(sha256b64u(refreshToken), now, tx);
        if (!used) return { error: 'unknown refresh token' } as const;
        const live = await sessions.live(used.sessionId, tx);
        const session = live?.session;
        if (!session) return { error: 'unknown session' } as const;
        if (used.alreadyUsed) {
          await sessions.revoke(session.id, 'refresh token reuse', now, tx);
          await audit.record(ctx, { action: 'auth.refresh', resource: `session:${session.id}`, outcome: 'denied', reason: denialReason('invalid_refresh_token', 'refresh token reuse: session revoked') }, tx);
          return { error: 'reuse' } as const;
        }
        if (session.revokedAt || session.expiresAt <= now) return { error: 'session ended', sessionId: session.id } as const;
        if (session.caseId) return { tokens: await issueTokens({ id: session.id, subject: session.caseId, role: 'defender' }, tx) };
        if (live.userStatus !== 'active') return { error: 'session ended', sessionId: session.id } as const;
        return { tokens: await issueTokens({ id: session.id, subject: session.userId!, role: session.role as StaffRole, orgId: live.userOrgId! }, tx) };
      });
      if ('error' in outcome) {
        // The reuse was audited with the revocation it caused; every other refusal here.
        if (outcome.error !== 'reuse') {
          await audit.record(ctx, { action: 'auth.refresh', resource: 'sessionId' in outcome ? `session:${outcome.sessionId}` : 'session:unknown', outcome: 'denied', reason: denialReason('invalid_refresh_token', outcome.error) });
        }
        throw new AppError('invalid_refresh_token', outcome.error === 'reuse' ? 'this refresh token was already used; the session has been ended' : 'the refresh token is not valid');
      }
      return outcome.tokens;
    },

    async logout(ctx: RequestContext): Promise<void> {
      const p = ctx.principal;
      if (p.kind !== 'user' && p.kind !== 'defender') throw new AppError('unauthenticated');
      await command(ctx, { action: 'auth.logout', resource: `session:${p.sessionId}`, caseId: null }, async (tx) => {
        await access.authorize(ctx, 'auth.logout', { resource: `session:${p.sessionId}`, facts: { self: true } }, tx);
        await sessions.revoke(p.sessionId, 'logout', clock.now(), tx);
      });
    },

    /**
     * Ends every session of the caller, the current one included (a lost phone, a shared
     * computer): access tokens name their session and every request checks it is live, so each
     * token of the account stops working at once, as every refresh token does. A defender's
     * sessions are those of their case's receipt.
     */
    async logOutEverywhere(ctx: RequestContext): Promise<{ sessionsEnded: number }> {
      const p = ctx.principal;
      if (p.kind !== 'user' && p.kind !== 'defender') throw new AppError('unauthenticated');
      const resource = p.kind === 'user' ? `user:${p.userId}` : `case:${p.caseId}`;
      const caseId = p.kind === 'defender' ? p.caseId : null;
      return command(ctx, { action: 'auth.logout_everywhere', resource, caseId }, async (tx) => {
        await access.authorize(ctx, 'auth.logout_everywhere', { resource, caseId, facts: { self: true } }, tx);
        const now = clock.now();
        const sessionsEnded = p.kind === 'user' ? await sessions.revokeAllOfUser(p.userId, 'logged out everywhere', now, tx) : await sessions.revokeAllOfCase(p.caseId, 'logged out everywhere', now, tx);
        return { sessionsEnded };
      });
    },

    /**
     * A defender logs in with the receipt: the client derived the authKey from it (Argon2id),
     * the server looks the case up by its verifier. The session opens that one case only.
     */
    async receiptLogin(ctx: RequestContext, authKey: string): Promise<TokenPair & { caseId: string }> {
      const verifier = sha256b64u(Buffer.from(authKey, 'base64url'));
      const sessionId = randomUUID();
      const now = clock.now();
      // The lookup and the new session in one transaction, the case row locked: a receipt
      // re-issued meanwhile never leaves a live session to the receipt it replaced.
      const out = await db.transaction(async (tx) => {
        const c = await findCaseByVerifier(verifier, tx);
        if (!c) return null;
        await sessions.create({ id: sessionId, caseId: c.id, role: 'defender', expiresAt: new Date(now.getTime() + config.REFRESH_TOKEN_TTL_SECONDS * 1000) }, tx);
        await audit.record({ ...ctx, principal: { kind: 'defender', role: 'defender', caseId: c.id, sessionId } }, { action: 'auth.receipt', resource: `case:${c.id}`, caseId: c.id, outcome: 'allowed' }, tx);
        return { ...(await issueTokens({ id: sessionId, subject: c.id, role: 'defender' }, tx)), caseId: c.id };
      });
      if (!out) {
        await audit.record(ctx, { action: 'auth.receipt', resource: 'case:unknown', outcome: 'denied', reason: denialReason('invalid_credentials', 'no case for this receipt') });
        throw new AppError('invalid_credentials', 'this receipt does not match a case');
      }
      return out;
    },

    /** The caller's own account: what a client needs to open its keys after login. */
    async account(ctx: RequestContext) {
      const p = ctx.principal;
      if (p.kind !== 'user') throw new AppError('forbidden');
      return db.transaction(async (tx) => {
        // Sent together (pipelined on the transaction's connection): the audited read costs no
        // extra round trip. Nothing is returned unless the authorisation succeeded.
        const [, user, ring] = await Promise.all([
          access.authorize(ctx, 'account.read', { resource: `user:${p.userId}`, facts: { self: true } }, tx, { read: true }),
          users.byId(p.userId, tx).then((u) => u!),
          keyring.forUser(p.userId, tx),
        ]);
        return {
          id: user.id,
          username: user.username,
          role: user.role,
          orgId: user.orgId,
          publicKey: user.publicKey,
          keyId: user.keyId,
          wrappedPrivateKey: user.wrappedPrivateKey,
          recoveryWrap: user.recoveryWrap,
          keyring: ring,
        };
      });
    },

    /** Password change: re-authenticates with the current authKey, then replaces salt, verifier and wrap at once. */
    async changePassword(ctx: RequestContext, input: { currentAuthKey: string; totp: string; ip: string; next: PasswordMaterial & { recoveryWrap?: string } }): Promise<void> {
      const p = ctx.principal;
      if (p.kind !== 'user') throw new AppError('forbidden');
      checkKeyMaterial(input.next);
      const me = (await users.byId(p.userId))!;
      await checkCredentials(ctx, 'account.password', { username: me.username, authKey: input.currentAuthKey, totp: input.totp, ip: input.ip });
      await command(ctx, { action: 'account.password', resource: `user:${p.userId}`, caseId: null }, async (tx) => {
        await access.authorize(ctx, 'account.password', { resource: `user:${p.userId}`, facts: { self: true } }, tx);
        await users.setPassword(p.userId, input.next, clock.now(), tx);
      });
    },

    /**
     * Recovery, step 1: hands out the recovery wrap and a challenge sealed to the user's public
     * key. An unknown name gets a decoy that the same name always gets again, in the same time,
     * so repeated calls cannot tell names apart either. Every start is audited.
     */
    async recoveryStart(ctx: RequestContext, username: string): Promise<{ challengeId: string; challenge: string; recoveryWrap: string }> {
      await sodium.ready;
      const user = await users.byUsername(username);
      const decoy = decoyRecovery(username);
      const challengeId = randomUUID();
      const secret = sodium.randombytes_buf(32);
      const publicKey = user ? fromB64u(user.publicKey) : decoy.publicKey;
      await redis.set(`${config.REDIS_PREFIX}:recovery:${challengeId}`, JSON.stringify({ username, answer: sha256b64u(secret) }), 'EX', CHALLENGE_TTL_SECONDS);
      await audit.record(ctx, user ? { action: 'auth.recover', resource: `user:${user.id}`, outcome: 'allowed', reason: 'recovery started: challenge issued' } : { action: 'auth.recover', resource: 'user:unknown', outcome: 'denied', reason: 'recovery started for an unknown username: decoy answered' });
      return { challengeId, challenge: `v1.${toB64u(sodium.crypto_box_seal(secret, publicKey))}`, recoveryWrap: user?.recoveryWrap ?? decoy.recoveryWrap };
    },

    /**
     * Recovery, step 2: the answer proves the caller unwrapped the private key with the recovery
     * code; with a TOTP code, the password is replaced and every session ends. The request must
     * carry a new recovery wrap (a new code, shown once by the client): the code just used stops
     * working. Past the proof, failures count towards a lock of the account's recovery.
     */
    async recoveryFinish(ctx: RequestContext, input: { username: string; challengeId: string; answer: string; totp: string; next: PasswordMaterial & { recoveryWrap: string; publicKey: string } }): Promise<void> {
      checkKeyMaterial(input.next);
      const invalid = () => new AppError('invalid_credentials', 'the recovery could not be verified');
      const key = `${config.REDIS_PREFIX}:recovery:${input.challengeId}`;
      const stored = await redis.getdel(key);
      const challenge = stored ? (JSON.parse(stored) as { username: string; answer: string }) : null;
      const user = await users.byUsername(input.username);
      const resource = user ? `user:${user.id}` : 'user:unknown';
      if (!challenge || challenge.username !== input.username) return checks.deny(ctx, 'auth.recover', resource, 'unknown or expired challenge', invalid());
      if (!equalB64u(sha256b64u(Buffer.from(input.answer, 'base64url')), challenge.answer)) return checks.deny(ctx, 'auth.recover', resource, 'wrong challenge answer', invalid());
      if (!user || user.status !== 'active') return checks.deny(ctx, 'auth.recover', resource, 'unknown or disabled account', invalid());
      await checks.notLocked(ctx, 'auth.recover', user, 'recovery');
      if (input.next.recoveryWrap === user.recoveryWrap) {
        await checks.deny(ctx, 'auth.recover', resource, 'the recovery wrap was not replaced', new AppError('recovery_wrap_unchanged', 'send a new recoveryWrap made with a new recovery code: the code just used must stop working', { errors: [{ field: '/body/recoveryWrap', message: 'must be a new wrap' }] }));
      }
      if (input.next.publicKey !== user.publicKey || keyIdOf(fromB64u(input.next.publicKey)) !== user.keyId) await checks.stepFailed(ctx, 'auth.recover', user, 'recovery', 'key pair does not match the account', invalid());
      await checks.totp(ctx, 'auth.recover', user, input.totp, invalid(), 'recovery');
      await checks.stepSucceeded(user, 'recovery');
      const now = clock.now();
      await db.transaction(async (tx) => {
        const { publicKey: _pk, ...material } = input.next;
        await users.setPassword(user.id, material, now, tx);
        await sessions.revokeAllOfUser(user.id, 'password recovered', now, tx);
        await audit.record(ctx, { action: 'auth.recover', resource: `user:${user.id}`, outcome: 'allowed' }, tx);
      });
    },
  };
}
