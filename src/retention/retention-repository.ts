import { sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';

/** A closed case whose retention deadline is due, as the list reads it. */
export interface RetentionDueRow {
  caseId: string;
  reference: string;
  closedAt: Date | null;
  closeReason: string | null;
  deadlineId: string;
  dueAt: Date;
}

export type RetentionRepository = ReturnType<typeof createRetentionRepository>;

export function createRetentionRepository(db: Queryable) {
  return {
    /** Closed, unpurged cases whose open retention deadline is due by `now`, earliest first (keyset on due time, case id). */
    async due(now: Date, page: { limit: number; after?: { dueAt: string; caseId: string } }, tx: Queryable = db): Promise<RetentionDueRow[]> {
      const after = page.after ? sql`and (d.due_at, c.id) > (${page.after.dueAt}::timestamptz, ${page.after.caseId}::uuid)` : sql``;
      const rows = await tx.execute<{ case_id: string; reference: string; closed_at: Date | string | null; close_reason: string | null; deadline_id: string; due_at: Date | string }>(sql`
        select c.id as case_id, c.reference, c.closed_at, c.close_reason, d.id as deadline_id, d.due_at
        from deadlines d join cases c on c.id = d.case_id
        where d.rule = 'retention' and d.state = 'open' and d.due_at <= ${now.toISOString()}::timestamptz
          and c.state = 'closed' and c.purged_at is null ${after}
        order by d.due_at, c.id
        limit ${page.limit}`);
      return rows.map((r) => ({ caseId: r.case_id, reference: r.reference, closedAt: r.closed_at === null ? null : new Date(r.closed_at), closeReason: r.close_reason, deadlineId: r.deadline_id, dueAt: new Date(r.due_at) }));
    },
  };
}
