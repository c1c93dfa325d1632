import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, check, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { cases } from './cases.js';

/**
 * What the statistics triggers read (migration 0026): the time zone months are counted in and the
 * crossings and SDG mapping of policies/statistics.yaml, written by the service at start (a change
 * re-counts everything, stats_recount()). One row.
 */
export const statsSettings = pgTable(
  'stats_settings',
  {
    id: boolean('id').primaryKey().default(true),
    timeZone: text('time_zone').notNull(),
    config: jsonb('config').notNull(),
    /** SHA-256 of time zone and config: the service re-counts only when it changes. */
    fingerprint: text('fingerprint').notNull(),
    /**
     * Bumped by stats_fold() and stats_recount() in the transaction that changes stats_counts
     * (migration 0028): one generation is one content of the folded counters, which readers may
     * keep in memory.
     */
    generation: bigint('generation', { mode: 'number' }).notNull().default(0),
  },
  (t) => [check('stats_settings_one_row', sql`${t.id}`)],
);

/**
 * A case's statistical facts as the counters last saw them: its month of arrival and its codes,
 * `dimension=code` (a case cites several violations). Kept by triggers on the tables the facts
 * come from, so that a change moves the case between counters in the transaction that makes it.
 */
export const caseStats = pgTable('case_stats', {
  caseId: uuid('case_id')
    .primaryKey()
    .references(() => cases.id),
  month: date('month', { mode: 'string' }).notNull(),
  dims: text('dims').array().notNull(),
});

/**
 * The roll-up: how many cases (measures, referrals, deadlines, escalations) fall in each cell of
 * a series in a month. `a` and `b` are the codes of the cell ('' when the series has one
 * dimension or none). Read together with stats_deltas, which the folder moves in here.
 */
export const statsCounts = pgTable(
  'stats_counts',
  {
    series: text('series').notNull(),
    month: date('month', { mode: 'string' }).notNull(),
    a: text('a').notNull(),
    b: text('b').notNull(),
    n: bigint('n', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.series, t.month, t.a, t.b] })],
);

/**
 * Changes to the counters, appended by the triggers (an insert never waits on another
 * transaction, where an update of a shared counter would serialise every filing) and folded into
 * stats_counts every few seconds. Readers add what is still here, so figures are exact at once.
 */
export const statsDeltas = pgTable(
  'stats_deltas',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    series: text('series').notNull(),
    month: date('month', { mode: 'string' }).notNull(),
    a: text('a').notNull(),
    b: text('b').notNull(),
    n: integer('n').notNull(),
  },
  (t) => [index('stats_deltas_series_idx').on(t.series, t.month)],
);

/**
 * A published annual report, frozen when a supervisor publishes it: what left the mechanism
 * stays what it was, so two versions of a year can never be compared to isolate a late change.
 */
export const statsPublications = pgTable('stats_publications', {
  year: integer('year').primaryKey(),
  publishedAt: timestamp('published_at', { withTimezone: true, precision: 3 }).notNull(),
  publishedBy: uuid('published_by').notNull(),
  report: jsonb('report').notNull(),
  /** SHA-256 of the report's JSON as the publication serves it (JSON.stringify, keys in the order written), printed on it */
  sha256: text('sha256').notNull(),
});
