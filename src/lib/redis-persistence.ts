import type { Redis } from 'ioredis';

/**
 * Whether Redis keeps what BullMQ holds in it: the queued jobs (deadline steps, notifications,
 * checkpoints) are only in Redis until they run, so it must write them to its append-only file
 * (appendonly yes: a restart loses at most a second) and never evict them under memory pressure
 * (maxmemory-policy noeviction: writes are refused instead, and the API answers 503).
 */
export interface RedisPersistence {
  /** CONFIG GET appendonly, or INFO persistence's aof_enabled where CONFIG is disabled (managed Redis). */
  appendonly: 'yes' | 'no' | 'unknown';
  /** CONFIG GET maxmemory-policy, or INFO memory's maxmemory_policy. */
  maxmemoryPolicy: string;
  /** ok: both as needed; warning: one is known not to be; unknown: Redis would not say. */
  status: 'ok' | 'warning' | 'unknown';
  /** What is wrong or unknown, one sentence each, for the log and the admins' health page. */
  problems: string[];
}

const UNKNOWN: RedisPersistence = { appendonly: 'unknown', maxmemoryPolicy: 'unknown', status: 'unknown', problems: ['Redis does not answer: its persistence (appendonly, maxmemory-policy) is unknown'] };

/** `field:value` of an INFO section. */
function infoField(info: string, field: string): string | null {
  const m = new RegExp(`^${field}:(.*)$`, 'm').exec(info);
  return m ? m[1]!.trim() : null;
}

async function configValue(redis: Redis, name: string): Promise<string | null> {
  try {
    const reply = (await redis.config('GET', name)) as unknown;
    return Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : null;
  } catch {
    // CONFIG is often disabled or renamed on managed Redis.
    return null;
  }
}

async function infoValue(redis: Redis, section: string, field: string): Promise<string | null> {
  try {
    return infoField(await redis.info(section), field);
  } catch {
    return null;
  }
}

/** Reads both settings (CONFIG, else INFO); never throws: what cannot be read is `unknown`. */
export async function probeRedisPersistence(redis: Redis): Promise<RedisPersistence> {
  try {
    await redis.ping();
  } catch {
    return UNKNOWN;
  }
  let appendonly: RedisPersistence['appendonly'] = 'unknown';
  const aof = (await configValue(redis, 'appendonly')) ?? (await infoValue(redis, 'persistence', 'aof_enabled'));
  if (aof === 'yes' || aof === '1') appendonly = 'yes';
  else if (aof === 'no' || aof === '0') appendonly = 'no';
  const maxmemoryPolicy = (await configValue(redis, 'maxmemory-policy')) ?? (await infoValue(redis, 'memory', 'maxmemory_policy')) ?? 'unknown';

  const problems: string[] = [];
  let status: RedisPersistence['status'] = 'ok';
  if (appendonly === 'no') {
    problems.push('Redis runs without its append-only file (appendonly no): queued jobs (deadline steps, notifications) are lost if it restarts; set appendonly yes');
    status = 'warning';
  }
  if (maxmemoryPolicy !== 'noeviction' && maxmemoryPolicy !== 'unknown') {
    problems.push(`Redis maxmemory-policy is ${maxmemoryPolicy}: queued jobs may be evicted under memory pressure; set it to noeviction`);
    status = 'warning';
  }
  if (status === 'ok' && (appendonly === 'unknown' || maxmemoryPolicy === 'unknown')) {
    problems.push('Redis does not say whether it persists its data and never evicts it (CONFIG and INFO refused): check that it runs with appendonly yes and maxmemory-policy noeviction');
    status = 'unknown';
  }
  return { appendonly, maxmemoryPolicy, status, problems };
}
