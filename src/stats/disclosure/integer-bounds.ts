/**
 * Exact integer bounds of the variables of a linear system (equalities, variable bounds), with
 * HiGHS (compiled to WebAssembly) as the solver.
 *
 * A bound is the optimum of an integer programme (maximise or minimise one variable). It is found
 * cheaply in most cases and proven in all of them:
 *  - every integer solution seen (the true table first) is checked exactly in integer arithmetic
 *    and kept, so a bound that a seen solution reaches needs no further solve;
 *  - propagation through the rows gives bounds that contain every solution; a seen solution at
 *    one of them proves it without a solve, and a range they show too narrow is too narrow;
 *  - the linear relaxation is solved next: its optimum bounds the integer one, and its vertex is
 *    integral for one table with its margins (a network matrix) and often otherwise;
 *  - only then the integer programme itself (branch and bound, no optimality gap).
 *
 * The system can grow (a part of the tables gains suppressed cells): the solver's model is
 * extended in place, so the next solves start from the last basis instead of from scratch.
 */
import * as highsPackage from 'highs';
import type { Highs, Model, ObjectiveSense } from 'highs';

// Node loads the package's ES module build, whose default export is the loader; TypeScript reads
// its declarations as CommonJS, where the loader sits one `.default` deeper.
const loadHighs = highsPackage.default as unknown as typeof highsPackage.default.default;

/** One equality `sum coefficient * x = rhs`, named by the relation it comes from. */
export interface BoundRow {
  readonly relation: number;
  readonly indices: readonly number[];
  readonly coefficients: readonly number[];
  readonly rhs: number;
}

/** Integer variables `lower <= x <= upper` and equality rows. */
export interface BoundProblem {
  /** one name per variable */
  readonly keys: readonly string[];
  readonly lower: readonly number[];
  /** `Infinity` when only the rows can bound the variable */
  readonly upper: readonly number[];
  readonly rows: readonly BoundRow[];
  /** one integer solution (the true values) */
  readonly known: readonly number[];
}

let runtime: Promise<Highs> | undefined;

/** HiGHS compiles its WebAssembly once per process; a failed load is tried again by the next call. */
export function solverRuntime(): Promise<Highs> {
  const loading = (runtime ??= loadHighs().catch((error: unknown) => {
    runtime = undefined;
    throw error;
  }));
  return loading;
}

/** Solver values are doubles: within this distance of an integer they are read as that integer. */
const TOLERANCE = 1e-6;

type Direction = 'min' | 'max';

export class IntegerBounds {
  private model: Model | undefined;
  private readonly keys: string[] = [];
  private readonly lower: number[] = [];
  private readonly upper: number[] = [];
  private rows: BoundRow[] = [];
  private readonly rowOf = new Map<number, number>();
  private readonly position = new Map<string, number>();
  private readonly seenMin: number[] = [];
  private readonly seenMax: number[] = [];
  private outer: { lower: number[]; upper: number[] } | undefined;
  private readonly proven = { min: new Map<number, number>(), max: new Map<number, number>() };
  private readonly relaxed = { min: new Map<number, number>(), max: new Map<number, number>() };
  private objective: readonly number[] = [];

  constructor(
    private readonly highs: Highs,
    problem: BoundProblem,
  ) {
    this.grow(problem);
  }

  /**
   * Grows into a larger part: `problem` holds the rows that change (the relations of the new
   * variables, each with all its variables) and the variables of those rows. Rows it does not
   * name stay as they are. Solutions seen stay solutions (the new variables at their true
   * values); the bounds found may widen and are found again.
   */
  grow(problem: BoundProblem): void {
    const firstNew = this.keys.length;
    problem.keys.forEach((key, j) => {
      if (this.position.has(key)) return;
      this.position.set(key, this.keys.length);
      this.keys.push(key);
      this.lower.push(problem.lower[j] ?? 0);
      this.upper.push(problem.upper[j] ?? 0);
      this.seenMin.push(problem.known[j] ?? 0);
      this.seenMax.push(problem.known[j] ?? 0);
    });
    const local = (j: number): number => this.position.get(problem.keys[j] ?? '') ?? -1;
    const given = problem.rows.map((row) => ({ relation: row.relation, indices: row.indices.map(local), coefficients: [...row.coefficients], rhs: row.rhs }));
    const changed = new Map(given.map((row) => [row.relation, row]));
    const rows = [...this.rows.map((row) => changed.get(row.relation) ?? row), ...given.filter((row) => !this.rowOf.has(row.relation))];
    if (this.model) this.extendModel(this.model, firstNew, rows);
    this.rows = rows;
    this.rows.forEach((row, r) => this.rowOf.set(row.relation, r));
    this.outer = undefined;
    for (const cache of [this.proven, this.relaxed]) {
      cache.min.clear();
      cache.max.clear();
    }
  }

