import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { custodyBackups, orgKeys, users } from '../db/schema/index.js';

export type CustodyRepository = ReturnType<typeof createCustodyRepository>;

/** The split backups made of the mechanism key (never a share). */
export function createCustodyRepository(db: Queryable) {
  return {
    async backups(orgId: string, tx: Queryable = db) {
      return tx
        .select({ id: custodyBackups.id, keyId: orgKeys.keyId, retiredAt: orgKeys.retiredAt, threshold: custodyBackups.threshold, shares: custodyBackups.shares, custodians: custodyBackups.custodians, madeBy: users.username, madeAt: custodyBackups.madeAt })
        .from(custodyBackups)
        .innerJoin(orgKeys, eq(orgKeys.id, custodyBackups.orgKeyId))
        .innerJoin(users, eq(users.id, custodyBackups.madeBy))
        .where(eq(orgKeys.orgId, orgId))
        .orderBy(desc(custodyBackups.madeAt));
    },

    /** Whether a split backup of the organisation's current key was recorded; one of a retired key does not count. */
    async currentKeyBackedUp(orgId: string, tx: Queryable = db): Promise<boolean> {
      const [row] = await tx
        .select({ id: custodyBackups.id })
        .from(custodyBackups)
        .innerJoin(orgKeys, eq(orgKeys.id, custodyBackups.orgKeyId))
        .where(and(eq(orgKeys.orgId, orgId), isNull(orgKeys.retiredAt)))
        .limit(1);
      return row !== undefined;
    },

    async insertBackup(row: typeof custodyBackups.$inferInsert, tx: Queryable): Promise<void> {
      await tx.insert(custodyBackups).values(row);
    },
  };
}
