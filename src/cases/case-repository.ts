import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { caseEnvelopes, caseFields, caseTimeline, cases, deadlines } from '../db/schema/index.js';
import type { StaffCase } from '../contracts/case-view.js';
import type { CaseDeadline } from '../contracts/case.js';
import type { TimelineEntry } from '../contracts/case-timeline.js';

export type CaseRow = typeof cases.$inferSelect;
export type CaseRepository = ReturnType<typeof createCaseRepository>;

/**
 * A case row as the API shows it: codes, states and dates, never the sealed fields, the receipt
 * verifier or the defender's key. Who sees which part of it is the service's call.
 */
export function caseView(c: CaseRow): StaffCase {
  return {
    id: c.id,
    reference: c.reference,
    state: c.state,
    urgentClaimed: c.urgentClaimed,
    createdAt: c.createdAt.toISOString(),
    closedAt: c.closedAt?.toISOString() ?? null,
    urgent: c.urgent,
    consent: c.consent,
    source: c.source,
    filedFor: c.filedFor,
    region: c.region,
    defenderCategory: c.defenderCategory,
    gender: c.gender,
    disability: c.disability,
    threatTypes: c.threatTypes,
    preferredLanguage: c.preferredLanguage,
    contactChannel: c.contactChannel,
    defenderCard: c.defenderCard,
    riskLevel: c.riskLevel,
    assigneeId: c.assigneeId,
    supervisorId: c.supervisorId,
    mechanismKeyId: c.mechanismKeyId,
    closeReason: c.closeReason,
    declineReason: c.declineReason,
    verification: c.verification,
  };
}

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

    /**
     * The case of a receipt. `key share` locks its row until the transaction ends: a receipt login
     * opens its session under it, so a re-issue of the receipt (which locks the row for update)
     * either comes after and ends that session, or comes first and this lookup finds nothing.
     */
    async byReceiptVerifier(verifier: string, tx: Queryable = db, lock?: 'key share'): Promise<Pick<CaseRow, 'id' | 'state'> | undefined> {
      const q = tx.select({ id: cases.id, state: cases.state }).from(cases).where(eq(cases.receiptVerifier, verifier));
      const [row] = lock ? await q.for(lock) : await q;
      return row;
    },

    /**
     * A new case with its sealed fields, envelopes and first timeline entry, in one statement (every
     * filing runs it: one round trip instead of five, and no query builder on the hot path). The
     * mechanism's current key is looked up in the same statement and the case is written only when
     * it is the key the client sealed to (`row.mechanismKeyId`); the envelope addressed to the
     * mechanism (`recipientType: 'org'`) gets the mechanism's id there.
     * Returns the current key (none before bootstrap) and the human reference, undefined when
     * nothing was written: a case with this id exists, or the client pinned another key.
     */
    async file(
      input: {
        row: Omit<typeof cases.$inferInsert, 'reference'>;
        fields: Array<{ field: string; sealed: string }>;
        envelopes: Array<Omit<typeof caseEnvelopes.$inferInsert, 'caseId' | 'createdAt' | 'recipientId'> & { recipientId: string | null }>;
        timeline: Pick<typeof caseTimeline.$inferInsert, 'actor' | 'action' | 'toState' | 'reason'>;
      },
      tx: Queryable = db,
    ): Promise<{ currentKeyId: string | null; reference: string | undefined }> {
      const c = input.row;
      const at = (c.createdAt as Date).toISOString();
      const rows = await tx.execute<{ current_key_id: string | null; reference: string | null }>(sql`
        with k as (
          select o.id as org_id, ok.key_id from organisations o join org_keys ok on ok.org_id = o.id and ok.retired_at is null where o.kind = 'mechanism'
        ), c as (
          insert into cases (id, reference, state, urgent, urgent_claimed, consent, source, filed_for, filed_by, region, defender_category, gender, disability,
            threat_types, preferred_language, contact_channel, defender_card, receipt_verifier, defender_key_id, defender_public_key, mechanism_key_id, created_at, updated_at)
          select ${c.id}, to_char(${at}::timestamptz at time zone 'UTC', 'YYYY') || '-' || lpad(nextval('case_reference_seq')::text, 5, '0'), ${c.state ?? 'received'},
            ${c.urgent ?? false}, ${c.urgentClaimed ?? false}, ${c.consent}, ${c.source}, ${c.filedFor}, ${c.filedBy ?? null}, ${c.region}, ${c.defenderCategory}, ${c.gender}, ${c.disability},
            array(select json_array_elements_text(${JSON.stringify(c.threatTypes)}::json)), ${c.preferredLanguage}, ${c.contactChannel}, ${c.defenderCard ?? null},
            ${c.receiptVerifier ?? null}, ${c.defenderKeyId ?? null}, ${c.defenderPublicKey ?? null}, k.key_id, ${at}::timestamptz, ${at}::timestamptz
          from k where k.key_id = ${c.mechanismKeyId}
          on conflict (id) do nothing
          returning id, reference
        ), f as (
          insert into case_fields (case_id, field, sealed, updated_at)
          select c.id, x.field, x.sealed, ${at}::timestamptz from c, json_to_recordset(${JSON.stringify(input.fields)}::json) as x(field text, sealed text)
        ), e as (
          insert into case_envelopes (case_id, key_id, envelope, recipient_type, recipient_id, created_at)
          select c.id, x."keyId", x.envelope, x."recipientType", case when x."recipientType" = 'org' then k.org_id::text else x."recipientId" end, ${at}::timestamptz
          from c, k, json_to_recordset(${JSON.stringify(input.envelopes)}::json) as x("keyId" text, envelope text, "recipientType" text, "recipientId" text)
        ), t as (
          insert into case_timeline (case_id, at, actor, action, from_state, to_state, reason)
          select c.id, ${at}::timestamptz, ${input.timeline.actor}, ${input.timeline.action}, null, ${input.timeline.toState ?? null}, ${input.timeline.reason ?? null} from c
        )
        select (select key_id from k) as current_key_id, (select reference from c) as reference`);
      const out = rows[0];
      return { currentKeyId: out?.current_key_id ?? null, reference: out?.reference ?? undefined };
    },

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

    /** Every envelope of a case, oldest first. */
    async envelopes(caseId: string, tx: Queryable = db) {
      return tx
        .select({ keyId: caseEnvelopes.keyId, envelope: caseEnvelopes.envelope, recipientType: caseEnvelopes.recipientType, recipientId: caseEnvelopes.recipientId })
        .from(caseEnvelopes)
        .where(eq(caseEnvelopes.caseId, caseId))
        .orderBy(asc(caseEnvelopes.createdAt), asc(caseEnvelopes.keyId));
    },

    /** Deletes one envelope of a case (the mechanism's, moved onto its current key); returns whether it was there. */
    async deleteEnvelope(caseId: string, keyId: string, tx: Queryable = db): Promise<boolean> {
      const rows = await tx.delete(caseEnvelopes).where(and(eq(caseEnvelopes.caseId, caseId), eq(caseEnvelopes.keyId, keyId))).returning({ keyId: caseEnvelopes.keyId });
      return rows.length > 0;
    },

    /** Deletes every envelope of a case; returns how many there were. */
    async deleteEnvelopes(caseId: string, tx: Queryable = db): Promise<number> {
      const rows = await tx.delete(caseEnvelopes).where(eq(caseEnvelopes.caseId, caseId)).returning({ keyId: caseEnvelopes.keyId });
      return rows.length;
    },

    async addTimeline(row: typeof caseTimeline.$inferInsert, tx: Queryable = db): Promise<void> {
      await tx.insert(caseTimeline).values(row);
    },

    /** A page of the case's timeline after an entry id, oldest first (the (case_id, id) index bounds it). */
    async timeline(caseId: string, page: { afterId?: number | undefined; limit: number }, tx: Queryable = db): Promise<TimelineEntry[]> {
      const rows = await tx
        .select()
        .from(caseTimeline)
        .where(and(eq(caseTimeline.caseId, caseId), page.afterId !== undefined ? gt(caseTimeline.id, page.afterId) : undefined))
        .orderBy(asc(caseTimeline.id))
        .limit(page.limit);
      return rows.map((e) => ({ id: String(e.id), at: e.at.toISOString(), actor: e.actor, action: e.action, fromState: e.fromState, toState: e.toState, reason: e.reason }));
    },

    /** The case's key epoch, the row share-locked: writers of sealed content wait for a re-key (which locks it for update). */
    async keyEpochForShare(id: string, tx: Queryable): Promise<{ keyEpoch: number } | undefined> {
      const [row] = await tx.select({ keyEpoch: cases.keyEpoch }).from(cases).where(eq(cases.id, id)).for('share');
      return row;
    },

    /** The case's running deadlines (open or paused), as the case read shows them. */
    async openDeadlines(caseId: string, tx: Queryable = db): Promise<CaseDeadline[]> {
      const rows = await tx
        .select({ id: deadlines.id, rule: deadlines.rule, dueAt: deadlines.dueAt, state: deadlines.state, urgent: deadlines.urgent })
        .from(deadlines)
        .where(and(eq(deadlines.caseId, caseId), sql`${deadlines.state} in ('open', 'paused')`));
      return rows.map((d) => ({ ...d, dueAt: d.dueAt.toISOString() }));
    },

  };
}