  has(key: string): boolean {
    return this.position.has(key);
  }

  /** The smallest and largest value the variable takes over all integer solutions (max may be Infinity). */
  interval(key: string): { min: number; max: number } {
    const i = this.indexOf(key);
    return { min: this.bound(i, 'min'), max: this.bound(i, 'max') };
  }

  /** Whether propagation alone shows the variable's range max - min to be below `range` (no solve). */
  provenNarrow(key: string, range: number): boolean {
    const i = this.indexOf(key);
    return this.outerBound(i, 'max') - this.outerBound(i, 'min') < range;
  }

  /** Whether the variable's integer range max - min is at least `range`, solving as little as needed. */
  spansAtLeast(key: string, range: number): boolean {
    const i = this.indexOf(key);
    const spread = (): boolean => this.seen(i, 'max') - this.seen(i, 'min') >= range;
    if (this.outerBound(i, 'max') - this.outerBound(i, 'min') < range) return false;
    if (spread()) return true;
    // The relaxation first: its vertices are often integral (kept as seen solutions), and its
    // bounds, rounded inwards, may already show the range too narrow.
    const relaxedMax = this.relaxedLimit(i, 'max');
    if (spread()) return true;
    const relaxedMin = this.relaxedLimit(i, 'min');
    if (spread()) return true;
    if (relaxedMax - relaxedMin < range) return false;
    // Then an integer solution far enough from those seen, on either side (finding one is
    // cheaper than proving an optimum).
    if (relaxedMax - this.seen(i, 'min') >= range && this.feasibleWithin(i, this.seen(i, 'min') + range, relaxedMax)) return true;
    if (this.seen(i, 'max') - relaxedMin >= range && this.feasibleWithin(i, relaxedMin, this.seen(i, 'max') - range)) return true;
    // None: max < seen min + range and min > seen max - range. For a range of 1 that pins the
    // variable; a wider range needs the exact bounds.
    if (range <= 1) return false;
    return this.bound(i, 'max') - this.bound(i, 'min') >= range;
  }

  dispose(): void {
    this.model?.dispose();
    this.model = undefined;
  }

  private solver(): Model {
    if (this.model) return this.model;
    const starts = [0];
    const indices: number[] = [];
    const values: number[] = [];
    for (const row of this.rows) {
      indices.push(...row.indices);
      values.push(...row.coefficients);
      starts.push(indices.length);
    }
    const rhs = this.rows.map((row) => row.rhs);
    const model = this.highs.createModel({
      numCols: this.keys.length,
      numRows: this.rows.length,
      colCost: new Array<number>(this.keys.length).fill(0),
      colLower: this.lower,
      colUpper: this.upper.map((u) => this.finite(u)),
      rowLower: rhs,
      rowUpper: rhs,
      matrix: { format: 'csr', numRows: this.rows.length, numCols: this.keys.length, starts, indices, values },
    });
    this.model = model;
    this.objective = [];
    // Only the objective changes between most solves: the last basis stays feasible, so primal
    // simplex without presolve starts from it. No optimality gap: the objective is one integer
    // variable, so any proven optimum is exact.
    model.options.set({ output_flag: false, presolve: 'off', simplex_strategy: 4, mip_rel_gap: 0, mip_abs_gap: 0, mip_detect_symmetry: false });
    return model;
  }

  /**
   * Adds the new columns (with their entries in the existing rows), the new rows (after the
   * existing ones, as `rows` has them) and the changed right-hand sides.
   */
  private extendModel(model: Model, firstNew: number, rows: readonly BoundRow[]): void {
    const entries = new Map<number, { indices: number[]; values: number[] }>();
    const added: BoundRow[] = [];
    rows.forEach((row, at) => {
      if (at >= this.rows.length) {
        added.push(row);
        return;
      }
      row.indices.forEach((j, k) => {
        if (j < firstNew) return;
        const column = entries.get(j) ?? { indices: [], values: [] };
        column.indices.push(at);
        column.values.push(row.coefficients[k] ?? 0);
        entries.set(j, column);
      });
      if ((this.rows[at]?.rhs ?? Number.NaN) !== row.rhs) model.changeRowBounds(at, row.rhs, row.rhs);
    });
    for (let j = firstNew; j < this.keys.length; j++) {
      model.addCol(0, this.lower[j] ?? 0, this.finite(this.upper[j] ?? 0), entries.get(j) ?? { indices: [], values: [] });
    }
    for (const row of added) model.addRow(row.rhs, row.rhs, { indices: row.indices, values: row.coefficients });
  }

