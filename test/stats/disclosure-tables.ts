/**
 * Tables for the disclosure tests: a seeded generator (so a failure reproduces from its seed),
 * two-way tables with their margins, linked tables sharing margins, a year made of its quarters,
 * and a report the size of an annual one.
 */
import type { LinkedCells } from '../../src/stats/disclosure/index.js';

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function integer(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** A count in 0..12, small ones (0..4) about half the time. */
export function smallHeavyCount(random: () => number): number {
  return random() < 0.5 ? integer(random, 0, 4) : integer(random, 0, 12);
}

/** Collects cells and relations; a key set twice must get the same value (shared margins). */
export class CellsBuilder {
  readonly values = new Map<string, number>();
  readonly relations: Array<{ total: string; parts: string[] }> = [];
  readonly totals = new Set<string>();

  set(key: string, value: number): string {
    const before = this.values.get(key);
    if (before !== undefined && before !== value) throw new Error(`${key} set to ${before} and ${value}`);
    this.values.set(key, value);
    return key;
  }

  /** `margin`: the total is a table's margin, to be chosen last as a complement. */
  relate(total: string, parts: readonly string[], margin = true): void {
    if (margin) this.totals.add(total);
    this.relations.push({ total, parts: [...parts] });
  }

  build(withTotals = true): LinkedCells {
    return withTotals ? { values: this.values, relations: this.relations, totals: this.totals } : { values: this.values, relations: this.relations };
  }
}

/**
 * A two-way table with row totals, column totals and the grand total, each key
 * `${prefix}|${rowName}=${row}|${colName}=${col}` and `*` for a margin. The row totals can be
 * shared with another table of the same rows (same prefix and row name).
 */
export function addTwoWay(b: CellsBuilder, prefix: string, rowName: string, colName: string, grid: readonly (readonly number[])[]): void {
  const cell = (r: string, c: string): string => (r === '*' && c === '*' ? prefix : r === '*' ? `${prefix}|${colName}=${c}` : c === '*' ? `${prefix}|${rowName}=${r}` : `${prefix}|${rowName}=${r}|${colName}=${c}`);
  const rows = grid.map((_, i) => String(i));
  const cols = (grid[0] ?? []).map((_, j) => String(j));
  grid.forEach((line, i) => line.forEach((v, j) => b.set(cell(String(i), String(j)), v)));
  rows.forEach((r, i) => {
    b.set(cell(r, '*'), (grid[i] ?? []).reduce((s, v) => s + v, 0));
    b.relate(cell(r, '*'), cols.map((c) => cell(r, c)));
  });
  cols.forEach((c, j) => {
    b.set(cell('*', c), grid.reduce((s, line) => s + (line[j] ?? 0), 0));
    b.relate(cell('*', c), rows.map((r) => cell(r, c)));
  });
  b.set(cell('*', '*'), grid.flat().reduce((s, v) => s + v, 0));
  b.relate(cell('*', '*'), rows.map((r) => cell(r, '*')));
  b.relate(cell('*', '*'), cols.map((c) => cell('*', c)));
}

export function randomGrid(random: () => number, rows: number, cols: number, count: (random: () => number) => number = smallHeavyCount): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => count(random)));
}

/** Splits a total into `parts` non-negative counts. */
export function split(random: () => number, total: number, parts: number): number[] {
  const out = new Array<number>(parts).fill(0);
  for (let k = 0; k < total; k++) {
    const at = Math.floor(random() * parts);
    out[at] = (out[at] ?? 0) + 1;
  }
  return out;
}

/**
 * Two tables of one year sharing their row totals and grand total: region x quarter and
 * region x category (each region's cases split once by quarter and once by category).
 */
export function linkedRegionTables(random: () => number, regions: number, quarters: number, categories: number): LinkedCells {
  const byQuarter = randomGrid(random, regions, quarters, (r) => (r() < 0.6 ? integer(r, 0, 3) : integer(r, 0, 8)));
  const byCategory = byQuarter.map((line) => split(random, line.reduce((s, v) => s + v, 0), categories));
  const b = new CellsBuilder();
  addTwoWay(b, '2026', 'region', 'quarter', byQuarter);
  addTwoWay(b, '2026', 'region', 'category', byCategory);
  return b.build();
}

/** A year made of its quarters, each split by category: the year's row is the sum of the quarters'. */
export function yearOfQuarters(random: () => number, categories: number): LinkedCells {
  const b = new CellsBuilder();
  const grid = randomGrid(random, 4, categories, (r) => (r() < 0.6 ? integer(r, 0, 3) : integer(r, 0, 7)));
  addTwoWay(b, '2026', 'quarter', 'category', grid);
  return b.build();
}

/** Cases a quarter per region: 40% of regions small, the others larger; and the smallest share of a column. */
export interface ReportSizes {
  smallRegions: [number, number];
  largeRegions: [number, number];
  minShare: number;
}

/**
 * A report the size of an annual one: 20 regions, six breakdowns of 3 to 5 columns, for the year
 * and each quarter (30 tables with margins). The breakdowns of a period share its region totals
 * and grand total, and each cell of the year, margins included, is the sum of its quarters'.
 */
export function annualReport(random: () => number, sizes: ReportSizes): LinkedCells {
  const breakdowns = [5, 5, 4, 5, 3, 5];
  const b = new CellsBuilder();
  const rates = regionRates(random, sizes);
  const perQuarter = [1, 2, 3, 4].map(() => rates.map((rate) => Math.max(0, rate + integer(random, -2, 2))));
  const period = (q: number): string => (q === 0 ? '2026' : `2026-Q${q}`);
  breakdowns.forEach((columns, d) => {
    const weights = Array.from({ length: columns }, () => sizes.minShare + random());
    const grids = perQuarter.map((regionTotals) => regionTotals.map((total) => weightedSplit(random, total, weights)));
    grids.forEach((grid, q) => addTwoWay(b, period(q + 1), 'region', `d${d}`, grid));
    const year = (grids[0] ?? []).map((line, r) => line.map((_, c) => grids.reduce((s, g) => s + (g[r]?.[c] ?? 0), 0)));
    addTwoWay(b, period(0), 'region', `d${d}`, year);
  });
  for (const key of [...b.values.keys()].filter((k) => k === '2026' || k.startsWith('2026|'))) {
    b.relate(key, [1, 2, 3, 4].map((q) => key.replace(/^2026/, period(q))), false);
  }
  return b.build();
}

/** 30 breakdowns (3 to 5 columns) of the 20 regions' cases of one quarter, sharing the region totals and grand total. */
export function periodReport(random: () => number, sizes: ReportSizes): LinkedCells {
  const b = new CellsBuilder();
  const rates = regionRates(random, sizes);
  for (let d = 0; d < 30; d++) {
    const weights = Array.from({ length: 3 + (d % 3) }, () => sizes.minShare + random());
    addTwoWay(b, '2026', 'region', `d${d}`, rates.map((total) => weightedSplit(random, total, weights)));
  }
  return b.build();
}

function regionRates(random: () => number, sizes: ReportSizes): number[] {
  return Array.from({ length: 20 }, () => (random() < 0.4 ? integer(random, ...sizes.smallRegions) : integer(random, ...sizes.largeRegions)));
}

function weightedSplit(random: () => number, total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  const out = new Array<number>(weights.length).fill(0);
  for (let k = 0; k < total; k++) {
    let pick = random() * sum;
    let at = 0;
    while (at < weights.length - 1 && pick >= (weights[at] ?? 0)) pick -= weights[at++] ?? 0;
    out[at] = (out[at] ?? 0) + 1;
  }
  return out;
}
