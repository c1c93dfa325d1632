/**
 * The next complementary suppression for an exposed cell. Only a published cell of at least the
 * threshold can be one (the reader knows a complement is; a zero never is).
 *
 * A relation with a single suppressed cell gives that cell away by subtraction: it is "open".
 * When the exposed cell has open relations, the complement comes from them; when only other
 * cells of its part have (the cell is given away through a chain of them), from those. Among the
 * candidates: the one that closes the most open relations at once (the fourth corner of a
 * rectangle closes two), then a cell that is not a total or margin, then one above the threshold,
 * then the smallest count (the least information lost), then the key, so the same input always
 * gives the same choice.
 *
 * When nothing is open (the cell is exposed by the bounds alone: a row total of 6 made of a small
 * cell and a complement of 5 or more leaves the small cell at 1), the complement is sought among
 * the relations of the exposed cell,
 * then among the relations that share a cell with those, and so on outwards, with the same
 * preferences.
 */
import { compareKeys, type CellIndex, type CellStatus } from './linked-cells.js';

export interface SuppressionState {
  readonly status: ReadonlyMap<string, CellStatus>;
  /** suppressed cells per relation */
  readonly suppressedIn: (relation: number) => number;
  /** the suppressed cells linked with this one (its part) */
  readonly part: (key: string) => readonly string[];
}

export function chooseComplement(index: CellIndex, state: SuppressionState, exposed: string, threshold: number): string | undefined {
  const isOpen = (relation: number): boolean => state.suppressedIn(relation) === 1;
  const openCount = (key: string): number => index.relationsOf(key).filter(isOpen).length;
  const eligible = (key: string): boolean => state.status.get(key) === 'published' && index.value(key) >= threshold;
  const pick = (relations: Iterable<number>): string | undefined => {
    let best: string | undefined;
    let bestOpen = 0;
    for (const relation of relations) {
      for (const { key } of index.terms(relation)) {
        if (!eligible(key) || key === best) continue;
        const open = openCount(key);
        if (best === undefined || open > bestOpen || (open === bestOpen && better(index, key, best, threshold))) {
          best = key;
          bestOpen = open;
        }
      }
    }
    return best;
  };

  const own = index.relationsOf(exposed).filter(isOpen);
  const fromOpen = pick(own.length > 0 ? own : new Set(state.part(exposed).flatMap((key) => index.relationsOf(key).filter(isOpen))));
  if (fromOpen !== undefined) return fromOpen;

  const seen = new Set(index.relationsOf(exposed));
  for (let ring = [...seen]; ring.length > 0; ) {
    const found = pick(ring);
    if (found !== undefined) return found;
    const next: number[] = [];
    for (const relation of ring) {
      for (const { key } of index.terms(relation)) {
        for (const neighbour of index.relationsOf(key)) {
          if (!seen.has(neighbour)) {
            seen.add(neighbour);
            next.push(neighbour);
          }
        }
      }
    }
    ring = next;
  }
  return undefined;
}

/**
 * Not a total first; then a count above the threshold, since a complement at the threshold is
 * known not to be smaller and so can only move up in what a reader considers; then the smaller
 * count; then the key.
 */
function better(index: CellIndex, a: string, b: string, threshold: number): boolean {
  const totalA = index.isTotal(a);
  if (totalA !== index.isTotal(b)) return !totalA;
  const roomA = index.value(a) > threshold;
  if (roomA !== index.value(b) > threshold) return roomA;
  const difference = index.value(a) - index.value(b);
  return difference !== 0 ? difference < 0 : compareKeys(a, b) < 0;
}
