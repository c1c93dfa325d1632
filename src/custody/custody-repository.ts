import { desc, eq } from 'drizzle-orm';
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

    async insertBackup(row: typeof custodyBackups.$inferInsert, tx: Queryable): Promise<void> {
      await tx.insert(custodyBackups).values(row);
    },
  };
}
