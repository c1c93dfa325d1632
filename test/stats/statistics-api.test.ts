/**
 * The statistics API on a seeded world whose figures are counted here by hand: the tables, the
 * crossings (and the refused ones), response times, workload, the service figures admins see,
 * the annual report with its SDG 16.10.1 tables, its published variant (a small cell never shown
 * and not recoverable from what is printed beside it), CSV exports, the frozen publication, and
 * the roll-up equal to a recount from scratch. Every read is audited; nothing sealed comes out.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { act, buildWorld, expectStatus, fileCase, grantCaseKey, reauth, recordAssessment, refreshIfStale, transitionAs, type Actor } from '../helpers/world.js';
import type { ReportTableShape, StatsReportShape } from '../../src/contracts/statistics.js';

const T = await buildTestApp(t, { now: '2026-01-10T08:00:00.000Z' });
const w = await buildWorld(T, { officers: ['awa', 'moussa'] });
const { awa, moussa } = w.officers;
const sup = w.supervisor;
const sql = T.database.sql;
const HOUR = 3600_000;
/** Months pass between filings: everyone signs in again (sessions do not last that long). */
const moveTo = async (at: string) => {
  T.clock.set(at);
  for (const who of [awa, moussa, sup, w.admin]) await reauth(T, who);
};

const get = async <R = Record<string, any>>(who: Actor, url: string, status = 200) => {
  await refreshIfStale(T, who);
  return expectStatus<R>(T.app.inject({ method: 'GET', url, headers: who.auth() }), status);
};
const secrets: string[] = [];

/** Files a case, then (after `waitHours`) the officer acknowledges it and gets its key; returns it. */
const received = async (metadata: Record<string, unknown>) => {
  const c = await fileCase(T, w.dep, { metadata });
  secrets.push(...Object.values(c.secrets).map(String));
  return c;
};
const acknowledge = async (c: Awaited<ReturnType<typeof received>>, officer: Actor) => {
  await transitionAs(T, officer, c.caseId, 'acknowledge');
  await refreshIfStale(T, sup);
  await grantCaseKey(T, sup, c.caseId, officer);
};

// January: three journalists in Kidal (abduction and death threats); one declined, one admitted.
const kidal = { region: 'kidal', defenderCategory: 'journalist', gender: 'female', threatTypes: ['abduction', 'death_threat'] };
const A = [await received(kidal), await received(kidal), await received(kidal)];
T.clock.advance(2 * HOUR);
await acknowledge(A[0]!, awa);
await acknowledge(A[1]!, awa);
await transitionAs(T, awa, A[0]!.caseId, 'decline', { reason: 'Hors mandat', declineReason: 'outside_mandate' });
await transitionAs(T, awa, A[1]!.caseId, 'admit');

// February: six activists in Bamako (arbitrary arrest), acknowledged after 5 hours; two assessed (armed group, high).
await moveTo('2026-02-15T08:00:00.000Z');
const bamako = { region: 'bamako', defenderCategory: 'human_rights_activist', gender: 'male', threatTypes: ['arbitrary_arrest'] };
const B: Array<Awaited<ReturnType<typeof received>>> = [];
for (let i = 0; i < 6; i++) B.push(await received(bamako));
T.clock.advance(5 * HOUR);
for (const c of B) await acknowledge(c, moussa);
for (const c of B.slice(0, 2)) {
  await transitionAs(T, moussa, c.caseId, 'admit');
  await recordAssessment(T, moussa, c.caseId, c.defender.dek);
}
await expectStatus(act(T, moussa, B[0]!.caseId, 'verification', { status: 'verified', reason: 'Registre de garde à vue consulté' }));

// May: two trade unionists in Gao (torture), one verified.
await moveTo('2026-05-05T08:00:00.000Z');
const gao = { region: 'gao', defenderCategory: 'trade_unionist', gender: 'female', threatTypes: ['torture_or_ill_treatment'] };
const C = [await received(gao), await received(gao)];
await moveTo('2026-05-06T14:00:00.000Z');
await acknowledge(C[0]!, awa);
await expectStatus(act(T, awa, C[0]!.caseId, 'verification', { status: 'verified', reason: 'Certificat médical' }));
await moveTo('2026-06-01T08:00:00.000Z');

