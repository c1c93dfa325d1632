import type { Queryable } from '../db/client.js';
import { breakGlass } from '../db/schema/index.js';

export type BreakGlassRepository = ReturnType<typeof createBreakGlassRepository>;

/** The break-glass rows (with their reason); the reads they allow are checked by src/access/case-participation.ts. */
export function createBreakGlassRepository(db: Queryable) {
  return {
    async insert(row: typeof breakGlass.$inferInsert, tx: Queryable = db): Promise<void> {
      await tx.insert(breakGlass).values(row);
    },
  };
}
