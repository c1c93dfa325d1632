import { and, asc, desc, eq, gt, gte, lt, lte, type SQL } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { auditCheckpoints, auditEvents, auditHead } from '../db/schema/index.js';

export type AuditRow = typeof auditEvents.$inferSelect;
export type NewAuditRow = Omit<typeof auditEvents.$inferInsert, 'seq' | 'hash'>;

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
    /** Appends one event; the database trigger assigns seq and hash. */
    async insert(row: NewAuditRow, tx: Queryable = db): Promise<{ seq: number; hash: string }> {
      const [out] = await tx.insert(auditEvents).values(row).returning({ seq: auditEvents.seq, hash: auditEvents.hash });
      return out!;
    },

    /** Keyset pagination on seq (newest first by default): stable under concurrent appends. */
    async list(filters: AuditFilters, page: { after?: number; limit: number; order: 'asc' | 'desc' }, tx: Queryable = db): Promise<AuditRow[]> {
      const where: SQL[] = [];
      if (filters.actor) where.push(eq(auditEvents.actor, filters.actor));
      if (filters.caseId) where.push(eq(auditEvents.caseId, filters.caseId));
      if (filters.action) where.push(eq(auditEvents.action, filters.action));
      if (filters.outcome) where.push(eq(auditEvents.outcome, filters.outcome));
      if (filters.from) where.push(gte(auditEvents.at, filters.from));
      if (filters.to) where.push(lte(auditEvents.at, filters.to));
      if (page.after !== undefined) where.push(page.order === 'asc' ? gt(auditEvents.seq, page.after) : lt(auditEvents.seq, page.after));
      return tx
        .select()
        .from(auditEvents)
        .where(and(...where))
        .orderBy(page.order === 'asc' ? asc(auditEvents.seq) : desc(auditEvents.seq))
        .limit(page.limit);
    },

    async head(tx: Queryable = db): Promise<{ seq: number; hash: string }> {
      const [row] = await tx.select({ seq: auditHead.seq, hash: auditHead.hash }).from(auditHead).where(eq(auditHead.id, 1));
      return row ?? { seq: 0, hash: '0'.repeat(64) };
    },

    async byseq(seq: number, tx: Queryable = db): Promise<AuditRow | undefined> {
      const [row] = await tx.select().from(auditEvents).where(eq(auditEvents.seq, seq));
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
