import { bigint, check, index, integer, pgTable, pgView, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/**
 * What happened: one row per audited decision, inserted in the transaction of the change it
 * records, with no lock taken. Triggers refuse UPDATE, DELETE and TRUNCATE. The chain position
 * and hash are assigned right after commit by `audit_chain_pending()` (drizzle/0001_*), under
 * one lock, so the chain never forks and writers never wait for one another.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
    actor: text('actor').notNull(),
    role: text('role').notNull(),
    action: text('action').notNull(),
    resource: text('resource').notNull(),
    caseId: uuid('case_id'),
    outcome: text('outcome', { enum: ['allowed', 'denied'] }).notNull(),
    reason: text('reason'),
    requestId: text('request_id').notNull(),
  },
  (t) => [
    // The viewer's filters are indexed on the chain (below), in the order it pages: by seq.
    // Append-only and written in time order: a BRIN index serves time ranges for almost no write cost.
    index('audit_events_at_idx').using('brin', t.at),
    check('audit_events_outcome', sql`${t.outcome} in ('allowed', 'denied')`),
  ],
);

/**
 * Events recorded but not chained yet: a queue, filled with each event and emptied by the
 * chainer. UNLOGGED (made so in drizzle/0001_*): it costs no WAL on every audited request; after
 * a crash PostgreSQL empties it and `audit_requeue_unchained()` (run when a chainer starts)
 * rebuilds it from the events that have no place in the chain.
 */
export const auditPending = pgTable('audit_pending', {
  eventId: bigint('event_id', { mode: 'number' }).primaryKey(),
});

/** The chain: `hash_seq = SHA-256(hash_(seq-1) || JCS(event with seq))`. Append-only like the events. */
export const auditChain = pgTable(
  'audit_chain',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    eventId: bigint('event_id', { mode: 'number' })
      .notNull()
      .unique()
      .references(() => auditEvents.id),
    hash: text('hash').notNull(),
    // Copies of the event's filterable fields, written by the chainer with the hash, so that a
    // filtered page is an index range in seq order (the event's own fields are what is shown,
    // hashed and verified; a filter matches only where both agree).
    actor: text('actor').notNull(),
    caseId: uuid('case_id'),
    action: text('action').notNull(),
  },
  (t) => [
    index('audit_chain_actor_idx').on(t.actor, t.seq),
    index('audit_chain_case_idx').on(t.caseId, t.seq).where(sql`${t.caseId} is not null`),
    index('audit_chain_action_idx').on(t.action, t.seq),
  ],
);

/** The chain head, one row; its row lock serialises chainers. */
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

/** The chained log as supervisors see it: exactly the vector fields, plus the hash. */
export const auditLog = pgView('audit_log', {
  seq: bigint('seq', { mode: 'number' }).notNull(),
  hash: text('hash').notNull(),
  eventId: bigint('event_id', { mode: 'number' }).notNull(),
  at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
  actor: text('actor').notNull(),
  role: text('role').notNull(),
  action: text('action').notNull(),
  resource: text('resource').notNull(),
  caseId: uuid('case_id'),
  outcome: text('outcome', { enum: ['allowed', 'denied'] }).notNull(),
  reason: text('reason'),
  requestId: text('request_id').notNull(),
  chainActor: text('chain_actor').notNull(),
  chainCaseId: uuid('chain_case_id'),
  chainAction: text('chain_action').notNull(),
}).existing();
