import { and, asc, desc, eq, gt, gte, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Sql } from 'postgres';
import type { Queryable } from '../db/client.js';
import type { ReadDb } from '../db/read-replica.js';
import { auditCheckpoints, auditEvents, auditHead, auditLog } from '../db/schema/index.js';

/** The JSON one insert statement takes for any number of events. */
function eventsJson(rows: NewAuditRow[]): string {
  return JSON.stringify(rows.map((r) => ({ at: (r.at as Date).toISOString(), actor: r.actor, role: r.role, action: r.action, resource: r.resource, case_id: r.caseId ?? null, outcome: r.outcome, reason: r.reason ?? null, request_id: r.requestId })));
}

const INSERT_EVENTS = `
  with e as (
    insert into audit_events (at, actor, role, action, resource, case_id, outcome, reason, request_id)
    select at, actor, role, action, resource, case_id, outcome, reason, request_id
    from json_to_recordset($1::json) as x(at timestamptz, actor text, role text, action text, resource text, case_id uuid, outcome text, reason text, request_id text)
    returning id
  )
  insert into audit_pending (event_id) select id from e`;

/**
 * The group commit's writer, on the audit pool's own postgres.js client: a named prepared
 * statement, parsed and planned once per connection (drizzle's queries are not prepared).
 */
export function createAuditBatchWriter(sql: Sql): (rows: NewAuditRow[]) => Promise<void> {
  return async (rows) => {
    if (rows.length > 0) await sql.unsafe(INSERT_EVENTS, [eventsJson(rows)], { prepare: true });
  };
}

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
    /**
     * Records events (in the caller's transaction when given) and queues them for the chainer,
     * in one statement whatever their number. Plain SQL with one JSON parameter: this runs on
     * every audited change, where drizzle's insert builder would cost more CPU than the statement.
     */
    async insert(rows: NewAuditRow[], tx: Queryable = db): Promise<void> {
      if (rows.length === 0) return;
      // The same statement as the batch writer's, with drizzle binding the one parameter.
      const [before, after] = INSERT_EVENTS.split('$1') as [string, string];
      await tx.execute(sql`${sql.raw(before)}${eventsJson(rows)}${sql.raw(after)}`);
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

    /** After a crash the (unlogged) queue is empty: queue again every event without a place in the chain. */
    async requeueUnchained(tx: Queryable = db): Promise<number> {
      const [row] = await tx.execute<{ n: number }>(sql`select audit_requeue_unchained() as n`);
      return Number(row?.n ?? 0);
    },

    /**
     * When the PostgreSQL server started. A new value means it restarted; after a crash its
     * unlogged tables (the chain queue) come back empty, so the chainer queues again what was lost.
     */
    async serverStartedAt(tx: Queryable = db): Promise<string> {
      const [row] = await tx.execute<{ started: string }>(sql`select pg_postmaster_start_time()::text as started`);
      return String(row?.started ?? '');
    },

    /** Events recorded but not chained yet (waiting for an older transaction to end). */
    async pendingCount(tx: Queryable = db): Promise<number> {
      const [row] = await tx.execute<{ n: number }>(sql`select count(*)::int as n from audit_pending`);
      return Number(row?.n ?? 0);
    },

    /** Keyset pagination on seq (newest first by default): stable under concurrent appends. */
    async list(filters: AuditFilters, page: { after?: number; limit: number; order: 'asc' | 'desc' }, tx: ReadDb = db): Promise<AuditRow[]> {
      const where: SQL[] = [];
      // Each filter on the chain's copy (indexed in seq order) and on the event itself (what is shown).
      if (filters.actor) where.push(eq(auditLog.chainActor, filters.actor), eq(auditLog.actor, filters.actor));
      if (filters.caseId) where.push(eq(auditLog.chainCaseId, filters.caseId), eq(auditLog.caseId, filters.caseId));
      if (filters.action) where.push(eq(auditLog.chainAction, filters.action), eq(auditLog.action, filters.action));
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

    /** The seqs of the first and last chained events recorded in a period (bounds included), or null when it holds none. */
    async periodSeqs(period: { from?: Date; to?: Date }, tx: Queryable = db): Promise<{ first: number; last: number } | null> {
      const where: SQL[] = [];
      if (period.from) where.push(gte(auditLog.at, period.from));
      if (period.to) where.push(lte(auditLog.at, period.to));
      const [row] = await tx
        .select({ first: sql<string | null>`min(${auditLog.seq})`, last: sql<string | null>`max(${auditLog.seq})` })
        .from(auditLog)
        .where(and(...where));
      return row?.first != null && row.last != null ? { first: Number(row.first), last: Number(row.last) } : null;
    },

    async checkpointAt(seq: number, tx: Queryable = db): Promise<typeof auditCheckpoints.$inferSelect | undefined> {
      const [row] = await tx.select().from(auditCheckpoints).where(eq(auditCheckpoints.seq, seq));
      return row;
    },

    /** The latest stored checkpoint before `seq` (its seq lower), if any. */
    async checkpointBefore(seq: number, tx: Queryable = db): Promise<typeof auditCheckpoints.$inferSelect | undefined> {
      const [row] = await tx.select().from(auditCheckpoints).where(lt(auditCheckpoints.seq, seq)).orderBy(desc(auditCheckpoints.seq)).limit(1);
      return row;
    },

    /** The earliest stored checkpoint at or after `seq`, if any. */
    async checkpointFrom(seq: number, tx: Queryable = db): Promise<typeof auditCheckpoints.$inferSelect | undefined> {
      const [row] = await tx.select().from(auditCheckpoints).where(gte(auditCheckpoints.seq, seq)).orderBy(asc(auditCheckpoints.seq)).limit(1);
      return row;
    },

    async insertCheckpoint(row: typeof auditCheckpoints.$inferInsert, tx: Queryable = db): Promise<void> {
      await tx.insert(auditCheckpoints).values(row).onConflictDoNothing();
    },

    async checkpoints(tx: Queryable = db): Promise<Array<typeof auditCheckpoints.$inferSelect>> {
      return tx.select().from(auditCheckpoints).orderBy(asc(auditCheckpoints.seq));
    },

    async latestCheckpoint(tx: Queryable = db): Promise<typeof auditCheckpoints.$inferSelect | undefined> {
      const [row] = await tx.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.seq)).limit(1);
      return row;
    },
  };
}