const year = (series: string, extra = '') => `/v1/stats/table?series=${series}${extra}&from=2026-01&to=2026-12&period=quarter`;
const cellsOf = (table: Record<string, any>) => Object.fromEntries((table.cells as Array<{ period: string; a: string; b: string; n: number }>).map((c) => [`${c.period} ${c.a}${c.b ? ` ${c.b}` : ''}`, c.n]));

t.test('the tables count by hand: regions, violations (mentions), decisions, perpetrators, risk, verification', async (t) => {
  const region = await get(sup, year('region'));
  t.same(cellsOf(region), { '2026-Q1 bamako': 6, '2026-Q1 kidal': 3, '2026-Q2 gao': 2 });
  t.same(region.cases, [{ period: '2026-Q1', n: 9 }, { period: '2026-Q2', n: 2 }, { period: '2026-Q3', n: 0 }, { period: '2026-Q4', n: 0 }], 'cases received per quarter');
  t.equal(region.unit, 'cases');
  const violation = await get(sup, year('violation'));
  t.same(cellsOf(violation), { '2026-Q1 abduction': 3, '2026-Q1 arbitrary_arrest': 6, '2026-Q1 death_threat': 3, '2026-Q2 torture_or_ill_treatment': 2 });
  t.equal(violation.unit, 'mentions', 'a case citing two violations is in two cells');
  t.same(cellsOf(await get(sup, year('decision').replace('quarter', 'year'))), { '2026 admitted': 3, '2026 declined': 1, '2026 pending': 7 });
  t.same(cellsOf(await get(sup, year('decline_reason').replace('quarter', 'year'))), { '2026 outside_mandate': 1 });
  t.same(cellsOf(await get(sup, year('perpetrator').replace('quarter', 'year'))), { '2026 armed_group': 2, '2026 not_assessed': 9 }, 'the latest assessment names the source; none yet is "not assessed"');
  t.same(cellsOf(await get(sup, year('risk_level').replace('quarter', 'year'))), { '2026 high': 2, '2026 not_assessed': 9 });
  t.same(cellsOf(await get(sup, year('verification').replace('quarter', 'year'))), { '2026 alleged': 9, '2026 verified': 2 });
  const months = await get(sup, '/v1/stats/table?series=region&from=2026-02&to=2026-02');
  t.same(cellsOf(months), { '2026-02 bamako': 6 }, 'a month alone');
});

t.test('crossings kept, in either order; a region with a profile is refused, an unkept crossing unknown', async (t) => {
  const vp = await get(sup, year('violation', '&by=perpetrator').replace('quarter', 'year'));
  t.same(cellsOf(vp), { '2026 abduction not_assessed': 3, '2026 arbitrary_arrest armed_group': 2, '2026 arbitrary_arrest not_assessed': 4, '2026 death_threat not_assessed': 3, '2026 torture_or_ill_treatment not_assessed': 2 });
  const pv = await get(sup, year('perpetrator', '&by=violation').replace('quarter', 'year'));
  t.same(cellsOf(pv)['2026 armed_group arbitrary_arrest'], 2, 'the other order gives the same counts, codes swapped');
  for (const by of ['gender', 'defender_category', 'disability']) {
    const r = await T.app.inject({ method: 'GET', url: year('region', `&by=${by}`), headers: sup.auth() });
    t.equal(r.statusCode, 400, r.body);
    t.equal(r.json().code, 'stats_crossing_refused', `region x ${by} is refused, not suppressed`);
    const [denied] = await sql`select outcome, reason from audit_events where request_id = ${r.json().instance.replace('urn:egide:request:', '')} order by id desc limit 1`;
    t.match(denied, { outcome: 'denied', reason: /^stats_crossing_refused/ }, 'and the refusal is audited');
  }
  const unknown = await T.app.inject({ method: 'GET', url: year('urgency', '&by=gender'), headers: sup.auth() });
  t.equal(unknown.json().code, 'stats_unknown_series');
  const reversed = await T.app.inject({ method: 'GET', url: '/v1/stats/table?series=region&from=2026-05&to=2026-01', headers: sup.auth() });
  t.equal(reversed.json().code, 'stats_range_invalid');
});

