import { and, asc, eq, isNotNull } from 'drizzle-orm';
import { appealGroundsAd, assessmentFieldAd, associatedData, caseFieldAd, caseReportNoteAd, measureDetailsAd, messageBodyAd, type RekeyItemKind } from '../sdk/index.js';
import type { Queryable } from '../db/client.js';
import { appeals, assessments, caseFields, caseFiles, caseReports, measures, messages } from '../db/schema/index.js';

/** One value sealed under the case DEK, at its place (kind, id, field), with the AD it is bound to. */
export interface SealedItem {
  kind: RekeyItemKind;
  id: string;
  field: string;
  ad: string;
  sealed: string;
}

/** A re-sealed value at its place. */
export type Replacement = { kind: RekeyItemKind; id: string; field: string; sealed: string };

/** How to find and rewrite one kind of sealed value of a case. */
interface SealedSource {
  /** Every value of this kind on the case, with its AD (computed from its place, as readers do). */
  list(caseId: string, tx: Queryable): Promise<Array<Omit<SealedItem, 'kind'>>>;
  /** Writes the re-sealed values; the caller has checked that they cover `list` exactly. */
  write(caseId: string, items: readonly Replacement[], at: Date, tx: Queryable): Promise<void>;
  /**
   * Erases every value of this kind on the case (retention purge, src/retention/): afterwards
   * `list` returns nothing; the rows' metadata stays where the column may be emptied.
   */
  purge(caseId: string, tx: Queryable): Promise<void>;
}

/**
 * EVERY column sealed under a case's DEK, and nothing else: a re-key that missed one would leave
 * it readable only with the old DEK (lost to the remaining readers, still open to the revoked one).
 * A module that adds a sealed column under the case DEK MUST add it here (and its kind to
 * REKEY_ITEM_KINDS in src/sdk/client/rekey.ts, with its AD; the type makes this table incomplete
 * until then). Referral packets are not here: they are under their own referral DEK.
 */
