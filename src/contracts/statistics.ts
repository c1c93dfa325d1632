import { Type, type Static } from 'typebox';
import { Nullable, Timestamp, Uuid, responses } from '../lib/schemas.js';
import { operation } from './operation.js';

const Label = Type.Object({ fr: Type.String({ maxLength: 200 }), en: Type.String({ maxLength: 200 }) }, { additionalProperties: false });
const Code = Type.String({ maxLength: 80, description: 'a code of policies/ (a region, a threat type...), an officer or organisation id, or a duration bucket' });
const CodeLabel = Type.Object({ code: Code, label: Label }, { additionalProperties: false });
const Name = Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' });
const Month = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'a month, `YYYY-MM`, in the time zone of policies/calendar.yaml' });
const Granularity = Type.Union([Type.Literal('month'), Type.Literal('quarter'), Type.Literal('year')], { default: 'month' });
const Count = Type.Integer({ minimum: 0 });

const Dimension = Type.Object(
  {
    name: Name,
    kind: Type.Union([Type.Literal('single'), Type.Literal('multi')], { description: 'multi: a case counts once per code it cites (several violations), so codes add up to mentions, not cases' }),
    only: Type.Optional(Type.String({ maxLength: 20, description: 'which cases it counts when not all (declined, verified, acknowledged...)' })),
    profile: Type.Boolean({ description: 'describes the person: never crossed with the region' }),
    internal: Type.Boolean({ description: 'for supervisors only, never in a published table' }),
    label: Label,
    codes: Type.Array(CodeLabel, { maxItems: 200, description: 'empty for open sets (officers, duration buckets): labelled where they appear' }),
  },
  { additionalProperties: false },
);

