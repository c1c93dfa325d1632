import type { Sql } from 'postgres';
import type { Redis } from 'ioredis';
import type { AccessService } from '../access/access-service.js';
import type { RequestContext } from '../access/principal.js';
import type { KeyringRepository } from '../keys/keyring-repository.js';
import type { UserRepository } from '../users/user-repository.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import type { CustodyRepository } from '../custody/custody-repository.js';
import { keyholderWarning } from '../custody/keyholder-warning.js';
import type { AuditRepository } from '../audit/audit-repository.js';
import { queueNames, type QueueName } from '../queues/registry.js';
import type { QueueReaders } from '../queues/queue-readers.js';
import type { Config } from '../config/config.js';
import { probeRedisPersistence, type RedisPersistence } from '../lib/redis-persistence.js';

/** A queue's jobs by state, read from Redis at the time of the report; null counts while Redis does not answer. */
export interface QueueHealth {
  name: QueueName;
  waiting: number | null;
  active: number | null;
  delayed: number | null;
  failed: number | null;
}

/** What the operational warnings are computed from. */
interface Figures {
  mechanismKeyHolders: number;
  activeAdmins: number;
  currentKeyBackedUp: boolean;
}

export type Check = 'up' | 'down';
export interface Checks {
  database: Check;
  redis: Check;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}

export type HealthService = ReturnType<typeof createHealthService>;

/**
 * Whether the service can serve (PostgreSQL and Redis answer), and what an operator should fix
 * before it bites (too few holders of the mechanism key, a single admin). Readiness, which
 * anyone may probe, says only the first; the detail is the admins' (GET /v1/admin/health,
 * audited), since how many people can open the cases is nobody else's business.
 */
