// TEMPORARY primary-only stand-in until the disclosure module lands.
export type CellStatus = 'published' | 'below_threshold' | 'complementary';
export interface LinkedCells { values: ReadonlyMap<string, number>; relations: ReadonlyArray<{ total: string; parts: readonly string[] }>; totals?: ReadonlySet<string> }
export async function protect(cells: LinkedCells, policy: { threshold: number; minimumRange: number }): Promise<Map<string, CellStatus>> {
  return new Map([...cells.values].map(([k, v]) => [k, v > 0 && v < policy.threshold ? 'below_threshold' : 'published']));
}
