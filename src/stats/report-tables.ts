/**
 * The tables of a year's report, built from the roll-up's counters, each cell with the key that
 * names what it counts (the period and the codes it is restricted to). Two tables that show the
 * same figure (the region totals of the region-by-quarter table and of the region-by-decision
 * table) give it the same key, so disclosure control sees the tables as one linked set: hiding a
 * figure in one table and printing it in another is impossible.
 */
import type { ReportCellShape, ReportTableShape } from '../contracts/statistics.js';
import type { CountRow } from './stats-repository.js';
import type { DimensionInfo, Label } from './stats-dimensions.js';

/** A table before publication: exact counts and the key of every cell (margins included). */
export interface KeyedTable {
  table: Omit<ReportTableShape, 'cells' | 'rowTotals' | 'columnTotals' | 'total'>;
  values: number[][];
  keys: string[][];
  rowTotals: { n: number; key: string }[];
  columnTotals: { n: number; key: string }[];
  total: { n: number; key: string };
}

/** What counting a table's cells down a dimension adds to their keys. */
interface Axis {
  name: string;
  /** The condition a code of this axis puts on a cell (`region=kidal`), or the period for quarters. */
  condition(code: string): string[];
  /** The condition the sum over all codes of the axis leaves: none, a restriction, or a mention count. */
  all: string[];
}

/** Conditions implied by a code of a restricted dimension: a decline reason exists only for declined cases. */
const RESTRICTION: Record<string, string> = {
  decline_reason: 'decision=declined',
  sdg_violation: 'verification=verified',
  sdg_group: 'verification=verified',
  sdg_sex: 'verification=verified',
};

function caseAxis(d: DimensionInfo): Axis {
  const restriction = RESTRICTION[d.name];
  return {
    name: d.name,
    condition: (code) => [`${d.name}=${code}`, ...(restriction ? [restriction] : [])],
    all: d.kind === 'multi' ? [`${d.name}=*`, ...(restriction ? [restriction] : [])] : restriction ? [restriction] : [],
  };
}

/** A key: a period and a set of conditions, written in one canonical order. */
const keyOf = (period: string, conditions: string[]) => [period, ...[...new Set(conditions)].sort()].join('|');

const QUARTERS = ['Q1', 'Q2', 'Q3', 'Q4'];

function labelled(d: DimensionInfo, present: Iterable<string>, extra: (code: string) => Label): Array<{ code: string; label: Label }> {
  const known = d.codes.map((c) => c.code);
  const more = [...new Set(present)].filter((c) => !known.includes(c)).sort();
  return [...d.codes, ...more.map((code) => ({ code, label: extra(code) }))];
}

function assemble(
  id: string,
  title: Label,
  unit: ReportTableShape['unit'],
  rowsOf: { dimension: string; codes: Array<{ code: string; label: Label }>; axis: Axis },
  colsOf: { dimension: string; codes: Array<{ code: string; label: Label }>; axis: Axis },
  valueOf: (row: string, col: string) => number,
  base: { period: string; conditions: string[]; colPeriod?: (col: string) => string },
): KeyedTable {
  const rows = rowsOf.codes;
  const cols = colsOf.codes;
  const periodAt = (col: string | null) => (col !== null && base.colPeriod ? base.colPeriod(col) : base.period);
  const values = rows.map((r) => cols.map((c) => valueOf(r.code, c.code)));
  const keys = rows.map((r) => cols.map((c) => keyOf(periodAt(c.code), [...base.conditions, ...rowsOf.axis.condition(r.code), ...colsOf.axis.condition(c.code)])));
  const rowTotals = rows.map((r, i) => ({ n: values[i]!.reduce((s, v) => s + v, 0), key: keyOf(periodAt(null), [...base.conditions, ...rowsOf.axis.condition(r.code), ...colsOf.axis.all]) }));
  const columnTotals = cols.map((c, j) => ({ n: values.reduce((s, row) => s + row[j]!, 0), key: keyOf(periodAt(c.code), [...base.conditions, ...rowsOf.axis.all, ...colsOf.axis.condition(c.code)]) }));
  const total = { n: rowTotals.reduce((s, t) => s + t.n, 0), key: keyOf(periodAt(null), [...base.conditions, ...rowsOf.axis.all, ...colsOf.axis.all]) };
  return { table: { id, title, unit, rowDimension: rowsOf.dimension, columnDimension: colsOf.dimension, rows, columns: cols }, values, keys, rowTotals, columnTotals, total };
}

