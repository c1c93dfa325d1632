import { and, asc, count, eq } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { savedViews, users } from '../db/schema/index.js';
import type { SavedViewShape } from '../contracts/saved-view.js';

export type SavedViewRow = typeof savedViews.$inferSelect;
export type SavedViewRepository = ReturnType<typeof createSavedViewRepository>;

/** A saved view as the API answers it. */
export const savedViewView = (r: SavedViewRow): SavedViewShape => ({ id: r.id, name: r.name, query: r.query, createdAt: r.createdAt.toISOString() });

export function createSavedViewRepository(db: Queryable) {
  return {
    async forUser(userId: string, tx: Queryable = db): Promise<SavedViewShape[]> {
      const rows = await tx.select().from(savedViews).where(eq(savedViews.userId, userId)).orderBy(asc(savedViews.createdAt), asc(savedViews.id));
      return rows.map(savedViewView);
    },

    async byId(id: string, tx: Queryable = db): Promise<SavedViewRow | undefined> {
      const [row] = await tx.select().from(savedViews).where(eq(savedViews.id, id));
      return row;
    },

    /** How many views the user has, their account row locked so that two saves cannot both pass the limit. */
    async countForUpdate(userId: string, tx: Queryable): Promise<number> {
      await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update');
      const [row] = await tx.select({ n: count() }).from(savedViews).where(eq(savedViews.userId, userId));
      return row?.n ?? 0;
    },

    async insert(row: typeof savedViews.$inferInsert, tx: Queryable = db): Promise<SavedViewRow> {
      const [inserted] = await tx.insert(savedViews).values(row).returning();
      return inserted!;
    },

    async delete(id: string, userId: string, tx: Queryable = db): Promise<boolean> {
      const rows = await tx.delete(savedViews).where(and(eq(savedViews.id, id), eq(savedViews.userId, userId))).returning({ id: savedViews.id });
      return rows.length > 0;
    },
  };
}
