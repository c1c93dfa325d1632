/**
 * The suppressed cells, grouped into the parts that the relations link: two suppressed cells are
 * linked when one relation holds both. What a reader can infer about a suppressed cell depends on
 * its part only (every other cell of its relations is published, a constant), so each part is
 * solved on its own.
 */
import type { BoundProblem } from './integer-bounds.js';
import { compareKeys, smallestHidden, type CellIndex, type CellStatus, type DisclosurePolicy } from './linked-cells.js';

export class SuppressedComponents {
  private readonly parent = new Map<string, string>();
  private readonly membersOf = new Map<string, string[]>();

  constructor(private readonly index: CellIndex) {}

  has(key: string): boolean {
    return this.parent.has(key);
  }

  /** Adds a newly suppressed cell, joined to the suppressed cells of its relations; returns its part's root. */
  add(key: string): string {
    if (this.parent.has(key)) return this.root(key);
    this.parent.set(key, key);
    this.membersOf.set(key, [key]);
    let root = key;
    for (const relation of this.index.relationsOf(key)) {
      for (const { key: other } of this.index.terms(relation)) {
        if (other !== key && this.parent.has(other)) root = this.union(root, other);
      }
    }
    return root;
  }

  root(key: string): string {
    let node = key;
    for (let up = this.parent.get(node); up !== undefined && up !== node; up = this.parent.get(node)) node = up;
    // Path compression: every cell on the way now points straight at the root.
    for (let step = key; step !== node; ) {
      const next = this.parent.get(step) ?? node;
      this.parent.set(step, node);
      step = next;
    }
    return node;
  }

  members(root: string): readonly string[] {
    return this.membersOf.get(root) ?? [];
  }

  roots(): string[] {
    return [...this.membersOf.keys()].sort(compareKeys);
  }

  private union(a: string, b: string): string {
    const ra = this.root(a);
    const rb = this.root(b);
    if (ra === rb) return ra;
    const ma = this.membersOf.get(ra) ?? [];
    const mb = this.membersOf.get(rb) ?? [];
    const [big, small, bigRoot, smallRoot] = ma.length >= mb.length ? [ma, mb, ra, rb] : [mb, ma, rb, ra];
    for (const member of small) big.push(member);
    this.parent.set(smallRoot, bigRoot);
    this.membersOf.delete(smallRoot);
    return bigRoot;
  }
}

/**
 * The reader's problem for one part, as integer variables (the suppressed cells) with bounds and
 * equalities: a below-threshold cell lies in [1, threshold - 1], a complementary cell in
 * [threshold, no limit]; each relation touching the part, with its published cells moved to the
 * right-hand side. `known` is the true table, one point the reader cannot tell apart.
 */
export function boundProblem(index: CellIndex, status: ReadonlyMap<string, CellStatus>, members: readonly string[], policy: DisclosurePolicy): BoundProblem {
  return problemOver(index, status, members, relationsTouching(index, members), policy);
}

export function relationsTouching(index: CellIndex, keys: readonly string[]): number[] {
  return [...new Set(keys.flatMap((key) => index.relationsOf(key)))].sort((a, b) => a - b);
}

/**
 * The problem over some of the relations, with some cells as variables and every other cell at
 * its true value. Fewer variables than a part's restrict the reader (what is possible there is
 * possible for the reader); fewer relations relax it (what is impossible there is impossible for
 * the reader).
 */
export function problemOver(index: CellIndex, status: ReadonlyMap<string, CellStatus>, variables: readonly string[], relations: readonly number[], policy: DisclosurePolicy): BoundProblem {
  const keys = [...variables].sort(compareKeys);
  const position = new Map(keys.map((key, i) => [key, i]));
  const rows = relations.map((relation) => {
    const indices: number[] = [];
    const coefficients: number[] = [];
    let rhs = 0;
    for (const { key, coefficient } of index.terms(relation)) {
      const at = position.get(key);
      if (at === undefined) rhs -= coefficient * index.value(key);
      else {
        indices.push(at);
        coefficients.push(coefficient);
      }
    }
    return { relation, indices, coefficients, rhs };
  });
  const lower = keys.map((key) => (status.get(key) === 'below_threshold' ? smallestHidden(policy) : policy.threshold));
  const upper = keys.map((key) => (status.get(key) === 'below_threshold' ? policy.threshold - 1 : Number.POSITIVE_INFINITY));
  return { keys, lower, upper, rows, known: keys.map((key) => index.value(key)) };
}
