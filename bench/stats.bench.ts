/**
 * The statistics at scale: 1,000,000 cases over five years and 10,000,000 audit events
 * (bench/lib/stats-world.ts, written with COPY, the roll-up then rebuilt by stats_recount()),
 * every statistics route over HTTP as a supervisor (the service figures and the catalogue as an
 * admin) against a server in a child process: p99 on two connections back to back (target
 * 200 ms) and requests/s at saturation. Beside each route, in the same run: (a) the roll-up
 * statements the route runs (stats-repository.ts, captured from drizzle as it sends them) through
 * bare postgres.js, and (b) the same figure computed by a full scan of the source tables. Then the
 * triage queue's first page on the same database (target 20 ms). Plans of the roll-up statements
 * are printed and checked for sequential scans on stats_counts and cases.
 *
 * `BENCH_STATS_CASES` (default 1,000,000) and `BENCH_STATS_AUDIT_EVENTS` (10,000,000) shrink the
 * world; targets are judged at full size only. `BENCH_STATS_PER_CASE_RECOUNT=1` also times the
 * per-case recount of migration 0026 (about five minutes at full size; on by default up to 200,000
 * cases), `BENCH_STATS_CHECK=1` checks the roll-up against stats_expected() (idem).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { defineBenchmark, row, type Row } from './lib/report.js';
import { benchService, load, type LoadResult } from './lib/service.js';
import { seedStatsWorld } from './lib/stats-world.js';
import { nowMs, summarize, type Summary } from './lib/stats.js';
import { bootstrap, enrolActor, partnerOrg, reauth, type Actor } from '../test/helpers/world.js';
import * as schema from '../src/db/schema/index.js';
import { MIGRATIONS_DIR } from '../src/db/migrate.js';
import { createStatsRepository } from '../src/stats/stats-repository.js';
import { DURATION_DIMENSIONS } from '../src/stats/stats-dimensions.js';
import { listStatement } from '../src/cases/case-list-repository.js';

const CASES = Number(process.env.BENCH_STATS_CASES ?? 1_000_000);
const AUDIT_EVENTS = Number(process.env.BENCH_STATS_AUDIT_EVENTS ?? 10_000_000);
const YEARS = 5;
const OFFICERS = 12;
const CONNECTIONS = Number(process.env.BENCH_STATS_CONNECTIONS ?? 10);
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 6);
const BUSY = 2;
const SQL_RUNS = 200;
const SCAN_RUNS = Number(process.env.BENCH_STATS_SCAN_RUNS ?? 5);
const FULL = CASES >= 1_000_000 && AUDIT_EVENTS >= 10_000_000;
const PER_CASE_RECOUNT = process.env.BENCH_STATS_PER_CASE_RECOUNT ? process.env.BENCH_STATS_PER_CASE_RECOUNT === '1' : CASES <= 200_000;
const CHECK = process.env.BENCH_STATS_CHECK ? process.env.BENCH_STATS_CHECK === '1' : CASES <= 200_000;
const TARGET_MS = 200;
const QUEUE_TARGET_MS = 20;

interface Statement {
  text: string;
  params: unknown[];
}

interface Route {
  name: string;
  as: 'supervisor' | 'admin';
  url: string;
  /** what the route reads, as the repository sends it */
  statements: Statement[];
  /** the same figure from the source tables, for comparison */
  scan?: { label: string; text: string; params: unknown[] };
}

/** The repository on a bare client, recording each statement drizzle sends (text and parameters). */
function recordingRepository(bare: postgres.Sql) {
  const seen: Statement[] = [];
  const db = drizzle(bare, { schema, logger: { logQuery: (text, params) => void seen.push({ text, params }) } });
  const repo = createStatsRepository(db as never);
  return {
    repo,
    /** the statements `fn` sent */
    async record(fn: (r: typeof repo) => Promise<unknown>): Promise<Statement[]> {
      const from = seen.length;
      await fn(repo);
      return seen.slice(from);
    },
  };
}

/** The per-case stats_recount() of migration 0026, under another name: the baseline of the set-based one. */
function perCaseRecount(): string {
  const sql = readFileSync(path.join(MIGRATIONS_DIR, '0026_statistics.sql'), 'utf8');
  const body = /CREATE OR REPLACE FUNCTION stats_recount\(\)[\s\S]*?\n\$\$;/.exec(sql)?.[0];
  if (!body) throw new Error('no stats_recount() in 0026_statistics.sql');
  return body.replace('FUNCTION stats_recount()', 'FUNCTION bench_stats_recount_per_case()');
}

