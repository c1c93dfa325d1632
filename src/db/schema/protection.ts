import { sql } from 'drizzle-orm';
import { boolean, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { cases } from './cases.js';
import { organisations } from './identity.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/** Sealed values keyed by field name (`threats.0.facts`, `reasoning.vulnerability`, ...). */
export type SealedMap = Record<string, string>;

/** What the server may see of one threat: codes and ratings; the five steps' narratives are sealed. */
export interface ThreatMeta {
  kind: 'declared' | 'possible';
  source: string;
  canBeCarriedOut: 'yes' | 'no' | 'unknown';
  imminent: boolean;
  rating: number;
}

/**
 * A risk assessment: a dated version, never edited; a reassessment adds the next version. The
 * level is computed by the server from the codes and ratings (policies/risk.yaml); narratives and
 * reasoning are sealed under the case DEK with AD `egide/v1/assessment/<id>/<field>`.
 */
export const assessments = pgTable(
  'assessments',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    version: integer('version').notNull(),
    threats: jsonb('threats').$type<ThreatMeta[]>().notNull(),
    vulnerabilityFactors: text('vulnerability_factors').array().notNull(),
    vulnerabilityRating: integer('vulnerability_rating').notNull(),
    capacityFactors: text('capacity_factors').array().notNull(),
    capacityRating: integer('capacity_rating').notNull(),
    /** R = T x V / C, null when there is no threat */
    score: doublePrecision('score'),
    level: text('level', { enum: ['low', 'medium', 'high', 'extreme'] }).notNull(),
    /** a declared, feasible, imminent threat forced `extreme` and the urgent track */
    override: boolean('override').notNull(),
    sealed: jsonb('sealed').$type<SealedMap>().notNull(),
    createdBy: uuid('created_by').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [uniqueIndex('assessments_case_version_idx').on(t.caseId, t.version)],
);

/**
 * A protective measure on a case (policies/measures.yaml). Status follows workflow.md:
 * proposed -> consented | refused -> approved | rejected -> implementing -> active -> lifted | expired.
 * Details (addresses, providers, amounts) are sealed with AD `egide/v1/measure/<id>/details`.
 */
export const measures = pgTable(
  'measures',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    code: text('code').notNull(),
    category: text('category').notNull(),
    implementer: text('implementer', { enum: ['cndh', 'state', 'partner'] }).notNull(),
    implementerOrgId: uuid('implementer_org_id').references(() => organisations.id),
    /** proposed on the urgent track before the assessment; lapses unless an ordinary decision confirms it */
    urgent: boolean('urgent').notNull().default(false),
    status: text('status', { enum: ['proposed', 'consented', 'refused', 'approved', 'rejected', 'implementing', 'active', 'lifted', 'expired'] }).notNull(),
    details: text('details'),
    durationDays: integer('duration_days'),
    proposedBy: uuid('proposed_by').notNull(),
    proposedAt: ts('proposed_at').notNull(),
    /** `d:<caseId>` when the defender answered, `u:<userId>` when staff recorded oral consent */
    consentBy: text('consent_by'),
    consentAt: ts('consent_at'),
    /** oral consent: how it was taken (channel code) and when; the recorder is consentBy */
    consentAttestation: jsonb('consent_attestation').$type<{ channel: string; takenAt: string; statement: string }>(),
    decidedBy: uuid('decided_by'),
    decidedAt: ts('decided_at'),
    decisionReason: text('decision_reason'),
    startsAt: ts('starts_at'),
    endsAt: ts('ends_at'),
    confirmedAt: ts('confirmed_at'),
    endedAt: ts('ended_at'),
    /** who lifted it (a defender may appeal a lift, decided by another supervisor); null when it expired or lapsed */
    endedBy: uuid('ended_by'),
    endReason: text('end_reason'),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [index('measures_case_idx').on(t.caseId, t.proposedAt)],
);

/**
 * A referral of part of a case to a partner organisation. Consent comes first (recipient, fields,
 * purpose); then the referring client uploads the packet: the chosen fields re-sealed under a
 * fresh referral DEK (AD `egide/v1/referral/<id>/<field>`), with envelopes in referral_envelopes.
 * Withdrawing deletes packet and envelopes.
 */
export const referrals = pgTable(
  'referrals',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id),
    fields: text('fields').array().notNull(),
    /** evidence files of the case the packet carries (each file's key sealed into the packet) */
    files: uuid('files').array().notNull().default(sql`'{}'::uuid[]`),
    purpose: text('purpose').notNull(),
    state: text('state', { enum: ['awaiting_consent', 'consented', 'refused', 'sent', 'accepted', 'declined', 'withdrawn', 'closed'] }).notNull(),
    /** `defender`, `oral` (recorded by staff with an attestation) or `life_threat` (supervisor's exception) */
    consentBasis: text('consent_basis', { enum: ['defender', 'oral', 'life_threat'] }),
    consentBy: text('consent_by'),
    consentAt: ts('consent_at'),
    consentAttestation: jsonb('consent_attestation').$type<{ channel: string; takenAt: string; statement: string }>(),
    /** life-threat exception: when the defender was told (afterwards) */
    defenderToldAt: ts('defender_told_at'),
    packet: jsonb('packet').$type<SealedMap>(),
    createdBy: uuid('created_by').notNull(),
    createdAt: ts('created_at').notNull(),
    sentAt: ts('sent_at'),
    respondedBy: uuid('responded_by'),
    respondedAt: ts('responded_at'),
    responseReason: text('response_reason'),
    endedAt: ts('ended_at'),
    endReason: text('end_reason'),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [index('referrals_case_idx').on(t.caseId, t.createdAt), index('referrals_org_idx').on(t.orgId, t.state, t.createdAt)],
);

