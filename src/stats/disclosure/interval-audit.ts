/**
 * What a reader can infer about each suppressed cell from what is published, under the reader's
 * model (docs/statistics-disclosure.md): published cells are known exactly, a below-threshold
 * cell lies in [1, threshold - 1], a complementary cell is at least the threshold, every cell is
 * a non-negative integer and every relation holds. The answer is each suppressed cell's exact
 * integer minimum and maximum over all tables the reader cannot tell apart from the true one.
 */
import { IntegerBounds, solverRuntime } from './integer-bounds.js';
import { checkDisclosurePolicy, DisclosureError, indexCells, smallestHidden, type CellIndex, type CellStatus, type DisclosurePolicy, type LinkedCells } from './linked-cells.js';
import { boundProblem, SuppressedComponents } from './suppressed-components.js';

/**
 * Each suppressed cell's integer interval, by key in key order. `max` is `Infinity` when nothing
 * published bounds the cell from above. Asynchronous: the solver's WebAssembly loads once, then
 * the work is synchronous.
 */
export async function auditIntervals(cells: LinkedCells, status: ReadonlyMap<string, CellStatus>, policy: DisclosurePolicy): Promise<Map<string, { min: number; max: number }>> {
  checkDisclosurePolicy(policy);
  const index = indexCells(cells);
  checkStatus(index, status, policy);
  const highs = await solverRuntime();
  const components = new SuppressedComponents(index);
  for (const key of index.keys) if (status.get(key) !== 'published') components.add(key);
  const found = new Map<string, { min: number; max: number }>();
  for (const root of components.roots()) {
    const bounds = new IntegerBounds(highs, boundProblem(index, status, components.members(root), policy));
    try {
      for (const key of components.members(root)) found.set(key, bounds.interval(key));
    } finally {
      bounds.dispose();
    }
  }
  return new Map(index.keys.flatMap((key) => {
    const interval = found.get(key);
    return interval ? [[key, interval] as const] : [];
  }));
}

/** The statuses must fit the reader's model, or the audit would not describe what a reader sees. */
function checkStatus(index: CellIndex, status: ReadonlyMap<string, CellStatus>, policy: DisclosurePolicy): void {
  for (const key of status.keys()) if (!index.has(key)) throw new DisclosureError('invalid_input', 'a status names a cell that has no count', [key]);
  for (const key of index.keys) {
    const value = index.value(key);
    const given = status.get(key);
    if (given === undefined) throw new DisclosureError('invalid_input', 'every cell needs a status', [key]);
    if (given === 'below_threshold' && !(value >= smallestHidden(policy) && value < policy.threshold)) throw new DisclosureError('invalid_input', 'a below-threshold cell must hold less than the threshold (and more than zero unless zeros are hidden)', [key]);
    if (given === 'complementary' && value < policy.threshold) throw new DisclosureError('invalid_input', 'a complementary cell must hold at least the threshold', [key]);
  }
}
