import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { LRUCache } from 'lru-cache';
import type { AccessService } from '../access/access-service.js';
import type { RequestContext } from '../access/principal.js';
import type { AuditService } from '../audit/audit-service.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { AppError } from '../lib/problem.js';
import type { Policies } from '../policies.js';
import type { ReportTableShape, StatsReportShape, StatsTableShape } from '../contracts/statistics.js';
import { DisclosureError, type CellStatus, type Protector } from './disclosure/index.js';
import { bucketLabel, isBucket, quantileBucket } from './duration-buckets.js';
import { reportTableCsv, statsTableCsv } from './stats-csv.js';
import { linkedCells, publishTables, reportTables, type ReportInput } from './report-tables.js';
import { CASE_DIMENSIONS, DURATION_DIMENSIONS, INTERNAL_DIMENSIONS, PROFILE_DIMENSIONS, dimensionCatalogue, fixedLabel, type CaseDimension, type DimensionInfo, type Label } from './stats-dimensions.js';
import { firstDay, monthsBetween, nextMonth, periodsBetween, type Granularity } from './stats-periods.js';
import type { CountRow, StatsRepository } from './stats-repository.js';

export type StatsService = ReturnType<typeof createStatsService>;

/** Series that count other things than cases, with what their two codes are. */
const OTHER_SERIES = {
  measure: { unit: 'measures', label: { fr: 'Mesures de protection', en: 'Protection measures' }, a: { fr: 'Type de mesure', en: 'Measure type' }, b: { fr: 'Issue', en: 'Outcome' } },
  referral: { unit: 'referrals', label: { fr: 'Orientations', en: 'Referrals' }, a: { fr: 'Partenaire', en: 'Partner' }, b: { fr: 'Réponse', en: 'Answer' } },
  referral_answer: { unit: 'referrals', label: { fr: 'Délai de réponse des partenaires', en: "Partners' time to answer" }, a: { fr: 'Partenaire', en: 'Partner' }, b: { fr: 'Délai', en: 'Time' } },
  deadline: { unit: 'deadlines', label: { fr: 'Délais de la procédure', en: 'Procedure deadlines' }, a: { fr: 'Délai', en: 'Deadline' }, b: { fr: 'Issue', en: 'Outcome' } },
  escalation: { unit: 'escalations', label: { fr: 'Escalades déclenchées', en: 'Escalations fired' }, a: { fr: 'Palier', en: 'Step' }, b: { fr: 'Délai', en: 'Deadline' } },
} as const satisfies Record<string, { unit: StatsTableShape['unit']; label: Label; a: Label; b: Label }>;
type OtherSeries = keyof typeof OTHER_SERIES;

const REFERRAL_STATE_LABELS: Record<string, Label> = { declined: { fr: 'Refusée par le partenaire', en: 'Declined by the partner' }, refused: { fr: 'Refusée par la personne', en: 'Refused by the person' } };

export interface RangeQuery {
  from: string;
  to: string;
  period?: Granularity | undefined;
}

/**
 * The statistics: exact tables for the supervisors, the service's figures for the admins, and
 * the annual report with disclosure control. Every figure comes from the roll-up (migration
 * 0026), never from a scan of the cases; every read is authorised and audited like any other.
 */
