/**
 * The statistics' caches stay exact: the folded part of the counters kept in memory per
 * generation of stats_counts (a change committed after a read is in the next read, before and
 * after it is folded, and after a recount), and the built reports kept per content (a second read
 * gives the same tables, a change in the year's figures gives new ones).
 */
import t from 'tap';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, expectStatus, fileCase, refreshIfStale, type Actor } from '../helpers/world.js';
import type { StatsReportShape } from '../../src/contracts/statistics.js';

const T = await buildTestApp(t, { now: '2026-03-10T08:00:00.000Z' });
const w = await buildWorld(T, { officers: ['awa'] });
const stats = T.app.container.services.stats;
const repo = T.app.container.repos.stats;
await stats.ready();
const admin = postgres(T.db.adminUrl, { max: 1, onnotice: () => undefined });
t.teardown(() => admin.end());

const kidal = { region: 'kidal', defenderCategory: 'journalist', gender: 'female', threatTypes: ['abduction'] };
const file = (n: number) => Promise.all(Array.from({ length: n }, () => fileCase(T, w.dep, { metadata: kidal })));
const foldAll = async () => {
  while ((await stats.fold()) > 0);
};
const generation = async () => Number((await admin<Array<{ g: string }>>`select generation::text as g from stats_settings`)[0]!.g);
/** The year's cases and Kidal's, as the service reads them (cached folded part + pending changes). */
const read = async () => {
  const rows = await repo.counts(['cases', 'region'], '2026-01-01', '2027-01-01', 'quarter');
  return { cases: rows.find((r) => r.series === 'cases')?.n ?? 0, kidal: rows.find((r) => r.series === 'region' && r.a === 'kidal')?.n ?? 0 };
};
/** The same figure from the tables, not through the repository. */
const truth = async () => Number((await admin<Array<{ n: string }>>`select coalesce(sum(n), 0)::text as n from stats_current where series = 'cases' and month >= '2026-01-01' and month < '2027-01-01'`)[0]!.n);

t.test('a change committed after a cached read is in the next read, before and after a fold', async (t) => {
  await file(2);
  await foldAll();
  t.same(await read(), { cases: 2, kidal: 2 }, 'read once: the folded part is kept');
  const g = await generation();
  t.same(await read(), { cases: 2, kidal: 2 }, 'read again from what was kept');

  await file(1);
  t.equal(await generation(), g, 'nothing folded yet');
  t.same(await read(), { cases: 3, kidal: 3 }, 'the pending change is added to the kept part');

  t.ok((await stats.fold()) > 0, 'the folder moves it');
  t.ok((await generation()) > g, 'the fold bumped the generation');
  t.same(await read(), { cases: 3, kidal: 3 }, 'after the fold: the folded part is read again, nothing counted twice');
  t.equal((await read()).cases, await truth());

  const before = await generation();
  t.equal(await stats.fold(), 0, 'nothing to fold');
  t.equal(await generation(), before, 'a fold that moves nothing keeps the generation (and the kept parts)');
  t.same(await stats.drift(), [], 'the roll-up equals a recount');
});

t.test('the folded part comes from memory while the generation stands, and a recount replaces it', async (t) => {
  await foldAll();
  const exact = await read();
  // A write stats_fold() and stats_recount() would never make: the counters changed without a new generation.
  await admin`update stats_counts set n = n + 100 where series = 'cases' and month = '2026-03-01'`;
  t.same(await read(), exact, 'kept part used: the database was not read for it');
  await admin`update stats_settings set generation = generation + 1`;
  t.equal((await read()).cases, exact.cases + 100, 'a new generation: read again');
  const g = await generation();
  await admin`select stats_recount()`;
  t.ok((await generation()) > g, 'the recount bumped the generation');
  t.same(await read(), exact, 'the recount is read, not the kept part');
});

t.test('a read inside a transaction is not kept (it may see its own uncommitted counters)', async (t) => {
  await foldAll();
  const exact = await read();
  await T.app.container.database.db
    .transaction(async (tx) => {
      await tx.execute(sql`update stats_counts set n = n + 7 where series = 'cases' and month = '2026-03-01'`);
      await tx.execute(sql`update stats_settings set generation = generation + 1`);
      const inside = await repo.counts(['cases'], '2026-01-01', '2027-01-01', 'quarter', tx);
      t.equal(inside[0]!.n, exact.cases + 7, 'the transaction sees its own change');
      throw new Error('rolled back');
    })
    .catch((err: unknown) => t.equal((err as Error).message, 'rolled back'));
  t.same(await read(), exact, 'the rolled-back counters were not kept');
});

t.test('a built report is kept per content: the same tables again, new ones when the figures change', async (t) => {
  const sup: Actor = w.supervisor;
  const report = async () => {
    await refreshIfStale(T, sup);
    return expectStatus<StatsReportShape>(T.app.inject({ method: 'GET', url: '/v1/stats/reports/2026?variant=published', headers: sup.auth() }), 200);
  };
  // Enough cases that the published totals are printed (the threshold is 5).
  await file(6);
  const first = await report();
  const second = await report();
  t.same(second.tables, first.tables, 'identical tables');
  t.same(second.responseTimes, first.responseTimes);
  /** Kidal's total of the year (the grand total is withheld as a complement: every other region is under 5). */
  const kidalTotal = (r: StatsReportShape) => {
    const table = r.tables.find((x) => x.id === 'region-by-quarter')!;
    return table.rowTotals[table.rows.findIndex((x) => x.code === 'kidal')]!;
  };

  await file(1);
  const third = await report();
  t.not(JSON.stringify(third.tables), JSON.stringify(first.tables), 'a new case in the year: new tables');
  t.same(kidalTotal(first), { n: 9, flag: null }, "Kidal's total is printed");
  t.same(kidalTotal(third), { n: 10, flag: null }, 'counting the new case');
  await foldAll();
  t.same((await report()).tables, third.tables, 'folded or pending, the same figures give the same tables');

  const csv = await T.app.inject({ method: 'GET', url: '/v1/stats/reports/2026/tables/region-by-quarter/csv', headers: sup.auth() });
  t.equal(csv.statusCode, 200);
  t.match(csv.body, /^Kidal,.*,10\r$/m, "the table CSV comes from the same report, with Kidal's new total");
});