export const getStatsCatalogue = operation('getStatsCatalogue', {
  tags: ['statistics'],
  summary: 'What can be counted: the dimensions with their codes and labels, the crossings kept, the refused ones, the disclosure rules, the months with cases (supervisors; admins for the service figures)',
  security: [{ bearer: [] }],
  response: responses(
    {
      200: Type.Object({
        dimensions: Type.Array(Dimension, { maxItems: 50 }),
        series: Type.Array(Type.Object({ name: Name, label: Label, a: Label, b: Label }, { additionalProperties: false }), { maxItems: 20, description: 'series that count other things than cases: measures, referrals, deadlines, escalations' }),
        crossings: Type.Array(Type.Array(Name, { minItems: 2, maxItems: 2 }), { maxItems: 40, description: 'pairs of dimensions the roll-ups keep' }),
        refusedCrossings: Type.Array(Type.Object({ all: Type.Array(Name), any: Type.Array(Name) }, { additionalProperties: false }), { maxItems: 20 }),
        disclosure: Type.Object({ threshold: Type.Integer({ minimum: 1 }), minimumRange: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
        months: Type.Object({ first: Nullable(Month), last: Nullable(Month) }, { additionalProperties: false }),
        timeZone: Type.String({ maxLength: 64 }),
      }),
    },
    [401, 403],
  ),
});

const TableQuery = Type.Object(
  {
    series: Name,
    by: Type.Optional(Name),
    from: Month,
    to: Month,
    period: Type.Optional(Granularity),
  },
  { additionalProperties: false },
);

const TableCell = Type.Object({ period: Type.String({ maxLength: 10 }), a: Code, b: Code, n: Count }, { additionalProperties: false });

/** An internal table: exact counts, every non-zero cell. */
export const StatsTable = Type.Object(
  {
    series: Name,
    by: Nullable(Name),
    period: Granularity,
    from: Month,
    to: Month,
    unit: Type.Union([Type.Literal('cases'), Type.Literal('mentions'), Type.Literal('measures'), Type.Literal('referrals'), Type.Literal('deadlines'), Type.Literal('escalations')]),
    periods: Type.Array(Type.String({ maxLength: 10 }), { maxItems: 200 }),
    cells: Type.Array(TableCell, { maxItems: 100_000 }),
    /** cases received in each period, whatever the series */
    cases: Type.Array(Type.Object({ period: Type.String({ maxLength: 10 }), n: Count }, { additionalProperties: false }), { maxItems: 200 }),
    labels: Type.Array(CodeLabel, { maxItems: 2000, description: 'labels of the open-set codes in the cells (officers, organisations, buckets)' }),
  },
  { additionalProperties: false },
);
export type StatsTableShape = Static<typeof StatsTable>;

export const getStatsTable = operation('getStatsTable', {
  tags: ['statistics'],
  summary: 'Exact counts of one series (a dimension, or a dimension crossed `by` another kept crossing) per period (supervisors; internal, never published as is)',
  description:
    'A crossing that is not kept is `stats_unknown_series`; one that policies/statistics.yaml refuses (a region with a profile) is `stats_crossing_refused`, at every period. ' +
    'Multi-valued dimensions (violations, perpetrators) count mentions: a case citing two violations is in two cells.',
  security: [{ bearer: [] }],
  querystring: TableQuery,
  response: responses({ 200: StatsTable }, [401, 403]),
});

export const exportStatsTable = operation('exportStatsTable', {
  tags: ['statistics'],
  summary: 'The same table as CSV (period, code, code, label, label, count), for a spreadsheet (supervisors)',
  security: [{ bearer: [] }],
  querystring: Type.Object({ ...TableQuery.properties, lang: Type.Optional(Type.Union([Type.Literal('fr'), Type.Literal('en')], { default: 'fr', description: 'the language of the labels' })) }, { additionalProperties: false }),
  produces: ['text/csv'],
  response: responses({ 200: Type.String({ description: 'CSV with a header line, UTF-8' }) }, [401, 403]),
});

const RangeQuery = Type.Object({ from: Month, to: Month, period: Type.Optional(Granularity) }, { additionalProperties: false });

const Distribution = Type.Object(
  {
    measure: Name,
    period: Type.String({ maxLength: 10 }),
    count: Count,
    median: Nullable(Type.String({ maxLength: 10, description: 'the bucket of the median: `h005` is 5 to 6 hours, `d004` 4 to 5 days, `over_60d`' })),
    p90: Nullable(Type.String({ maxLength: 10 })),
  },
  { additionalProperties: false },
);
const DeadlineShare = Type.Object(
  { rule: Name, period: Type.String({ maxLength: 10 }), met: Count, missed: Count, open: Count, paused: Count, cancelled: Count },
  { additionalProperties: false, description: 'deadlines that started in the period: settled in time (met) or late (missed), still running, paused or cancelled' },
);
const Escalations = Type.Object({ step: Name, rule: Name, period: Type.String({ maxLength: 10 }), n: Count }, { additionalProperties: false });

export const ResponseTimes = Type.Object(
  {
    from: Month,
    to: Month,
    period: Granularity,
    periods: Type.Array(Type.String({ maxLength: 10 }), { maxItems: 200 }),
    received: Type.Array(Type.Object({ period: Type.String({ maxLength: 10 }), n: Count }, { additionalProperties: false }), { maxItems: 200 }),
    times: Type.Array(Distribution, { maxItems: 1000, description: 'received -> acknowledged -> triage decision -> first measure, by the period the request arrived' }),
    deadlines: Type.Array(DeadlineShare, { maxItems: 5000 }),
    escalations: Type.Array(Escalations, { maxItems: 5000 }),
  },
  { additionalProperties: false },
);

export const getStatsResponseTimes = operation('getStatsResponseTimes', {
  tags: ['statistics'],
  summary: 'How fast the mechanism answered: time to acknowledge, to decide, to the first measure; deadlines met; escalations fired per level (supervisors)',
  security: [{ bearer: [] }],
  querystring: RangeQuery,
  response: responses({ 200: ResponseTimes }, [401, 403]),
});

export const getServiceStats = operation('getServiceStats', {
  tags: ['statistics'],
  summary: "The service's figures without anything about the people: requests received, deadlines met and escalations per period (admins and supervisors)",
  security: [{ bearer: [] }],
  querystring: RangeQuery,
  response: responses(
    { 200: Type.Object({ from: Month, to: Month, period: Granularity, periods: Type.Array(Type.String({ maxLength: 10 }), { maxItems: 200 }), received: ResponseTimes.properties.received, deadlines: ResponseTimes.properties.deadlines, escalations: ResponseTimes.properties.escalations }, { additionalProperties: false }) },
    [401, 403],
  ),
});

export const getStatsWorkload = operation('getStatsWorkload', {
  tags: ['statistics'],
  summary: 'Workload per officer: open cases now by state, and cases of the period by the officer now in charge (supervisors only)',
  security: [{ bearer: [] }],
  querystring: RangeQuery,
  response: responses(
    {
      200: Type.Object({
        officers: Type.Array(
          Type.Object(
            {
              userId: Uuid,
              username: Type.String({ maxLength: 64 }),
              open: Type.Record(Name, Count, { description: 'open cases by state, now' }),
              received: Count,
            },
            { additionalProperties: false },
          ),
          { maxItems: 1000 },
        ),
        unassigned: Count,
      }),
    },
    [401, 403],
  ),
});

/** A published cell: a count, or hidden because small (`below_threshold`, shown "< 5") or to protect one (`complementary`, shown "x"). */
const ReportCell = Type.Object(
  { n: Nullable(Count), flag: Nullable(Type.Union([Type.Literal('below_threshold'), Type.Literal('complementary')])) },
  { additionalProperties: false },
);
export type ReportCellShape = Static<typeof ReportCell>;

export const ReportTable = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9-]{1,80}$' }),
    title: Label,
    unit: Type.Union([Type.Literal('cases'), Type.Literal('mentions'), Type.Literal('measures'), Type.Literal('referrals'), Type.Literal('deadlines')]),
    rowDimension: Name,
    columnDimension: Name,
    rows: Type.Array(CodeLabel, { maxItems: 500 }),
    columns: Type.Array(CodeLabel, { maxItems: 100 }),
    cells: Type.Array(Type.Array(ReportCell, { maxItems: 100 }), { maxItems: 500 }),
    rowTotals: Type.Array(ReportCell, { maxItems: 500 }),
    columnTotals: Type.Array(ReportCell, { maxItems: 100 }),
    total: ReportCell,
  },
  { additionalProperties: false },
);
export type ReportTableShape = Static<typeof ReportTable>;