t.test('response times by the hour, deadlines and the workload per officer', async (t) => {
  const rt = await get(sup, '/v1/stats/response-times?from=2026-01&to=2026-06&period=quarter');
  const ack = rt.times.filter((x: { measure: string }) => x.measure === 'time_to_acknowledge');
  t.same(ack.map((x: { period: string; count: number; median: string | null }) => [x.period, x.count, x.median]), [['2026-Q1', 8, 'h005'], ['2026-Q2', 1, 'h030']], 'two in 2 hours and six in 5 in Q1: median 5 to 6 hours; one in 30 hours in Q2');
  const q1 = ack[0];
  t.equal(q1.p90, 'h005');
  const triage = rt.deadlines.filter((d: { rule: string }) => d.rule === 'acknowledge');
  t.ok(triage.length > 0, 'the acknowledgement deadlines are counted');
  t.equal(triage.reduce((s: number, d: { met: number; missed: number; open: number }) => s + d.met + d.missed + d.open, 0), 11, 'one per case received');
  const load = await get(sup, '/v1/stats/workload?from=2026-01&to=2026-12');
  const byName = Object.fromEntries(load.officers.map((o: { username: string; received: number; open: Record<string, number> }) => [o.username, o]));
  t.same(byName[awa.username].open, { triage: 1, assessment: 1 }, "awa: the Gao case in triage, the Kidal case admitted (the declined one is closed)");
  t.equal(byName[awa.username].received, 3);
  t.same(byName[moussa.username].open, { assessment: 2, triage: 4 });
  t.equal(load.unassigned, 2, 'one Kidal and one Gao case wait in the pool');
});

t.test('roles: admins see the service figures only, officers and partners nothing', async (t) => {
  const service = await get(w.admin, '/v1/stats/service?from=2026-01&to=2026-12&period=year');
  t.same(service.received, [{ period: '2026', n: 11 }]);
  t.notOk('times' in service, 'no response-time distributions by case');
  t.equal((await get(w.admin, '/v1/stats/catalogue')).disclosure.threshold, 5);
  for (const url of [year('region'), '/v1/stats/workload?from=2026-01&to=2026-12', '/v1/stats/reports/2026', '/v1/stats/response-times?from=2026-01&to=2026-12']) {
    const r = await T.app.inject({ method: 'GET', url, headers: w.admin.auth() });
    t.equal(r.statusCode, 403, `admin: ${url}`);
  }
  for (const url of [year('region'), '/v1/stats/service?from=2026-01&to=2026-12', '/v1/stats/catalogue']) {
    const r = await T.app.inject({ method: 'GET', url, headers: awa.auth() });
    t.equal(r.statusCode, 403, `officer: ${url}`);
  }
});

/**
 * What a reader can work out from one printed table: every completion of its hidden cells that
 * agrees with the printed totals (a "< 5" may be 0 to 4, an "x" at least 5), walked row by row and
 * cut as soon as a printed row total is passed. The values each hidden cell takes; null when the
 * table has too many completions to walk here.
 */
