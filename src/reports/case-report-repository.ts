import { and, asc, desc, eq, lt, or } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { caseReports, users } from '../db/schema/index.js';
import type { CaseReport } from '../contracts/case-report.js';

type CaseReportRow = typeof caseReports.$inferSelect;
export type CaseReportKind = CaseReportRow['kind'];
export type CaseReportRepository = ReturnType<typeof createCaseReportRepository>;

export function createCaseReportRepository(db: Queryable) {
  return {
    /** Inserts a report; false when the id exists (the client chose it, and it is in the AD). */
    async insert(row: typeof caseReports.$inferInsert, tx: Queryable = db): Promise<boolean> {
      const inserted = await tx.insert(caseReports).values(row).onConflictDoNothing({ target: caseReports.id }).returning({ id: caseReports.id });
      return inserted.length > 0;
    },

    /** Newest first, in pages before an (at, id) cursor; who may read the notes is the service's call. */
    async list(caseId: string, page: { kind?: CaseReportKind; before?: { at: Date; id: string }; limit: number }, tx: Queryable = db): Promise<CaseReport[]> {
      const before = page.before;
      const rows = await tx
        .select()
        .from(caseReports)
        .where(
          and(
            eq(caseReports.caseId, caseId),
            page.kind ? eq(caseReports.kind, page.kind) : undefined,
            before ? or(lt(caseReports.at, before.at), and(eq(caseReports.at, before.at), lt(caseReports.id, before.id))) : undefined,
          ),
        )
        .orderBy(desc(caseReports.at), desc(caseReports.id))
        .limit(page.limit);
      return rows.map((r) => ({ id: r.id, kind: r.kind, code: r.code, note: r.note, reportedBy: r.reportedBy, at: r.at.toISOString() }));
    },

    /** Who receives what goes to "every supervisor": the active ones, by id. */
    async activeSupervisorIds(tx: Queryable = db): Promise<string[]> {
      const rows = await tx.select({ id: users.id }).from(users).where(and(eq(users.role, 'supervisor'), eq(users.status, 'active'))).orderBy(asc(users.id));
      return rows.map((r) => r.id);
    },
  };
}