const Variant = Type.Union([Type.Literal('internal'), Type.Literal('published')], { default: 'published', description: 'published: small cells hidden (policies/statistics.yaml); internal: exact, for supervisors only' });

export const StatsReport = Type.Object(
  {
    year: Type.Integer(),
    variant: Variant,
    generatedAt: Timestamp,
    threshold: Type.Integer({ minimum: 1 }),
    timeZone: Type.String({ maxLength: 64 }),
    complete: Type.Boolean({ description: 'false while the year has not ended: the figures still move' }),
    tables: Type.Array(ReportTable, { maxItems: 100 }),
    responseTimes: Type.Array(
      Type.Object({ measure: Name, count: ReportCell, median: Nullable(Type.String({ maxLength: 10 })), p90: Nullable(Type.String({ maxLength: 10 })) }, { additionalProperties: false }),
      { maxItems: 10 },
    ),
  },
  { additionalProperties: false },
);
export type StatsReportShape = Static<typeof StatsReport>;

const YearParams = Type.Object({ year: Type.String({ pattern: '^(19|20|21)[0-9]{2}$' }) }, { additionalProperties: false });
const VariantQuery = Type.Object({ variant: Type.Optional(Variant) }, { additionalProperties: false });

export const getStatsReport = operation('getStatsReport', {
  tags: ['statistics'],
  summary: "A year's report: every table by quarter and crossed, the SDG 16.10.1 table, response times; published variant with disclosure control (supervisors)",
  description: 'The published variant hides every cell under the threshold and as many others as needed so that none can be recovered from the totals or from the other tables of the report (docs/statistics-disclosure.md).',
  security: [{ bearer: [] }],
  params: YearParams,
  querystring: VariantQuery,
  response: responses({ 200: StatsReport }, [401, 403]),
});

const TableParams = Type.Object({ year: YearParams.properties.year, tableId: Type.String({ pattern: '^[a-z0-9-]{1,80}$' }) }, { additionalProperties: false });

export const getStatsReportTable = operation('getStatsReportTable', {
  tags: ['statistics'],
  summary: "One table of a year's report as JSON (published variant by default) (supervisors)",
  security: [{ bearer: [] }],
  params: TableParams,
  querystring: VariantQuery,
  response: responses({ 200: ReportTable }, [401, 403, 404]),
});

export const exportStatsReportTable = operation('exportStatsReportTable', {
  tags: ['statistics'],
  summary: "One table of a year's report as CSV, hidden cells as `< 5` and `x` in the published variant (supervisors)",
  security: [{ bearer: [] }],
  params: TableParams,
  querystring: Type.Object({ variant: Type.Optional(Variant), lang: Type.Optional(Type.Union([Type.Literal('fr'), Type.Literal('en')], { default: 'fr' })) }, { additionalProperties: false }),
  produces: ['text/csv'],
  response: responses({ 200: Type.String({ description: 'CSV with a header line, UTF-8' }) }, [401, 403, 404]),
});

const Publication = Type.Object(
  { year: Type.Integer(), publishedAt: Timestamp, publishedBy: Uuid, sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }), report: StatsReport },
  { additionalProperties: false },
);

export const publishStatsReport = operation('publishStatsReport', {
  tags: ['statistics'],
  summary: "Publish an ended year's report: the published variant is frozen as it is now and is what every later read of the publication gives (supervisors)",
  description: 'Once only per year (`stats_already_published`), and only after the year ended in the mechanism\'s time zone (`stats_year_not_ended`), so that two versions of a year can never be compared.',
  security: [{ bearer: [] }],
  params: YearParams,
  response: responses({ 201: Publication }, [401, 403, 409]),
});

export const getStatsPublication = operation('getStatsPublication', {
  tags: ['statistics'],
  summary: "A year's published report as it was frozen (supervisors)",
  security: [{ bearer: [] }],
  params: YearParams,
  response: responses({ 200: Publication }, [401, 403, 404]),
});
