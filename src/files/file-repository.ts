import { and, asc, eq, inArray, lt, ne, or, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { caseFiles, referrals } from '../db/schema/index.js';

export type CaseFileRow = typeof caseFiles.$inferSelect;
export type FileRepository = ReturnType<typeof createFileRepository>;

export function createFileRepository(db: Queryable) {
  return {
    /** Inserts unless the client-chosen id exists; returns whether it was inserted. */
    async insert(row: typeof caseFiles.$inferInsert, tx: Queryable = db): Promise<boolean> {
      const inserted = await tx.insert(caseFiles).values(row).onConflictDoNothing().returning({ id: caseFiles.id });
      return inserted.length > 0;
    },

    async byId(id: string, tx: Queryable = db): Promise<CaseFileRow | undefined> {
      const [row] = await tx.select().from(caseFiles).where(eq(caseFiles.id, id));
      return row;
    },

    async byIdForUpdate(id: string, tx: Queryable): Promise<CaseFileRow | undefined> {
      const [row] = await tx.select().from(caseFiles).where(eq(caseFiles.id, id)).for('update');
      return row;
    },

    /** The attached files of a case, and the unfinished uploads of `uploader`, oldest first. */
    async ofCase(caseId: string, uploader: string | null, tx: Queryable = db): Promise<CaseFileRow[]> {
      const visible = uploader ? or(eq(caseFiles.state, 'available'), eq(caseFiles.uploader, uploader)) : eq(caseFiles.state, 'available');
      return tx.select().from(caseFiles).where(and(eq(caseFiles.caseId, caseId), visible)).orderBy(asc(caseFiles.createdAt), asc(caseFiles.id));
    },

    /** Files of a case by id (only those of the case). */
    async someOfCase(caseId: string, ids: readonly string[], tx: Queryable = db): Promise<CaseFileRow[]> {
      if (ids.length === 0) return [];
      return tx.select().from(caseFiles).where(and(eq(caseFiles.caseId, caseId), inArray(caseFiles.id, [...ids])));
    },

    /** What a case holds now: its files, their bytes in all and those created since `since`. */
    async usage(caseId: string, since: Date, tx: Queryable = db): Promise<{ count: number; bytes: number; bytesSince: number }> {
      const [row] = await tx
        .select({
          count: sql<number>`count(*)::int`,
          bytes: sql<string>`coalesce(sum(${caseFiles.size}), 0)::text`,
          bytesSince: sql<string>`coalesce(sum(${caseFiles.size}) filter (where ${caseFiles.createdAt} >= ${since.toISOString()}::timestamptz), 0)::text`,
        })
        .from(caseFiles)
        .where(eq(caseFiles.caseId, caseId));
      return { count: row?.count ?? 0, bytes: Number(row?.bytes ?? 0), bytesSince: Number(row?.bytesSince ?? 0) };
    },

    async update(id: string, set: Partial<typeof caseFiles.$inferInsert>, tx: Queryable = db): Promise<void> {
      await tx.update(caseFiles).set(set).where(eq(caseFiles.id, id));
    },

    async remove(ids: readonly string[], tx: Queryable = db): Promise<void> {
      if (ids.length === 0) return;
      await tx.delete(caseFiles).where(inArray(caseFiles.id, [...ids]));
    },

    /** Every file of a case (for the purge: rows and bytes go). */
    async idsOfCase(caseId: string, tx: Queryable = db): Promise<string[]> {
      const rows = await tx.select({ id: caseFiles.id }).from(caseFiles).where(eq(caseFiles.caseId, caseId)).orderBy(asc(caseFiles.id));
      return rows.map((r) => r.id);
    },

    /** Unfinished uploads created before `before`, oldest first, locked and skipped by a concurrent sweep. */
    async staleForUpdate(before: Date, limit: number, tx: Queryable): Promise<CaseFileRow[]> {
      return tx
        .select()
        .from(caseFiles)
        .where(and(ne(caseFiles.state, 'available'), lt(caseFiles.createdAt, before)))
        .orderBy(asc(caseFiles.createdAt))
        .limit(limit)
        .for('update', { skipLocked: true });
    },

    /** The organisations a live referral (sent or accepted) of the case carries this file to. */
    async liveReferralOrgs(caseId: string, fileId: string, tx: Queryable = db): Promise<string[]> {
      const rows = await tx
        .select({ orgId: referrals.orgId })
        .from(referrals)
        .where(and(eq(referrals.caseId, caseId), inArray(referrals.state, ['sent', 'accepted']), sql`${referrals.files} @> array[${fileId}]::uuid[]`));
      return rows.map((r) => r.orgId);
    },
  };
}
