import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { deadlines } from './cases.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/**
 * The steps of the escalation ladder a deadline has reached (workflow.md: reminder, level 1,
 * level 2). The primary key is the guarantee that each step happens at most once per deadline,
 * however many workers, retries or re-enqueued jobs race for it: the worker that inserts the row
 * notifies, the others insert nothing and do nothing.
 */
export const deadlineSteps = pgTable(
  'deadline_steps',
  {
    deadlineId: uuid('deadline_id')
      .notNull()
      .references(() => deadlines.id),
    step: text('step', { enum: ['reminder', 'level1', 'level2'] }).notNull(),
    /** When the ladder said the step was due (from the deadline's due time when it fired). */
    dueAt: ts('due_at').notNull(),
    firedAt: ts('fired_at').notNull(),
    /** Who was told: user ids, `defender`, `org:<orgId>` (ids only, never content). */
    recipients: jsonb('recipients').$type<string[]>().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.deadlineId, t.step] }),
    check('deadline_steps_step_check', sql`${t.step} in ('reminder', 'level1', 'level2')`),
    // The steps fired lately, for the escalation-lateness figure of /metrics (read at every scrape).
    index('deadline_steps_fired_idx').on(t.firedAt),
  ],
);
