import { and, asc, desc, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { Db, Queryable } from '../db/client.js';
import { cases, deadlines, onCallEntries, onCallPages, users, type NoticeStatus } from '../db/schema/index.js';

export type RosterRow = typeof onCallEntries.$inferSelect & { username: string; role: string };
export type PageRow = typeof onCallPages.$inferSelect;
export type NewEntry = typeof onCallEntries.$inferInsert;
export type NewPage = typeof onCallPages.$inferInsert;
export type OnCallRepository = ReturnType<typeof createOnCallRepository>;

/** The roster and the pages (src/db/schema/on-call.ts). */
export function createOnCallRepository(db: Db) {
  return {
    async roster(tx: Queryable = db): Promise<RosterRow[]> {
      const rows = await tx.select({ e: onCallEntries, username: users.username, role: users.role }).from(onCallEntries).innerJoin(users, eq(users.id, onCallEntries.userId)).orderBy(asc(onCallEntries.startsAt), asc(onCallEntries.position), asc(onCallEntries.id));
      return rows.map((r) => ({ ...r.e, username: r.username, role: r.role }));
    },

    /** Active officers and supervisors among `ids`: who may be put on the roster. */
    async activeStaff(ids: string[], tx: Queryable = db): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await tx.select({ id: users.id }).from(users).where(and(inArray(users.id, ids), eq(users.status, 'active'), inArray(users.role, ['officer', 'supervisor'])));
      return new Set(rows.map((r) => r.id));
    },

    /** Replaces the whole roster (under a lock: two supervisors saving at once do not interleave). */
    async replace(entries: NewEntry[], tx: Queryable): Promise<void> {
      await tx.execute(sql`lock table ${onCallEntries} in exclusive mode`);
      await tx.delete(onCallEntries);
      if (entries.length > 0) await tx.insert(onCallEntries).values(entries);
    },

    /** Who is on call at `at`, in roster order, each person once, active accounts only. */
    async onCallAt(at: Date, tx: Queryable = db) {
      const rows = await tx
        .select({ userId: onCallEntries.userId, email: onCallEntries.email, phone: onCallEntries.phone, language: onCallEntries.language })
        .from(onCallEntries)
        .innerJoin(users, eq(users.id, onCallEntries.userId))
        .where(and(lte(onCallEntries.startsAt, at), gt(onCallEntries.endsAt, at), eq(users.status, 'active')))
        .orderBy(asc(onCallEntries.position), asc(onCallEntries.startsAt), asc(onCallEntries.id));
      const seen = new Set<string>();
      return rows.filter((r) => !seen.has(r.userId) && seen.add(r.userId));
    },

    /** The deadlines events name (for the policy's rules and urgency). */
    async deadlinesOf(ids: string[], tx: Queryable = db) {
      if (ids.length === 0) return new Map<string, { caseId: string; rule: string; urgent: boolean }>();
      const rows = await tx.select({ id: deadlines.id, caseId: deadlines.caseId, rule: deadlines.rule, urgent: deadlines.urgent }).from(deadlines).where(inArray(deadlines.id, ids));
      return new Map(rows.map((r) => [r.id, r]));
    },

    /** A new page; undefined when the event already has one of that rank (a row handed twice). */
    async insertPage(page: NewPage, tx: Queryable): Promise<PageRow | undefined> {
      const [row] = await tx.insert(onCallPages).values(page).onConflictDoNothing().returning();
      return row;
    },

    async pageById(id: string, tx: Queryable = db): Promise<PageRow | undefined> {
      const [row] = await tx.select().from(onCallPages).where(eq(onCallPages.id, id));
      return row;
    },

    async pageForUpdate(id: string, tx: Queryable): Promise<PageRow | undefined> {
      const [row] = await tx.select().from(onCallPages).where(eq(onCallPages.id, id)).for('update');
      return row;
    },

    /** The pages of one event (its chain), first rank first. */
    async chain(eventId: number, tx: Queryable = db): Promise<PageRow[]> {
      return tx.select().from(onCallPages).where(eq(onCallPages.eventId, eventId)).orderBy(asc(onCallPages.rank));
    },

    async markEscalated(id: string, at: Date, tx: Queryable): Promise<void> {
      await tx.update(onCallPages).set({ escalatedAt: at }).where(eq(onCallPages.id, id));
    },

    async acknowledge(id: string, at: Date, tx: Queryable): Promise<void> {
      await tx.update(onCallPages).set({ acknowledgedAt: at }).where(and(eq(onCallPages.id, id), isNull(onCallPages.acknowledgedAt)));
    },

    async setNotice(id: string, channel: 'email' | 'sms', status: NoticeStatus, lastError: string | null, tx: Queryable = db): Promise<void> {
      await tx
        .update(onCallPages)
        .set(channel === 'email' ? { emailStatus: status, lastError } : { smsStatus: status, lastError })
        .where(eq(onCallPages.id, id));
    },

    async pageWithReference(id: string, tx: Queryable = db) {
      const [row] = await tx.select({ page: onCallPages, reference: cases.reference }).from(onCallPages).leftJoin(cases, eq(cases.id, onCallPages.caseId)).where(eq(onCallPages.id, id));
      return row;
    },

    /** The caller's own pages, newest first, with the case reference. */
    async pagesOf(userId: string, limit: number, tx: Queryable = db) {
      return tx
        .select({ page: onCallPages, reference: cases.reference })
        .from(onCallPages)
        .leftJoin(cases, eq(cases.id, onCallPages.caseId))
        .where(eq(onCallPages.recipientUserId, userId))
        .orderBy(desc(onCallPages.createdAt), desc(onCallPages.id))
        .limit(limit);
    },

    /** Notices never queued or whose job was lost, and chains due to move on: for the sweep. */
    /** Pages created before `before`, unacknowledged, with a channel still to send. */
    async unsent(before: Date, tx: Queryable = db) {
      return tx
        .select({ id: onCallPages.id, email: onCallPages.emailStatus, sms: onCallPages.smsStatus })
        .from(onCallPages)
        .where(and(lte(onCallPages.createdAt, before), isNull(onCallPages.acknowledgedAt), sql`(${onCallPages.emailStatus} in ('pending', 'retrying') or ${onCallPages.smsStatus} in ('pending', 'retrying'))`))
        .limit(100);
    },

    /** Pages created before `before`, neither acknowledged nor passed on: their turn is over. */
    async turnsOver(before: Date, tx: Queryable = db): Promise<string[]> {
      const rows = await tx
        .select({ id: onCallPages.id })
        .from(onCallPages)
        .where(and(lte(onCallPages.createdAt, before), isNull(onCallPages.escalatedAt), isNull(onCallPages.acknowledgedAt)))
        .limit(100);
      return rows.map((r) => r.id);
    },
  };
}