const month = (d: Date) => `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
const p1 = (x: number) => Math.round(x * 10) / 10;

export default defineBenchmark({
  title: `statistics routes over ${CASES.toLocaleString('en')} cases and ${AUDIT_EVENTS.toLocaleString('en')} audit events, and the triage queue beside them`,
  async run(ctx) {
    const svc = await benchService();
    const bare = postgres(svc.db.url, { max: 2, onnotice: () => undefined });
    const admin = postgres(svc.db.adminUrl, { max: 1, onnotice: () => undefined });
    try {
      const local = await svc.start();
      const t = { app: local.app, clock: svc.clock, config: svc.config } as never;
      const dep = await bootstrap(t);
      const officers: Actor[] = [];
      for (let k = 0; k < OFFICERS; k++) officers.push(await enrolActor(t, dep.admin, { username: k === 0 ? 'officer-bench' : `officer-${k}`, role: 'officer', orgId: dep.mechanismId }));
      const partners = [
        { name: 'Avocats Sans Frontières Mali', category: 'lawyers' as const, username: 'asf-referent' },
        { name: 'Association malienne des droits de l’homme', category: 'ngo' as const, username: 'amdh-referent' },
        { name: 'Programme de protection des défenseur·es', category: 'programme' as const, username: 'programme-referent' },
        { name: 'Direction nationale de la police', category: 'state_authority' as const, username: 'police-referent' },
      ];
      const orgIds: string[] = [];
      for (const p of partners) orgIds.push((await partnerOrg(t, dep.admin, p)).id);
      const policies = local.app.container.policies;
      const timeZone = policies.calendar.timeZone;

      // (1) The world, then the roll-up rebuilt from it.
      ctx.log(`seeding ${CASES} cases and ${AUDIT_EVENTS} audit events with COPY`);
      const now = Date.now();
      const t0 = nowMs();
      const counts = await seedStatsWorld({
        adminUrl: svc.db.adminUrl,
        cases: CASES,
        auditEvents: AUDIT_EVENTS,
        now,
        years: YEARS,
        officers: officers.map((o) => o.id),
        supervisorId: dep.supervisor.id,
        adminId: dep.admin.id,
        orgIds,
        mechanismKeyId: dep.mechanismKeyId,
        policies,
        log: ctx.log,
      });
      const seedMs = nowMs() - t0;
      // Statistics first: stats_recount() joins the tables it reads; unanalysed, they are planned as empty.
      let a0 = nowMs();
      await admin`analyze`;
      const analyzeMs = nowMs() - a0;
      ctx.log(`seeded in ${(seedMs / 1000).toFixed(1)} s (COPY ${(counts.copyMs / 1000).toFixed(1)} s, indexes ${(counts.indexMs / 1000).toFixed(1)} s), analyzed in ${(analyzeMs / 1000).toFixed(1)} s; stats_recount() through the service's start-up sync`);
      a0 = nowMs();
      const synced = (await local.app.container.services.stats.ready()) as { recounted: boolean; cases: number };
      const recountMs = nowMs() - a0;
      if (!synced.recounted || synced.cases !== CASES) throw new Error(`the start-up sync did not recount every case: ${JSON.stringify(synced)}`);
      ctx.log(`stats_recount() in ${(recountMs / 1000).toFixed(1)} s`);
      let perCaseMs: number | null = null;
      let recountAgainMs: number | null = null;
      if (PER_CASE_RECOUNT) {
        await admin.unsafe(perCaseRecount());
        ctx.log('the per-case recount of migration 0026');
        a0 = nowMs();
        await admin`select bench_stats_recount_per_case()`;
        perCaseMs = nowMs() - a0;
        await admin`drop function bench_stats_recount_per_case()`;
        ctx.log(`per-case recount in ${(perCaseMs / 1000).toFixed(1)} s; stats_recount() again`);
        a0 = nowMs();
        await admin`select stats_recount()`;
        recountAgainMs = nowMs() - a0;
      }
      let drift: { missing: number; extra: number; facts: number } | null = null;
      if (CHECK) {
        ctx.log('checking the roll-up against stats_expected() and stats_case_facts()');
        const [d] = await admin<Array<{ missing: number; extra: number; facts: number }>>`select
          (select count(*)::int from (select * from stats_expected() except select * from stats_current) x) as missing,
          (select count(*)::int from (select * from stats_current except select * from stats_expected()) y) as extra,
          (select count(*)::int from cases c left join case_stats k on k.case_id = c.id left join lateral stats_case_facts(c.id) f on true
             where k.case_id is null or f.month is distinct from k.month or f.dims is distinct from k.dims) as facts`;
        drift = d!;
      }
      a0 = nowMs();
      await admin`vacuum (analyze)`;
      const vacuumMs = nowMs() - a0;
      const [size] = await admin<Array<{ db: string; counters: number; cases_size: string; audit_size: string }>>`select pg_size_pretty(pg_database_size(current_database())) as db,
        (select count(*)::int from stats_counts) as counters, pg_size_pretty(pg_total_relation_size('cases')) as cases_size,
        pg_size_pretty(pg_total_relation_size('audit_events') + pg_total_relation_size('audit_chain')) as audit_size`;
      ctx.log(`vacuum analyze in ${(vacuumMs / 1000).toFixed(1)} s; ${JSON.stringify(size)}`);

      // (2) The routes, each with its roll-up statements and a full scan of the same figure.
      const nowDate = new Date(now);
      const to = month(nowDate);
      const fromDate = new Date(Date.UTC(nowDate.getUTCFullYear(), nowDate.getUTCMonth() - (YEARS * 12 - 1), 1));
      const from = month(fromDate);
      const fromDay = `${from}-01`;
      const toDay = `${month(new Date(Date.UTC(nowDate.getUTCFullYear(), nowDate.getUTCMonth() + 1, 1)))}-01`;
      const year = nowDate.getUTCFullYear() - 1;
      const yearFrom = `${year}-01-01`;
      const yearTo = `${year + 1}-01-01`;
      const range = `from=${from}&to=${to}`;
      const { repo, record } = recordingRepository(bare);
      const stats = policies.statistics;
      const crossing = (a: string, b: string) => {
        const kept = stats.crossingOf(a as never, b as never);
        return kept ? `${kept[0]}:${kept[1]}` : '';
      };
      const reportSeries = [
        ...stats.report.byQuarter,
        ...stats.report.ofYear.map(([a, b]) => crossing(a, b)),
        crossing('sdg_violation', 'sdg_group'),
        crossing('sdg_violation', 'sdg_sex'),
        'measure',
        'referral',
        'deadline',
        ...DURATION_DIMENSIONS,
      ].filter(Boolean);
      const inRange = (col: string) => `${col} >= ($1::date::timestamp at time zone $3) and ${col} < ($2::date::timestamp at time zone $3)`;
      const fiveYears = [fromDay, toDay, timeZone];
      const scans = {
        regionByQuarter: {
          label: 'cases by region and quarter, GROUP BY over the cases table',
          text: `select region, date_trunc('quarter', created_at at time zone $3) as q, count(*) from cases where ${inRange('created_at')} group by 1, 2`,
          params: fiveYears,
        },
        regionViolation: (period: 'year' | 'quarter') => ({
          label: `violations by region and ${period}, unnest(threat_types) over the cases table`,
          text: `select region, v, date_trunc('${period}', created_at at time zone $3) as p, count(*) from cases, unnest(threat_types) v where ${inRange('created_at')} group by 1, 2, 3`,
          params: fiveYears,
        }),
        acknowledge: {
          label: 'time to acknowledge per quarter (count, median, p90) from case_timeline joined to cases',
          text: `select date_trunc('quarter', c.created_at at time zone $3) as q, count(*), percentile_disc(0.5) within group (order by t.ack - c.created_at) as median, percentile_disc(0.9) within group (order by t.ack - c.created_at) as p90
            from cases c join (select case_id, min(at) as ack from case_timeline where action = 'acknowledge' group by case_id) t on t.case_id = c.id where ${inRange('c.created_at')} group by 1`,
          params: fiveYears,
        },
        deadlines: {
          label: 'deadlines met, missed and open per rule and quarter, GROUP BY over the deadlines table',
          text: `select rule, date_trunc('quarter', started_at at time zone $3) as q, count(*) filter (where state = 'settled' and settled_at <= due_at) as met,
            count(*) filter (where state = 'settled' and (settled_at > due_at or settled_at is null)) as missed, count(*) filter (where state = 'open') as open from deadlines where ${inRange('started_at')} group by 1, 2`,
          params: fiveYears,
        },
        officers: {
          label: 'cases per officer now in charge, GROUP BY over the cases table',
          text: `select assignee_id, count(*) from cases where ${inRange('created_at')} group by 1`,
          params: fiveYears,
        },
        report: {
          label: "the report's case-column tables by quarter (region, category, gender, urgency, risk, verification, decline reason), GROUPING SETS over the year's cases",
          text: `select q, region, defender_category, gender, urgent, risk_level, verification, decline_reason, count(*) from (
              select date_trunc('quarter', created_at at time zone $3) as q, region, defender_category, gender, urgent, risk_level, verification, decline_reason from cases where ${inRange('created_at')}
            ) c group by grouping sets ((q, region), (q, defender_category), (q, gender), (q, urgent), (q, risk_level), (q, verification), (q, decline_reason))`,
          params: [yearFrom, yearTo, timeZone],
        },
      };

      const received = await record((r) => r.counts(['cases'], fromDay, toDay, 'quarter'));
      const receivedByYear = await record((r) => r.counts(['cases'], fromDay, toDay, 'year'));
      const durations = await record((r) => r.counts(DURATION_DIMENSIONS, fromDay, toDay, 'quarter'));
      const deadlines = [...(await record((r) => r.counts(['deadline'], fromDay, toDay, 'quarter'))), ...(await record((r) => r.counts(['escalation'], fromDay, toDay, 'quarter')))];
      const officerCohort = await repo.counts(['officer'], fromDay, toDay, 'year');
      const reportCounts = await repo.counts(reportSeries, yearFrom, yearTo, 'quarter');
      const routes: Route[] = [
        { name: 'table region by quarter, 5 years', as: 'supervisor', url: `/v1/stats/table?series=region&${range}&period=quarter`, statements: [...(await record((r) => r.counts(['region'], fromDay, toDay, 'quarter'))), ...received], scan: scans.regionByQuarter },
        { name: 'table region x violation by year, 5 years', as: 'supervisor', url: `/v1/stats/table?series=region&by=violation&${range}&period=year`, statements: [...(await record((r) => r.counts(['region:violation'], fromDay, toDay, 'year'))), ...receivedByYear], scan: scans.regionViolation('year') },
        { name: 'table CSV region x violation by quarter, 5 years', as: 'supervisor', url: `/v1/stats/table/csv?series=region&by=violation&${range}&period=quarter`, statements: [...(await record((r) => r.counts(['region:violation'], fromDay, toDay, 'quarter'))), ...received], scan: scans.regionViolation('quarter') },
        { name: 'response-times by quarter, 5 years', as: 'supervisor', url: `/v1/stats/response-times?${range}&period=quarter`, statements: [...durations, ...received, ...deadlines], scan: scans.acknowledge },
        {
          name: 'workload, 5 years',
          as: 'supervisor',
          url: `/v1/stats/workload?${range}`,
          statements: [...(await record((r) => r.openLoad())), ...(await record((r) => r.counts(['officer'], fromDay, toDay, 'year'))), ...(await record((r) => r.usernames(officerCohort.map((c) => c.a))))],
          scan: scans.officers,
        },
        { name: 'service figures by quarter, 5 years (admin)', as: 'admin', url: `/v1/stats/service?${range}&period=quarter`, statements: [...received, ...deadlines], scan: scans.deadlines },
        { name: 'catalogue (admin)', as: 'admin', url: '/v1/stats/catalogue', statements: await record((r) => r.monthRange()) },
      ];
      const reportStatements = [...(await record((r) => r.counts(reportSeries, yearFrom, yearTo, 'quarter'))), ...(await record((r) => r.orgNames(reportCounts.filter((c) => c.series === 'referral').map((c) => c.a))))];

      // Fresh tokens for the HTTP part: access tokens last 15 minutes, and the seeding may take
      // longer. The test clock only moves forward: each login moves it past the TOTP step it used
      // (a step is accepted once), so after the enrolments it may be minutes ahead of real time;
      // the child server checks expiry against real time, which is then still earlier.
      let issued = 0;
      const fresh = async () => {
        if (Date.now() - issued < 8 * 60_000) return;
        svc.clock.set(new Date(Math.max(Date.now(), svc.clock.now().getTime())));
        for (const who of [dep.supervisor, dep.admin, officers[0]!]) await reauth(t, who);
        issued = Date.now();
      };
      await fresh();
      const headers = () => ({ supervisor: { authorization: `Bearer ${dep.supervisor.accessToken}` }, admin: { authorization: `Bearer ${dep.admin.accessToken}` }, officer: { authorization: `Bearer ${officers[0]!.accessToken}` } });

      // The year's report, published (frozen) once, then read back like the others.
      const reportRes = await local.app.inject({ method: 'GET', url: `/v1/stats/reports/${year}?variant=published`, headers: headers().supervisor });
      if (reportRes.statusCode !== 200) throw new Error(`report: ${reportRes.statusCode} ${reportRes.body.slice(0, 300)}`);
      const report = reportRes.json() as { tables: Array<{ id: string; rows: unknown[]; columns: unknown[] }> };
      const tableId = report.tables[0]!.id;
      a0 = nowMs();
      const published = await local.app.inject({ method: 'POST', url: `/v1/stats/reports/${year}/publication`, headers: headers().supervisor });
      const publishMs = nowMs() - a0;
      if (published.statusCode !== 201) throw new Error(`publish: ${published.statusCode} ${published.body.slice(0, 300)}`);
      routes.push(
        { name: `report ${year}, published variant`, as: 'supervisor', url: `/v1/stats/reports/${year}?variant=published`, statements: reportStatements, scan: scans.report },
        { name: `report ${year}, internal variant`, as: 'supervisor', url: `/v1/stats/reports/${year}?variant=internal`, statements: reportStatements, scan: scans.report },
        { name: `report ${year} table ${tableId} CSV, published`, as: 'supervisor', url: `/v1/stats/reports/${year}/tables/${tableId}/csv`, statements: reportStatements },
        { name: `publication ${year} (frozen report)`, as: 'supervisor', url: `/v1/stats/reports/${year}/publication`, statements: await record((r) => r.publication(year)) },
      );

      const [before] = await bare<Array<{ id: string }>>`select coalesce(max(id), 0)::text as id from audit_events`;
      const server = await svc.spawn();
      const rows: Array<Omit<Row, 'bench'>> = [];
      const notes: string[] = [
        `${JSON.stringify(counts)}; database ${size!.db}, cases ${size!.cases_size}, audit events and chain ${size!.audit_size}, ${size!.counters} counters`,
        `seeding ${p1(seedMs / 1000)} s (COPY ${p1(counts.copyMs / 1000)} s, secondary indexes built again ${p1(counts.indexMs / 1000)} s), ANALYZE ${p1(analyzeMs / 1000)} s, stats_recount() ${p1(recountMs / 1000)} s${recountAgainMs !== null ? ` (again: ${p1(recountAgainMs / 1000)} s)` : ''}${perCaseMs !== null ? `, the per-case recount of 0026 ${p1(perCaseMs / 1000)} s` : ''}, VACUUM ANALYZE ${p1(vacuumMs / 1000)} s; publishing ${year} ${p1(publishMs)} ms`,
        drift ? `roll-up check: ${drift.missing} counters of stats_expected() missing, ${drift.extra} extra, ${drift.facts} case_stats rows differing from stats_case_facts()` : 'roll-up check skipped (BENCH_STATS_CHECK=1 to run it: per case, minutes at full size)',
        `${SECONDS} s per run after 1 s warm-up; server DATABASE_POOL_SIZE=10; ${BUSY} connections back to back for the p99, ${CONNECTIONS} for saturation; roll-up statements ${SQL_RUNS} times each, full scans ${SCAN_RUNS} times`,
        `periods: ${from} to ${to} (quarters, years), report year ${year}; the audit chain of the seeded events has placeholder hashes (not verifiable), like the audit benchmark's`,
      ];
      const details: Record<string, unknown> = { counts, seedMs, analyzeMs, recountMs, recountAgainMs, perCaseMs, vacuumMs, publishMs, drift, size };
      let seqScans = 0;
      let bad = 0;
      const judge = (r: LoadResult) => FULL && r.errors + r.non2xx === 0;
      const rollupLabel = "the route's roll-up statements (stats-repository.ts) with bare postgres.js, sequential";

      for (const route of routes) {
        await fresh();
        const h = headers()[route.as];
        // (a) The route's statements on the roll-up, bare.
        const times: number[] = [];
        for (let i = 0; i < SQL_RUNS; i++) {
          const s0 = nowMs();
          for (const st of route.statements) await bare.unsafe(st.text, st.params as never[], { prepare: true });
          times.push(nowMs() - s0);
        }
        const rollup = summarize(times);
        let counters = 0;
        for (const st of route.statements) counters += (await bare.unsafe(st.text, st.params as never[], { prepare: true })).length;
        const plans: string[] = [];
        for (const st of route.statements) {
          const plan = (await bare.unsafe(`explain (analyze, buffers) ${st.text}`, st.params as never[])).map((r) => String(r['QUERY PLAN']));
          const seq = plan.filter((l) => /Seq Scan on (stats_counts|cases)\b/.test(l)).length;
          seqScans += seq;
          plans.push(`${seq === 0 ? 'no Seq Scan on stats_counts/cases' : `${seq} SEQ SCAN(S)`}: ${st.text.replace(/\s+/g, ' ').slice(0, 160)}\n      ${plan.join('\n      ')}`);
        }
        notes.push(`plans [${route.name}] (${counters} rows from ${route.statements.length} statement(s)):\n    ${plans.join('\n    ')}`);
        // (b) The same figure from the source tables.
        let scan: Summary | null = null;
        if (route.scan) {
          const st: number[] = [];
          for (let i = 0; i < SCAN_RUNS; i++) {
            const s0 = nowMs();
            await bare.unsafe(route.scan.text, route.scan.params as never[]);
            st.push(nowMs() - s0);
          }
          scan = summarize(st);
        }
        const url = `${server.url}${route.url}`;
        const probe = await fetch(url, { headers: h });
        const bytes = (await probe.arrayBuffer()).byteLength;
        if (probe.status !== 200) throw new Error(`${route.name}: ${probe.status}`);
        ctx.log(`${route.name}: warming up (${bytes} bytes an answer)`);
        await load({ url, headers: h, connections: CONNECTIONS, seconds: 1 });
        ctx.log(`${route.name}: ${SECONDS} s, ${BUSY} connections back to back`);
        const busy = await load({ url, headers: h, connections: BUSY, seconds: SECONDS });
        ctx.gc();
        ctx.log(`${route.name}: ${SECONDS} s, ${CONNECTIONS} connections back to back`);
        const sat = await load({ url, headers: h, connections: CONNECTIONS, seconds: SECONDS });
        ctx.gc();
        bad += busy.errors + busy.non2xx + sat.errors + sat.non2xx;
        details[route.name] = { url: route.url, bytes, counters, busy, saturated: sat, rollupSql: rollup, scan, statements: route.statements.map((s) => s.text.replace(/\s+/g, ' ')) };
        rows.push(row({ figure: `GET ${route.name}: p99, ${BUSY} connections (${Math.round(busy.rps)} req/s, ${(bytes / 1024).toFixed(1)} KiB)`, value: busy.p99, unit: 'ms', baseline: { value: p1(rollup.p99), label: `${rollupLabel}, p99, same run` }, target: { on: 'value', op: '<', limit: TARGET_MS }, judge: judge(busy) }));
        rows.push(row({ figure: `GET ${route.name}: saturation with ${CONNECTIONS} connections, requests/s (p99 ${sat.p99} ms)`, value: sat.rps, unit: 'req/s' }));
        if (scan && route.scan) rows.push(row({ figure: `${route.name}, the same figure by a full scan: ${route.scan.label}, median of ${SCAN_RUNS}`, value: p1(scan.p50), unit: 'ms', baseline: { value: Math.round(rollup.p50 * 100) / 100, label: `${rollupLabel}, median, same run` } }));
      }

      // (3) The triage queue on the same database: the officer's first page.
      await fresh();
      const officer = officers[0]!;
      const q = listStatement({ scope: { all: false, pool: true, assignedTo: officer.id }, filters: {}, callerId: officer.id, after: null, limit: 50, now: new Date() });
      const qtimes: number[] = [];
      for (let i = 0; i < SQL_RUNS * 2; i++) {
        const s0 = nowMs();
        await bare.unsafe(q.text, q.params as never[], { prepare: true });
        qtimes.push(nowMs() - s0);
      }
      const direct = summarize(qtimes);
      const qplan = (await bare.unsafe(`explain (analyze, buffers) ${q.text}`, q.params as never[])).map((r) => String(r['QUERY PLAN']));
      const qseq = qplan.filter((l) => /Seq Scan on (cases|deadlines)\b/.test(l)).length;
      notes.push(`plan [triage queue, officer first page]: ${qseq === 0 ? 'no Seq Scan on cases/deadlines' : `${qseq} SEQ SCAN(S)`}\n    ${qplan.join('\n    ')}`);
      const queueUrl = `${server.url}/v1/cases?limit=50`;
      ctx.log('triage queue: warming up');
      await load({ url: queueUrl, headers: headers().officer, connections: CONNECTIONS, seconds: 1 });
      const qbusy = await load({ url: queueUrl, headers: headers().officer, connections: BUSY, seconds: SECONDS });
      ctx.gc();
      const qsat = await load({ url: queueUrl, headers: headers().officer, connections: CONNECTIONS, seconds: SECONDS });
      bad += qbusy.errors + qbusy.non2xx + qsat.errors + qsat.non2xx;
      details['triage queue'] = { busy: qbusy, saturated: qsat, directSql: direct, plan: qplan };
      rows.push(row({ figure: `GET /v1/cases officer, first page, ${CASES.toLocaleString('en')} cases and ${AUDIT_EVENTS.toLocaleString('en')} audit events: p99, ${BUSY} connections (${Math.round(qbusy.rps)} req/s)`, value: qbusy.p99, unit: 'ms', baseline: { value: p1(direct.p99), label: 'the same statement with postgres.js, sequential, same run' }, target: { on: 'value', op: '<', limit: QUEUE_TARGET_MS }, judge: judge(qbusy) }));
      rows.push(row({ figure: `GET /v1/cases officer, first page: saturation with ${CONNECTIONS} connections, requests/s (p99 ${qsat.p99} ms)`, value: qsat.rps, unit: 'req/s' }));

      rows.push(row({ figure: 'roll-up statement plans with a Seq Scan on stats_counts or cases', value: seqScans, unit: 'scans', target: { on: 'value', op: '<=', limit: 0 } }));
      rows.push(row({ figure: 'triage queue plan with a Seq Scan on cases or deadlines', value: qseq, unit: 'scans', target: { on: 'value', op: '<=', limit: 0 } }));
      rows.push(row({
        figure: `stats_recount() over ${CASES.toLocaleString('en')} cases (set-based, migration 0027)`,
        value: p1(recountMs / 1000),
        unit: 's',
        ...(perCaseMs !== null ? { baseline: { value: p1(perCaseMs / 1000), label: 'the per-case stats_recount() of migration 0026 on the same database, same run' } } : {}),
      }));
      rows.push(row({ figure: `seeding: COPY of ${CASES.toLocaleString('en')} cases with their records and ${AUDIT_EVENTS.toLocaleString('en')} audit events, indexes built after`, value: p1(seedMs / 1000), unit: 's' }));
      if (drift) rows.push(row({ figure: 'counters and case_stats rows differing from a per-case recount (stats_expected(), stats_case_facts())', value: drift.missing + drift.extra + drift.facts, unit: 'rows', target: { on: 'value', op: '<=', limit: 0 } }));
      const [events] = await bare`select count(*)::int as n from audit_events where id > ${before!.id}::bigint`;
      notes.push(`${events!.n} audit events recorded by the runs (each read is audited); ${bad} errors or non-2xx answers${FULL ? '' : '; reduced run: targets shown, not judged'}`);
      return { rows, notes, details: { ...details, connections: CONNECTIONS, seconds: SECONDS, cases: CASES, auditEvents: AUDIT_EVENTS } };
    } finally {
      await bare.end();
      await admin.end();
      await svc.close();
    }
  },
});
