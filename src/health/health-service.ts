import type { Sql } from 'postgres';
import type { Redis } from 'ioredis';
import type { AccessService } from '../access/access-service.js';
import type { RequestContext } from '../access/principal.js';
import type { KeyringRepository } from '../keys/keyring-repository.js';
import type { UserRepository } from '../users/user-repository.js';
import { keyholderWarning } from '../custody/keyholder-warning.js';

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
  /** Below this many active holders of the mechanism key, a warning (policies/custody.yaml). */
  minimumHolders?: number;
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
  async function figures(): Promise<{ mechanismKeyHolders: number; activeAdmins: number } | null> {
    try {
      const [mechanismKeyHolders, activeAdmins] = await withTimeout(Promise.all([keyring.mechanismKeyHolders(), users.activeAdmins()]), timeoutMs);
      return { mechanismKeyHolders, activeAdmins };
    } catch {
      return null;
    }
  }

  function warningsOf(f: { mechanismKeyHolders: number; activeAdmins: number } | null): string[] {
    if (!f) return [];
    const out: string[] = [];
    if (f.mechanismKeyHolders < minimumHolders) {
      out.push(`only ${f.mechanismKeyHolders} active member(s) hold the mechanism key: a lost password could make cases unreadable; add a keyring entry for another supervisor`);
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
      const [c, f] = await Promise.all([checks(), figures()]);
      return {
        status: c.database === 'up' && c.redis === 'up' ? ('ready' as const) : ('not_ready' as const),
        checks: c,
        mechanismKeyHolders: f?.mechanismKeyHolders ?? null,
        activeAdmins: f?.activeAdmins ?? null,
        warnings: warningsOf(f),
        // The same warning as a record: the health page links it to the custody screen.
        keyholderWarning: f ? keyholderWarning(f.mechanismKeyHolders, minimumHolders) : null,
      };
    },
  };
}
