import type { Redis } from 'ioredis';
import { normalizeIP } from '@fastify/rate-limit';
import { hmacB64u } from '../lib/hash.js';
import type { Clock } from '../lib/clock.js';
import type { LimitsPolicy } from './limits-policy.js';

const HOUR_MS = 3_600_000;

/**
 * Adds the filing's bytes to the address's hour unless that passes the ceiling: then a small
 * filing is still counted and accepted (2), a large one is refused and not counted (0); under
 * the ceiling, 1. The hour slides: the previous hour's bytes weigh by the part of it still
 * inside the last 60 minutes (ARGV[3]). Returns {status, current hour, previous hour}.
 */
const ADMIT = `
local bytes = tonumber(ARGV[1])
local ceiling = tonumber(ARGV[2])
local weight = tonumber(ARGV[3])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local prev = tonumber(redis.call('GET', KEYS[2]) or '0')
local status = 1
if cur + prev * weight + bytes > ceiling then
  if ARGV[4] ~= '1' then return {0, cur, prev} end
  status = 2
end
redis.call('INCRBY', KEYS[1], bytes)
redis.call('EXPIRE', KEYS[1], 7200)
return {status, cur, prev}
`;

export type FilingAdmission = { admitted: true; pastCeiling: boolean } | { admitted: false; retryAfter: number };

/** Is every sealed field of the filing short (policies/limits.yaml `smallFieldMaxChars`)? */
export function isSmallFiling(body: unknown, maxChars: number): boolean {
  const fields = (body as { fields?: Record<string, unknown> } | null)?.fields;
  if (!fields || typeof fields !== 'object') return true;
  return Object.values(fields).every((v) => typeof v !== 'string' || v.length <= maxChars);
}

/**
 * The ceiling on anonymous filing, in request bytes per hour per client address: past it, one
 * address can no longer fill the disk, but a short request still goes through. Counters are in
 * Redis (HMAC of the address under a server subkey, never the address itself).
 */
export function createFilingCeiling(deps: { redis: Redis; prefix: string; key: Uint8Array; policy: LimitsPolicy['filing']; clock: Clock }) {
  const { redis, key, policy, clock } = deps;
  return {
    /** A filing of `bytes` (small: accepted past the ceiling, still counted). */
    admit(ip: string, bytes: number, small: boolean): Promise<FilingAdmission> {
      return admitUnder(ip, bytes, small, policy.ceilingBytesPerHour);
    },
    /** A defender's upload of `bytes`: counted in the same hourly total, held to the upload ceiling. */
    admitUpload(ip: string, bytes: number): Promise<FilingAdmission> {
      return admitUnder(ip, bytes, false, policy.uploadCeilingBytesPerHour);
    },
  };

  async function admitUnder(ip: string, bytes: number, small: boolean, ceiling: number): Promise<FilingAdmission> {
    const now = clock.now().getTime();
    const hour = Math.floor(now / HOUR_MS);
    const into = (now % HOUR_MS) / HOUR_MS;
    const who = hmacB64u(key, `filing:${normalizeIP(ip)}`, 16);
    const base = `${deps.prefix}:filing:bytes:${who}`;
    const [status, cur, prev] = (await redis.eval(ADMIT, 2, `${base}:${hour}`, `${base}:${hour - 1}`, bytes, ceiling, (1 - into).toFixed(6), small ? '1' : '0')) as [number, number, number];
    if (status !== 0) return { admitted: true, pastCeiling: status === 2 };
    // When the sliding hour will have room for this filing if nothing else is filed meanwhile.
    const room = ceiling - bytes;
    let wait: number;
    if (prev > 0 && room - cur >= 0) wait = (1 - (room - cur) / prev - into) * HOUR_MS;
    else wait = (1 - into) * HOUR_MS + (cur > 0 && room > 0 ? (1 - room / cur) * HOUR_MS : HOUR_MS);
    return { admitted: false, retryAfter: Math.max(1, Math.min(2 * 3600, Math.ceil(wait / 1000))) };
  }
}
