/**
 * Tables as CSV for a spreadsheet (csv-stringify). Formula-looking text is escaped: a label an
 * admin typed (an organisation's name) must not run as a formula in the reader's spreadsheet.
 */
import { stringify } from 'csv-stringify/sync';
import type { ReportCellShape, ReportTableShape, StatsTableShape } from '../contracts/statistics.js';
import type { Label } from './stats-dimensions.js';

type Lang = 'fr' | 'en';

const csv = (records: Array<Array<string | number>>) => stringify(records, { escape_formulas: true, record_delimiter: 'windows' });

/** An internal table, one line per non-zero cell. */
export function statsTableCsv(t: StatsTableShape, labelOf: (code: string) => Label, lang: Lang = 'fr'): string {
  const header = ['period', `${t.series}`, `${t.series}_label`, ...(t.by ? [`${t.by}`, `${t.by}_label`] : []), t.unit];
  const lines = t.cells.map((c) => [c.period, c.a, labelOf(c.a)[lang], ...(t.by ? [c.b, labelOf(c.b)[lang]] : []), c.n]);
  return csv([header, ...lines]);
}

/** A report table as printed: hidden cells as `< threshold` (too small) or `x` (hidden to protect another). */
export function reportTableCsv(t: ReportTableShape, threshold: number, lang: Lang = 'fr'): string {
  const shown = (c: ReportCellShape): string | number => (c.flag === 'below_threshold' ? `< ${threshold}` : c.flag === 'complementary' ? 'x' : (c.n ?? ''));
  const total = lang === 'fr' ? 'Total' : 'Total';
  const header = [t.title[lang], ...t.columns.map((c) => c.label[lang]), total];
  const rows = t.rows.map((r, i) => [r.label[lang], ...t.cells[i]!.map(shown), shown(t.rowTotals[i]!)]);
  return csv([header, ...rows, [total, ...t.columnTotals.map(shown), shown(t.total)]]);
}
