import type { CaseListScope } from '../access/case-scope.js';
import { and, count, desc, eq, inArray, isNull, lt, max, ne, or, sql, type SQL } from 'drizzle-orm';
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

    /** The generation of the search key the entries seal (1 before the first re-issue, and while none exists). */
    async currentGeneration(tx: Queryable = db): Promise<number> {
      const [row] = await tx.select({ g: max(searchKeyEntries.generation) }).from(searchKeyEntries);
      return row?.g ?? 1;
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
        .onConflictDoUpdate({ target: [searchKeyEntries.userId], set: { entry: row.entry, memberKeyId: row.memberKeyId, grantedBy: row.grantedBy, grantedAt: row.grantedAt, generation: row.generation ?? 1 } });
    },

    /** A re-issue: every entry of the previous key deleted, the new key's entries stored. */
    async replaceEntries(rows: Array<typeof searchKeyEntries.$inferInsert>, tx: Queryable): Promise<void> {
      await tx.delete(searchKeyEntries);
      await tx.insert(searchKeyEntries).values(rows);
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

    /** Replaces the token set of a case (of whatever generation) with tokens of `generation`. */
    async replaceTokens(caseId: string, tokens: readonly string[], by: string, at: Date, generation: number, tx: Queryable): Promise<void> {
      await tx.delete(caseSearchTokens).where(eq(caseSearchTokens.caseId, caseId));
      await tx.insert(caseSearchTokens).values(tokens.map((token) => ({ caseId, token, uploadedBy: by, uploadedAt: at, generation })));
    },

    /** The generation of a case's tokens, or null when it has none. */
    async tokenGeneration(caseId: string, tx: Queryable = db): Promise<number | null> {
      const [row] = await tx.select({ g: max(caseSearchTokens.generation) }).from(caseSearchTokens).where(eq(caseSearchTokens.caseId, caseId));
      return row?.g ?? null;
    },

    /**
     * The cases (not purged) whose tokens were computed with a search key older than `generation`:
     * how many, and the next ones, oldest first.
     */
    async olderTokens(generation: number, limit: number, tx: Queryable = db) {
      const older = and(lt(caseSearchTokens.generation, generation), isNull(cases.purgedAt));
      const [counted] = await tx.select({ n: sql<number>`count(distinct ${caseSearchTokens.caseId})::int` }).from(caseSearchTokens).innerJoin(cases, eq(cases.id, caseSearchTokens.caseId)).where(older);
      const rows = await tx
        .selectDistinct({ caseId: cases.id, reference: cases.reference, keyEpoch: cases.keyEpoch, createdAt: cases.createdAt })
        .from(caseSearchTokens)
        .innerJoin(cases, eq(cases.id, caseSearchTokens.caseId))
        .where(older)
        .orderBy(cases.createdAt, cases.id)
        .limit(limit);
      return { remaining: counted?.n ?? 0, cases: rows };
    },

    /** Deletes every token computed with a key older than `generation` (once no case needs them re-indexed). */
    async dropOlderTokens(generation: number, tx: Queryable): Promise<number> {
      return (await tx.delete(caseSearchTokens).where(lt(caseSearchTokens.generation, generation)).returning({ token: caseSearchTokens.token })).length;
    },

    /** Forgets a case's tokens (its retention purge): nothing is left to tie it to another case. */
    async forgetCase(caseId: string, tx: Queryable): Promise<number> {
      return (await tx.delete(caseSearchTokens).where(eq(caseSearchTokens.caseId, caseId)).returning({ token: caseSearchTokens.token })).length;
    },

    /**
     * The cases in scope that hold any of the tokens, with how many they hold, most first. The
     * scope is part of the WHERE clause of the join, so a case outside it is never read nor
     * counted; purged cases are left out (nothing is left to find them by), and so are tokens of
     * an older search key than the current one.
     */
    async search(args: { scope: SearchScope; tokens: readonly string[]; generation: number; excludeCaseId: string | null; limit: number }, tx: Queryable = db) {
      const { scope, tokens, generation, excludeCaseId, limit } = args;
      // Tokens of an older key are left out: they are deleted as each case is re-indexed.
      const where: SQL[] = [inArray(caseSearchTokens.token, [...tokens]), eq(caseSearchTokens.generation, generation), isNull(cases.purgedAt)];
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
