import { bigint, check, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/**
 * The audit log. `seq` and `hash` are set by the `audit_events_chain` trigger (see the custom
 * migration), which takes the head row lock, so the chain is gapless and never forks however
 * many API instances write. Another trigger refuses UPDATE, DELETE and TRUNCATE.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    // seq and hash defaults are placeholders: the chain trigger always overwrites both.
    seq: bigint('seq', { mode: 'number' }).primaryKey().default(0),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
    actor: text('actor').notNull(),
    role: text('role').notNull(),
    action: text('action').notNull(),
    resource: text('resource').notNull(),
    caseId: uuid('case_id'),
    outcome: text('outcome', { enum: ['allowed', 'denied'] }).notNull(),
    reason: text('reason'),
    requestId: text('request_id').notNull(),
    /** hex SHA-256 of the previous hash and the JCS of this event */
    hash: text('hash').notNull().default(''),
  },
  (t) => [
    index('audit_events_actor_idx').on(t.actor, t.seq),
    index('audit_events_case_idx').on(t.caseId, t.seq),
    index('audit_events_action_idx').on(t.action, t.seq),
    index('audit_events_at_idx').on(t.at),
    check('audit_events_outcome', sql`${t.outcome} in ('allowed', 'denied')`),
  ],
);

/** The chain head, one row; its row lock serialises appends. */
export const auditHead = pgTable('audit_head', {
  id: integer('id').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  hash: text('hash').notNull(),
});

/** Signed checkpoints of the chain, kept so a supervisor can compare heads over time. */
export const auditCheckpoints = pgTable('audit_checkpoints', {
  seq: bigint('seq', { mode: 'number' }).primaryKey(),
  hash: text('hash').notNull(),
  signature: text('signature').notNull(),
  signedAt: timestamp('signed_at', { withTimezone: true, precision: 3 }).notNull(),
});
