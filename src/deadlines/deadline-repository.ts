import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { deadlines, outbox } from '../db/schema/index.js';

export type DeadlineRow = typeof deadlines.$inferSelect;
export type DeadlineRepository = ReturnType<typeof createDeadlineRepository>;

export function createDeadlineRepository(db: Queryable) {
  return {
    async insert(row: typeof deadlines.$inferInsert, tx: Queryable = db): Promise<void> {
      await tx.insert(deadlines).values(row);
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

    async resume(id: string, dueAt: Date, tx: Queryable = db): Promise<void> {
      await tx.update(deadlines).set({ state: 'open', pausedAt: null, remainingMs: null, dueAt }).where(eq(deadlines.id, id));
    },

    /** A job for the relay, written with the change: nothing is enqueued unless the change commits. */
    async enqueue(topic: string, payload: Record<string, unknown>, at: Date, tx: Queryable = db): Promise<void> {
      await tx.insert(outbox).values({ topic, payload, createdAt: at });
    },
  };
}
