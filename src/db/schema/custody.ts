import { check, index, integer, jsonb, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { orgKeys, users } from './identity.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/**
 * That an offline split backup of an organisation key (the mechanism key) was made: who made it,
 * when, k of n, and the custodians it was handed to by name. Never a share: the codes were shown
 * once on the maker's screen and exist only on paper.
 */
export const custodyBackups = pgTable(
  'custody_backups',
  {
    id: uuid('id').primaryKey(),
    orgKeyId: uuid('org_key_id')
      .notNull()
      .references(() => orgKeys.id),
    threshold: integer('threshold').notNull(),
    shares: integer('shares').notNull(),
    /** The custodians' names, in the order of the shares printed for them. */
    custodians: jsonb('custodians').$type<string[]>().notNull(),
    madeBy: uuid('made_by')
      .notNull()
      .references(() => users.id),
    madeAt: ts('made_at').notNull(),
  },
  (t) => [index('custody_backups_key').on(t.orgKeyId, t.madeAt), check('custody_backups_k_of_n', sql`${t.threshold} >= 2 and ${t.shares} >= ${t.threshold}`)],
);
