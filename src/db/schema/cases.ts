import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { VERIFICATION_VALUES } from '../../contracts/case-verification.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/** The risk levels an assessment derives (policies/risk.yaml names them), lowest first. */
const RISK_LEVEL_VALUES = ['low', 'medium', 'high', 'extreme'] as const;

/**
 * The rank of a risk level, highest first and unassessed last, as SQL over `col`: the expression
 * of the index cases_risk_list_idx, and the one the case list sorts by (case-list-repository.ts),
 * so that the planner walks that index.
 */
export const riskRank = (col: string): string =>
  `(case ${col} ${[...RISK_LEVEL_VALUES].reverse().map((l, i) => `when '${l}' then ${i}`).join(' ')} else ${RISK_LEVEL_VALUES.length} end)`;

/**
 * A protection request. Only codes, states and dates are in the clear; everything that names or
 * locates a person is in case_fields, sealed on the client. `id` is chosen by the filing client
 * (it is part of every sealed field's associated data).
 */
export const cases = pgTable(
  'cases',
  {
    id: uuid('id').primaryKey(),
    /** Human reference for staff and the phone, e.g. 2026-00042. */
    reference: text('reference').notNull().unique(),
    state: text('state', { enum: ['received', 'triage', 'info_requested', 'assessment', 'decision', 'protection', 'closed'] }).notNull().default('received'),
    urgent: boolean('urgent').notNull().default(false),
    urgentClaimed: boolean('urgent_claimed').notNull().default(false),
    consent: text('consent', { enum: ['unknown', 'given', 'refused'] }).notNull(),
    source: text('source').notNull(),
    filedFor: text('filed_for').notNull(),
    /** The staff member who recorded it (oral or written statement, own initiative); null online. */
    filedBy: uuid('filed_by'),
    region: text('region').notNull(),
    defenderCategory: text('defender_category').notNull(),
    gender: text('gender').notNull(),
    disability: text('disability').notNull(),
    threatTypes: text('threat_types').array().notNull(),
    preferredLanguage: text('preferred_language').notNull(),
    contactChannel: text('contact_channel').notNull(),
    /** The ministry's defender card, when known (never a condition: Decree art. 3). */
    defenderCard: boolean('defender_card'),
    /** b64u(SHA-256(authKey)) of the defender's receipt; null when staff filed without one. */
    receiptVerifier: text('receipt_verifier').unique(),
    defenderKeyId: text('defender_key_id'),
    /** The defender's receipt public key: a re-keying client seals the new case key to it. */
    defenderPublicKey: text('defender_public_key'),
    mechanismKeyId: text('mechanism_key_id').notNull(),
    /** Which case key seals the content: re-keying (after revoking a reader) moves it to the next epoch. */
    keyEpoch: integer('key_epoch').notNull().default(1),
    riskLevel: text('risk_level', { enum: RISK_LEVEL_VALUES }),
    assigneeId: uuid('assignee_id'),
    supervisorId: uuid('supervisor_id'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    closedAt: ts('closed_at'),
    closeReason: text('close_reason'),
    /** why a request was declined, a code of policies/workflow.yaml (`not_stated` before codes existed) */
    declineReason: text('decline_reason'),
    /** Whether staff verified the alleged violation (src/contracts/case-verification.ts): every new case starts `alleged`; `not_stated` for cases filed before. */
    verification: text('verification', { enum: VERIFICATION_VALUES }).notNull().default('alleged'),
    /**
     * When the sealed content was purged at the end of the retention period (a supervisor confirmed,
     * src/retention/): the metadata stays for statistics, the case can no longer be reopened.
     */
    purgedAt: ts('purged_at'),
    /**
     * The earliest open deadline (due time and rule), kept by a trigger on deadlines (migration
     * 0004): the case lists sort and filter on it through an index, without a subquery per case.
     */
    nextDueAt: ts('next_due_at'),
    nextDueRule: text('next_due_rule'),
  },
  (t) => [
    // The triage queue: open cases by state, urgent first, oldest first.
    index('cases_queue_idx').on(t.state, t.urgent.desc(), t.createdAt, t.id),
    index('cases_assignee_idx').on(t.assigneeId, t.state).where(sql`${t.assigneeId} is not null`),
    // The case lists (case-list-repository.ts): urgent first, earliest open deadline (none last),
    // oldest, id. All ascending, so a keyset cursor is one row comparison bounded by the index.
    index('cases_list_idx').on(sql`(not ${t.urgent})`, sql`coalesce(${t.nextDueAt}, 'infinity'::timestamptz)`, t.createdAt, t.id),
    // The same order within a region: supervisors follow their regions; a region filter then reads
    // a twelfth of the list instead of skipping the other regions' rows.
    index('cases_region_list_idx').on(t.region, sql`(not ${t.urgent})`, sql`coalesce(${t.nextDueAt}, 'infinity'::timestamptz)`, t.createdAt, t.id),
    // The same order within a defender category (the console's category filter).
    index('cases_category_list_idx').on(t.defenderCategory, sql`(not ${t.urgent})`, sql`coalesce(${t.nextDueAt}, 'infinity'::timestamptz)`, t.createdAt, t.id),
    // The other orders of the case list: newest first (walked backwards), and highest risk first.
    index('cases_created_list_idx').on(t.createdAt, t.id),
    index('cases_risk_list_idx').on(sql.raw(riskRank('risk_level')), t.createdAt, t.id),
    // Counted in the statistics: only the codes above, whatever writes the row.
    check('cases_verification', sql`${t.verification} in ${sql.raw(`(${VERIFICATION_VALUES.map((v) => `'${v}'`).join(', ')})`)}`),
  ],
);

/** Sealed fields of a case: `v2.<nonce>.<ciphertext>` (or `v1.` from older clients) bound to `egide/v1/case/<id>/<field>`. */
export const caseFields = pgTable(
  'case_fields',
  {
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    field: text('field').notNull(),
    sealed: text('sealed').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.caseId, t.field] })],
);

