import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { cases } from './cases.js';
import { users } from './identity.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/**
 * The staff keyring (docs/crypto-v1.md §16): the search key of the blind index, sealed to each
 * officer and supervisor who holds it, `v1.<b64u(crypto_box_seal(searchKey, memberPublicKey))>`.
 * One entry per member; the server cannot open any of them. All entries are of one generation: a
 * re-issue (a new search key) replaces every entry in one transaction.
 */
export const searchKeyEntries = pgTable(
  'search_key_entries',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    /** keyId of the member key the entry is sealed to (a member who changes key pair needs a new entry). */
    memberKeyId: text('member_key_id').notNull(),
    entry: text('entry').notNull(),
    /** who sealed it: the creator of the keyring for the first entries, then the member who granted it */
    grantedBy: uuid('granted_by')
      .notNull()
      .references(() => users.id),
    grantedAt: ts('granted_at').notNull(),
    /** which search key the entry seals: 1 for the first, one more at each re-issue */
    generation: integer('generation').notNull().default(1),
  },
  (t) => [uniqueIndex('search_key_entries_user_key').on(t.userId)],
);

/**
 * The blind-index tokens of a case: a fixed number per case (policies/search.yaml), real ones and
 * random padding alike, opaque to the server. A search looks tokens up by value, so the lookup
 * index leads with the token.
 */
export const caseSearchTokens = pgTable(
  'case_search_tokens',
  {
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    token: text('token').notNull(),
    uploadedBy: uuid('uploaded_by')
      .notNull()
      .references(() => users.id),
    uploadedAt: ts('uploaded_at').notNull(),
    /** the generation of the search key the tokens were computed with: a search matches the current one only */
    generation: integer('generation').notNull().default(1),
  },
  (t) => [
    primaryKey({ name: 'case_search_tokens_pkey', columns: [t.caseId, t.token] }),
    index('case_search_tokens_token_idx').on(t.token, t.caseId),
    // The re-index after a re-issue lists the cases still holding tokens of an older generation.
    index('case_search_tokens_generation_idx').on(t.generation, t.caseId),
    // base64url of 16 bytes, and nothing else: no room for a name by mistake.
    check('case_search_tokens_shape', sql`${t.token} ~ '^[A-Za-z0-9_-]{22}$'`),
  ],
);
