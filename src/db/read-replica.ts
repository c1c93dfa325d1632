import { sql } from 'drizzle-orm';
import type { Database, DatabaseOptions, Db } from './client.js';
import type { Logger } from '../lib/logger.js';

/**
 * What a read-only repository runs its queries on: drizzle's `select` and plain SQL, nothing of
 * its insert, update, delete or transaction builders. The replica's connections are also opened
 * with default_transaction_read_only, and a hot standby refuses writes in any case.
 */
export type ReadDb = Pick<Db, 'select' | 'execute'>;

/** Where reads that may leave the primary go (DATABASE_REPLICA_URL): the statistics and the audit exports, never a command. */
export interface ReadReplica {
  /**
   * Runs `read` on the replica, or on the primary when there is none, while it does not answer,
   * or, with `caughtUpTo`, when it has not replayed the primary's WAL up to that position
   * within a short wait. A read the replica fails and the primary answers marks the replica
   * down for a while (a warning in the log) and is answered by the primary.
   */
  read<T>(read: (db: ReadDb) => Promise<T>, opts?: { caughtUpTo?: string | null }): Promise<T>;
  /**
   * The primary's WAL position now, for a read that must see every commit made before it (an
   * export ends with its own audit event); null without a replica.
   */
  primaryPosition(): Promise<string | null>;
  /** Reads answered by the primary because the replica failed or lagged, since start (the metrics). */
  fallbacks(): number;
  /** Whether the replica is taken as down right now; null without a replica. */
  replicaDown(): boolean | null;
}

/**
 * How the container opens the replica's pool: a short connection timeout (a replica cut off by
 * the network costs a read two seconds, then the primary answers and the replica is left alone
 * for a while), a name in pg_stat_activity, and read-only transactions whatever the server.
 */
export const REPLICA_POOL: DatabaseOptions = {
  max: 4,
  connectTimeout: 2,
  connection: { application_name: 'egide-replica-reads', default_transaction_read_only: true },
};

export interface ReadReplicaOptions {
  /** The primary's pool: the reads' fallback. */
  primary: Db;
  /** The replica's pool (DATABASE_REPLICA_URL, opened with REPLICA_POOL); null: every read on the primary. */
  replica: Database | null;
  log?: Logger;
  /** How long a failed replica is left alone before it is tried again. */
  retryAfterMs?: number;
  /** How long a read with `caughtUpTo` waits for the replica to replay that far. */
  catchUpWaitMs?: number;
  now?: () => number;
}

/** The replica's pool with its fallback (the container opens and closes the pool). */
export function createReadReplica(opts: ReadReplicaOptions): ReadReplica {
  const { primary } = opts;
  const now = opts.now ?? Date.now;
  const retryAfterMs = opts.retryAfterMs ?? 10_000;
  const catchUpWaitMs = opts.catchUpWaitMs ?? 1000;
  let fallbacks = 0;
  const replica = opts.replica;
  if (!replica) return { read: (read) => read(primary), primaryPosition: async () => null, fallbacks: () => 0, replicaDown: () => null };
  let downUntil = 0;

  const markDown = (err: unknown) => {
    fallbacks += 1;
    if (downUntil <= now()) opts.log?.warn({ err: { message: (err as Error | null)?.message ?? String(err) }, retryInSeconds: Math.round(retryAfterMs / 1000) }, 'the database replica does not answer: statistics and audit exports read the primary');
    downUntil = now() + retryAfterMs;
  };

  /** Whether the replica has replayed up to `lsn`, asked until it has or the wait is over. */
  const caughtUp = async (lsn: string): Promise<boolean> => {
    const until = now() + catchUpWaitMs;
    for (;;) {
      // A server out of recovery (a promoted replica, or a primary named by mistake) is not behind anything.
      const [row] = await replica.db.execute<{ ok: boolean | null }>(sql`select coalesce(pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn, not pg_is_in_recovery()) as ok`);
      if (row?.ok) return true;
      if (now() >= until) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  return {
    async read(read, readOpts = {}) {
      if (downUntil > now()) {
        fallbacks += 1;
        return read(primary);
      }
      try {
        if (!readOpts.caughtUpTo || (await caughtUp(readOpts.caughtUpTo))) return await read(replica.db);
      } catch (replicaErr) {
        // The primary's answer decides: if it fails too, the read itself is wrong (its error is the
        // one thrown) and the replica is not blamed.
        const result = await read(primary);
        markDown(replicaErr);
        return result;
      }
      // Behind (replay paused, a long query holding it back): the primary answers this one exactly.
      fallbacks += 1;
      opts.log?.info({ lsn: readOpts.caughtUpTo }, 'the database replica lags: this read goes to the primary');
      return read(primary);
    },
    async primaryPosition() {
      const [row] = await primary.execute<{ lsn: string }>(sql`select pg_current_wal_lsn()::text as lsn`);
      return row?.lsn ?? null;
    },
    fallbacks: () => fallbacks,
    replicaDown: () => downUntil > now(),
  };
}
