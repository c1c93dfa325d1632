import type { Redis } from 'ioredis';
import { normalizeIP } from '@fastify/rate-limit';
import { hmacB64u } from '../lib/hash.js';
import type { Clock } from '../lib/clock.js';
import type { LimitsPolicy, LockPolicy, WaitPolicy } from '../limits/limits-policy.js';

/**
 * Per-account throttling of credential checks (ASVS V6.3), in Redis under the app's prefix.
 *
 * Failed passwords slow down per (username, address) pair, and per username from all
 * addresses with a higher threshold; the per-username wait spares the addresses the account
 * logged in from recently, so nobody can lock the owner out from elsewhere. Usernames that do
 * not exist are counted the same way, so the limits say nothing about which names exist.
 * Wrong one-time codes and failed recoveries (possible only with the password or the recovery
 * code) lock that step of the account for a time that grows with each lock.
 *
 * Times come from the injected clock and are stored in the records (Redis expiry only collects
 * them). Every call goes to Redis and throws while it does not answer: the callers fail closed.
 * Redis keys hold HMACs of usernames and addresses, never the names or addresses themselves.
 */
export type AuthThrottle = ReturnType<typeof createAuthThrottle>;
export type LockScope = 'totp' | 'recovery';

/** One more failure of a (pair or account) counter; returns when its wait ends (ms, 0: no wait). */
const FAIL_WAIT = `
local now = tonumber(ARGV[1])
local forget = tonumber(ARGV[2])
local free = tonumber(ARGV[3])
local first = tonumber(ARGV[4])
local max = tonumber(ARGV[5])
local h = redis.call('HMGET', KEYS[1], 'fails', 'last', 'until')
local fails = tonumber(h[1]) or 0
local last = tonumber(h[2]) or 0
local untl = tonumber(h[3]) or 0
if now - math.max(last, untl) > forget then fails = 0 end
fails = fails + 1
untl = 0
if fails >= free then untl = now + math.min(first * 2 ^ (fails - free), max) end
redis.call('HSET', KEYS[1], 'fails', fails, 'last', string.format('%.0f', now), 'until', string.format('%.0f', untl))
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return string.format('%.0f', untl)
`;

/** One more failure of a lock counter; returns {locked 0/1, until ms, level}. */
const FAIL_LOCK = `
local now = tonumber(ARGV[1])
local forget = tonumber(ARGV[2])
local threshold = tonumber(ARGV[3])
local first = tonumber(ARGV[4])
local max = tonumber(ARGV[5])
local levelsForget = tonumber(ARGV[6])
local h = redis.call('HMGET', KEYS[1], 'fails', 'last', 'level', 'until')
local fails = tonumber(h[1]) or 0
local last = tonumber(h[2]) or 0
local level = tonumber(h[3]) or 0
local untl = tonumber(h[4]) or 0
if now - last > forget then fails = 0 end
if untl > 0 and now - untl > levelsForget then level = 0 end
fails = fails + 1
local locked = 0
if fails >= threshold then
  level = level + 1
  untl = now + math.min(first * 2 ^ (level - 1), max)
  fails = 0
  locked = 1
end
redis.call('HSET', KEYS[1], 'fails', fails, 'last', string.format('%.0f', now), 'level', level, 'until', string.format('%.0f', untl))
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return {locked, string.format('%.0f', untl), level}
`;

export interface Wait {
  /** whole seconds to wait (Retry-After) */
  retryAfter: number;
  until: Date;
}

