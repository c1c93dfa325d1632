/**
 * A table of the API (one cell per period and code, or per period and pair of codes) laid out as
 * the screen shows it: one series as codes by periods, two codes (a crossing, or a series such
 * as measures by type and outcome) as one code by the other over the whole range; with totals,
 * and folded for a chart (the biggest codes, the rest summed as "other"). No words here: the
 * labels come in as a function, so Node tests read the same layout as the browser.
 */

export interface Axis {
  code: string;
  label: string;
}

/** Rows by columns with their margins. */
export interface Grid {
  rows: Axis[];
  columns: Axis[];
  values: number[][];
  rowTotals: number[];
  columnTotals: number[];
  total: number;
}

interface Cell {
  period: string;
  a: string;
  b: string;
  n: number;
}

/** The codes present, those a catalogue lists in its order first, then the others by label. */
function axis(codes: Iterable<string>, known: readonly string[], label: (code: string) => string): Axis[] {
  const present = new Set(codes);
  const first = known.filter((c) => present.has(c));
  const rest = [...present].filter((c) => !known.includes(c)).sort((x, y) => label(x).localeCompare(label(y)));
  return [...first, ...rest].map((code) => ({ code, label: label(code) }));
}

function grid(rows: Axis[], columns: Axis[], valueOf: (row: string, col: string) => number): Grid {
  const values = rows.map((r) => columns.map((c) => valueOf(r.code, c.code)));
  const rowTotals = values.map((v) => v.reduce((s, n) => s + n, 0));
  const columnTotals = columns.map((_c, j) => values.reduce((s, v) => s + v[j]!, 0));
  return { rows, columns, values, rowTotals, columnTotals, total: rowTotals.reduce((s, n) => s + n, 0) };
}

/** Whether the cells carry two codes (a crossing, or a series counted by two codes). */
export const isTwoWay = (cells: readonly Cell[]): boolean => cells.some((c) => c.b !== '');

/** One series: its codes (with a count) by every period of the range. */
export function byPeriod(t: { periods: readonly string[]; cells: readonly Cell[] }, label: (code: string) => string, known: readonly string[], periodLabel: (p: string) => string): Grid {
  const sums = new Map<string, number>();
  for (const c of t.cells) sums.set(`${c.a}\u0000${c.period}`, (sums.get(`${c.a}\u0000${c.period}`) ?? 0) + c.n);
  const rows = axis(
    t.cells.filter((c) => c.n > 0).map((c) => c.a),
    known,
    label,
  );
  return grid(rows, t.periods.map((p) => ({ code: p, label: periodLabel(p) })), (a, p) => sums.get(`${a}\u0000${p}`) ?? 0);
}

/** Two codes: the first by the second, summed over the range. */
export function crossed(t: { cells: readonly Cell[] }, labelA: (code: string) => string, knownA: readonly string[], labelB: (code: string) => string, knownB: readonly string[]): Grid {
  const sums = new Map<string, number>();
  for (const c of t.cells) sums.set(`${c.a}\u0000${c.b}`, (sums.get(`${c.a}\u0000${c.b}`) ?? 0) + c.n);
  const counted = t.cells.filter((c) => c.n > 0);
  const rows = axis(
    counted.map((c) => c.a),
    knownA,
    labelA,
  );
  const columns = axis(
    counted.map((c) => c.b),
    knownB,
    labelB,
  );
  return grid(rows, columns, (a, b) => sums.get(`${a}\u0000${b}`) ?? 0);
}

export interface Line {
  label: string;
  values: number[];
  /** The line of the codes left out, summed. */
  other?: boolean;
}

/**
 * At most `max` lines, the biggest by total, in their order; the others summed as one more line
 * named `other`. A chart of twenty colours says nothing; the table beside it has every code.
 */
export function fold(lines: readonly Line[], max: number, other: string): Line[] {
  if (lines.length <= max + 1) return [...lines];
  const total = (l: Line) => l.values.reduce((s, n) => s + n, 0);
  const kept = new Set([...lines].sort((x, y) => total(y) - total(x)).slice(0, max));
  const rest = lines.filter((l) => !kept.has(l));
  const width = lines[0]?.values.length ?? 0;
  const sum = Array.from({ length: width }, (_x, i) => rest.reduce((s, l) => s + (l.values[i] ?? 0), 0));
  return [...lines.filter((l) => kept.has(l)), { label: other, values: sum, other: true }];
}

/** The rows of a grid as lines over its columns. */
export const rowLines = (g: Grid): Line[] => g.rows.map((r, i) => ({ label: r.label, values: g.values[i]! }));