  private finite(bound: number): number {
    return Number.isFinite(bound) ? bound : this.highs.infinity;
  }

  private outerBound(i: number, direction: Direction): number {
    this.outer ??= propagate(this.rows, this.lower, this.upper);
    return (direction === 'max' ? this.outer.upper[i] : this.outer.lower[i]) ?? Number.NaN;
  }

  private indexOf(key: string): number {
    const i = this.position.get(key);
    if (i === undefined) throw new Error(`no variable ${key} in this problem`);
    return i;
  }

  private seen(i: number, direction: Direction): number {
    return (direction === 'max' ? this.seenMax[i] : this.seenMin[i]) ?? Number.NaN;
  }

  private bound(i: number, direction: Direction): number {
    const cached = this.proven[direction].get(i);
    if (cached !== undefined) return cached;
    const value = this.solveBound(i, direction);
    this.proven[direction].set(i, value);
    return value;
  }

  private solveBound(i: number, direction: Direction): number {
    const limit = this.relaxedLimit(i, direction);
    // The relaxation bounds the integers; an integer solution that reaches it proves it.
    if (this.seen(i, direction) === limit || !Number.isFinite(limit)) return limit;
    return this.asIntegers((model) => {
      const exact = this.run(model, [i], direction);
      if (typeof exact !== 'number') throw new Error('the integer programme is unbounded where its relaxation is not');
      if (!this.record(model.getSolution().colValue)) throw new Error('the integer solution does not satisfy the relations exactly');
      const value = this.seen(i, direction);
      if (Math.abs(value - exact) > TOLERANCE) throw new Error('the integer optimum does not match its solution');
      return value;
    });
  }

  /**
   * The relaxation's optimum rounded inwards (Infinity when unbounded above), a bound on the
   * integers; its vertex is kept when integral. A seen solution at the propagated bound needs no
   * solve: nothing goes beyond it.
   */
  private relaxedLimit(i: number, direction: Direction): number {
    const cached = this.relaxed[direction].get(i);
    if (cached !== undefined) return cached;
    const outer = this.outerBound(i, direction);
    let limit = outer;
    if (this.seen(i, direction) !== outer && this.rows.length > 0) {
      const model = this.solver();
      const optimum = this.run(model, [i], direction);
      if (typeof optimum !== 'number') {
        // A feasible integer programme with rational data whose relaxation is unbounded is unbounded too.
        if (direction === 'min') throw new Error('a lower bound cannot be unbounded: every variable has a finite lower bound');
        limit = Number.POSITIVE_INFINITY;
      } else {
        this.record(model.getSolution().colValue);
        limit = direction === 'max' ? Math.min(outer, Math.floor(optimum + TOLERANCE)) : Math.max(outer, Math.ceil(optimum - TOLERANCE));
      }
    }
    this.relaxed[direction].set(i, limit);
    return limit;
  }

  /** Whether some integer solution has `low <= x_i <= high`; one found is kept. */
  private feasibleWithin(i: number, low: number, high: number): boolean {
    const model = this.solver();
    model.changeColBounds(i, Math.max(low, this.lower[i] ?? low), this.finite(Math.min(high, this.upper[i] ?? high)));
    try {
      // No objective: the first integer solution found ends the search.
      return this.asIntegers((m) => {
        if (this.run(m, [], 'min', true) === 'infeasible') return false;
        if (!this.record(m.getSolution().colValue)) throw new Error('the integer solution does not satisfy the relations exactly');
        return true;
      });
    } finally {
      model.changeColBounds(i, this.lower[i] ?? 0, this.finite(this.upper[i] ?? 0));
    }
  }

  /** Runs `work` with every variable integral (presolve on: it pays for branch and bound). */
  private asIntegers<T>(work: (model: Model) => T): T {
    const model = this.solver();
    const n = this.keys.length;
    model.changeColsIntegrality({ kind: 'range', from: 0, to: n - 1 }, Array.from({ length: n }, () => this.highs.constants.variableType.integer));
    model.options.set({ presolve: 'on' });
    try {
      return work(model);
    } finally {
      model.clearIntegrality();
      model.options.set({ presolve: 'off' });
    }
  }

