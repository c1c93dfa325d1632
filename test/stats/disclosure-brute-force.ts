/**
 * The reader's model enumerated, independently of the module under test: every non-negative
 * integer table that agrees with what is published (published cells exact, a below-threshold
 * cell in [1, threshold - 1] ([0, threshold - 1] when zeros are hidden), a complementary cell at least the threshold, every relation
 * holding), each suppressed cell capped at `cap` so that the enumeration ends. A depth-first
 * search: a relation with one unknown left fixes it, and a relation whose unknowns cannot reach
 * its total prunes the branch.
 */
import type { CellStatus, DisclosurePolicy, LinkedCells } from '../../src/stats/disclosure/index.js';

export interface Seen {
  min: number;
  max: number;
  values: Set<number>;
}

export interface Enumeration {
  /** per suppressed cell, the values it takes across the tables found */
  cells: Map<string, Seen>;
  tables: number;
}

export class TooManyTables extends Error {}

interface Row {
  vars: number[];
  coefficients: number[];
  constant: number;
}

export function enumerateTables(
  cells: LinkedCells,
  status: ReadonlyMap<string, CellStatus>,
  policy: DisclosurePolicy,
  options: { cap: number; limit?: number; relations?: ReadonlyArray<{ total: string; parts: readonly string[] }> },
): Enumeration {
  const relations = options.relations ?? cells.relations;
  const suppressed = (key: string): boolean => (status.get(key) ?? 'published') !== 'published';
  const keys = [...new Set(relations.flatMap((r) => [r.total, ...r.parts]))].filter(suppressed).sort();
  if (!options.relations) for (const key of cells.values.keys()) if (suppressed(key) && !keys.includes(key)) keys.push(key);
  const position = new Map(keys.map((key, i) => [key, i]));
  const lo = keys.map((key) => (status.get(key) === 'below_threshold' ? (policy.hideZeros ? 0 : 1) : policy.threshold));
  const hi = keys.map((key) => (status.get(key) === 'below_threshold' ? policy.threshold - 1 : options.cap));
  const rows: Row[] = relations.map((relation) => {
    const row: Row = { vars: [], coefficients: [], constant: 0 };
    const terms: Array<[string, number]> = [[relation.total, 1], ...relation.parts.map((part): [string, number] => [part, -1])];
    for (const [key, coefficient] of terms) {
      const at = position.get(key);
      if (at === undefined) row.constant += coefficient * (cells.values.get(key) ?? 0);
      else {
        row.vars.push(at);
        row.coefficients.push(coefficient);
      }
    }
    return row;
  });
  const limit = options.limit ?? 2_000_000;
  const x = new Array<number>(keys.length).fill(Number.NaN);
  const seen = keys.map((): Seen => ({ min: Infinity, max: -Infinity, values: new Set() }));
  let tables = 0;

  /** Fixes what the relations force; false on a contradiction. Pushes what it fixed onto `trail`. */
  const propagate = (trail: number[]): boolean => {
    for (let changed = true; changed; ) {
      changed = false;
      for (const row of rows) {
        let sum = row.constant;
        let free = -1;
        let freeCount = 0;
        let least = 0;
        let most = 0;
        row.vars.forEach((v, k) => {
          const c = row.coefficients[k] ?? 0;
          const value = x[v] ?? Number.NaN;
          if (Number.isNaN(value)) {
            freeCount++;
            free = k;
            least += c > 0 ? c * (lo[v] ?? 0) : c * (hi[v] ?? 0);
            most += c > 0 ? c * (hi[v] ?? 0) : c * (lo[v] ?? 0);
          } else sum += c * value;
        });
        // sum + (free terms) = 0
        if (freeCount === 0) {
          if (sum !== 0) return false;
        } else if (freeCount === 1) {
          const v = row.vars[free] ?? -1;
          const value = -sum * (row.coefficients[free] ?? 0);
          if (value < (lo[v] ?? 0) || value > (hi[v] ?? 0)) return false;
          x[v] = value;
          trail.push(v);
          changed = true;
        } else if (-sum < least || -sum > most) return false;
      }
    }
    return true;
  };

  const search = (): void => {
    const trail: number[] = [];
    if (propagate(trail)) {
      const next = x.findIndex((value) => Number.isNaN(value));
      if (next < 0) {
        if (++tables > limit) throw new TooManyTables(`more than ${limit} tables`);
        x.forEach((value, i) => {
          const s = seen[i];
          if (!s) return;
          s.min = Math.min(s.min, value);
          s.max = Math.max(s.max, value);
          s.values.add(value);
        });
      } else {
        for (let value = lo[next] ?? 0; value <= (hi[next] ?? 0); value++) {
          x[next] = value;
          search();
          x[next] = Number.NaN;
        }
      }
    }
    for (const v of trail) x[v] = Number.NaN;
  };
  search();
  return { cells: new Map(keys.map((key, i) => [key, seen[i] ?? { min: Infinity, max: -Infinity, values: new Set<number>() }])), tables };
}
