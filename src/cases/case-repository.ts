import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { caseEnvelopes, caseFields, caseTimeline, cases, deadlines } from '../db/schema/index.js';

export type CaseRow = typeof cases.$inferSelect;
export type CaseRepository = ReturnType<typeof createCaseRepository>;

export function createCaseRepository(db: Queryable) {
  return {
    async exists(id: string, tx: Queryable = db): Promise<boolean> {
      const [row] = await tx.select({ id: cases.id }).from(cases).where(eq(cases.id, id));
      return row !== undefined;
    },

    async byId(id: string, tx: Queryable = db): Promise<CaseRow | undefined> {
      const [row] = await tx.select().from(cases).where(eq(cases.id, id));
      return row;
    },

    /** Locks the case row: transitions of one case happen one at a time. */
    async byIdForUpdate(id: string, tx: Queryable): Promise<CaseRow | undefined> {
      const [row] = await tx.select().from(cases).where(eq(cases.id, id)).for('update');
      return row;
    },

    async update(id: string, set: Partial<typeof cases.$inferInsert>, tx: Queryable = db): Promise<CaseRow> {
      const [row] = await tx.update(cases).set(set).where(eq(cases.id, id)).returning();
      return row!;
    },

    async byReceiptVerifier(verifier: string, tx: Queryable = db): Promise<Pick<CaseRow, 'id' | 'state'> | undefined> {
      const [row] = await tx.select({ id: cases.id, state: cases.state }).from(cases).where(eq(cases.receiptVerifier, verifier));
      return row;
    },

    /** Inserts the case with the next human reference (`<year>-<5 digits>`); returns the reference. */
    /** Inserts a new case; returns its reference, or undefined when a case with this id exists. */
    async insert(row: Omit<typeof cases.$inferInsert, 'reference'>, tx: Queryable = db): Promise<string | undefined> {
      const [out] = await tx
        .insert(cases)
        .values({ ...row, reference: sql`to_char(${(row.createdAt as Date).toISOString()}::timestamptz at time zone 'UTC', 'YYYY') || '-' || lpad(nextval('case_reference_seq')::text, 5, '0')` })
        .onConflictDoNothing({ target: cases.id })
        .returning({ reference: cases.reference });
      return out?.reference;
    },

    async insertFields(rows: Array<typeof caseFields.$inferInsert>, tx: Queryable = db): Promise<void> {
      if (rows.length > 0) await tx.insert(caseFields).values(rows);
    },

    async fields(caseId: string, tx: Queryable = db) {
      return tx.select({ field: caseFields.field, sealed: caseFields.sealed }).from(caseFields).where(eq(caseFields.caseId, caseId));
    },

    async insertEnvelopes(rows: Array<typeof caseEnvelopes.$inferInsert>, tx: Queryable = db): Promise<void> {
      if (rows.length > 0) await tx.insert(caseEnvelopes).values(rows);
    },

    /** A reader's envelope; a new one for the same key replaces it (re-granting after a re-key). */
    async upsertEnvelope(row: typeof caseEnvelopes.$inferInsert, tx: Queryable = db): Promise<void> {
      await tx.insert(caseEnvelopes).values(row).onConflictDoUpdate({ target: [caseEnvelopes.caseId, caseEnvelopes.keyId], set: { envelope: row.envelope, createdAt: row.createdAt } });
    },

    async envelopeFor(caseId: string, keyIds: string[], tx: Queryable = db) {
      if (keyIds.length === 0) return [];
      return tx
        .select({ keyId: caseEnvelopes.keyId, envelope: caseEnvelopes.envelope, recipientType: caseEnvelopes.recipientType })
        .from(caseEnvelopes)
        .where(and(eq(caseEnvelopes.caseId, caseId), inArray(caseEnvelopes.keyId, keyIds)));
    },

    async addTimeline(row: typeof caseTimeline.$inferInsert, tx: Queryable = db): Promise<void> {
      await tx.insert(caseTimeline).values(row);
    },

    async openDeadlines(caseId: string, tx: Queryable = db) {
      return tx
        .select({ id: deadlines.id, rule: deadlines.rule, dueAt: deadlines.dueAt, state: deadlines.state, urgent: deadlines.urgent })
        .from(deadlines)
        .where(and(eq(deadlines.caseId, caseId), sql`${deadlines.state} in ('open', 'paused')`));
    },

  };
}
