/**
 * Statistical disclosure control of the tables of case counts the statistics service publishes:
 * which cells to publish, which to suppress, and what a reader can still infer
 * (docs/statistics-disclosure.md).
 */
export { auditIntervals } from './interval-audit.js';
export { checkDisclosurePolicy, DisclosureError, type CellStatus, type DisclosurePolicy, type LinkedCells } from './linked-cells.js';
export { createProtector, type Protector } from './protector.js';
export { protect } from './suppression.js';