export function createHealthService(deps: {
  sql: Sql;
  redis: Redis;
  access: Pick<AccessService, 'authorize'>;
  keyring: Pick<KeyringRepository, 'mechanismKeyHolders'>;
  users: Pick<UserRepository, 'activeAdmins'>;
  orgs: Pick<OrgRepository, 'mechanism'>;
  /** whether the current mechanism key has a split backup (one of a retired key does not count) */
  custody: Pick<CustodyRepository, 'currentKeyBackedUp'>;
  /** Below this many active holders of the mechanism key, a warning (policies/custody.yaml). */
  minimumHolders?: number;
  audit: Pick<AuditRepository, 'latestCheckpoint'>;
  /** the composition root's queue handles (it closes them) */
  queues: Pick<QueueReaders, 'counts'>;
  config: Pick<Config, 'AUDIT_CHECKPOINT_INTERVAL_SECONDS'>;
  clock: { now(): Date };
  /** the running release (package.json) */
  version: string;
  /** SHA-256 of the web build's deployment manifest (egide-manifest.json: every served file's hash, the commit, the inputs); null when not built */
  webBuild: string | null;
  timeoutMs?: number;
}) {
  const { sql, redis, access, keyring, users } = deps;
  const timeoutMs = deps.timeoutMs ?? 2000;
  const minimumHolders = deps.minimumHolders ?? 2;

  async function checks(): Promise<Checks> {
    const [database, cache] = await Promise.all([
      withTimeout(sql`select 1`, timeoutMs).then(() => 'up' as const, () => 'down' as const),
      withTimeout(redis.ping(), timeoutMs).then(() => 'up' as const, () => 'down' as const),
    ]);
    return { database, redis: cache };
  }

  /** The figures the warnings come from; null while PostgreSQL does not answer. */
  async function figures(): Promise<Figures | null> {
    try {
      const backedUp = async () => {
        const mechanism = await deps.orgs.mechanism();
        return mechanism ? deps.custody.currentKeyBackedUp(mechanism.id) : false;
      };
      const [mechanismKeyHolders, activeAdmins, currentKeyBackedUp] = await withTimeout(Promise.all([keyring.mechanismKeyHolders(), users.activeAdmins(), backedUp()]), timeoutMs);
      return { mechanismKeyHolders, activeAdmins, currentKeyBackedUp };
    } catch {
      return null;
    }
  }

  async function queueHealth(): Promise<QueueHealth[]> {
    return Promise.all(
      queueNames.map(async (name) => {
        try {
          return { name, ...(await deps.queues.counts(name, timeoutMs)) };
        } catch {
          return { name, waiting: null, active: null, delayed: null, failed: null };
        }
      }),
    );
  }

  /** Whether Redis keeps the queues (appendonly, maxmemory-policy), read now: it may have been reconfigured since the start. */
  async function persistence(): Promise<RedisPersistence> {
    try {
      return await withTimeout(probeRedisPersistence(redis), timeoutMs);
    } catch {
      return { appendonly: 'unknown', maxmemoryPolicy: 'unknown', status: 'unknown', problems: ['Redis does not answer: its persistence (appendonly, maxmemory-policy) is unknown'] };
    }
  }

  /** Seconds since the last signed checkpoint of the audit chain; null when none yet or PostgreSQL does not answer. */
  async function checkpointAge(): Promise<number | null> {
    try {
      const last = await withTimeout(deps.audit.latestCheckpoint(), timeoutMs);
      return last ? Math.max(0, Math.floor((deps.clock.now().getTime() - last.signedAt.getTime()) / 1000)) : null;
    } catch {
      return null;
    }
  }

  function warningsOf(f: Figures | null): string[] {
    if (!f) return [];
    const out: string[] = [];
    if (f.mechanismKeyHolders < minimumHolders) {
      // A backup made before the last rotation does not count: it does not open cases moved to the new key.
      const backup = f.currentKeyBackedUp ? 'a split backup of the current key exists' : 'no split backup of the current key exists either';
      out.push(`only ${f.mechanismKeyHolders} active member(s) hold the mechanism key and ${backup}: a lost password could make cases unreadable; add a keyring entry for another supervisor`);
    }
    if (f.activeAdmins < 2) out.push(`only ${f.activeAdmins} active admin(s): enrol another, so that accounts can still be managed if this one is lost`);
    return out;
  }

  return {
    checks,

    /** Operational warnings, for the log (readiness probes) and the admins. */
    async warnings(): Promise<string[]> {
      return warningsOf(await figures());
    },

    /** The whole picture, for an admin; audited like every read. */
    async report(ctx: RequestContext) {
      await access.authorize(ctx, 'admin.health', { resource: 'health' }, undefined, { read: true });
      const [c, f, q, age, redisPersistence] = await Promise.all([checks(), figures(), queueHealth(), checkpointAge(), persistence()]);
      const warnings = warningsOf(f);
      warnings.push(...redisPersistence.problems);
      // Checkpoints are signed every AUDIT_CHECKPOINT_INTERVAL_SECONDS by the workers: one much older says they are not running.
      const stale = age !== null && age > Math.max(600, 10 * deps.config.AUDIT_CHECKPOINT_INTERVAL_SECONDS);
      if (stale) warnings.push(`the last audit checkpoint was signed ${age} s ago: check that the workers run`);
      return {
        status: c.database === 'up' && c.redis === 'up' ? ('ready' as const) : ('not_ready' as const),
        checks: c,
        mechanismKeyHolders: f?.mechanismKeyHolders ?? null,
        activeAdmins: f?.activeAdmins ?? null,
        // The same warning as a record: the health page links it to the custody screen.
        keyholderWarning: f ? keyholderWarning(f.mechanismKeyHolders, minimumHolders, f.currentKeyBackedUp) : null,
        warnings,
        queues: q,
        auditCheckpointAgeSeconds: age,
        auditCheckpointStale: stale,
        redisPersistence: { appendonly: redisPersistence.appendonly, maxmemoryPolicy: redisPersistence.maxmemoryPolicy, status: redisPersistence.status },
        version: deps.version,
        webBuild: deps.webBuild,
      };
    },
  };
}
