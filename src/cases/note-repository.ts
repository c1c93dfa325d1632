import { and, asc, eq, gt, or } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { caseNotes, staffKeyEnvelopes } from '../db/schema/index.js';
import type { NoteView } from '../contracts/note.js';

export type NoteRepository = ReturnType<typeof createNoteRepository>;

type StaffKeyEnvelopeRow = typeof staffKeyEnvelopes.$inferSelect;

/** The staff key's envelopes of a case and the internal notes sealed under it. */
export function createNoteRepository(db: Queryable) {
  return {
    /** Every staff-key envelope of the case (none: the case has no staff key yet). */
    async staffEnvelopes(caseId: string, tx: Queryable = db): Promise<StaffKeyEnvelopeRow[]> {
      return tx.select().from(staffKeyEnvelopes).where(eq(staffKeyEnvelopes.caseId, caseId)).orderBy(asc(staffKeyEnvelopes.createdAt), asc(staffKeyEnvelopes.keyId));
    },

    async insertStaffEnvelopes(rows: Array<typeof staffKeyEnvelopes.$inferInsert>, tx: Queryable): Promise<void> {
      if (rows.length > 0) await tx.insert(staffKeyEnvelopes).values(rows);
    },

    /** A staff-key envelope for one more holder (a grant); replaces theirs at the same key. */
    async upsertStaffEnvelope(row: typeof staffKeyEnvelopes.$inferInsert, tx: Queryable): Promise<void> {
      await tx
        .insert(staffKeyEnvelopes)
        .values(row)
        .onConflictDoUpdate({ target: [staffKeyEnvelopes.caseId, staffKeyEnvelopes.keyId], set: { envelope: row.envelope, keyEpoch: row.keyEpoch, createdAt: row.createdAt } });
    },

    /** Deletes one staff-key envelope of a case (the mechanism's, moved onto its current key). */
    async deleteStaffEnvelope(caseId: string, keyId: string, tx: Queryable): Promise<void> {
      await tx.delete(staffKeyEnvelopes).where(and(eq(staffKeyEnvelopes.caseId, caseId), eq(staffKeyEnvelopes.keyId, keyId)));
    },

    async deleteStaffEnvelopes(caseId: string, tx: Queryable): Promise<void> {
      await tx.delete(staffKeyEnvelopes).where(eq(staffKeyEnvelopes.caseId, caseId));
    },

    /** Inserts unless the client-chosen id exists; returns whether it was inserted. */
    async insertNote(row: typeof caseNotes.$inferInsert, tx: Queryable): Promise<boolean> {
      const inserted = await tx.insert(caseNotes).values(row).onConflictDoNothing().returning({ id: caseNotes.id });
      return inserted.length > 0;
    },

    /** A case's notes oldest first, in pages after a (createdAt, id) cursor. */
    async page(caseId: string, page: { after?: { at: string; id: string } | undefined; limit: number }, tx: Queryable = db): Promise<NoteView[]> {
      const after = page.after;
      const rows = await tx
        .select()
        .from(caseNotes)
        .where(and(eq(caseNotes.caseId, caseId), after ? or(gt(caseNotes.createdAt, new Date(after.at)), and(eq(caseNotes.createdAt, new Date(after.at)), gt(caseNotes.id, after.id))) : undefined))
        .orderBy(asc(caseNotes.createdAt), asc(caseNotes.id))
        .limit(page.limit);
      return rows.map((n) => ({ id: n.id, author: n.author, authorRole: n.authorRole, body: n.body, createdAt: n.createdAt.toISOString() }));
    },

    /** Every note of the case (what a re-key re-seals). */
    async all(caseId: string, tx: Queryable = db): Promise<Array<{ id: string; author: string; body: string }>> {
      return tx.select({ id: caseNotes.id, author: caseNotes.author, body: caseNotes.body }).from(caseNotes).where(eq(caseNotes.caseId, caseId)).orderBy(asc(caseNotes.createdAt), asc(caseNotes.id));
    },

    /** Writes re-sealed bodies; the caller has checked that they cover `all` exactly. */
    async writeNotes(caseId: string, notes: ReadonlyArray<{ id: string; sealed: string }>, tx: Queryable): Promise<void> {
      for (const n of notes) await tx.update(caseNotes).set({ body: n.sealed }).where(and(eq(caseNotes.id, n.id), eq(caseNotes.caseId, caseId)));
    },

    /** Erases the notes and the staff key of a case (retention purge); returns how many notes there were. */
    async purge(caseId: string, tx: Queryable): Promise<number> {
      const gone = await tx.delete(caseNotes).where(eq(caseNotes.caseId, caseId)).returning({ id: caseNotes.id });
      await tx.delete(staffKeyEnvelopes).where(eq(staffKeyEnvelopes.caseId, caseId));
      return gone.length;
    },
  };
}
