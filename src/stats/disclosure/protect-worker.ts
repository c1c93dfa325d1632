/**
 * The worker thread of the disclosure control's pool (protector.ts): protect() on the cells it
 * is sent. A DisclosureError comes back as data: an error crossing threads arrives as a plain
 * Error, without its code and its cells, and the caller needs both.
 */
import { DisclosureError, type CellStatus, type DisclosurePolicy, type LinkedCells } from './linked-cells.js';
import { protect } from './suppression.js';

export interface ProtectTask {
  cells: LinkedCells;
  policy: DisclosurePolicy;
}

export type ProtectOutcome = { status: Map<string, CellStatus> } | { refused: { code: DisclosureError['code']; message: string; cells: readonly string[] } };

export default async function protectTask({ cells, policy }: ProtectTask): Promise<ProtectOutcome> {
  try {
    return { status: await protect(cells, policy) };
  } catch (error) {
    if (error instanceof DisclosureError) return { refused: { code: error.code, message: error.message, cells: error.cells } };
    throw error;
  }
}
