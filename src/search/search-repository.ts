import type { CaseListScope } from '../access/case-scope.js';
import { and, count, desc, eq, inArray, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Queryable } from '../db/client.js';
import { cases, caseSearchTokens, searchKeyEntries, users } from '../db/schema/index.js';

export type SearchKeyEntryRow = typeof searchKeyEntries.$inferSelect;

/** Which cases a search may see: the union of these (the policy's scopes of case.search). */
export type SearchScope = CaseListScope;

export type SearchRepository = ReturnType<typeof createSearchRepository>;

/** The staff keyring of the search key and the blind-index tokens of cases. */
export function createSearchRepository(db: Queryable) {
  return {
    /** Serialises changes to the staff keyring (the first creation, the last holder's removal). */
    async lockKeyring(tx: Queryable): Promise<void> {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('egide.search_key_entries'))`);
    },

    async entryOf(userId: string, tx: Queryable = db): Promise<SearchKeyEntryRow | undefined> {
      const [row] = await tx.select().from(searchKeyEntries).where(eq(searchKeyEntries.userId, userId));
      return row;
    },

    async anyEntry(tx: Queryable = db): Promise<boolean> {
      const [row] = await tx.select({ id: searchKeyEntries.id }).from(searchKeyEntries).limit(1);
      return row !== undefined;
    },

    /** One entry per member: a new grant replaces an entry sealed to a key the member no longer has. */
    async upsertEntry(row: typeof searchKeyEntries.$inferInsert, tx: Queryable = db): Promise<void> {
      await tx
        .insert(searchKeyEntries)
        .values(row)
        .onConflictDoUpdate({ target: [searchKeyEntries.userId], set: { entry: row.entry, memberKeyId: row.memberKeyId, grantedBy: row.grantedBy, grantedAt: row.grantedAt } });
    },

    async deleteEntry(userId: string, tx: Queryable = db): Promise<boolean> {
      const out = await tx.delete(searchKeyEntries).where(eq(searchKeyEntries.userId, userId)).returning({ id: searchKeyEntries.id });
      return out.length > 0;
    },

    /** Active members whose entry opens with their current key. */
    async activeHolders(tx: Queryable = db): Promise<number> {
      const [row] = await tx
        .select({ n: count() })
        .from(searchKeyEntries)
        .innerJoin(users, eq(users.id, searchKeyEntries.userId))
        .where(and(eq(users.status, 'active'), eq(users.keyId, searchKeyEntries.memberKeyId)));
      return row?.n ?? 0;
    },

    /** Who holds the search key (no entry content), with who granted it: the key list and the custody overview. */
    async members(tx: Queryable = db) {
      const granter = alias(users, 'granter');
      return tx
        .select({ userId: users.id, username: users.username, role: users.role, status: users.status, userKeyId: users.keyId, memberKeyId: searchKeyEntries.memberKeyId, grantedBy: searchKeyEntries.grantedBy, granterName: granter.username, grantedAt: searchKeyEntries.grantedAt })
        .from(searchKeyEntries)
        .innerJoin(users, eq(users.id, searchKeyEntries.userId))
        .leftJoin(granter, eq(granter.id, searchKeyEntries.grantedBy))
        .orderBy(users.username);
    },

    /** Replaces the token set of a case. */
    async replaceTokens(caseId: string, tokens: readonly string[], by: string, at: Date, tx: Queryable): Promise<void> {
      await tx.delete(caseSearchTokens).where(eq(caseSearchTokens.caseId, caseId));
      await tx.insert(caseSearchTokens).values(tokens.map((token) => ({ caseId, token, uploadedBy: by, uploadedAt: at })));
    },

    /** Forgets a case's tokens (its retention purge): nothing is left to tie it to another case. */
    async forgetCase(caseId: string, tx: Queryable): Promise<number> {
      return (await tx.delete(caseSearchTokens).where(eq(caseSearchTokens.caseId, caseId)).returning({ token: caseSearchTokens.token })).length;
    },

    /**
     * The cases in scope that hold any of the tokens, with how many they hold, most first. The
     * scope is part of the WHERE clause of the join, so a case outside it is never read nor
     * counted; purged cases are left out (nothing is left to find them by).
     */
    async search(args: { scope: SearchScope; tokens: readonly string[]; excludeCaseId: string | null; limit: number }, tx: Queryable = db) {
      const { scope, tokens, excludeCaseId, limit } = args;
      const where: SQL[] = [inArray(caseSearchTokens.token, [...tokens]), isNull(cases.purgedAt)];
      if (!scope.all) {
        const parts: SQL[] = [];
        if (scope.pool) parts.push(eq(cases.state, 'received'));
        if (scope.assignedTo) parts.push(eq(cases.assigneeId, scope.assignedTo));
        // No scope never reaches here (authorize refuses), but an empty OR must not find everything.
        where.push(parts.length > 0 ? or(...parts)! : sql`false`);
      }
      if (excludeCaseId) where.push(ne(cases.id, excludeCaseId));
      const matched = count().as('matched');
      return tx
        .select({
          id: cases.id,
          reference: cases.reference,
          state: cases.state,
          urgent: cases.urgent,
          urgentClaimed: cases.urgentClaimed,
          riskLevel: cases.riskLevel,
          region: cases.region,
          defenderCategory: cases.defenderCategory,
          assigneeId: cases.assigneeId,
          createdAt: cases.createdAt,
          nextDueAt: cases.nextDueAt,
          nextDueRule: cases.nextDueRule,
          matched,
        })
        .from(caseSearchTokens)
        .innerJoin(cases, eq(cases.id, caseSearchTokens.caseId))
        .where(and(...where))
        .groupBy(cases.id)
        .orderBy(desc(sql`count(*)`), desc(cases.createdAt), cases.id)
        .limit(limit);
    },
  };
}
