import { and, asc, eq, gt, or } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { messages } from '../db/schema/index.js';
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
  };
}