export function createStatsService(deps: {
  db: Db;
  repo: StatsRepository;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  policies: Pick<Policies, 'intake' | 'risk' | 'workflow' | 'statistics' | 'calendar' | 'measures'>;
  /** The disclosure control, off the request thread (a solve can take seconds). */
  protect: Protector['protect'];
}) {
  const { repo, access, clock, policies } = deps;
  const command = createCommandRunner({ db: deps.db, audit: deps.audit });
  const policy = policies.statistics;
  const dimensions = dimensionCatalogue(policies);
  const byName = new Map<string, DimensionInfo>(dimensions.map((d) => [d.name, d]));
  const timeZone = policies.calendar.timeZone;
  const measureLabels = new Map(policies.measures.measures.map((m) => [m.code, { fr: m.label.fr, en: m.label.en }]));
  const settings = (() => {
    const config = { crossings: policy.crossings, sdg: { violations: policy.sdg16101.violations, populationGroups: policy.sdg16101.populationGroups } };
    const fingerprint = createHash('sha256').update(JSON.stringify({ timeZone, config })).digest('hex');
    return { timeZone, config, fingerprint };
  })();
  let synced: Promise<unknown> | null = null;
  /** The triggers count with this process's policies: re-counts once when they changed (first caller in any process). */
  const ready = () => {
    synced ??= repo.sync(settings).catch((err: unknown) => {
      synced = null;
      throw err;
    });
    return synced;
  };

  const checkRange = (q: RangeQuery) => {
    const months = monthsBetween(q.from, q.to);
    if (months < 1 || months > 120) throw new AppError('stats_range_invalid', `${q.from} to ${q.to}`);
    return { from: firstDay(q.from), to: firstDay(nextMonth(q.to)), period: q.period ?? 'month', periods: periodsBetween(q.from, q.to, q.period ?? 'month') };
  };

  /** Which series a request names: a dimension, a kept crossing (in either order), or another series; refused crossings first. */
  const seriesOf = (series: string, by: string | undefined): { name: string; swapped: boolean; unit: StatsTableShape['unit'] } => {
    if (series in OTHER_SERIES) {
      if (by) throw new AppError('stats_unknown_series', `${series} is not crossed`);
      return { name: series, swapped: false, unit: OTHER_SERIES[series as OtherSeries].unit };
    }
    if (series !== 'cases' && !byName.has(series)) throw new AppError('stats_unknown_series', series);
    if (!by) return { name: series, swapped: false, unit: byName.get(series)?.kind === 'multi' ? 'mentions' : 'cases' };
    if (!byName.has(by)) throw new AppError('stats_unknown_series', by);
    if (policy.refuses([series as CaseDimension, by as CaseDimension])) throw new AppError('stats_crossing_refused', `${series} x ${by}`);
    const kept = policy.crossingOf(series as CaseDimension, by as CaseDimension);
    if (!kept) throw new AppError('stats_unknown_series', `${series} x ${by} is not a kept crossing`);
    const multi = byName.get(series)?.kind === 'multi' || byName.get(by)?.kind === 'multi';
    return { name: `${kept[0]}:${kept[1]}`, swapped: kept[0] !== series, unit: multi ? 'mentions' : 'cases' };
  };

  /** The label of a code known from the policies: a duration bucket, a measure, a fixed code, else the code. */
  const labelOf = (code: string): Label => (isBucket(code) ? bucketLabel(code) : (measureLabels.get(code) ?? fixedLabel(code) ?? { fr: code, en: code }));
  /** Labels of the open-set codes in some rows: officers and organisations by name, the rest as labelOf. */
  const labelsFor = async (codes: Iterable<string>): Promise<Array<{ code: string; label: Label }>> => {
    const all = [...new Set(codes)].filter((c) => c !== '');
    const [users, orgs] = await Promise.all([repo.usernames(all), repo.orgNames(all)]);
    return all.map((code) => {
      const name = users.get(code) ?? orgs.get(code);
      return { code, label: name ? { fr: name, en: name } : labelOf(code) };
    });
  };

  const receivedPer = async (range: ReturnType<typeof checkRange>) => {
    const rows = await repo.counts(['cases'], range.from, range.to, range.period);
    const per = new Map(rows.map((r) => [r.period, r.n]));
    return range.periods.map((p) => ({ period: p, n: per.get(p) ?? 0 }));
  };

  const deadlineFigures = async (range: ReturnType<typeof checkRange>) => {
    const [deadlines, steps] = await Promise.all([repo.counts(['deadline'], range.from, range.to, range.period), repo.counts(['escalation'], range.from, range.to, range.period)]);
    const byRule = new Map<string, { rule: string; period: string; met: number; missed: number; open: number; paused: number; cancelled: number }>();
    for (const x of deadlines) {
      const k = `${x.period}|${x.a}`;
      const cur = byRule.get(k) ?? { rule: x.a, period: x.period, met: 0, missed: 0, open: 0, paused: 0, cancelled: 0 };
      if (x.b === 'met' || x.b === 'missed' || x.b === 'open' || x.b === 'paused' || x.b === 'cancelled') cur[x.b] += x.n;
      byRule.set(k, cur);
    }
    const escalations = steps.map((x) => ({ step: x.a, rule: x.b, period: x.period, n: x.n }));
    const order = (a: { period: string }, b: { period: string }) => range.periods.indexOf(a.period) - range.periods.indexOf(b.period);
    return { deadlines: [...byRule.values()].sort(order), escalations: escalations.sort(order) };
  };

  /** A report as its figures make it: everything but when it was read and whether its year has ended. */
  type BuiltReport = Pick<StatsReportShape, 'tables' | 'responseTimes'>;
  // Built reports by year, variant and content (the counters and organisation names they are
  // made of): disclosure control, seconds at full size, runs once per distinct figures, and a
  // report's tables and their CSV reuse the report. Pending while being built, so concurrent
  // readers wait for the one build.
  const built = new LRUCache<string, Promise<BuiltReport>>({ max: 32 });

  /** `on`: where the figures are read; by default the repository's replica (they may lag it), the primary for a publication. */
  const buildReport = async (year: number, variant: 'internal' | 'published', on?: Db): Promise<StatsReportShape> => {
    const from = `${year}-01-01`;
    const to = `${year + 1}-01-01`;
    const ofYear = [
      ...policy.report.ofYear.map((pair) => ({ pair })),
      { pair: ['sdg_violation', 'sdg_group'] as const, id: 'sdg-16-10-1', title: { fr: 'ODD 16.10.1 : cas vérifiés, par violation et groupe de population', en: 'SDG 16.10.1: verified cases by violation and population group' } },
      { pair: ['sdg_violation', 'sdg_sex'] as const, id: 'sdg-16-10-1-by-sex', title: { fr: 'ODD 16.10.1 : cas vérifiés, par violation et sexe', en: 'SDG 16.10.1: verified cases by violation and sex' } },
    ];
    const crossing = (a: string, b: string) => {
      const kept = policy.crossingOf(a as CaseDimension, b as CaseDimension);
      return kept ? { series: `${kept[0]}:${kept[1]}`, swapped: kept[0] !== a } : undefined;
    };
    const series = [...policy.report.byQuarter, ...ofYear.map((o) => crossing(o.pair[0], o.pair[1])?.series ?? ''), 'measure', 'referral', 'deadline', ...DURATION_DIMENSIONS];
    // By quarter: the quarterly tables need it, the others sum the year's four.
    const counts = await repo.counts(series.filter(Boolean), from, to, 'quarter', on);
    const orgs = await repo.orgNames(counts.filter((c) => c.series === 'referral').map((c) => c.a), on);
    const content = createHash('sha256').update(JSON.stringify([counts, [...orgs].sort((x, y) => (x[0] < y[0] ? -1 : 1))])).digest('hex');
    const key = `${year}|${variant}|${content}`;
    let report = built.get(key);
    if (!report) {
      const building = assemble(year, variant, counts, orgs, ofYear, crossing);
      report = building;
      built.set(key, building);
      // A failed build (an unprotectable year) is not kept: the next read tries again.
      building.catch(() => built.peek(key) === building && built.delete(key));
    }
    const { tables, responseTimes } = await report;
    const now = clock.now();
    return { year, variant, generatedAt: now.toISOString(), threshold: policy.disclosure.threshold, timeZone, complete: currentYear(now) > year, tables, responseTimes };
  };

  const assemble = async (
    year: number,
    variant: 'internal' | 'published',
    counts: CountRow[],
    orgs: ReadonlyMap<string, string>,
    ofYear: ReportInput['ofYear'],
    crossing: ReportInput['crossing'],
  ): Promise<BuiltReport> => {
    const keyed = reportTables({
      year,
      counts,
      dimensions: byName,
      byQuarter: policy.report.byQuarter,
      ofYear,
      crossing,
      labelOf: (code) => {
        const org = orgs.get(code);
        return org ? { fr: org, en: org } : labelOf(code);
      },
      measureLabels,
      fixedLabel: (code) => REFERRAL_STATE_LABELS[code] ?? labelOf(code),
    });
    let status: ReadonlyMap<string, CellStatus> = new Map();
    if (variant === 'published') {
      try {
        status = await deps.protect(linkedCells(keyed), policy.disclosure);
      } catch (err) {
        // The cells concerned are not named: their keys say where the small counts are.
        if (err instanceof DisclosureError && err.code === 'unprotectable') throw new AppError('stats_unprotectable', `${err.cells.length} cells of ${year} cannot be protected`);
        throw err;
      }
    }
    const flagOf = (key: string) => {
      const s = status.get(key);
      return s === 'below_threshold' || s === 'complementary' ? s : null;
    };
    const threshold = policy.disclosure.threshold;
    const responseTimes = DURATION_DIMENSIONS.map((measure) => {
      const dist = new Map<string, number>();
      for (const r of counts) if (r.series === measure) dist.set(r.a, (dist.get(r.a) ?? 0) + r.n);
      const count = [...dist.values()].reduce((s, n) => s + n, 0);
      const hidden = variant === 'published' && count > 0 && count < threshold;
      return {
        measure,
        count: hidden ? { n: null, flag: 'below_threshold' as const } : { n: count, flag: null },
        median: hidden ? null : quantileBucket(dist, 0.5),
        p90: hidden ? null : quantileBucket(dist, 0.9),
      };
    });
    return { tables: publishTables(keyed, variant === 'published' ? flagOf : () => null), responseTimes };
  };

  /** The year `now` falls in, in the mechanism's time zone. */
  const currentYear = (now: Date) => Number(new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric' }).format(now));

  /** Authorises and audits a read; a refusal found before (no such table) is the request's one audited decision. */
  const read = async (ctx: RequestContext, action: 'stats.read' | 'stats.service', resource: string, refusal: AppError | null = null) => {
    await access.authorize(ctx, action, { resource, refusal }, undefined, { read: true });
    await ready();
  };
  /** The ids of the report's tables, known from the policy without reading a figure. */
  const reportTableIds = new Set([
    ...policy.report.byQuarter.map((d) => `${d.replaceAll('_', '-')}-by-quarter`),
    ...policy.report.ofYear.map(([a, b]) => `${a.replaceAll('_', '-')}-by-${b.replaceAll('_', '-')}`),
    'sdg-16-10-1',
    'sdg-16-10-1-by-sex',
    'measures',
    'referrals',
    'deadlines',
  ]);

  return {
    ready,

    async catalogue(ctx: RequestContext) {
      await read(ctx, 'stats.service', 'stats:catalogue');
      const months = await repo.monthRange();
      return {
        dimensions: dimensions.map((d) => ({ ...d, profile: PROFILE_DIMENSIONS.includes(d.name), internal: INTERNAL_DIMENSIONS.includes(d.name) })),
        series: Object.entries(OTHER_SERIES).map(([name, s]) => ({ name, label: s.label, a: s.a, b: s.b })),
        crossings: policy.crossings.map(([a, b]) => [a, b] as [string, string]),
        refusedCrossings: policy.refusedCrossings.map((r) => ({ all: [...r.all], any: [...r.any] })),
        disclosure: { ...policy.disclosure },
        months: { first: months.first?.slice(0, 7) ?? null, last: months.last?.slice(0, 7) ?? null },
        timeZone,
      };
    },

    async table(ctx: RequestContext, q: RangeQuery & { series: string; by?: string | undefined }): Promise<StatsTableShape> {
      // Validation before the authorisation's audit: a refused crossing is audited as the request's denial.
      const range = checkRange(q);
      const s = seriesOf(q.series, q.by);
      await read(ctx, 'stats.read', `stats:${s.name}`);
      const rows = await repo.counts([s.name], range.from, range.to, range.period);
      const cells = rows.map((r) => (s.swapped ? { period: r.period, a: r.b, b: r.a, n: r.n } : { period: r.period, a: r.a, b: r.b, n: r.n }));
      cells.sort((x, y) => range.periods.indexOf(x.period) - range.periods.indexOf(y.period) || x.a.localeCompare(y.a) || x.b.localeCompare(y.b));
      return {
        series: q.series,
        by: q.by ?? null,
        period: range.period,
        from: q.from,
        to: q.to,
        unit: s.unit,
        periods: range.periods,
        cells,
        cases: await receivedPer(range),
        labels: await labelsFor(cells.flatMap((c) => [c.a, c.b]).filter((c) => !byName.get(q.series)?.codes.some((k) => k.code === c))),
      };
    },

    async tableCsv(ctx: RequestContext, q: RangeQuery & { series: string; by?: string | undefined }, lang: 'fr' | 'en' = 'fr'): Promise<string> {
      const t = await this.table(ctx, q);
      const known = new Map<string, Label>([...[q.series, q.by].flatMap((d) => byName.get(d ?? '')?.codes ?? []).map((c) => [c.code, c.label] as const), ...t.labels.map((l) => [l.code, l.label] as const)]);
      return statsTableCsv(t, (code) => known.get(code) ?? labelOf(code), lang);
    },

    async responseTimes(ctx: RequestContext, q: RangeQuery) {
      const range = checkRange(q);
      await read(ctx, 'stats.read', 'stats:response-times');
      const rows = await repo.counts(DURATION_DIMENSIONS, range.from, range.to, range.period);
      // One pass over the counters: each duration's distribution per period.
      const dists = new Map<string, Map<string, number>>();
      for (const r of rows) {
        const key = `${r.series}\u0000${r.period}`;
        const dist = dists.get(key) ?? new Map<string, number>();
        dist.set(r.a, (dist.get(r.a) ?? 0) + r.n);
        dists.set(key, dist);
      }
      const times = DURATION_DIMENSIONS.flatMap((measure) =>
        range.periods.map((period) => {
          const dist = dists.get(`${measure}\u0000${period}`) ?? new Map<string, number>();
          return { measure, period, count: [...dist.values()].reduce((s, n) => s + n, 0), median: quantileBucket(dist, 0.5), p90: quantileBucket(dist, 0.9) };
        }),
      );
      return { from: q.from, to: q.to, period: range.period, periods: range.periods, received: await receivedPer(range), times, ...(await deadlineFigures(range)) };
    },

    async service(ctx: RequestContext, q: RangeQuery) {
      const range = checkRange(q);
      await read(ctx, 'stats.service', 'stats:service');
      return { from: q.from, to: q.to, period: range.period, periods: range.periods, received: await receivedPer(range), ...(await deadlineFigures(range)) };
    },

    async workload(ctx: RequestContext, q: RangeQuery) {
      const range = checkRange(q);
      await read(ctx, 'stats.read', 'stats:workload');
      const [open, cohort] = await Promise.all([repo.openLoad(), repo.counts(['officer'], range.from, range.to, 'year')]);
      const names = await repo.usernames([...open.map((o) => o.userId), ...cohort.map((c) => c.a)]);
      const officers = new Map<string, { userId: string; username: string; open: Record<string, number>; received: number }>();
      for (const o of open) {
        // Only accounts (an assignee is a user's id, not a reference the database checks).
        const username = names.get(o.userId);
        if (username === undefined) continue;
        const cur = officers.get(o.userId) ?? { userId: o.userId, username, open: {}, received: 0 };
        cur.open[o.state] = (cur.open[o.state] ?? 0) + o.n;
        officers.set(o.userId, cur);
      }
      let unassigned = 0;
      for (const c of cohort) {
        if (c.a === 'none') {
          unassigned += c.n;
          continue;
        }
        const cur = officers.get(c.a) ?? { userId: c.a, username: names.get(c.a) ?? c.a, open: {}, received: 0 };
        cur.received += c.n;
        officers.set(c.a, cur);
      }
      return { officers: [...officers.values()].sort((a, b) => a.username.localeCompare(b.username)), unassigned };
    },

    async report(ctx: RequestContext, year: number, variant: 'internal' | 'published' = 'published') {
      await read(ctx, 'stats.read', `stats:report:${year}:${variant}`);
      return buildReport(year, variant);
    },

    async reportTable(ctx: RequestContext, year: number, tableId: string, variant: 'internal' | 'published' = 'published'): Promise<ReportTableShape> {
      await read(ctx, 'stats.read', `stats:report:${year}:${variant}:${tableId}`, reportTableIds.has(tableId) ? null : new AppError('not_found', `no table ${tableId}`));
      const table = (await buildReport(year, variant)).tables.find((t) => t.id === tableId);
      if (!table) throw new AppError('not_found', `no table ${tableId}`);
      return table;
    },

    async reportTableCsv(ctx: RequestContext, year: number, tableId: string, variant: 'internal' | 'published' = 'published', lang: 'fr' | 'en' = 'fr'): Promise<string> {
      return reportTableCsv(await this.reportTable(ctx, year, tableId, variant), policy.disclosure.threshold, lang);
    },

    async publish(ctx: RequestContext, year: number) {
      const now = clock.now();
      const ended = currentYear(now) > year;
      // The report (disclosure control may take seconds) is built before the command's
      // transaction opens, not while it holds a connection; only supervisors reach here (the
      // route's action), and the command still authorises and audits the publication itself.
      // From the primary: what is frozen for good is every change committed before, never a
      // replica's older state.
      let report: StatsReportShape | null = null;
      if (ended) {
        await ready();
        report = await buildReport(year, 'published', deps.db);
      }
      return command(ctx, { action: 'stats.publish', resource: `stats:publication:${year}`, caseId: null }, async (tx) => {
        await access.authorize(ctx, 'stats.publish', { resource: `stats:publication:${year}` }, tx);
        if (!report) throw new AppError('stats_year_not_ended', String(year));
        if (ctx.principal.kind !== 'user') throw new AppError('forbidden');
        // Over the report's RFC 8785 canonical JSON: anyone holding the JSON can check it, whatever
        // order its members come in (the database and the serializer each choose their own).
        const sha256 = createHash('sha256').update(canonicalize(report) ?? '').digest('hex');
        const row = { year, publishedAt: now, publishedBy: ctx.principal.userId, report, sha256 };
        if (!(await repo.publish(row, tx))) throw new AppError('stats_already_published', String(year));
        return { year, publishedAt: now.toISOString(), publishedBy: row.publishedBy, sha256, report };
      });
    },

    async publication(ctx: RequestContext, year: number) {
      const row = await repo.publication(year);
      await read(ctx, 'stats.read', `stats:publication:${year}`, row ? null : new AppError('not_found', `${year} is not published`));
      if (!row) throw new AppError('not_found', `${year} is not published`);
      return { year: row.year, publishedAt: row.publishedAt.toISOString(), publishedBy: row.publishedBy, sha256: row.sha256, report: row.report as StatsReportShape };
    },

    /** For the workers' folder and the fault run's check. */
    fold: (batch?: number) => repo.fold(batch),
    drift: () => repo.drift(),
    dimensions: CASE_DIMENSIONS,
  };
}
