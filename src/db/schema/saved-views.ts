import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './identity.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/**
 * A staff member's saved view of the case list: a label they chose and the list's filters and
 * sort (codes only, validated against the list's own query schema). Seen and deleted by its
 * owner only; never case content.
 */
export const savedViews = pgTable(
  'saved_views',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    name: text('name').notNull(),
    /** the case list's query (filters and sort), as GET /v1/cases takes it */
    query: jsonb('query').$type<Record<string, string>>().notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    index('saved_views_user_idx').on(t.userId, t.createdAt, t.id),
    check('saved_views_name_length', sql`char_length(${t.name}) between 1 and 60`),
  ],
);