const SEALED_UNDER_CASE_DEK: { readonly [K in RekeyItemKind]: SealedSource } = {
  /** case_fields.sealed, AD egide/v1/case/<caseId>/<field> */
  case_field: {
    async list(caseId, tx) {
      const rows = await tx.select({ field: caseFields.field, sealed: caseFields.sealed }).from(caseFields).where(eq(caseFields.caseId, caseId)).orderBy(asc(caseFields.field));
      return rows.map((r) => ({ id: caseId, field: r.field, ad: caseFieldAd(caseId, r.field), sealed: r.sealed }));
    },
    async write(caseId, items, at, tx) {
      for (const i of items) await tx.update(caseFields).set({ sealed: i.sealed, updatedAt: at }).where(and(eq(caseFields.caseId, caseId), eq(caseFields.field, i.field)));
    },
    // The column is the row's only content (and not nullable): the rows go.
    async purge(caseId, tx) {
      await tx.delete(caseFields).where(eq(caseFields.caseId, caseId));
    },
  },
  /** messages.body, AD egide/v1/message/<id>/<sender>/body */
  message: {
    async list(caseId, tx) {
      const rows = await tx.select({ id: messages.id, sender: messages.sender, body: messages.body }).from(messages).where(eq(messages.caseId, caseId)).orderBy(asc(messages.createdAt), asc(messages.id));
      return rows.map((r) => ({ id: r.id, field: 'body', ad: messageBodyAd(r.id, r.sender), sealed: r.body }));
    },
    async write(caseId, items, _at, tx) {
      for (const i of items) await tx.update(messages).set({ body: i.sealed }).where(and(eq(messages.id, i.id), eq(messages.caseId, caseId)));
    },
    // body is not nullable and a message without it says nothing worth keeping: the rows go.
    async purge(caseId, tx) {
      await tx.delete(messages).where(eq(messages.caseId, caseId));
    },
  },
  /** assessments.sealed (a map field -> sealed), AD egide/v1/assessment/<id>/<field> */
  assessment: {
    async list(caseId, tx) {
      const rows = await tx.select({ id: assessments.id, sealed: assessments.sealed }).from(assessments).where(eq(assessments.caseId, caseId)).orderBy(asc(assessments.version));
      return rows.flatMap((r) =>
        Object.entries(r.sealed)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([field, sealed]) => ({ id: r.id, field, ad: assessmentFieldAd(r.id, field), sealed })),
      );
    },
    async write(caseId, items, _at, tx) {
      // Coverage is exact, so each assessment's new map has exactly the fields of the old one.
      const maps = new Map<string, Record<string, string>>();
      for (const i of items) maps.set(i.id, { ...maps.get(i.id), [i.field]: i.sealed });
      for (const [id, map] of maps) await tx.update(assessments).set({ sealed: map }).where(and(eq(assessments.id, id), eq(assessments.caseId, caseId)));
    },
    async purge(caseId, tx) {
      await tx.update(assessments).set({ sealed: {} }).where(eq(assessments.caseId, caseId));
    },
  },
  /** measures.details, AD egide/v1/measure/<id>/details */
  measure: {
    async list(caseId, tx) {
      const rows = await tx.select({ id: measures.id, details: measures.details }).from(measures).where(and(eq(measures.caseId, caseId), isNotNull(measures.details))).orderBy(asc(measures.proposedAt), asc(measures.id));
      return rows.map((r) => ({ id: r.id, field: 'details', ad: measureDetailsAd(r.id), sealed: r.details! }));
    },
    async write(caseId, items, _at, tx) {
      for (const i of items) await tx.update(measures).set({ details: i.sealed }).where(and(eq(measures.id, i.id), eq(measures.caseId, caseId)));
    },
    async purge(caseId, tx) {
      await tx.update(measures).set({ details: null }).where(eq(measures.caseId, caseId));
    },
  },
  /** case_reports.note, AD egide/v1/<incident|checkin|alert>/<id>/note */
  case_report: {
    async list(caseId, tx) {
      const rows = await tx.select({ id: caseReports.id, kind: caseReports.kind, note: caseReports.note }).from(caseReports).where(and(eq(caseReports.caseId, caseId), isNotNull(caseReports.note))).orderBy(asc(caseReports.at), asc(caseReports.id));
      return rows.map((r) => ({ id: r.id, field: 'note', ad: caseReportNoteAd(r.kind, r.id), sealed: r.note! }));
    },
    async write(caseId, items, _at, tx) {
      for (const i of items) await tx.update(caseReports).set({ note: i.sealed }).where(and(eq(caseReports.id, i.id), eq(caseReports.caseId, caseId)));
    },
    async purge(caseId, tx) {
      await tx.update(caseReports).set({ note: null }).where(eq(caseReports.caseId, caseId));
    },
  },
  /** appeals.grounds, AD egide/v1/appeal/<id>/grounds */
  appeal: {
    async list(caseId, tx) {
      const rows = await tx.select({ id: appeals.id, grounds: appeals.grounds }).from(appeals).where(and(eq(appeals.caseId, caseId), isNotNull(appeals.grounds))).orderBy(asc(appeals.filedAt), asc(appeals.id));
      return rows.map((r) => ({ id: r.id, field: 'grounds', ad: appealGroundsAd(r.id), sealed: r.grounds! }));
    },
    async write(caseId, items, _at, tx) {
      for (const i of items) await tx.update(appeals).set({ grounds: i.sealed }).where(and(eq(appeals.id, i.id), eq(appeals.caseId, caseId)));
    },
    async purge(caseId, tx) {
      await tx.update(appeals).set({ grounds: null }).where(eq(appeals.caseId, caseId));
    },
  },
  /**
   * case_files.sealed (a map field -> sealed: the file key record, name, media type, caption,
   * plaintext hash), AD egide/v1/file/<id>/<field>. A re-key re-seals these only: the file's
   * ciphertext is under its own file key, which does not change.
   */
  file: {
    async list(caseId, tx) {
      const rows = await tx.select({ id: caseFiles.id, sealed: caseFiles.sealed }).from(caseFiles).where(eq(caseFiles.caseId, caseId)).orderBy(asc(caseFiles.createdAt), asc(caseFiles.id));
      return rows.flatMap((r) =>
        Object.entries(r.sealed)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([field, sealed]) => ({ id: r.id, field, ad: associatedData('file', r.id, field), sealed })),
      );
    },
    async write(caseId, items, at, tx) {
      const maps = new Map<string, Record<string, string>>();
      for (const i of items) maps.set(i.id, { ...maps.get(i.id), [i.field]: i.sealed });
      for (const [id, map] of maps) await tx.update(caseFiles).set({ sealed: map, updatedAt: at }).where(and(eq(caseFiles.id, id), eq(caseFiles.caseId, caseId)));
    },
    // Without its key a file is noise: the rows go (the retention service has the bytes erased).
    async purge(caseId, tx) {
      await tx.delete(caseFiles).where(eq(caseFiles.caseId, caseId));
    },
  },
};

const KINDS = Object.keys(SEALED_UNDER_CASE_DEK) as RekeyItemKind[];

export type SealedContentRepository = ReturnType<typeof createSealedContentRepository>;

/** The sealed values of a case as one whole: what a re-key rewrites and a retention purge erases. */
export function createSealedContentRepository(db: Queryable) {
  return {
    /** Every sealed value of a case, kind by kind. */
    async items(caseId: string, tx: Queryable = db): Promise<SealedItem[]> {
      const out: SealedItem[] = [];
      for (const kind of KINDS) for (const item of await SEALED_UNDER_CASE_DEK[kind].list(caseId, tx)) out.push({ kind, ...item });
      return out;
    },

    /** Writes re-sealed values, kind by kind; the caller has checked that they cover `items` exactly. */
    async write(caseId: string, items: readonly Replacement[], at: Date, tx: Queryable): Promise<void> {
      for (const kind of KINDS) {
        const ofKind = items.filter((i) => i.kind === kind);
        if (ofKind.length > 0) await SEALED_UNDER_CASE_DEK[kind].write(caseId, ofKind, at, tx);
      }
    },

    /** Erases every sealed value of the case, kind by kind. */
    async purge(caseId: string, tx: Queryable): Promise<void> {
      for (const kind of KINDS) await SEALED_UNDER_CASE_DEK[kind].purge(caseId, tx);
    },
  };
}