  /** Optimises the sum of some variables; returns the optimum, 'unbounded', or (when allowed) 'infeasible'. */
  private run(model: Model, columns: readonly number[], direction: Direction, mayBeInfeasible = false): number | 'unbounded' | 'infeasible' {
    if (columns.length !== this.objective.length || columns.some((c, k) => c !== this.objective[k])) {
      for (const c of this.objective) model.changeColCost(c, 0);
      for (const c of columns) model.changeColCost(c, 1);
      this.objective = columns;
    }
    const senses = this.highs.constants.objectiveSense;
    const sense: ObjectiveSense = direction === 'max' ? senses.maximize : senses.minimize;
    model.changeObjectiveSense(sense);
    const { modelStatus } = model.run();
    const status = this.highs.constants.modelStatus;
    if (modelStatus === status.optimal) return model.getObjectiveValue();
    if (mayBeInfeasible && (modelStatus === status.infeasible || modelStatus === status.unboundedOrInfeasible)) return 'infeasible';
    // Otherwise the true table is a solution, so "unbounded or infeasible" can only be unbounded.
    if (modelStatus === status.unbounded || modelStatus === status.unboundedOrInfeasible) return 'unbounded';
    throw new Error(`the solver stopped with model status ${modelStatus}`);
  }

  /** Keeps a solution if it is integral and satisfies every row and bound exactly. */
  private record(values: Float64Array): boolean {
    const x = Array.from(values, Math.round);
    if (x.length !== this.keys.length || x.some((v, j) => Math.abs(v - (values[j] ?? Number.NaN)) > TOLERANCE)) return false;
    if (x.some((v, j) => v < (this.lower[j] ?? Number.NaN) || v > (this.upper[j] ?? Number.NaN))) return false;
    for (const row of this.rows) {
      let sum = 0;
      row.indices.forEach((j, k) => (sum += (row.coefficients[k] ?? 0) * (x[j] ?? 0)));
      if (sum !== row.rhs) return false;
    }
    x.forEach((v, j) => {
      if (v < (this.seenMin[j] ?? v)) this.seenMin[j] = v;
      if (v > (this.seenMax[j] ?? v)) this.seenMax[j] = v;
    });
    return true;
  }
}

/** Rounds of propagation at most: enough for these tables, and stopping early only loosens the bounds. */
const PROPAGATION_ROUNDS = 100;

/**
 * Bounds implied by the rows, by propagation: each row bounds each of its variables by what the
 * others' bounds allow, repeated until nothing changes. The result contains every solution (it
 * may be wider than their true range, never narrower), so a variable it pins is pinned indeed.
 */
function propagate(rows: readonly BoundRow[], ownLower: readonly number[], ownUpper: readonly number[]): { lower: number[]; upper: number[] } {
  const lower = [...ownLower];
  const upper = [...ownUpper];
  for (let round = 0, changed = true; changed && round < PROPAGATION_ROUNDS; round++) {
    changed = false;
    for (const { indices, coefficients, rhs } of rows) {
      // coefficient * x lies in [least, most] for each term.
      const least = indices.map((j, k) => ((coefficients[k] ?? 0) > 0 ? (lower[j] ?? 0) : -(upper[j] ?? 0)));
      const most = indices.map((j, k) => ((coefficients[k] ?? 0) > 0 ? (upper[j] ?? 0) : -(lower[j] ?? 0)));
      indices.forEach((j, k) => {
        let othersLeast = 0;
        let othersMost = 0;
        for (let m = 0; m < indices.length; m++) {
          if (m === k) continue;
          othersLeast += least[m] ?? 0;
          othersMost += most[m] ?? 0;
        }
        // coefficient * x = rhs - others, with a coefficient of +1 or -1.
        const a = rhs - othersMost;
        const b = rhs - othersLeast;
        const positive = (coefficients[k] ?? 1) > 0;
        const low = positive ? a : -b;
        const high = positive ? b : -a;
        if (low > (lower[j] ?? 0)) {
          lower[j] = low;
          changed = true;
        }
        if (high < (upper[j] ?? 0)) {
          upper[j] = high;
          changed = true;
        }
      });
    }
  }
  return { lower, upper };
}