/** The case DEK sealed to each reader: the mechanism key, the defender, assigned staff. */
export const caseEnvelopes = pgTable(
  'case_envelopes',
  {
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    keyId: text('key_id').notNull(),
    envelope: text('envelope').notNull(),
    recipientType: text('recipient_type', { enum: ['org', 'user', 'defender'] }).notNull(),
    /** org id, user id, or the case id for the defender */
    recipientId: text('recipient_id').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.caseId, t.keyId] }), index('case_envelopes_recipient_idx').on(t.recipientId)],
);

/** Every transition of a case, with who, when and why (shown to staff as the case's history). */
export const caseTimeline = pgTable(
  'case_timeline',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    at: ts('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    fromState: text('from_state'),
    toState: text('to_state'),
    reason: text('reason'),
  },
  (t) => [index('case_timeline_case_idx').on(t.caseId, t.id)],
);

/**
 * A deadline of a case (workflow.md's table): the truth the workers act on. Created and settled
 * in the transaction of the event that starts or ends it.
 */
export const deadlines = pgTable(
  'deadlines',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    rule: text('rule').notNull(),
    /** what the deadline is about when a case has several of a rule (a measure, a referral) */
    subjectId: text('subject_id'),
    urgent: boolean('urgent').notNull(),
    startedAt: ts('started_at').notNull(),
    dueAt: ts('due_at').notNull(),
    state: text('state', { enum: ['open', 'paused', 'settled', 'cancelled'] }).notNull().default('open'),
    levelReached: integer('level_reached').notNull().default(0),
    pausedAt: ts('paused_at'),
    remainingMs: bigint('remaining_ms', { mode: 'number' }),
    settledAt: ts('settled_at'),
  },
  (t) => [index('deadlines_open_due_idx').on(t.dueAt).where(sql`${t.state} = 'open'`), index('deadlines_case_idx').on(t.caseId)],
);

/** Jobs to enqueue once the transaction that wrote them has committed (the relay reads this). */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    topic: text('topic').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: ts('created_at').notNull(),
    dispatchedAt: ts('dispatched_at'),
  },
  (t) => [index('outbox_pending_idx').on(t.id).where(sql`${t.dispatchedAt} is null`)],
);

/**
 * Messages between the defender and the staff on a case. The body is sealed under the case DEK
 * with AD `egide/v1/message/<id>/<sender>/body`, so the server cannot pass one person's words off
 * as another's: a reader opening it with another sender fails.
 */
export const messages = pgTable(
  'messages',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    /** `d:<caseId>` for the defender, `u:<userId>` for staff: the sender part of the AD. */
    sender: text('sender').notNull(),
    senderRole: text('sender_role').notNull(),
    body: text('body').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('messages_case_idx').on(t.caseId, t.createdAt, t.id)],
);
