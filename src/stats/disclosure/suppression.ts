/**
 * Primary and secondary cell suppression of tables published together.
 *
 * Primary: a count 1 <= n < threshold is not published. Secondary: while some suppressed cell is
 * exposed (the reader's exact integer interval for it, interval-audit.ts, is narrower than the
 * minimum range), one more published cell is suppressed as a complement for an exposed cell
 * (complement-choice.ts), and the audit is repeated. The exposed cell served first:
 *  - a cell given away by subtraction (alone among the suppressed cells of some relation), the
 *    first in key order: known without any solve, kept up to date as cells are suppressed;
 *  - when there is none, the first exposed cell in key order by the exact audit.
 *
 * Suppressing more never narrows an interval (a new unknown can always take its true value), so
 * a cell found wide enough stays so and is not audited again, and a cell found exposed is
 * audited again only once its part of the tables has grown. Each part keeps one solver, grown in
 * place with the part.
 *
 * For the same reason a cell that is exposed even when every cell the reader model allows is
 * suppressed can never be protected. Such a cell is refused with a DisclosureError: found by
 * propagation before any complement is chosen (a total below the threshold made of threshold - 1
 * ones, for instance), or by an exact check once a cell has resisted several complements, rather
 * than after suppressing a whole report.
 */
import type { Highs } from 'highs';
import { chooseComplement, type SuppressionState } from './complement-choice.js';
import { IntegerBounds, solverRuntime } from './integer-bounds.js';
import { checkDisclosurePolicy, compareKeys, DisclosureError, indexCells, primaryStatus, smallestHidden, type CellIndex, type CellStatus, type DisclosurePolicy, type LinkedCells } from './linked-cells.js';
import { boundProblem, problemOver, relationsTouching, SuppressedComponents } from './suppressed-components.js';

/**
 * The status of every cell, by key in key order. Asynchronous: the solver's WebAssembly loads
 * once, then the work is synchronous. Throws a DisclosureError ('unprotectable') when some
 * suppressed cell cannot reach the minimum range whatever else is suppressed.
 */
export async function protect(cells: LinkedCells, policy: DisclosurePolicy): Promise<Map<string, CellStatus>> {
  checkDisclosurePolicy(policy);
  const index = indexCells(cells);
  const status = new Map(index.keys.map((key) => [key, primaryStatus(index.value(key), policy)]));
  const primaries = index.keys.filter((key) => status.get(key) === 'below_threshold');
  if (primaries.length === 0 || policy.minimumRange === 0) return status;
  const highs = await solverRuntime();
  const audit = new SuppressionAudit(highs, index, status, policy);
  const widest = new SuppressionAudit(highs, index, widestStatus(index, policy), policy);
  try {
    // Propagation alone finds the common hopeless patterns at little cost, before any solve.
    for (const key of index.keys) if (index.value(key) >= smallestHidden(policy)) widest.suppress(key);
    const hopeless = widest.provenExposed(primaries);
    if (hopeless.length > 0) throw unprotectable(hopeless);
    for (const key of primaries) audit.suppress(key);

    const state: SuppressionState = { status, suppressedIn: (relation) => audit.suppressedIn(relation), part: (key) => audit.part(key) };
    const attempts = new Map<string, number>();
    for (;;) {
      const target = audit.firstGivenAway() ?? audit.firstExposed();
      if (target === undefined) return status;
      const attempt = (attempts.get(target) ?? 0) + 1;
      attempts.set(target, attempt);
      // A cell still exposed after several complements may be one no suppression can protect.
      if (attempt === STUBBORN && widest.isExposed(target)) throw unprotectable([target]);
      const complement = chooseComplement(index, state, target, policy.threshold);
      if (complement === undefined) throw unprotectable([target]);
      status.set(complement, 'complementary');
      audit.suppress(complement);
    }
  } finally {
    audit.dispose();
    widest.dispose();
  }
}

/** Complements chosen for one exposed cell before checking whether any suppression could protect it. */
const STUBBORN = 8;

/** Every cell suppressed that the reader model allows: the most a reader could be denied. */
function widestStatus(index: CellIndex, policy: DisclosurePolicy): Map<string, CellStatus> {
  return new Map(index.keys.map((key): [string, CellStatus] => [key, index.value(key) >= policy.threshold ? 'complementary' : primaryStatus(index.value(key), policy)]));
}

function insertionPoint(list: readonly string[], key: string): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareKeys(list[mid] ?? '', key) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

function insertSorted(list: string[], key: string): void {
  const at = insertionPoint(list, key);
  if (list[at] !== key) list.splice(at, 0, key);
}

function unprotectable(cells: readonly string[]): DisclosureError {
  return new DisclosureError('unprotectable', 'some small counts can be inferred whatever else is suppressed', cells);
}

/**
 * The suppressed cells and what is known of their exposure. Two kinds of exposure, cheapest
 * first: a cell alone in a relation is given away by subtraction (kept up to date as cells are
 * suppressed, no solve); any other is found by the exact audit, one solver per part, reused until
 * the part grows. A cell found wide enough is never audited again.
 */
