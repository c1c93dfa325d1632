import { and, asc, eq, gt, inArray, or, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { messageReads, messages } from '../db/schema/index.js';
import type { MessageView } from '../contracts/message.js';

export type MessageRepository = ReturnType<typeof createMessageRepository>;

export function createMessageRepository(db: Queryable) {
  return {
    /** Inserts unless the client-chosen id exists; returns whether it was inserted. */
    async insert(row: typeof messages.$inferInsert, tx: Queryable = db): Promise<boolean> {
      const inserted = await tx.insert(messages).values(row).onConflictDoNothing().returning({ id: messages.id });
      return inserted.length > 0;
    },

    /** A case's messages oldest first, in pages after a (createdAt, id) cursor. */
    async page(caseId: string, page: { after?: { at: string; id: string } | undefined; limit: number }, tx: Queryable = db): Promise<MessageView[]> {
      const after = page.after;
      const rows = await tx
        .select()
        .from(messages)
        .where(and(eq(messages.caseId, caseId), after ? or(gt(messages.createdAt, new Date(after.at)), and(eq(messages.createdAt, new Date(after.at)), gt(messages.id, after.id))) : undefined))
        .orderBy(asc(messages.createdAt), asc(messages.id))
        .limit(page.limit);
      return rows.map((m) => ({ id: m.id, sender: m.sender, senderRole: m.senderRole, body: m.body, createdAt: m.createdAt.toISOString() }));
    },

    /** Where a message of this case sits in its thread (null: no such message on this case). */
    async placeOf(caseId: string, id: string, tx: Queryable = db): Promise<{ id: string; createdAt: Date } | null> {
      const [row] = await tx.select({ id: messages.id, createdAt: messages.createdAt }).from(messages).where(and(eq(messages.id, id), eq(messages.caseId, caseId)));
      return row ?? null;
    },

    /**
     * Moves a reader's marker to `upTo`, never back: an older message leaves it where it is, so
     * repeating a call (or two tabs racing) changes nothing. Returns the marker as it stands.
     */
    async markRead(caseId: string, reader: string, upTo: { id: string; createdAt: Date }, now: Date, tx: Queryable = db): Promise<{ lastReadId: string; lastReadAt: Date }> {
      await tx
        .insert(messageReads)
        .values({ caseId, reader, lastReadAt: upTo.createdAt, lastReadId: upTo.id, updatedAt: now })
        .onConflictDoUpdate({
          target: [messageReads.caseId, messageReads.reader],
          set: { lastReadAt: upTo.createdAt, lastReadId: upTo.id, updatedAt: now },
          setWhere: sql`(${messageReads.lastReadAt}, ${messageReads.lastReadId}) < (excluded.last_read_at, excluded.last_read_id)`,
        });
      const [row] = await tx.select({ lastReadId: messageReads.lastReadId, lastReadAt: messageReads.lastReadAt }).from(messageReads).where(and(eq(messageReads.caseId, caseId), eq(messageReads.reader, reader)));
      return row!;
    },

    /**
     * How many messages of others each case holds after `reader`'s marker (all of them without
     * one): one grouped query for a page of cases. Cases without any are left out of the map.
     */
    async unreadCounts(caseIds: readonly string[], reader: string, tx: Queryable = db): Promise<Map<string, number>> {
      if (caseIds.length === 0) return new Map();
      const rows = await tx
        .select({ caseId: messages.caseId, n: sql<number>`count(*)::int` })
        .from(messages)
        .leftJoin(messageReads, and(eq(messageReads.caseId, messages.caseId), eq(messageReads.reader, reader)))
        .where(
          and(
            inArray(messages.caseId, [...caseIds]),
            sql`${messages.sender} <> ${reader}`,
            sql`(${messageReads.caseId} is null or (${messages.createdAt}, ${messages.id}) > (${messageReads.lastReadAt}, ${messageReads.lastReadId}))`,
          ),
        )
        .groupBy(messages.caseId);
      return new Map(rows.map((r) => [r.caseId, r.n]));
    },
  };
}
