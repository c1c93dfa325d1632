import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Queryable } from '../db/client.js';
import { keyringEntries, orgKeys, organisations, users } from '../db/schema/index.js';

export type OrgQueries = ReturnType<typeof createOrgQueries>;

/** Queries the organisation and keyring service needs beyond org-repository.ts and keyring-repository.ts. */
export function createOrgQueries(db: Queryable) {
  return {
    /** Locks the organisation row: key registrations and keyring changes of one org are serialised. */
    async lockOrg(orgId: string, tx: Queryable): Promise<boolean> {
      const rows = await tx.select({ id: organisations.id }).from(organisations).where(eq(organisations.id, orgId)).for('update');
      return rows.length > 0;
    },

    async byName(name: string, tx: Queryable = db) {
      const [row] = await tx.select({ id: organisations.id }).from(organisations).where(eq(organisations.name, name));
      return row;
    },

    /** Organisations with the keyId of their current key (null before the first key is registered). */
    async listWithCurrentKey(onlyOrgId: string | null, tx: Queryable = db) {
      return tx
        .select({ id: organisations.id, kind: organisations.kind, category: organisations.category, name: organisations.name, createdAt: organisations.createdAt, disabledAt: organisations.disabledAt, currentKeyId: orgKeys.keyId })
        .from(organisations)
        .leftJoin(orgKeys, and(eq(orgKeys.orgId, organisations.id), isNull(orgKeys.retiredAt)))
        .where(onlyOrgId ? eq(organisations.id, onlyOrgId) : undefined)
        .orderBy(asc(organisations.name));
    },

    /**
     * Who holds which key of an organisation, oldest key first, and who sealed each entry (the
     * entries' content is not read): the keyring list and the custody overview.
     */
    async keyringOf(orgId: string, tx: Queryable = db) {
      const granter = alias(users, 'granter');
      return tx
        .select({
          userId: users.id,
          username: users.username,
          role: users.role,
          status: users.status,
          userKeyId: users.keyId,
          memberKeyId: keyringEntries.memberKeyId,
          orgKeyId: orgKeys.keyId,
          retiredAt: orgKeys.retiredAt,
          createdAt: keyringEntries.createdAt,
          grantedBy: granter.username,
        })
        .from(keyringEntries)
        .innerJoin(orgKeys, eq(orgKeys.id, keyringEntries.orgKeyId))
        .innerJoin(users, eq(users.id, keyringEntries.userId))
        .leftJoin(granter, eq(granter.id, keyringEntries.createdBy))
        .where(eq(orgKeys.orgId, orgId))
        .orderBy(asc(orgKeys.createdAt), asc(users.username));
    },

    /** A member's entries for an organisation's keys: the key (by its row id) and the member key each is sealed to. */
    async entriesOf(userId: string, orgId: string, tx: Queryable = db) {
      return tx
        .select({ orgKeyId: keyringEntries.orgKeyId, memberKeyId: keyringEntries.memberKeyId })
        .from(keyringEntries)
        .innerJoin(orgKeys, eq(orgKeys.id, keyringEntries.orgKeyId))
        .where(and(eq(keyringEntries.userId, userId), eq(orgKeys.orgId, orgId)));
    },

    /** Active users holding an entry for one org key (by its row id). */
    async activeHolders(orgKeyRowId: string, tx: Queryable = db): Promise<number> {
      const [row] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(keyringEntries)
        .innerJoin(users, eq(users.id, keyringEntries.userId))
        .where(and(eq(keyringEntries.orgKeyId, orgKeyRowId), eq(users.status, 'active')));
      return row?.n ?? 0;
    },
  };
}
