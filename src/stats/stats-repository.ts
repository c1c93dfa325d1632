import { eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db, Queryable } from '../db/client.js';
import { createReadReplica, type ReadDb, type ReadReplica } from '../db/read-replica.js';
import { organisations, statsPublications, statsSettings, users } from '../db/schema/index.js';
import { LRUCache } from 'lru-cache';
import type { Granularity } from './stats-periods.js';

/** One counter of the roll-up summed over a period (`2026-03`, `2026-Q1` or `2026`): a series, its codes, the count. */
export interface CountRow {
  readonly series: string;
  readonly period: string;
  readonly a: string;
  readonly b: string;
  readonly n: number;
}

/**
 * A month's period label in SQL, named as periodOf() names it (stats-periods.ts). The month as a
 * timestamp without time zone: the session's zone plays no part (months are already the mechanism's).
 */
const PERIOD_LABEL: Record<Granularity, SQL> = {
  month: sql.raw(`to_char(month::timestamp, 'YYYY-MM')`),
  quarter: sql.raw(`to_char(month::timestamp, 'YYYY-"Q"Q')`),
  year: sql.raw(`to_char(month::timestamp, 'YYYY')`),
};

/** Rows in one order whatever the plan (code unit order). */
const byCounter = (x: CountRow, y: CountRow) => cmp(x.series, y.series) || cmp(x.period, y.period) || cmp(x.a, y.a) || cmp(x.b, y.b);
const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/** The folded part of a read (stats_counts alone) at one generation of the counters. */
interface Folded {
  generation: number;
  rows: readonly CountRow[];
}

/** The folded part plus the pending changes, non-zero counters only, sorted. */
function merge(folded: readonly CountRow[], pending: readonly CountRow[]): CountRow[] {
  if (pending.length === 0) return [...folded];
  const sum = new Map<string, CountRow>();
  const add = (r: CountRow) => {
    const k = `${r.series}\u0000${r.period}\u0000${r.a}\u0000${r.b}`;
    const had = sum.get(k);
    sum.set(k, had ? { ...had, n: had.n + r.n } : r);
  };
  folded.forEach(add);
  pending.forEach(add);
  return [...sum.values()].filter((r) => r.n !== 0).sort(byCounter);
}

export type StatsRepository = ReturnType<typeof createStatsRepository>;

/**
 * The roll-up tables of migration 0026 (stats_counts + stats_deltas) and the frozen publications.
 *
 * The figures' reads (counts, monthRange, openLoad, usernames, orgNames) go to `replica` when no
 * connection is given (DATABASE_REPLICA_URL; the primary while it does not answer, and when none
 * is configured), and run on the given one otherwise (a command's transaction, or the primary
 * pool where a figure must be the primary's). The statistics read there may lag the primary by the
 * replication delay: a change is counted once the replica has replayed it. The writes (sync, fold,
 * publish) and the publication read (right after a publish, its author reads it back) stay on the
 * primary.
 */
