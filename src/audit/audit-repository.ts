import { and, asc, desc, eq, gt, gte, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { auditCheckpoints, auditEvents, auditHead, auditLog } from '../db/schema/index.js';

/** A chained event (from the audit_log view). */
export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditRow = Omit<typeof auditEvents.$inferInsert, 'id'>;

export interface AuditFilters {
  actor?: string;
  caseId?: string;
  action?: string;
  outcome?: 'allowed' | 'denied';
  from?: Date;
  to?: Date;
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;

export function createAuditRepository(db: Queryable) {
  return {
    /** Records one event; it is chained shortly after its transaction commits (see `chainPending`). */
    async insert(row: NewAuditRow, tx: Queryable = db): Promise<void> {
      // Written as plain SQL: this runs on every audited request, and drizzle's insert builder
      // costs several times the statement itself in CPU.
      // The event and its place in the chainer's queue, in one statement (no trigger on this path).
      await tx.execute(
        sql`with e as (insert into audit_events (at, actor, role, action, resource, case_id, outcome, reason, request_id) values (${(row.at as Date).toISOString()}, ${row.actor}, ${row.role}, ${row.action}, ${row.resource}, ${row.caseId ?? null}, ${row.outcome}, ${row.reason ?? null}, ${row.requestId}) returning id) insert into audit_pending (event_id) select id from e`,
      );
    },

    /** Chains every committed event waiting in the queue; returns how many were chained. */
    async chainPending(batch = 5000, tx: Queryable = db): Promise<number> {
      let total = 0;
      for (;;) {
        const [row] = await tx.execute<{ n: number }>(sql`select audit_chain_pending(${batch}) as n`);
        const n = Number(row?.n ?? 0);
        total += n;
        if (n < batch) return total;
      }
    },

    /** Events recorded but not chained yet (waiting for an older transaction to end). */
    async pendingCount(tx: Queryable = db): Promise<number> {
      const [row] = await tx.execute<{ n: number }>(sql`select count(*)::int as n from audit_pending`);
      return Number(row?.n ?? 0);
    },

    /** Keyset pagination on seq (newest first by default): stable under concurrent appends. */
    async list(filters: AuditFilters, page: { after?: number; limit: number; order: 'asc' | 'desc' }, tx: Queryable = db): Promise<AuditRow[]> {
      const where: SQL[] = [];
      if (filters.actor) where.push(eq(auditLog.actor, filters.actor));
      if (filters.caseId) where.push(eq(auditLog.caseId, filters.caseId));
      if (filters.action) where.push(eq(auditLog.action, filters.action));
      if (filters.outcome) where.push(eq(auditLog.outcome, filters.outcome));
      if (filters.from) where.push(gte(auditLog.at, filters.from));
      if (filters.to) where.push(lte(auditLog.at, filters.to));
      if (page.after !== undefined) where.push(page.order === 'asc' ? gt(auditLog.seq, page.after) : lt(auditLog.seq, page.after));
      return tx
        .select()
        .from(auditLog)
        .where(and(...where))
        .orderBy(page.order === 'asc' ? asc(auditLog.seq) : desc(auditLog.seq))
        .limit(page.limit);
    },

    async head(tx: Queryable = db): Promise<{ seq: number; hash: string }> {
      const [row] = await tx.select({ seq: auditHead.seq, hash: auditHead.hash }).from(auditHead).where(eq(auditHead.id, 1));
      return row ?? { seq: 0, hash: '0'.repeat(64) };
    },

    async bySeq(seq: number, tx: Queryable = db): Promise<AuditRow | undefined> {
      const [row] = await tx.select().from(auditLog).where(eq(auditLog.seq, seq));
      return row;
    },

    async insertCheckpoint(row: typeof auditCheckpoints.$inferInsert, tx: Queryable = db): Promise<void> {
      await tx.insert(auditCheckpoints).values(row).onConflictDoNothing();
    },

    async latestCheckpoint(tx: Queryable = db): Promise<typeof auditCheckpoints.$inferSelect | undefined> {
      const [row] = await tx.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.seq)).limit(1);
      return row;
    },
  };
}