function bruteForceHidden(table: ReportTableShape, threshold: number, budget = 2_000_000): Map<string, Set<number>> | null {
  const total = table.total.n ?? table.cells.flat().reduce((s, c) => s + (c.n ?? 0), 0) + threshold * table.cells.flat().length;
  const grid = table.cells.map((row) => row.map((c) => (c.flag ? null : c.n!)));
  const hidden: Array<{ i: number; j: number; lo: number; hi: number }> = [];
  table.cells.forEach((row, i) => row.forEach((c, j) => c.flag && hidden.push({ i, j, lo: c.flag === 'below_threshold' ? 0 : threshold, hi: c.flag === 'below_threshold' ? threshold - 1 : total })));
  const seen = new Map<string, Set<number>>(hidden.map((h) => [`${h.i},${h.j}`, new Set<number>()]));
  const value = grid.map((row) => [...row]);
  const rowOk = (i: number, complete: boolean) => {
    const want = table.rowTotals[i]!.n;
    const sum = value[i]!.reduce<number>((s, v) => s + (v ?? 0), 0);
    return want === null || (complete ? sum === want : sum <= want);
  };
  const columnsOk = () => table.columnTotals.every((ct, j) => ct.n === null || value.reduce((s, row) => s + row[j]!, 0) === ct.n);
  let nodes = 0;
  const walk = (k: number): boolean => {
    if (++nodes > budget) return false;
    if (k === hidden.length) {
      if (columnsOk()) hidden.forEach((h) => seen.get(`${h.i},${h.j}`)!.add(value[h.i]![h.j]!));
      return true;
    }
    const h = hidden[k]!;
    const lastOfRow = hidden[k + 1]?.i !== h.i;
    for (let v = h.lo; v <= h.hi; v++) {
      value[h.i]![h.j] = v;
      if (!rowOk(h.i, lastOfRow)) {
        if (!lastOfRow) break;
        continue;
      }
      if (!walk(k + 1)) return false;
    }
    value[h.i]![h.j] = null;
    return true;
  };
  return walk(0) ? seen : null;
}

t.test('the report: SDG 16.10.1 from verified cases; published, the small cells are hidden and cannot be recovered', async (t) => {
  const internal = await get<StatsReportShape>(sup, '/v1/stats/reports/2026?variant=internal');
  const sdg = internal.tables.find((x) => x.id === 'sdg-16-10-1')!;
  const at = (table: ReportTableShape, row: string, col: string) => table.cells[table.rows.findIndex((r) => r.code === row)]![table.columns.findIndex((c) => c.code === col)]!;
  t.same(at(sdg, 'arbitrary_detention', 'human_rights_defenders'), { n: 1, flag: null });
  t.same(at(sdg, 'torture', 'trade_unionists'), { n: 1, flag: null });
  t.same(sdg.total, { n: 2, flag: null }, 'two verified cases, the alleged ones are not counted');
  const regionQ = internal.tables.find((x) => x.id === 'region-by-quarter')!;
  t.same(at(regionQ, 'kidal', 'Q1'), { n: 3, flag: null }, 'internal: exact');

  const published = await get<StatsReportShape>(sup, '/v1/stats/reports/2026');
  t.equal(published.variant, 'published');
  t.equal(published.complete, false, 'the year has not ended');
  const pRegion = published.tables.find((x) => x.id === 'region-by-quarter')!;
  t.same(at(pRegion, 'kidal', 'Q1'), { n: null, flag: 'below_threshold' }, 'a cell of 3 is shown "< 5"');
  t.same(at(pRegion, 'gao', 'Q3'), { n: null, flag: 'below_threshold' }, 'a zero is hidden too');
  let checked = 0;
  for (const table of published.tables) {
    for (const [i, row] of internal.tables.find((x) => x.id === table.id)!.cells.entries()) {
      row.forEach((c, j) => {
        if (c.n !== null && c.n > 0 && c.n < published.threshold) t.not(table.cells[i]![j]!.flag, null, `${table.id}: a cell of ${c.n} is never printed`);
      });
    }
    if (!table.cells.flat().some((c) => c.flag)) continue;
    const walked = bruteForceHidden(table, published.threshold);
    if (!walked) continue;
    for (const [cell, values] of walked) {
      t.ok(values.size >= 2, `${table.id} [${cell}]: ${values.size} possible values from the printed totals`);
      checked++;
    }
  }
  t.ok(checked > 0, 'some hidden cells were brute-forced');
  const json = JSON.stringify([internal, published]);
  for (const s of secrets) t.notOk(json.includes(s), 'nothing sealed is in the report');
});

