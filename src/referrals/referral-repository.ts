import { and, asc, desc, eq, inArray, isNotNull, lt, or, type SQL } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { caseFields, caseFiles, organisations, referralEnvelopes, referralReports, referrals } from '../db/schema/index.js';
import type { ReferralReport, ReferralView } from '../contracts/referral.js';

export type ReferralRow = typeof referrals.$inferSelect;
export type ReferralState = ReferralRow['state'];
export type ReferralReportRow = typeof referralReports.$inferSelect;
/** A referral with its recipient's name and category (not sensitive: organisations are public to staff). */
export type ReferralWithOrg = ReferralRow & { orgName: string; orgCategory: string };
export type ReferralRepository = ReturnType<typeof createReferralRepository>;
/** The recipient organisation's name and category, shown with each referral. */
export type OrgInfo = Pick<ReferralView, 'orgName' | 'orgCategory'>;
/** A referral as staff see it, all but the labels, which the referral policy gives (the service adds them). */
export type ReferralFacts = Omit<Required<ReferralView>, 'purposeLabel' | 'fieldLabels' | 'madeWithoutConsent' | 'actions'>;

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

/** A referral row as the API shows it; which part each side sees is the service's call. */
export function referralView(r: ReferralRow, org: OrgInfo): ReferralFacts {
  return {
    id: r.id,
    caseId: r.caseId,
    orgId: r.orgId,
    orgName: org.orgName,
    orgCategory: org.orgCategory,
    fields: r.fields,
    files: r.files,
    purpose: r.purpose,
    state: r.state,
    consentBasis: r.consentBasis,
    consentBy: r.consentBy,
    consentAt: iso(r.consentAt),
    consentAttestation: r.consentAttestation,
    defenderToldAt: iso(r.defenderToldAt),
    hasPacket: r.packet !== null,
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
    sentAt: iso(r.sentAt),
    respondedBy: r.respondedBy,
    respondedAt: iso(r.respondedAt),
    responseReason: r.responseReason,
    endedAt: iso(r.endedAt),
    endReason: r.endReason,
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** A report row as the API shows it. */
export function reportView(p: ReferralReportRow): ReferralReport {
  return { id: p.id, status: p.status, note: p.note, reportedBy: p.reportedBy, reportedAt: p.reportedAt.toISOString() };
}

const withOrg = { referral: referrals, orgName: organisations.name, orgCategory: organisations.category };
const flatten = (rows: Array<{ referral: ReferralRow; orgName: string; orgCategory: string }>): ReferralWithOrg[] => rows.map((r) => ({ ...r.referral, orgName: r.orgName, orgCategory: r.orgCategory }));

export function createReferralRepository(db: Queryable) {
  return {
    /** Inserts unless the client-chosen id exists; returns whether it was inserted. */
    async insert(row: typeof referrals.$inferInsert, tx: Queryable = db): Promise<boolean> {
      const out = await tx.insert(referrals).values(row).onConflictDoNothing().returning({ id: referrals.id });
      return out.length > 0;
    },

    async byId(id: string, tx: Queryable = db): Promise<ReferralRow | undefined> {
      const [row] = await tx.select().from(referrals).where(eq(referrals.id, id));
      return row;
    },

    /** Locks the referral row (after its case row: every command locks the case first). */
    async byIdForUpdate(id: string, tx: Queryable): Promise<ReferralRow | undefined> {
      const [row] = await tx.select().from(referrals).where(eq(referrals.id, id)).for('update');
      return row;
    },

    async update(id: string, set: Partial<typeof referrals.$inferInsert>, tx: Queryable = db): Promise<ReferralRow> {
      const [row] = await tx.update(referrals).set(set).where(eq(referrals.id, id)).returning();
      return row!;
    },

    /** The referrals of a case in some states, locked (withdrawal of consent). */
    async ofCaseInStates(caseId: string, states: readonly ReferralState[], tx: Queryable): Promise<ReferralRow[]> {
      return tx
        .select()
        .from(referrals)
        .where(and(eq(referrals.caseId, caseId), inArray(referrals.state, [...states])))
        .orderBy(asc(referrals.createdAt), asc(referrals.id))
        .for('update');
    },

    /** Every referral of a case, oldest first, with the recipient's name. */
    async ofCase(caseId: string, tx: Queryable = db): Promise<ReferralWithOrg[]> {
      return flatten(await tx.select(withOrg).from(referrals).innerJoin(organisations, eq(organisations.id, referrals.orgId)).where(eq(referrals.caseId, caseId)).orderBy(asc(referrals.createdAt), asc(referrals.id)).limit(500));
    },

    /** Newest first, in pages before a (createdAt, id) cursor; an organisation's, or all when orgId is null; `sentOnly`: those a partner was sent. */
    async page(filter: { orgId: string | null; sentOnly: boolean }, page: { before?: { at: Date; id: string }; limit: number }, tx: Queryable = db): Promise<ReferralWithOrg[]> {
      const conds: Array<SQL | undefined> = [
        filter.orgId ? eq(referrals.orgId, filter.orgId) : undefined,
        filter.sentOnly ? isNotNull(referrals.sentAt) : undefined,
        page.before ? or(lt(referrals.createdAt, page.before.at), and(eq(referrals.createdAt, page.before.at), lt(referrals.id, page.before.id))) : undefined,
      ];
      return flatten(
        await tx
          .select(withOrg)
          .from(referrals)
          .innerJoin(organisations, eq(organisations.id, referrals.orgId))
          .where(and(...conds))
          .orderBy(desc(referrals.createdAt), desc(referrals.id))
          .limit(page.limit),
      );
    },

    /** Names of the sealed fields a case has (what a referral could share). */
    async caseFieldNames(caseId: string, tx: Queryable = db): Promise<string[]> {
      const rows = await tx.select({ field: caseFields.field }).from(caseFields).where(eq(caseFields.caseId, caseId));
      return rows.map((r) => r.field);
    },

    /** Which of `ids` are attached (available) files of the case: what a referral could carry. */
    async availableFileIds(caseId: string, ids: readonly string[], tx: Queryable = db): Promise<string[]> {
      if (ids.length === 0) return [];
      const rows = await tx
        .select({ id: caseFiles.id })
        .from(caseFiles)
        .where(and(eq(caseFiles.caseId, caseId), eq(caseFiles.state, 'available'), inArray(caseFiles.id, [...ids])));
      return rows.map((r) => r.id);
    },

    async insertEnvelopes(rows: Array<typeof referralEnvelopes.$inferInsert>, tx: Queryable = db): Promise<void> {
      if (rows.length > 0) await tx.insert(referralEnvelopes).values(rows);
    },

    /** Envelopes of a referral addressed to one recipient (an organisation or a user). */
    async envelopesFor(referralId: string, recipientType: 'org' | 'user', recipientId: string, tx: Queryable = db) {
      return tx
        .select({ keyId: referralEnvelopes.keyId, envelope: referralEnvelopes.envelope, recipientType: referralEnvelopes.recipientType })
        .from(referralEnvelopes)
        .where(and(eq(referralEnvelopes.referralId, referralId), eq(referralEnvelopes.recipientType, recipientType), eq(referralEnvelopes.recipientId, recipientId)));
    },

    async deleteEnvelopes(referralId: string, tx: Queryable = db): Promise<number> {
      const out = await tx.delete(referralEnvelopes).where(eq(referralEnvelopes.referralId, referralId)).returning({ keyId: referralEnvelopes.keyId });
      return out.length;
    },

    /** Inserts unless the client-chosen id exists; returns whether it was inserted. */
    async insertReport(row: typeof referralReports.$inferInsert, tx: Queryable = db): Promise<boolean> {
      const out = await tx.insert(referralReports).values(row).onConflictDoNothing().returning({ id: referralReports.id });
      return out.length > 0;
    },

    async reports(referralId: string, tx: Queryable = db): Promise<ReferralReport[]> {
      const rows = await tx.select().from(referralReports).where(eq(referralReports.referralId, referralId)).orderBy(asc(referralReports.reportedAt), asc(referralReports.id));
      return rows.map(reportView);
    },

    /**
     * Erases what the referrals of a case hold under their own keys (retention purge): packets,
     * report notes, envelopes; the referrals' metadata stays. Returns how many referrals the case had.
     */
    async purgeOfCase(caseId: string, tx: Queryable): Promise<number> {
      const ids = (await tx.select({ id: referrals.id }).from(referrals).where(eq(referrals.caseId, caseId))).map((r) => r.id);
      if (ids.length === 0) return 0;
      await tx.update(referrals).set({ packet: null }).where(eq(referrals.caseId, caseId));
      await tx.update(referralReports).set({ note: null }).where(inArray(referralReports.referralId, ids));
      await tx.delete(referralEnvelopes).where(inArray(referralEnvelopes.referralId, ids));
      return ids.length;
    },
  };
}
