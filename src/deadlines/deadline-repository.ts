import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { deadlines } from '../db/schema/index.js';
import { outboxValues } from '../outbox/outbox.js';
import { DEADLINE_OPENED } from '../outbox/topics.js';

export type DeadlineRow = typeof deadlines.$inferSelect;
export type DeadlineRepository = ReturnType<typeof createDeadlineRepository>;

export function createDeadlineRepository(db: Queryable) {
  return {
    async insert(row: typeof deadlines.$inferInsert, tx: Queryable = db): Promise<void> {
      await tx.insert(deadlines).values(row);
    },

    /** A new deadline and the outbox entry that tells the relay about it, in one statement. */
    async open(row: { id: string; caseId: string; rule: string; subjectId: string | null; urgent: boolean; startedAt: Date; dueAt: Date }, tx: Queryable = db): Promise<void> {
      const at = row.startedAt.toISOString();
      await tx.execute(sql`
        with d as (
          insert into deadlines (id, case_id, rule, subject_id, urgent, started_at, due_at)
          values (${row.id}, ${row.caseId}, ${row.rule}, ${row.subjectId}, ${row.urgent}, ${at}::timestamptz, ${row.dueAt.toISOString()}::timestamptz)
          returning id
        )
        insert into outbox (topic, payload, created_at) select ${outboxValues(DEADLINE_OPENED, { deadlineId: row.id }, row.startedAt)} from d`);
    },

    /** Open or paused deadlines of a case, optionally of some rules and one subject (a measure, a referral). */
    async live(caseId: string, rules: string[] | null, subjectId: string | null | undefined, tx: Queryable = db): Promise<DeadlineRow[]> {
      return tx
        .select()
        .from(deadlines)
        .where(
          and(
            eq(deadlines.caseId, caseId),
            sql`${deadlines.state} in ('open', 'paused')`,
            rules ? inArray(deadlines.rule, rules) : undefined,
            subjectId === undefined ? undefined : subjectId === null ? isNull(deadlines.subjectId) : eq(deadlines.subjectId, subjectId),
          ),
        )
        .for('update');
    },

    async settle(ids: string[], state: 'settled' | 'cancelled', at: Date, tx: Queryable = db): Promise<void> {
      if (ids.length > 0) await tx.update(deadlines).set({ state, settledAt: at }).where(inArray(deadlines.id, ids));
    },

    async pause(id: string, at: Date, remainingMs: number, tx: Queryable = db): Promise<void> {
      await tx.update(deadlines).set({ state: 'paused', pausedAt: at, remainingMs }).where(eq(deadlines.id, id));
    },

    /** A paused deadline running again, with the outbox entry that schedules its steps anew, in one statement. */
    async resume(id: string, dueAt: Date, at: Date, tx: Queryable = db): Promise<void> {
      await tx.execute(sql`
        with d as (
          update deadlines set state = 'open', paused_at = null, remaining_ms = null, due_at = ${dueAt.toISOString()}::timestamptz
          where id = ${id}
          returning id
        )
        insert into outbox (topic, payload, created_at) select ${outboxValues(DEADLINE_OPENED, { deadlineId: id }, at)} from d`);
    },
  };
}