class SuppressionAudit {
  private readonly components: SuppressedComponents;
  private readonly counts: number[];
  /** per cell, the relations in which it is the only suppressed cell */
  private readonly alone = new Map<string, number>();
  /** the cells alone in some relation, in key order */
  private readonly givenAway: string[] = [];
  /** suppressed cells not yet found wide enough, in key order; once wide, a cell stays so */
  private readonly unknown: string[] = [];
  /** cells found exposed since their part last grew */
  private readonly narrow = new Set<string>();
  private readonly solvers = new Map<string, IntegerBounds>();
  /** cells in each solver's part when it was built or last grown */
  private readonly sizes = new Map<string, number>();

  constructor(
    private readonly highs: Highs,
    private readonly index: CellIndex,
    private readonly status: ReadonlyMap<string, CellStatus>,
    private readonly policy: DisclosurePolicy,
  ) {
    this.components = new SuppressedComponents(index);
    this.counts = new Array<number>(index.relationCount).fill(0);
  }

  suppress(key: string): void {
    if (this.components.has(key)) return;
    for (const relation of this.index.relationsOf(key)) {
      const before = this.counts[relation] ?? 0;
      if (before === 1) {
        const single = this.index.terms(relation).find((term) => this.components.has(term.key));
        if (single) this.changeAlone(single.key, -1);
      }
      if (before === 0) this.changeAlone(key, 1);
      this.counts[relation] = before + 1;
    }
    const root = this.components.add(key);
    insertSorted(this.unknown, key);
    // The solver of the largest part merged here grows into the new part's; the others go.
    let kept: IntegerBounds | undefined;
    let keptSize = -1;
    for (const [old, solver] of this.solvers) {
      if (this.components.root(old) !== root) continue;
      this.solvers.delete(old);
      const size = this.sizes.get(old) ?? 0;
      if (size > keptSize) {
        kept?.dispose();
        kept = solver;
        keptSize = size;
      } else solver.dispose();
    }
    if (kept) {
      const solver = kept;
      const added = this.components.members(root).filter((member) => !solver.has(member));
      const relations = relationsTouching(this.index, added);
      const variables = [...new Set(relations.flatMap((relation) => this.index.terms(relation).map((term) => term.key)))].filter((cell) => this.components.has(cell));
      kept.grow(problemOver(this.index, this.status, variables, relations, this.policy));
      this.solvers.set(root, kept);
      this.sizes.set(root, this.components.members(root).length);
    }
    // The part grew: its cells may be wide enough now.
    if (this.narrow.size > 0) for (const member of this.components.members(root)) this.narrow.delete(member);
  }

  part(key: string): readonly string[] {
    return this.components.members(this.components.root(key));
  }

  suppressedIn(relation: number): number {
    return this.counts[relation] ?? 0;
  }

  /** The first cell, in key order, alone in some relation. */
  firstGivenAway(): string | undefined {
    return this.givenAway[0];
  }

  /**
   * The first suppressed cell, in key order, whose interval is narrower than the minimum range.
   * Cells before it are found wide enough on the way, for good.
   */
  firstExposed(): string | undefined {
    const range = this.policy.minimumRange;
    for (let at = 0; at < this.unknown.length; ) {
      const key = this.unknown[at] ?? '';
      if (this.narrow.has(key)) return key;
      const root = this.components.root(key);
      const solver = this.solver(root);
      if (!solver.provenNarrow(key, range) && solver.spansAtLeast(key, range)) {
        this.unknown.splice(at, 1);
        continue;
      }
      this.narrow.add(key);
      return key;
    }
    return undefined;
  }

  /** The given suppressed cells that propagation over their whole part shows exposed (no solve). */
  provenExposed(keys: readonly string[]): string[] {
    return keys.filter((key) => this.solver(this.components.root(key)).provenNarrow(key, this.policy.minimumRange)).sort(compareKeys);
  }

  isExposed(key: string): boolean {
    return !this.solver(this.components.root(key)).spansAtLeast(key, this.policy.minimumRange);
  }

  dispose(): void {
    for (const solver of this.solvers.values()) solver.dispose();
    this.solvers.clear();
  }

  private changeAlone(key: string, step: 1 | -1): void {
    const before = this.alone.get(key) ?? 0;
    const after = before + step;
    this.alone.set(key, after);
    if (before === 0 && after > 0) insertSorted(this.givenAway, key);
    if (before > 0 && after === 0) this.givenAway.splice(insertionPoint(this.givenAway, key), 1);
  }

  private solver(root: string): IntegerBounds {
    let solver = this.solvers.get(root);
    if (!solver) {
      solver = new IntegerBounds(this.highs, boundProblem(this.index, this.status, this.components.members(root), this.policy));
      this.solvers.set(root, solver);
      this.sizes.set(root, this.components.members(root).length);
    }
    return solver;
  }
}