t.test('exports: CSV of a report table and of an internal table', async (t) => {
  await refreshIfStale(T, sup);
  const r = await T.app.inject({ method: 'GET', url: '/v1/stats/reports/2026/tables/region-by-quarter/csv', headers: sup.auth() });
  t.equal(r.statusCode, 200, r.body);
  t.match(r.headers['content-type'], /^text\/csv/);
  const lines = r.body.trim().split('\r\n');
  t.match(lines[0], /^Région,T1,T2,T3,T4,Total$/);
  t.match(r.body, /Kidal,< 5,< 5,< 5,< 5,< 5/);
  const json = await get(sup, '/v1/stats/reports/2026/tables/region-by-quarter');
  t.equal(json.id, 'region-by-quarter');
  const internal = await T.app.inject({ method: 'GET', url: `${year('region').replace('/table', '/table/csv')}`, headers: sup.auth() });
  t.equal(internal.statusCode, 200, internal.body);
  t.match(internal.body, /2026-Q1,kidal,Kidal,3/);
  t.equal((await T.app.inject({ method: 'GET', url: '/v1/stats/reports/2026/tables/nothing-here', headers: sup.auth() })).statusCode, 404);
});

t.test('publication: only after the year ends, once, frozen', async (t) => {
  await refreshIfStale(T, sup);
  const early = await T.app.inject({ method: 'POST', url: '/v1/stats/reports/2026/publication', headers: sup.auth() });
  t.equal(early.json().code, 'stats_year_not_ended');
  await moveTo('2027-01-05T08:00:00.000Z');
  const pub = await expectStatus(T.app.inject({ method: 'POST', url: '/v1/stats/reports/2026/publication', headers: sup.auth() }), 201);
  t.equal(pub.report.complete, true);
  t.match(pub.sha256, /^[0-9a-f]{64}$/);
  const again = await T.app.inject({ method: 'POST', url: '/v1/stats/reports/2026/publication', headers: sup.auth() });
  t.equal(again.json().code, 'stats_already_published');
  // A late change to a 2026 case moves the live figures, never the publication.
  await refreshIfStale(T, moussa);
  await expectStatus(act(T, moussa, B[1]!.caseId, 'verification', { status: 'verified', reason: 'Témoins entendus' }));
  const live = await get<StatsReportShape>(sup, '/v1/stats/reports/2026?variant=internal');
  t.equal(live.tables.find((x) => x.id === 'sdg-16-10-1')!.total.n, 3);
  const frozen = await get(sup, '/v1/stats/reports/2026/publication');
  t.equal(frozen.sha256, pub.sha256);
  t.same(frozen.report, pub.report);
  // A reader checks the hash from the JSON alone: the SHA-256 of its RFC 8785 canonical form.
  t.equal(createHash('sha256').update(canonicalize(frozen.report) ?? '').digest('hex'), frozen.sha256, 'the SHA-256 is of the canonical JSON the reader holds');
});

t.test('every read is audited; the roll-up equals a recount from scratch, before and after folding', async (t) => {
  const reads = await sql`select action, resource, outcome from audit_events where action like 'stats.%' and outcome = 'allowed'`;
  t.ok(reads.some((e) => e.action === 'stats.read' && e.resource === 'stats:region'), 'a table read');
  t.ok(reads.some((e) => e.action === 'stats.service' && e.resource === 'stats:service'), "an admin's read");
  t.ok(reads.some((e) => e.action === 'stats.publish'), 'the publication');
  t.same(await T.app.container.services.stats.drift(), [], 'equal with pending changes');
  t.ok((await sql`select count(*)::int as n from stats_deltas`)[0]!.n > 0, 'changes were pending');
  await T.app.container.services.stats.fold();
  t.equal((await sql`select count(*)::int as n from stats_deltas`)[0]!.n, 0, 'all folded');
  t.same(await T.app.container.services.stats.drift(), [], 'equal after folding');
  const [row] = await sql`select count(*)::int as n from case_stats`;
  t.equal(row!.n, 11);
});
