import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { keyringEntries, orgKeys, organisations, users } from '../db/schema/index.js';

export type KeyringRepository = ReturnType<typeof createKeyringRepository>;

export function createKeyringRepository(db: Queryable) {
  /** Who they are: an admin may not disable the last of them (nobody could open a case again). */
  async function mechanismKeyHolderIds(tx: Queryable = db): Promise<string[]> {
    const rows = await tx
      .selectDistinct({ userId: keyringEntries.userId })
      .from(keyringEntries)
      .innerJoin(orgKeys, eq(orgKeys.id, keyringEntries.orgKeyId))
      .innerJoin(organisations, eq(organisations.id, orgKeys.orgId))
      .innerJoin(users, eq(users.id, keyringEntries.userId))
      .where(and(eq(organisations.kind, 'mechanism'), isNull(orgKeys.retiredAt), eq(users.status, 'active')));
    return rows.map((r) => r.userId);
  }

  return {
    /** A user's keyring: every organisation key they hold, with the entry that opens it. */
    async forUser(userId: string, tx: Queryable = db) {
      return tx
        .select({ orgId: orgKeys.orgId, orgKeyId: orgKeys.keyId, orgPublicKey: orgKeys.publicKey, current: sql<boolean>`${orgKeys.retiredAt} is null`, memberKeyId: keyringEntries.memberKeyId, entry: keyringEntries.entry })
        .from(keyringEntries)
        .innerJoin(orgKeys, eq(orgKeys.id, keyringEntries.orgKeyId))
        .where(eq(keyringEntries.userId, userId));
    },

    /** Does the user hold (a keyring entry for) this org key? */
    async holds(userId: string, orgKeyRowId: string, tx: Queryable = db): Promise<boolean> {
      const [row] = await tx.select({ id: keyringEntries.id }).from(keyringEntries).where(and(eq(keyringEntries.userId, userId), eq(keyringEntries.orgKeyId, orgKeyRowId)));
      return row !== undefined;
    },

    /** Active members holding the mechanism's current key: the service warns below two. */
    async mechanismKeyHolders(tx: Queryable = db): Promise<number> {
      return (await mechanismKeyHolderIds(tx)).length;
    },

    mechanismKeyHolderIds,
  };
}
