import { sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';

/** A closed case whose retention deadline is due, as the list reads it. */
export interface RetentionDueRow {
  caseId: string;
  reference: string;
  closedAt: Date | null;
  closeReason: string | null;
  deadlineId: string;
  dueAt: Date;
  /** when its purge was put on hold (the retention clock paused), null when it runs */
  heldAt: Date | null;
}

export type RetentionRepository = ReturnType<typeof createRetentionRepository>;

export function createRetentionRepository(db: Queryable) {
  async function list(which: SQL, page: { limit: number; after?: { dueAt: string; caseId: string } }, tx: Queryable): Promise<RetentionDueRow[]> {
    const after = page.after ? sql`and (d.due_at, c.id) > (${page.after.dueAt}::timestamptz, ${page.after.caseId}::uuid)` : sql``;
    const rows = await tx.execute<{ case_id: string; reference: string; closed_at: Date | string | null; close_reason: string | null; deadline_id: string; due_at: Date | string; paused_at: Date | string | null }>(sql`
      select c.id as case_id, c.reference, c.closed_at, c.close_reason, d.id as deadline_id, d.due_at, d.paused_at
      from deadlines d join cases c on c.id = d.case_id
      where d.rule = 'retention' and ${which}
        and c.state = 'closed' and c.purged_at is null ${after}
      order by d.due_at, c.id
      limit ${page.limit}`);
    const at = (v: Date | string | null) => (v === null ? null : new Date(v));
    return rows.map((r) => ({ caseId: r.case_id, reference: r.reference, closedAt: at(r.closed_at), closeReason: r.close_reason, deadlineId: r.deadline_id, dueAt: new Date(r.due_at), heldAt: at(r.paused_at) }));
  }

  return {
    /** Closed, unpurged cases whose open retention deadline is due by `now`, earliest first (keyset on due time, case id). */
    async due(now: Date, page: { limit: number; after?: { dueAt: string; caseId: string } }, tx: Queryable = db): Promise<RetentionDueRow[]> {
      return list(sql`d.state = 'open' and d.due_at <= ${now.toISOString()}::timestamptz`, page, tx);
    },

    /** Closed, unpurged cases whose purge is on hold (their retention deadline paused), in the same order and pages. */
    async held(page: { limit: number; after?: { dueAt: string; caseId: string } }, tx: Queryable = db): Promise<RetentionDueRow[]> {
      return list(sql`d.state = 'paused'`, page, tx);
    },
  };
}