export interface ReportInput {
  year: number;
  /** The counters of every series the report uses, per quarter of the year (`2026-Q1`). */
  counts: CountRow[];
  dimensions: ReadonlyMap<string, DimensionInfo>;
  byQuarter: readonly string[];
  ofYear: ReadonlyArray<{ pair: readonly [string, string]; id?: string; title?: Label }>;
  /** The series name of a kept crossing, and whether its codes come in the other order. */
  crossing(a: string, b: string): { series: string; swapped: boolean } | undefined;
  /** Labels of codes outside the policy lists (organisations, removed codes...). */
  labelOf(code: string): Label;
  measureLabels: ReadonlyMap<string, Label>;
  fixedLabel(code: string): Label;
}

const sumBy = (rows: CountRow[], key: (r: CountRow) => string) => {
  const out = new Map<string, number>();
  for (const r of rows) out.set(key(r), (out.get(key(r)) ?? 0) + r.n);
  return out;
};

const L = (fr: string, en: string): Label => ({ fr, en });

/** Every table of the report, exact, keyed. */
export function reportTables(input: ReportInput): KeyedTable[] {
  const { year, counts } = input;
  const Y = String(year);
  const bySeries = new Map<string, CountRow[]>();
  for (const r of counts) {
    const list = bySeries.get(r.series);
    if (list) list.push(r);
    else bySeries.set(r.series, [r]);
  }
  const dim = (name: string) => {
    const d = input.dimensions.get(name);
    if (!d) throw new Error(`unknown dimension ${name}`);
    return d;
  };
  const quarterAxis: Axis = { name: 'quarter', condition: () => [], all: [] };
  const quarterCodes = QUARTERS.map((q) => ({ code: q, label: L(`T${q.slice(1)}`, q) }));
  const tables: KeyedTable[] = [];

  for (const name of input.byQuarter) {
    const d = dim(name);
    const rows = bySeries.get(name) ?? [];
    const perQuarter = sumBy(rows, (r) => `${r.a}|${r.period.slice(5)}`);
    const codes = labelled(d, rows.map((r) => r.a), input.labelOf);
    const unit = d.kind === 'multi' ? 'mentions' : 'cases';
    tables.push(
      assemble(`${name.replaceAll('_', '-')}-by-quarter`, d.label, unit, { dimension: name, codes, axis: caseAxis(d) }, { dimension: 'quarter', codes: quarterCodes, axis: quarterAxis }, (a, q) => perQuarter.get(`${a}|${q}`) ?? 0, {
        period: Y,
        conditions: [],
        colPeriod: (q) => `${Y}-${q}`,
      }),
    );
  }

  for (const { pair: [rName, cName], id, title } of input.ofYear) {
    const r = dim(rName);
    const c = dim(cName);
    const crossing = input.crossing(rName, cName);
    if (!crossing) throw new Error(`${rName} x ${cName} is not a kept crossing`);
    const rows = bySeries.get(crossing.series) ?? [];
    const cell = sumBy(rows, (x) => (crossing.swapped ? `${x.b}|${x.a}` : `${x.a}|${x.b}`));
    const rowCodes = labelled(r, rows.map((x) => (crossing.swapped ? x.b : x.a)), input.labelOf);
    const colCodes = labelled(c, rows.map((x) => (crossing.swapped ? x.a : x.b)), input.labelOf);
    const unit = r.kind === 'multi' || c.kind === 'multi' ? 'mentions' : 'cases';
    tables.push(
      assemble(id ?? `${rName.replaceAll('_', '-')}-by-${cName.replaceAll('_', '-')}`, title ?? L(`${r.label.fr} × ${c.label.fr.toLowerCase()}`, `${r.label.en} × ${c.label.en.toLowerCase()}`), unit, { dimension: rName, codes: rowCodes, axis: caseAxis(r) }, { dimension: cName, codes: colCodes, axis: caseAxis(c) }, (a, b) => cell.get(`${a}|${b}`) ?? 0, {
        period: Y,
        conditions: [],
      }),
    );
  }

  // Things counted other than cases: keys of their own, linked to nothing else.
  const other = (id: string, title: Label, unit: ReportTableShape['unit'], series: string, rowDim: string, colDim: string, rowLabel: (c: string) => Label, colLabel: (c: string) => Label) => {
    const rows = bySeries.get(series) ?? [];
    const cell = sumBy(rows, (x) => `${x.a}|${x.b}`);
    const axis = (n: string): Axis => ({ name: n, condition: (code) => [`${id}:${n}=${code}`], all: [`${id}:${n}=*`] });
    const codes = (vals: string[], label: (c: string) => Label) => [...new Set(vals)].sort().map((code) => ({ code, label: label(code) }));
    tables.push(
      assemble(id, title, unit, { dimension: rowDim, codes: codes(rows.map((x) => x.a), rowLabel), axis: axis(rowDim) }, { dimension: colDim, codes: codes(rows.map((x) => x.b), colLabel), axis: axis(colDim) }, (a, b) => cell.get(`${a}|${b}`) ?? 0, {
        period: Y,
        conditions: [],
      }),
    );
  };
  other('measures', L('Mesures de protection, par type et par issue', 'Protection measures by type and outcome'), 'measures', 'measure', 'measure', 'status', (c) => input.measureLabels.get(c) ?? input.labelOf(c), input.fixedLabel);
  other('referrals', L('Orientations vers les partenaires, par organisation et par réponse', 'Referrals to partners by organisation and answer'), 'referrals', 'referral', 'organisation', 'state', input.labelOf, input.fixedLabel);
  other('deadlines', L('Délais de la procédure, tenus ou dépassés', 'Procedure deadlines met or missed'), 'deadlines', 'deadline', 'rule', 'outcome', input.fixedLabel, input.fixedLabel);
  return tables;
}

