import { sql } from 'drizzle-orm';
import { bigint, check, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow();

/** The mechanism (exactly one) and partner organisations. Names are not sensitive; people's names never live here. */
export const organisations = pgTable(
  'organisations',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind', { enum: ['mechanism', 'partner'] }).notNull(),
    name: text('name').notNull(),
    /**
     * What a partner is (workflow.md, Referrals): only a `state_authority` may receive a referral
     * made without consent under the life-threat exception.
     */
    category: text('category', { enum: ['mechanism', 'ngo', 'lawyers', 'programme', 'state_authority'] }).notNull().default('ngo'),
    /** Published 16-byte salt for defenders' receipts (mechanism only). */
    receiptSalt: text('receipt_salt'),
    createdAt: createdAt(),
    disabledAt: timestamp('disabled_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex('organisations_one_mechanism').on(t.kind).where(sql`${t.kind} = 'mechanism'`),
    uniqueIndex('organisations_name_key').on(t.name),
  ],
);

/** An organisation's public keys; the current one has no retired_at. Private keys exist only in keyring entries. */
export const orgKeys = pgTable(
  'org_keys',
  {
    id: uuid('id').primaryKey(),
    orgId: uuid('org_id').notNull().references(() => organisations.id),
    publicKey: text('public_key').notNull(),
    keyId: text('key_id').notNull().unique(),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    retiredAt: timestamp('retired_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [uniqueIndex('org_keys_one_current').on(t.orgId).where(sql`${t.retiredAt} is null`)],
);

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey(),
    username: text('username').notNull(),
    role: text('role', { enum: ['officer', 'supervisor', 'partner', 'admin'] }).notNull(),
    orgId: uuid('org_id').notNull().references(() => organisations.id),
    status: text('status', { enum: ['active', 'disabled'] }).notNull().default('active'),
    salt: text('salt').notNull(),
    verifier: text('verifier').notNull(),
    publicKey: text('public_key').notNull(),
    keyId: text('key_id').notNull(),
    wrappedPrivateKey: text('wrapped_private_key').notNull(),
    recoveryWrap: text('recovery_wrap').notNull(),
    /** TOTP secret sealed with a key derived from SERVER_SECRET (the server must read it to verify codes). */
    totpSecret: text('totp_secret').notNull(),
    /** Last accepted TOTP time step: a code is never accepted twice. */
    totpLastStep: bigint('totp_last_step', { mode: 'number' }).notNull().default(0),
    createdAt: createdAt(),
    disabledAt: timestamp('disabled_at', { withTimezone: true, precision: 3 }),
    passwordChangedAt: timestamp('password_changed_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [uniqueIndex('users_username_key').on(t.username), uniqueIndex('users_key_id_key').on(t.keyId), index('users_org_idx').on(t.orgId)],
);

/** One-time enrolment invitations; only the SHA-256 of the token is stored. */
export const invitations = pgTable(
  'invitations',
  {
    id: uuid('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    username: text('username').notNull(),
    role: text('role', { enum: ['officer', 'supervisor', 'partner', 'admin'] }).notNull(),
    orgId: uuid('org_id').notNull().references(() => organisations.id),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, precision: 3 }),
    userId: uuid('user_id'),
    /** Revoked by an admin before use: the token no longer enrols. */
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
  },
);

/** Holders of an organisation's private key: the key sealed to one member's public key. */
export const keyringEntries = pgTable(
  'keyring_entries',
  {
    id: uuid('id').primaryKey(),
    orgKeyId: uuid('org_key_id').notNull().references(() => orgKeys.id),
    userId: uuid('user_id').notNull().references(() => users.id),
    /** keyId of the member key the entry is sealed to (a member who changes key pair needs a new entry). */
    memberKeyId: text('member_key_id').notNull(),
    entry: text('entry').notNull(),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('keyring_entries_key_user').on(t.orgKeyId, t.userId), index('keyring_entries_user_idx').on(t.userId)],
);

/**
 * A login session (staff, partner, admin) or a receipt session (defender, one case). Access
 * tokens carry the session id and every request checks the session is live, so revoking it
 * (logout, disable, refresh reuse) ends access at once.
 */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').references(() => users.id),
    caseId: uuid('case_id'),
    role: text('role', { enum: ['defender', 'officer', 'supervisor', 'partner', 'admin'] }).notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
    revokedReason: text('revoked_reason'),
  },
  (t) => [
    index('sessions_user_idx').on(t.userId).where(sql`${t.revokedAt} is null`),
    // A defender's live sessions, by case: ended together when the receipt is re-issued or the defender logs out everywhere.
    index('sessions_case_idx').on(t.caseId).where(sql`${t.revokedAt} is null`),
    check('sessions_subject', sql`(${t.userId} is not null) <> (${t.caseId} is not null)`),
  ],
);

/** Refresh tokens, hashed; a used one stays so that its reuse can be detected. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: uuid('session_id').notNull().references(() => sessions.id),
    createdAt: createdAt(),
    usedAt: timestamp('used_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('refresh_tokens_session_idx').on(t.sessionId)],
);
