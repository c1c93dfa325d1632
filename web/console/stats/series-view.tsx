/**
 * One table of the statistics (GET /v1/stats/table): a chart, the same figures as a table under
 * it, and the table as CSV (the API's export) or JSON (the answer as received). One series is
 * drawn as lines over the periods, one per code; two codes (a crossing, or a series counted by
 * two codes such as measures by type and outcome) as bars grouped by code over the whole range.
 */
import { callRaw, type ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { StatsChart, type ChartProps } from './stats-chart.js';
import type { StatsCatalogue } from './stats-catalogue.js';
import { fileOf, jsonFile, SaveReport, useSave } from './stats-files.js';
import { figure, FigureTable } from './figure-table.js';
import { byPeriod, crossed, fold, isTwoWay, rowLines, type Grid } from './series-pivot.js';
import { count, periodLabel, pick, unitText, type Label } from './stats-words.js';

export type StatsTable = ResponseOf<'getStatsTable'>;

/** Lines drawn at most (the rest summed as "other"); bars per group at most. */
const MAX_LINES = 8;
const MAX_BARS = 5;

function periodWord(period: StatsTable['period']): string {
  if (period === 'quarter') return t('stats.range.byQuarter');
  if (period === 'year') return t('stats.range.byYear');
  return t('stats.range.byMonth');
}

/** The words of a table: its dimensions' names and each code's label, from the catalogue and the answer. */
function wordsOf(catalogue: StatsCatalogue, table: StatsTable) {
  const extra = new Map<string, Label>(table.labels.map((l) => [l.code, l.label]));
  const dimension = (name: string | null) => (name ? catalogue.dimensions.find((d) => d.name === name) : undefined);
  const other = catalogue.series.find((s) => s.name === table.series);
  const a = dimension(table.series);
  const b = dimension(table.by);
  const labeller = (codes: Array<{ code: string; label: Label }>) => (code: string) => {
    const label = codes.find((c) => c.code === code)?.label ?? extra.get(code);
    return label ? pick(label) : code;
  };
  return {
    title: a ? pick(a.label) : other ? pick(other.label) : table.series,
    nameA: a ? pick(a.label) : other ? pick(other.a) : table.series,
    nameB: b ? pick(b.label) : other ? pick(other.b) : (table.by ?? ''),
    labelA: labeller(a?.codes ?? []),
    labelB: labeller(b?.codes ?? []),
    knownA: (a?.codes ?? []).map((c) => c.code),
    knownB: (b?.codes ?? []).map((c) => c.code),
  };
}

/** The chart of a grid: lines over the periods, or bars grouped by the rows' codes. */
function chartOf(grid: Grid, twoWay: boolean, caption: string): ChartProps {
  const other = t('stats.other');
  if (!twoWay) {
    const lines = fold(rowLines(grid), MAX_LINES, other);
    return { kind: 'lines', categories: grid.columns.map((c) => c.label), lines, summary: summaryOf('lines', caption, grid, lines.length) };
  }
  const groups = fold(rowLines(grid), MAX_LINES, other);
  const bars = fold(
    grid.columns.map((c, j) => ({ label: c.label, values: groups.map((g) => g.values[j]!) })),
    MAX_BARS,
    other,
  );
  return { kind: 'bars', categories: groups.map((g) => g.label), lines: bars, summary: summaryOf('bars', caption, grid, bars.length) };
}

function summaryOf(kind: 'lines' | 'bars', caption: string, grid: Grid, series: number): string {
  let top = 0;
  grid.rowTotals.forEach((n, i) => {
    if (n > (grid.rowTotals[top] ?? 0)) top = i;
  });
  const words = { caption, series, total: count(grid.total), top: grid.rows[top]?.label ?? '', topCount: count(grid.rowTotals[top] ?? 0) };
  return kind === 'lines' ? t('stats.chart.lines', words) : t('stats.chart.bars', words);
}

export function SeriesView({ catalogue, table }: { catalogue: StatsCatalogue; table: StatsTable }) {
  const words = wordsOf(catalogue, table);
  const twoWay = table.by !== null || isTwoWay(table.cells);
  const grid = twoWay ? crossed(table, words.labelA, words.knownA, words.labelB, words.knownB) : byPeriod(table, words.labelA, words.knownA, periodLabel);
  const range = { from: periodLabel(table.from), to: periodLabel(table.to), unit: unitText(table.unit) };
  const caption = twoWay ? t('stats.series.captionTwo', { a: words.nameA, b: words.nameB, ...range }) : t('stats.series.captionOne', { series: words.title, period: periodWord(table.period), ...range });
  const received = table.cases.reduce((s, c) => s + c.n, 0);
  const base = `egide-${table.series}${table.by ? `-${table.by}` : ''}-${table.from}-${table.to}`;
  const csv = useSave();
  const json = useSave();
  const query = { series: table.series, ...(table.by ? { by: table.by } : {}), from: table.from, to: table.to, period: table.period };

  return (
    <section class="card stats-series" aria-labelledby="stats-series-title">
      <h2 id="stats-series-title">{words.title}</h2>
      {grid.rows.length === 0 ? <p class="muted">{t('stats.empty')}</p> : <StatsChart {...chartOf(grid, twoWay, caption)} />}
      <FigureTable
        caption={caption}
        corner={words.nameA}
        columns={grid.columns}
        rows={grid.rows.map((r, i) => ({ code: r.code, label: r.label, cells: grid.values[i]!.map(figure), total: figure(grid.rowTotals[i]) }))}
        totals={{ cells: grid.columnTotals.map(figure), total: figure(grid.total) }}
      />
      <ul class="stats-notes">
        <li>{t('stats.series.received', { n: count(received) })}</li>
        {table.unit === 'mentions' && <li>{t('stats.series.mentions')}</li>}
        <li>{t('stats.series.zeroes')}</li>
      </ul>
      <div class="actions no-print">
        <button type="button" disabled={csv.busy} aria-busy={csv.busy} onClick={() => void csv.save(async () => fileOf(await callRaw('exportStatsTable', { query, headers: { accept: 'text/csv, application/problem+json' } }), `${base}.csv`))}>
          {t('stats.download.csv')}
        </button>
        <button type="button" onClick={() => void json.save(() => jsonFile(table, `${base}.json`))}>
          {t('stats.download.json')}
        </button>
      </div>
      <SaveReport state={csv} />
      <SaveReport state={json} />
    </section>
  );
}
