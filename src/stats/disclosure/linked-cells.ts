/**
 * The input of statistical disclosure control: every cell of the tables published together, the
 * additive relations a reader knows between them, and the policy (threshold, minimum range). The
 * input is checked once here, so that the rest of the module can trust it.
 */

export interface LinkedCells {
  /** every cell of every table published together, by a canonical key (e.g. "2026|region=kidal"), with its exact count (a non-negative integer) */
  values: ReadonlyMap<string, number>;
  /** additive relations known to any reader: total = sum of parts (row totals, column totals, a year = its quarters ...) */
  relations: ReadonlyArray<{ total: string; parts: readonly string[] }>;
  /** keys that should be chosen last as complementary suppressions (margins/totals); optional */
  totals?: ReadonlySet<string>;
}

/** The rule of policies/statistics.yaml, passed in by the caller (the module reads no file). */
export interface DisclosurePolicy {
  /** a count 1 <= n < threshold is not published */
  threshold: number;
  /**
   * Zero is small too: shown as "< threshold" like 1 to threshold - 1, so a reader knows a hidden
   * cell lies in [0, threshold - 1]. Without it zeros are printed, and four quarters of one case
   * each under a year of four give every quarter away (1 + 1 + 1 + 1): such a report cannot be
   * protected at all.
   */
  hideZeros?: boolean;
  /** a reader's integer interval for any suppressed cell must have max - min >= minimumRange */
  minimumRange: number;
}

export type CellStatus = 'published' | 'below_threshold' | 'complementary';

/**
 * Why a table cannot be protected. `cells` lists the keys concerned; the message holds no key
 * and no count, since the keys of small cells say where the small counts are.
 */
export class DisclosureError extends Error {
  override readonly name = 'DisclosureError';
  constructor(
    readonly code: 'invalid_input' | 'unprotectable',
    message: string,
    readonly cells: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Refuses a policy that no suppression can satisfy: a below-threshold cell is known to lie in
 * [1, threshold - 1], so its range can never exceed threshold - 2.
 */
export function checkDisclosurePolicy(policy: DisclosurePolicy): void {
  const { threshold, minimumRange } = policy;
  const widest = threshold - 1 - smallestHidden(policy);
  if (!Number.isSafeInteger(threshold) || threshold < 1) throw new DisclosureError('invalid_input', 'the threshold must be an integer >= 1');
  if (!Number.isSafeInteger(minimumRange) || minimumRange < 0) throw new DisclosureError('invalid_input', 'the minimum range must be an integer >= 0');
  if (threshold >= 2 && minimumRange > widest) {
    throw new DisclosureError('invalid_input', `a minimum range of ${minimumRange} cannot hold for counts known to lie in [${smallestHidden(policy)}, ${threshold - 1}]`);
  }
}

/** The least a below-threshold cell may hold: 0 when zeros are hidden too, else 1. */
export function smallestHidden(policy: Pick<DisclosurePolicy, 'hideZeros'>): number {
  return policy.hideZeros ? 0 : 1;
}

/** The status primary suppression gives a count. Zero is published unless the policy hides zeros. */
export function primaryStatus(value: number, policy: Pick<DisclosurePolicy, 'threshold' | 'hideZeros'>): CellStatus {
  return policy.threshold > 1 && value >= smallestHidden(policy) && value < policy.threshold ? 'below_threshold' : 'published';
}

/** A cell of one relation, with its sign there: total - sum of parts = 0. */
export interface Term {
  readonly key: string;
  readonly coefficient: 1 | -1;
}

/** The checked input, indexed both ways (cell -> relations, relation -> cells). */
export interface CellIndex {
  /** every key, in code-unit order */
  readonly keys: readonly string[];
  has(key: string): boolean;
  value(key: string): number;
  /** indices of the relations the cell takes part in, ascending */
  relationsOf(key: string): readonly number[];
  /** the cells of a relation: the total with +1, each part with -1 */
  terms(relation: number): readonly Term[];
  readonly relationCount: number;
  /** a margin or total, chosen last as a complement */
  isTotal(key: string): boolean;
}

/**
 * Checks the cells and their relations and indexes them. Without `totals`, a cell that is the
 * total of some relation counts as a total.
 */
export function indexCells(cells: LinkedCells): CellIndex {
  const values = cells.values;
  for (const [key, value] of values) {
    if (!Number.isSafeInteger(value) || value < 0) throw new DisclosureError('invalid_input', 'every count must be a non-negative integer', [key]);
  }
  const known = (key: string): void => {
    if (!values.has(key)) throw new DisclosureError('invalid_input', 'a relation or total names a cell that has no count', [key]);
  };
  const termsOf: Term[][] = [];
  const relationsOf = new Map<string, number[]>();
  cells.relations.forEach((relation, i) => {
    known(relation.total);
    relation.parts.forEach(known);
    const distinct = new Set([relation.total, ...relation.parts]);
    if (relation.parts.length === 0 || distinct.size !== relation.parts.length + 1) {
      throw new DisclosureError('invalid_input', 'a relation needs at least one part, each cell once', [relation.total]);
    }
    const sum = relation.parts.reduce((s, part) => s + (values.get(part) ?? 0), 0);
    if (sum !== values.get(relation.total)) throw new DisclosureError('invalid_input', 'a total does not equal the sum of its parts', [relation.total]);
    termsOf.push([{ key: relation.total, coefficient: 1 }, ...relation.parts.map((key) => ({ key, coefficient: -1 as const }))]);
    for (const key of distinct) {
      const list = relationsOf.get(key);
      if (list) list.push(i);
      else relationsOf.set(key, [i]);
    }
  });
  let totals = cells.totals;
  if (totals) totals.forEach(known);
  else totals = new Set(cells.relations.map((r) => r.total));
  const totalSet = totals;
  const keys = [...values.keys()].sort(compareKeys);
  const none: readonly number[] = [];
  return {
    keys,
    has: (key) => values.has(key),
    value: (key) => values.get(key) ?? 0,
    relationsOf: (key) => relationsOf.get(key) ?? none,
    terms: (relation) => termsOf[relation] ?? [],
    relationCount: termsOf.length,
    isTotal: (key) => totalSet.has(key),
  };
}