export function createStatsRepository(db: Db, replica: ReadReplica = createReadReplica({ primary: db, replica: null })) {
  /** A read on the connection given, else on the replica (or its fallback). */
  const on = <T>(tx: Queryable | undefined, read: (q: ReadDb) => Promise<T>): Promise<T> => (tx ? read(tx) : replica.read(read));
  // The folded part of recent reads, by series, range and period (counts()), bounded by rows.
  const folded = new LRUCache<string, Folded>({ maxSize: 200_000, sizeCalculation: (v) => v.rows.length + 1 });
  const syncOnce = (settings: { timeZone: string; config: unknown; fingerprint: string }) =>
    db.transaction(async (tx) => {
      const [row] = await tx.select().from(statsSettings).where(eq(statsSettings.id, true)).for('update');
      if (row?.fingerprint === settings.fingerprint) return { recounted: false, cases: 0 };
      await tx
        .insert(statsSettings)
        .values({ id: true, ...settings })
        .onConflictDoUpdate({ target: statsSettings.id, set: { timeZone: settings.timeZone, config: settings.config, fingerprint: settings.fingerprint } });
      const out = await tx.execute<{ n: string }>(sql`select stats_recount() as n`);
      return { recounted: true, cases: Number(out[0]?.n ?? 0) };
    });
  const repo = {
    /**
     * The counters of `series` for the months in [from, to) (first days of months), summed per
     * `period` in SQL, folded and pending together, so a figure includes every committed change.
     * Reads the primary key's range per series: the cost follows the number of counters, not of
     * cases. Rows come sorted by series, period and codes; they are shared, never to be changed.
     *
     * The folded part is kept in memory per generation of stats_counts (migration 0028): one
     * statement, so one snapshot, reads the generation and the pending changes, and the folded
     * counters only when the generation is not the one kept. A fold or a recount bumps the
     * generation in its own transaction, so a kept part is never added to a snapshot in which
     * stats_counts differs from what it was read from.
     *
     * The kept parts are shared by the reads on the replica and on the primary: a physical
     * replica replays the primary's commits in their order, so a snapshot of either at a given
     * generation holds the same stats_counts. A lagging replica reads an older generation: its
     * read is exact for its own snapshot, and it does not replace a newer kept part (below), so
     * it neither poisons the cache nor is answered from a part newer than its pending changes.
     */
    async counts(series: readonly string[], from: string, to: string, period: Granularity, tx?: Queryable): Promise<CountRow[]> {
      if (series.length === 0) return [];
      const label = PERIOD_LABEL[period];
      const inRange = sql`series in ${series} and month >= ${from}::date and month < ${to}::date`;
      // In a caller's transaction the counters may be its own uncommitted writes: nothing kept.
      const cacheable = tx === undefined || tx === db;
      const key = JSON.stringify([series, from, to, period]);
      const kept = cacheable ? folded.get(key) : undefined;
      const rows = await on(tx, (q) => q.execute<{ part: 'generation' | 'pending' | 'folded'; series: string; period: string; a: string; b: string; n: string }>(sql`
        with g as materialized (select generation from stats_settings where id)
        select 'generation' as part, ''::text as series, ''::text as period, ''::text as a, ''::text as b, generation as n from g
        union all
        select 'pending', series, period, a, b, sum(n)::bigint from (
          select series, ${label} as period, a, b, n from stats_deltas where ${inRange}
        ) d group by series, period, a, b
        union all
        select 'folded', series, period, a, b, sum(n)::bigint from (
          select series, ${label} as period, a, b, n from stats_counts where ${inRange} and (select generation from g) is distinct from ${kept?.generation ?? null}::bigint
        ) c group by series, period, a, b`));
      let generation: number | null = null;
      const pending: CountRow[] = [];
      const fresh: CountRow[] = [];
      for (const r of rows) {
        if (r.part === 'generation') generation = Number(r.n);
        else (r.part === 'pending' ? pending : fresh).push({ series: r.series, period: r.period, a: r.a, b: r.b, n: Number(r.n) });
      }
      if (kept && generation === kept.generation) return merge(kept.rows, pending);
      const part = fresh.filter((r) => r.n !== 0).sort(byCounter);
      // A read from an older snapshot than the kept one does not replace it.
      if (cacheable && generation !== null && !(kept && kept.generation > generation)) folded.set(key, { generation, rows: part });
      return merge(part, pending);
    },

    /** The first and last months that have any case. */
    async monthRange(tx?: Queryable): Promise<{ first: string | null; last: string | null }> {
      const rows = await on(tx, (q) => q.execute<{ first: string | null; last: string | null }>(sql`
        select (select min(month)::text from (select month from stats_counts where series = 'cases' union all select month from stats_deltas where series = 'cases') x) as first,
               (select max(month)::text from (select month from stats_counts where series = 'cases' union all select month from stats_deltas where series = 'cases') y) as last`));
      return rows[0] ?? { first: null, last: null };
    },

    /** Moves pending changes into the counters; returns how many moved (0 when another folder holds the lock). */
    async fold(batch = 50_000, tx: Queryable = db): Promise<number> {
      const rows = await tx.execute<{ moved: number }>(sql`select stats_fold(${batch}) as moved`);
      return Number(rows[0]?.moved ?? 0);
    },

    /** How many changes wait to be folded. */
    async pending(tx: Queryable = db): Promise<number> {
      const rows = await tx.execute<{ n: string }>(sql`select count(*) as n from stats_deltas`);
      return Number(rows[0]?.n ?? 0);
    },

    /** Counters that differ from a recount from scratch (empty when the roll-up is right). */
    async drift(tx: Queryable = db): Promise<Array<{ series: string; month: string; a: string; b: string; n: number; expected: number }>> {
      const rows = await tx.execute<{ series: string; month: string; a: string; b: string; n: string | null; expected: string | null }>(sql`
        select coalesce(c.series, e.series) as series, coalesce(c.month, e.month)::text as month, coalesce(c.a, e.a) as a, coalesce(c.b, e.b) as b, c.n, e.n as expected
        from stats_current c full join stats_expected() e on (c.series, c.month, c.a, c.b) = (e.series, e.month, e.a, e.b)
        where c.n is distinct from e.n limit 100`);
      return rows.map((r) => ({ series: r.series, month: r.month, a: r.a, b: r.b, n: Number(r.n ?? 0), expected: Number(r.expected ?? 0) }));
    },

    /**
     * Writes the settings the triggers read and, when they changed, re-counts everything in the
     * same transaction (the row lock makes concurrent starts wait, then find nothing to do).
     */
    async sync(settings: { timeZone: string; config: unknown; fingerprint: string }, attempts = 12): Promise<{ recounted: boolean; cases: number }> {
      // The recount takes its locks without waiting (stats_recount): while writers hold them, try again shortly.
      for (let attempt = 1; ; attempt++) {
        try {
          return await syncOnce(settings);
        } catch (err) {
          if ((err as { code?: string }).code !== '55P03' || attempt >= attempts) throw err;
          await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
        }
      }
    },

    /**
     * Open cases per officer and state, now: the `open_load` series of the roll-up (migration
     * 0029: assigned cases not closed, by assignee and state, at the case's month) summed over
     * all months, exact and kept like any other read (counts()).
     */
    async openLoad(tx?: Queryable): Promise<Array<{ userId: string; state: string; n: number }>> {
      const rows = await repo.counts(['open_load'], '-infinity', 'infinity', 'year', tx);
      const sum = new Map<string, { userId: string; state: string; n: number }>();
      for (const r of rows) {
        const k = `${r.a}/${r.b}`;
        const cur = sum.get(k) ?? { userId: r.a, state: r.b, n: 0 };
        cur.n += r.n;
        sum.set(k, cur);
      }
      return [...sum.values()].filter((x) => x.n !== 0);
    },

    async usernames(ids: readonly string[], tx?: Queryable): Promise<Map<string, string>> {
      const uuids = ids.filter((id) => /^[0-9a-f-]{36}$/.test(id));
      if (uuids.length === 0) return new Map();
      const rows = await on(tx, (q) => q.select({ id: users.id, username: users.username }).from(users).where(inArray(users.id, uuids)));
      return new Map(rows.map((r) => [r.id, r.username]));
    },

    async orgNames(ids: readonly string[], tx?: Queryable): Promise<Map<string, string>> {
      const uuids = ids.filter((id) => /^[0-9a-f-]{36}$/.test(id));
      if (uuids.length === 0) return new Map();
      const rows = await on(tx, (q) => q.select({ id: organisations.id, name: organisations.name }).from(organisations).where(inArray(organisations.id, uuids)));
      return new Map(rows.map((r) => [r.id, r.name]));
    },

    async publication(year: number, tx: Queryable = db) {
      const [row] = await tx.select().from(statsPublications).where(eq(statsPublications.year, year));
      return row;
    },

    /** Stores a year's published report once; false when the year was already published. */
    async publish(row: typeof statsPublications.$inferInsert, tx: Queryable = db): Promise<boolean> {
      const out = await tx.insert(statsPublications).values(row).onConflictDoNothing({ target: statsPublications.year }).returning({ year: statsPublications.year });
      return out.length > 0;
    },
  };
  return repo;
}
