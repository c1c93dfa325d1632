import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { keyringEntries, orgKeys, organisations } from '../db/schema/index.js';

export type OrgRow = typeof organisations.$inferSelect;
export type OrgKeyRow = typeof orgKeys.$inferSelect;
export type OrgRepository = ReturnType<typeof createOrgRepository>;

export function createOrgRepository(db: Queryable) {
  return {
    async byId(id: string, tx: Queryable = db): Promise<OrgRow | undefined> {
      const [row] = await tx.select().from(organisations).where(eq(organisations.id, id));
      return row;
    },

    async mechanism(tx: Queryable = db): Promise<OrgRow | undefined> {
      const [row] = await tx.select().from(organisations).where(eq(organisations.kind, 'mechanism'));
      return row;
    },

    /** The mechanism and its current key in one round trip (every filing asks). */
    async insert(row: typeof organisations.$inferInsert, tx: Queryable = db): Promise<void> {
      await tx.insert(organisations).values(row);
    },

    async list(tx: Queryable = db): Promise<OrgRow[]> {
      return tx.select().from(organisations).orderBy(asc(organisations.name));
    },

    async currentKey(orgId: string, tx: Queryable = db): Promise<OrgKeyRow | undefined> {
      const [row] = await tx.select().from(orgKeys).where(and(eq(orgKeys.orgId, orgId), isNull(orgKeys.retiredAt)));
      return row;
    },

    async keys(orgId: string, tx: Queryable = db): Promise<OrgKeyRow[]> {
      return tx.select().from(orgKeys).where(eq(orgKeys.orgId, orgId)).orderBy(asc(orgKeys.createdAt));
    },

    async keyByKeyId(keyId: string, tx: Queryable = db): Promise<OrgKeyRow | undefined> {
      const [row] = await tx.select().from(orgKeys).where(eq(orgKeys.keyId, keyId));
      return row;
    },

    /** Registers a new current key; the previous one is retired in the same transaction. */
    async rotateKey(row: typeof orgKeys.$inferInsert, at: Date, tx: Queryable): Promise<void> {
      await tx.update(orgKeys).set({ retiredAt: at }).where(and(eq(orgKeys.orgId, row.orgId), isNull(orgKeys.retiredAt)));
      await tx.insert(orgKeys).values(row);
    },

    async insertKeyringEntry(row: typeof keyringEntries.$inferInsert, tx: Queryable = db): Promise<void> {
      await tx.insert(keyringEntries).values(row).onConflictDoUpdate({ target: [keyringEntries.orgKeyId, keyringEntries.userId], set: { entry: row.entry, memberKeyId: row.memberKeyId, createdBy: row.createdBy ?? null } });
    },

    async deleteKeyringEntries(orgId: string, userId: string, tx: Queryable = db): Promise<number> {
      const keys = await tx.select({ id: orgKeys.id }).from(orgKeys).where(eq(orgKeys.orgId, orgId));
      let n = 0;
      for (const k of keys) {
        const out = await tx.delete(keyringEntries).where(and(eq(keyringEntries.orgKeyId, k.id), eq(keyringEntries.userId, userId))).returning({ id: keyringEntries.id });
        n += out.length;
      }
      return n;
    },
  };
}