/** The tables as published: every flagged cell's count withheld. */
export function publishTables(tables: KeyedTable[], flagOf: (key: string) => ReportCellShape['flag']): ReportTableShape[] {
  const cell = (n: number, key: string): ReportCellShape => {
    const flag = flagOf(key);
    return flag ? { n: null, flag } : { n, flag: null };
  };
  return tables.map((t) => ({
    ...t.table,
    cells: t.values.map((row, i) => row.map((n, j) => cell(n, t.keys[i]![j]!))),
    rowTotals: t.rowTotals.map((x) => cell(x.n, x.key)),
    columnTotals: t.columnTotals.map((x) => cell(x.n, x.key)),
    total: cell(t.total.n, t.total.key),
  }));
}

/**
 * The linked cells of the tables for disclosure control: every key with its count, and each
 * table's sums (row, column, grand total) as relations. A key met twice with two counts is a
 * defect of the keys, not something to publish.
 */
export function linkedCells(tables: KeyedTable[]): { values: Map<string, number>; relations: Array<{ total: string; parts: string[] }>; totals: Set<string> } {
  const values = new Map<string, number>();
  const totals = new Set<string>();
  const put = (key: string, n: number) => {
    const had = values.get(key);
    if (had !== undefined && had !== n) throw new Error(`a statistics key has two different counts in two tables of one report (${key.split('|').length - 1} conditions)`);
    values.set(key, n);
  };
  const relations: Array<{ total: string; parts: string[] }> = [];
  const relate = (total: string, parts: string[]) => {
    // A sum over nothing says nothing; a total that is one of its own parts (a declined case's
    // reason summed over the decisions) only says the other parts are structurally zero.
    if (parts.length === 0 || parts.includes(total)) return;
    if (new Set(parts).size !== parts.length) throw new Error('a statistics relation counts a key twice');
    relations.push({ total, parts });
  };
  for (const t of tables) {
    t.values.forEach((row, i) => row.forEach((n, j) => put(t.keys[i]![j]!, n)));
    for (const x of [...t.rowTotals, ...t.columnTotals, t.total]) {
      put(x.key, x.n);
      totals.add(x.key);
    }
    t.rowTotals.forEach((x, i) => relate(x.key, t.keys[i]!));
    t.columnTotals.forEach((x, j) => relate(x.key, t.keys.map((row) => row[j]!)));
    relate(t.total.key, t.rowTotals.map((x) => x.key));
    relate(t.total.key, t.columnTotals.map((x) => x.key));
  }
  // A key that is a cell somewhere is not a margin for the choice of complements.
  for (const t of tables) for (const row of t.keys) for (const k of row) totals.delete(k);
  return { values, relations, totals };
}
