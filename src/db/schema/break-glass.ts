import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { cases } from './cases.js';
import { users } from './identity.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/**
 * A break-glass (access.md, "Separation of duties"): a supervisor who is not part of a case opens
 * its sealed content for a window, with a written reason. The reason is plain text because an
 * auditor must read it (the form says not to put names in it); it stays here and in the case
 * timeline, never in the append-only audit log, which carries the id only.
 */
export const breakGlass = pgTable(
  'break_glass',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    supervisorId: uuid('supervisor_id')
      .notNull()
      .references(() => users.id),
    reason: text('reason').notNull(),
    openedAt: ts('opened_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [
    // The check on every sealed read: this supervisor's open break-glass on this case.
    index('break_glass_case_supervisor_idx').on(t.caseId, t.supervisorId, t.expiresAt),
    check('break_glass_window', sql`${t.expiresAt} > ${t.openedAt}`),
    check('break_glass_reason_length', sql`char_length(${t.reason}) between 1 and 1000`),
  ],
);