export function createAuthThrottle(deps: { redis: Redis; prefix: string; key: Uint8Array; policy: Pick<LimitsPolicy, 'password' | 'totp' | 'recovery'>; clock: Clock }) {
  const { redis, key, policy, clock } = deps;
  const base = `${deps.prefix}:throttle`;
  const pw = policy.password;
  const h = (what: string) => hmacB64u(key, what, 16);
  const address = (ip: string) => normalizeIP(ip);
  const keys = (username: string, ip: string) => ({
    pair: `${base}:pw:pair:${h(`pair:${username}\n${address(ip)}`)}`,
    account: `${base}:pw:account:${h(`account:${username}`)}`,
    trusted: `${base}:pw:trusted:${h(`trusted:${username}\n${address(ip)}`)}`,
  });
  const lockKey = (scope: LockScope, userId: string) => `${base}:lock:${scope}:${userId}`;
  const lockPolicy = (scope: LockScope): LockPolicy => (scope === 'totp' ? policy.totp : policy.recovery);

  const waitOf = (untilMs: number, now: number): Wait | null => (untilMs > now ? { retryAfter: Math.max(1, Math.ceil((untilMs - now) / 1000)), until: new Date(untilMs) } : null);

  function failWait(k: string, w: WaitPolicy, now: number) {
    const ttl = (pw.forgetAfterSeconds + w.maxWaitSeconds) * 1000;
    return redis.eval(FAIL_WAIT, 1, k, now, pw.forgetAfterSeconds * 1000, w.freeFailures, w.firstWaitSeconds * 1000, w.maxWaitSeconds * 1000, ttl);
  }

  return {
    /**
     * Before a password is checked: the wait this attempt must respect, or null. The pair's own
     * wait always applies; the account's applies unless the account logged in from this address.
     */
    async passwordWait(username: string, ip: string): Promise<Wait | null> {
      const k = keys(username, ip);
      const [pair, account, trusted] = (await redis.multi().hget(k.pair, 'until').hget(k.account, 'until').exists(k.trusted).exec()) ?? [];
      for (const r of [pair, account, trusted]) if (r?.[0]) throw r[0];
      const now = clock.now().getTime();
      const pairWait = waitOf(Number(pair?.[1] ?? 0), now);
      if (pairWait) return pairWait;
      return trusted?.[1] === 1 ? null : waitOf(Number(account?.[1] ?? 0), now);
    },

    async passwordFailed(username: string, ip: string): Promise<void> {
      const k = keys(username, ip);
      const now = clock.now().getTime();
      await Promise.all([failWait(k.pair, pw.perAddress, now), failWait(k.account, pw.perAccount, now)]);
    },

    /**
     * A correct password: the pair's failures are forgotten (not the account's: an attack from
     * elsewhere goes on counting). After a complete login the address becomes one the account
     * uses, exempt from the account-wide wait.
     */
    async passwordSucceeded(username: string, ip: string, loggedIn: boolean): Promise<void> {
      const k = keys(username, ip);
      const m = redis.multi().del(k.pair);
      if (loggedIn && pw.perAccount.trustedAddressDays > 0) m.set(k.trusted, '1', 'PX', pw.perAccount.trustedAddressDays * 86_400_000);
      const out = (await m.exec()) ?? [];
      for (const r of out) if (r?.[0]) throw r[0];
    },

    /** Is this step of the account locked? */
    async locked(scope: LockScope, userId: string): Promise<Wait | null> {
      const until = await redis.hget(lockKey(scope, userId), 'until');
      return waitOf(Number(until ?? 0), clock.now().getTime());
    },

    /** One more failure; returns the new lock when this failure started one. */
    async lockFailed(scope: LockScope, userId: string): Promise<(Wait & { level: number }) | null> {
      const p = lockPolicy(scope);
      const now = clock.now().getTime();
      const ttl = (Math.max(p.forgetAfterSeconds, p.locksForgottenAfterSeconds) + p.maxLockSeconds) * 1000;
      const [locked, until, level] = (await redis.eval(FAIL_LOCK, 1, lockKey(scope, userId), now, p.forgetAfterSeconds * 1000, p.failuresBeforeLock, p.firstLockSeconds * 1000, p.maxLockSeconds * 1000, p.locksForgottenAfterSeconds * 1000, ttl)) as [number, string, number];
      if (locked !== 1) return null;
      const wait = waitOf(Number(until), now);
      return wait ? { ...wait, level: Number(level) } : null;
    },

    /** A new secret (TOTP reset) ends any lock and what led to it. */
    async clearLock(scope: LockScope, userId: string): Promise<void> {
      await redis.del(lockKey(scope, userId));
    },

    /** A success forgets the failures (the lock level is kept until it is forgotten). */
    async lockSucceeded(scope: LockScope, userId: string): Promise<void> {
      await redis.eval(`if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'fails', 0) end return 0`, 1, lockKey(scope, userId));
    },
  };
}
