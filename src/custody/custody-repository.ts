import { asc, desc, eq } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Queryable } from '../db/client.js';
import { custodyBackups, orgKeys, searchKeyEntries, users } from '../db/schema/index.js';

export type CustodyRepository = ReturnType<typeof createCustodyRepository>;

/** Who holds the mechanism's keys and the search key, and the split backups made (never a share). */
export function createCustodyRepository(db: Queryable) {
  const granter = alias(users, 'granter');
  return {
    async searchHolders(tx: Queryable = db) {
      return tx
        .select({ userId: users.id, username: users.username, role: users.role, status: users.status, userKeyId: users.keyId, memberKeyId: searchKeyEntries.memberKeyId, grantedBy: granter.username, grantedAt: searchKeyEntries.grantedAt })
        .from(searchKeyEntries)
        .innerJoin(users, eq(users.id, searchKeyEntries.userId))
        .leftJoin(granter, eq(granter.id, searchKeyEntries.grantedBy))
        .orderBy(asc(users.username));
    },

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
