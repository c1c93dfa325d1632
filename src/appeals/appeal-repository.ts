import { and, asc, desc, eq } from 'drizzle-orm';
import type { Static } from 'typebox';
import type { Queryable } from '../db/client.js';
import { appeals, caseTimeline, measures } from '../db/schema/index.js';
import type { Appeal } from '../contracts/appeal.js';

export type AppealRow = typeof appeals.$inferSelect;
export type AppealRepository = ReturnType<typeof createAppealRepository>;
/** An appeal as staff see it: who took the decision appealed and who ruled included. */
export type StaffAppeal = Required<Omit<Static<typeof Appeal>, 'sealedWithheld'>>;

/** An appeal row as the API shows it; what the defender is not shown is the service's call. */
export function appealView(a: AppealRow): StaffAppeal {
  return {
    id: a.id,
    caseId: a.caseId,
    subject: a.subject,
    subjectId: a.subjectId,
    decisionAt: a.decisionAt.toISOString(),
    grounds: a.grounds,
    state: a.state,
    filedAt: a.filedAt.toISOString(),
    decidedAt: a.decidedAt?.toISOString() ?? null,
    reason: a.reason,
    deciderId: a.deciderId,
    decidedBy: a.decidedBy,
  };
}

/** What an appeal of a measure needs to know about it: its state and who decided when (read only). */
export type MeasureFacts = Pick<typeof measures.$inferSelect, 'id' | 'status' | 'decidedAt' | 'decidedBy' | 'endedAt' | 'endedBy' | 'endsAt'>;

export function createAppealRepository(db: Queryable) {
  return {
    /** Inserts a filed appeal; false when the id is taken or an appeal of the same decision is open (appeals_one_open_idx). */
    async insert(row: typeof appeals.$inferInsert, tx: Queryable = db): Promise<boolean> {
      const inserted = await tx.insert(appeals).values(row).onConflictDoNothing().returning({ id: appeals.id });
      return inserted.length > 0;
    },

    async byId(id: string, tx: Queryable = db): Promise<AppealRow | undefined> {
      const [row] = await tx.select().from(appeals).where(eq(appeals.id, id));
      return row;
    },

    async byIdForUpdate(id: string, tx: Queryable): Promise<AppealRow | undefined> {
      const [row] = await tx.select().from(appeals).where(eq(appeals.id, id)).for('update');
      return row;
    },

    async decide(id: string, set: Pick<AppealRow, 'state' | 'decidedBy' | 'decidedAt' | 'reason'>, tx: Queryable = db): Promise<AppealRow> {
      const [row] = await tx.update(appeals).set(set).where(eq(appeals.id, id)).returning();
      return row!;
    },

    async forCase(caseId: string, tx: Queryable = db): Promise<AppealRow[]> {
      return tx.select().from(appeals).where(eq(appeals.caseId, caseId)).orderBy(asc(appeals.filedAt), asc(appeals.id));
    },

    /**
     * Ends the open appeals of a case whose defender withdrew consent: nobody is left to rule for,
     * so they are dismissed by no one (decided_by null) with the reason, and the record stays.
     */
    async dismissOpen(caseId: string, reason: string, at: Date, tx: Queryable = db): Promise<number> {
      const rows = await tx
        .update(appeals)
        .set({ state: 'dismissed', decidedBy: null, decidedAt: at, reason })
        .where(and(eq(appeals.caseId, caseId), eq(appeals.state, 'filed')))
        .returning({ id: appeals.id });
      return rows.length;
    },

    /** The latest timeline entry of a closing transition (`decline`, `decide_no_measures`): who took the decision. */
    async closingEntry(caseId: string, action: string, tx: Queryable = db) {
      const [row] = await tx
        .select({ actor: caseTimeline.actor, at: caseTimeline.at })
        .from(caseTimeline)
        .where(and(eq(caseTimeline.caseId, caseId), eq(caseTimeline.action, action), eq(caseTimeline.toState, 'closed')))
        .orderBy(desc(caseTimeline.id))
        .limit(1);
      return row;
    },

    /** A measure of the case, read for the facts of an appeal (the measures module owns the table). */
    async measureFacts(caseId: string, measureId: string, tx: Queryable = db): Promise<MeasureFacts | undefined> {
      const [row] = await tx
        .select({ id: measures.id, status: measures.status, decidedAt: measures.decidedAt, decidedBy: measures.decidedBy, endedAt: measures.endedAt, endedBy: measures.endedBy, endsAt: measures.endsAt })
        .from(measures)
        .where(and(eq(measures.id, measureId), eq(measures.caseId, caseId)));
      return row;
    },
  };
}