/** The referral DEK sealed to the partner organisation's key (and the referring staff's). */
export const referralEnvelopes = pgTable(
  'referral_envelopes',
  {
    referralId: uuid('referral_id')
      .notNull()
      .references(() => referrals.id),
    keyId: text('key_id').notNull(),
    envelope: text('envelope').notNull(),
    recipientType: text('recipient_type', { enum: ['org', 'user'] }).notNull(),
    recipientId: text('recipient_id').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.referralId, t.keyId] })],
);

/** A partner's progress report: a status code, and a note sealed under the referral DEK. */
export const referralReports = pgTable(
  'referral_reports',
  {
    id: uuid('id').primaryKey(),
    referralId: uuid('referral_id')
      .notNull()
      .references(() => referrals.id),
    status: text('status').notNull(),
    note: text('note'),
    reportedBy: uuid('reported_by').notNull(),
    reportedAt: ts('reported_at').notNull(),
  },
  (t) => [index('referral_reports_referral_idx').on(t.referralId, t.reportedAt)],
);

/**
 * What a defender or staff member records around a case: a new incident, a check-in, an alert
 * ("I am in danger now"). The narrative is sealed under the case DEK with AD
 * `egide/v1/<kind>/<id>/note`.
 */
export const caseReports = pgTable(
  'case_reports',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    kind: text('kind', { enum: ['incident', 'checkin', 'alert'] }).notNull(),
    /** `d:<caseId>` or `u:<userId>` (staff recording on the defender's behalf) */
    reportedBy: text('reported_by').notNull(),
    /** check-in: ok | need_contact; incident: a threat type code; alert: null */
    code: text('code'),
    note: text('note'),
    at: ts('at').notNull(),
  },
  (t) => [index('case_reports_case_idx').on(t.caseId, t.kind, t.at)],
);

/**
 * An appeal against a decline, a no-measures decision, a rejected or lifted measure (Mexico's law
 * arts. 57-58): filed by the defender within the policy's window, decided by a supervisor other
 * than the one who took the decision. Grounds are sealed with AD `egide/v1/appeal/<id>/grounds`.
 */
export const appeals = pgTable(
  'appeals',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    subject: text('subject', { enum: ['decline', 'no_measures', 'measure_rejected', 'measure_lifted'] }).notNull(),
    /** the measure appealed against, for measure subjects */
    subjectId: uuid('subject_id'),
    /** who took the decision appealed against (may not decide the appeal) */
    deciderId: uuid('decider_id'),
    decisionAt: ts('decision_at').notNull(),
    grounds: text('grounds'),
    state: text('state', { enum: ['filed', 'upheld', 'dismissed'] }).notNull(),
    filedAt: ts('filed_at').notNull(),
    decidedBy: uuid('decided_by'),
    decidedAt: ts('decided_at'),
    reason: text('reason'),
  },
  (t) => [index('appeals_case_idx').on(t.caseId, t.filedAt), uniqueIndex('appeals_one_open_idx').on(t.caseId, t.subject, sql`coalesce(${t.subjectId}, '00000000-0000-0000-0000-000000000000'::uuid)`).where(sql`${t.state} = 'filed'`)],
);
