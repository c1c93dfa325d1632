import { and, desc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { cases, deadlines, notifications, users } from '../db/schema/index.js';
import type { NotificationView } from '../contracts/notification.js';

type NotificationRow = typeof notifications.$inferSelect;
export type NewNotification = typeof notifications.$inferInsert;
export type NotificationRepository = ReturnType<typeof createNotificationRepository>;

/** A notification row as the API shows it: ids and codes, never content. */
const view = (n: NotificationRow): NotificationView => ({
  id: n.id,
  caseId: n.caseId,
  reference: n.reference,
  topic: n.topic,
  payload: n.payload as Record<string, string | number | boolean>,
  createdAt: n.createdAt.toISOString(),
  readAt: n.readAt?.toISOString() ?? null,
});

export function createNotificationRepository(db: Queryable) {
  return {
    /** What a notification names of its case: the reference, and the officer who answers for it. */
    async caseOf(caseId: string, tx: Queryable = db): Promise<{ id: string; reference: string; assigneeId: string | null } | undefined> {
      const [c] = await tx.select({ id: cases.id, reference: cases.reference, assigneeId: cases.assigneeId }).from(cases).where(eq(cases.id, caseId));
      return c;
    },

    /** The active users among `named`, and every active supervisor when `supervisors`. */
    async activeRecipients(named: string[], supervisors: boolean, tx: Queryable = db): Promise<string[]> {
      const rows = await tx
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.status, 'active'), or(named.length > 0 ? inArray(users.id, named) : sql`false`, supervisors ? eq(users.role, 'supervisor') : sql`false`)));
      return rows.map((r) => r.id);
    },

    /** Inbox rows, once per outbox row and recipient; returns how many were new. */
    async insert(rows: NewNotification[], tx: Queryable = db): Promise<number> {
      if (rows.length === 0) return 0;
      const inserted = await tx.insert(notifications).values(rows).onConflictDoNothing().returning({ id: notifications.id });
      return inserted.length;
    },

    /** A user's inbox, newest first, in pages before a (createdAt, id) cursor. */
    async inbox(userId: string, page: { unread: boolean; limit: number; after?: { at: string; id: string } | undefined }, tx: Queryable = db): Promise<NotificationView[]> {
      const after = page.after;
      const rows = await tx
        .select()
        .from(notifications)
        .where(
          and(
            eq(notifications.recipientUserId, userId),
            eq(notifications.audience, 'user'),
            page.unread ? isNull(notifications.readAt) : undefined,
            after ? or(lt(notifications.createdAt, new Date(after.at)), and(eq(notifications.createdAt, new Date(after.at)), lt(notifications.id, after.id))) : undefined,
          ),
        )
        .orderBy(desc(notifications.createdAt), desc(notifications.id))
        .limit(page.limit);
      return rows.map(view);
    },

    /** One inbox notification (of a user, not a defender's notice), locked. */
    async inboxByIdForUpdate(id: string, tx: Queryable): Promise<{ recipientUserId: string | null; view: NotificationView } | undefined> {
      const [n] = await tx.select().from(notifications).where(and(eq(notifications.id, id), eq(notifications.audience, 'user'))).for('update');
      return n && { recipientUserId: n.recipientUserId, view: view(n) };
    },

    async markRead(id: string, at: Date, tx: Queryable = db): Promise<NotificationView> {
      const [row] = await tx.update(notifications).set({ readAt: at }).where(eq(notifications.id, id)).returning();
      return view(row!);
    },

    /** Marks every unread notification of a user read; returns how many. */
    async markAllRead(userId: string, at: Date, tx: Queryable = db): Promise<number> {
      const r = await tx.update(notifications).set({ readAt: at }).where(and(eq(notifications.recipientUserId, userId), isNull(notifications.readAt))).returning({ id: notifications.id });
      return r.length;
    },

    /** The defender's notices on a case, newest first, each with the state of the deadline it reminds of (null if none). */
    async defenderNotices(caseId: string, limit: number, tx: Queryable = db): Promise<Array<NotificationView & { pending: boolean | null }>> {
      const rows = await tx
        .select({ n: notifications, deadlineState: deadlines.state })
        .from(notifications)
        .leftJoin(deadlines, sql`${deadlines.id}::text = ${notifications.payload}->>'deadlineId'`)
        .where(and(eq(notifications.caseId, caseId), eq(notifications.audience, 'defender')))
        .orderBy(desc(notifications.createdAt), desc(notifications.id))
        .limit(limit);
      return rows.map(({ n, deadlineState }) => ({ ...view(n), pending: deadlineState ? deadlineState === 'open' || deadlineState === 'paused' : null }));
    },
  };
}
