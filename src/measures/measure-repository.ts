import { and, asc, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { measures } from '../db/schema/index.js';
import type { MeasureView } from '../contracts/measure.js';

export type MeasureRow = typeof measures.$inferSelect;
export type MeasureStatus = MeasureRow['status'];
export type MeasureRepository = ReturnType<typeof createMeasureRepository>;

/** Approved and not over: the measure is (being) carried out. */
export const IN_EFFECT_STATUSES: readonly MeasureStatus[] = ['approved', 'implementing', 'active'];

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

/**
 * A measure row as the API shows it: every field the server holds (the details stay sealed).
 * What the defender is not shown, and when the details are withheld, is the service's call.
 */
export function measureView(m: MeasureRow): MeasureView {
  return {
    id: m.id,
    caseId: m.caseId,
    code: m.code,
    category: m.category,
    implementer: m.implementer,
    implementerOrgId: m.implementerOrgId,
    urgent: m.urgent,
    status: m.status,
    details: m.details,
    durationDays: m.durationDays,
    proposedAt: m.proposedAt.toISOString(),
    consentAt: iso(m.consentAt),
    /** `defender` when they answered themself, `staff` when their oral consent was recorded for them */
    consentGivenThrough: m.consentBy === null ? null : m.consentBy.startsWith('d:') ? 'defender' : 'staff',
    decidedAt: iso(m.decidedAt),
    decisionReason: m.decisionReason,
    startsAt: iso(m.startsAt),
    endsAt: iso(m.endsAt),
    confirmedAt: iso(m.confirmedAt),
    endedAt: iso(m.endedAt),
    endReason: m.endReason,
    proposedBy: m.proposedBy,
    consentBy: m.consentBy,
    consentAttestation: m.consentAttestation,
    decidedBy: m.decidedBy,
    endedBy: m.endedBy,
    updatedAt: m.updatedAt.toISOString(),
  };
}

export function createMeasureRepository(db: Queryable) {
  return {
    /** The case of a measure, read without a lock: commands lock the case first, then the measure. */
    async caseIdOf(id: string, tx: Queryable = db): Promise<string | undefined> {
      const [row] = await tx.select({ caseId: measures.caseId }).from(measures).where(eq(measures.id, id));
      return row?.caseId;
    },

    async byIdForUpdate(id: string, tx: Queryable): Promise<MeasureRow | undefined> {
      const [row] = await tx.select().from(measures).where(eq(measures.id, id)).for('update');
      return row;
    },

    /** Inserts unless the id exists (client-chosen ids are in the AD); true when inserted. */
    async insert(row: typeof measures.$inferInsert, tx: Queryable = db): Promise<boolean> {
      const out = await tx.insert(measures).values(row).onConflictDoNothing().returning({ id: measures.id });
      return out.length > 0;
    },

    async update(id: string, set: Partial<typeof measures.$inferInsert>, tx: Queryable = db): Promise<MeasureRow> {
      const [row] = await tx.update(measures).set(set).where(eq(measures.id, id)).returning();
      return row!;
    },

    /** Whether a measure of the case is approved, being put in place, or active (the `measures_in_place` guard). */
    async anyInPlace(caseId: string, tx: Queryable = db): Promise<boolean> {
      const [row] = await tx
        .select({ id: measures.id })
        .from(measures)
        .where(and(eq(measures.caseId, caseId), inArray(measures.status, [...IN_EFFECT_STATUSES])))
        .limit(1);
      return row !== undefined;
    },

    async byCase(caseId: string, tx: Queryable = db): Promise<MeasureRow[]> {
      return tx.select().from(measures).where(eq(measures.caseId, caseId)).orderBy(asc(measures.proposedAt), asc(measures.id));
    },

    /** The measures of a case that are not over, locked (the caller holds the case lock). */
    async openOfCaseForUpdate(caseId: string, tx: Queryable): Promise<MeasureRow[]> {
      return tx
        .select()
        .from(measures)
        .where(and(eq(measures.caseId, caseId), sql`${measures.status} not in ('refused', 'rejected', 'lifted', 'expired')`))
        .orderBy(asc(measures.proposedAt), asc(measures.id))
        .for('update');
    },

    /** Active measures whose end date has passed. */
    async activeEndedBy(now: Date, tx: Queryable = db): Promise<Array<{ id: string; caseId: string }>> {
      return tx.select({ id: measures.id, caseId: measures.caseId }).from(measures).where(and(eq(measures.status, 'active'), lte(measures.endsAt, now))).orderBy(asc(measures.endsAt));
    },

    /** Urgent measures approved and still in effect that no ordinary decision has confirmed yet. */
    async unconfirmedUrgent(tx: Queryable = db): Promise<Array<{ id: string; caseId: string; decidedAt: Date | null }>> {
      return tx
        .select({ id: measures.id, caseId: measures.caseId, decidedAt: measures.decidedAt })
        .from(measures)
        .where(and(eq(measures.urgent, true), isNull(measures.confirmedAt), inArray(measures.status, [...IN_EFFECT_STATUSES])))
        .orderBy(asc(measures.decidedAt));
    },
  };
}
