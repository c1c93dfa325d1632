import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { cases } from './cases.js';
import { organisations, users } from './identity.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/**
 * The in-app inbox: one row per recipient of an outbox event. `audience` is `user` (a staff
 * member's inbox) or `defender` (shown in the defender's case view: a defender has no account
 * to hold an inbox). The payload holds ids and codes only, never a sealed field.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey(),
    audience: text('audience', { enum: ['user', 'defender'] }).notNull(),
    recipientUserId: uuid('recipient_user_id').references(() => users.id),
    caseId: uuid('case_id').references(() => cases.id),
    reference: text('reference'),
    topic: text('topic').notNull(),
    payload: jsonb('payload').notNull(),
    /** The outbox row it came from: a redelivered outbox row never doubles the inbox. */
    outboxId: bigint('outbox_id', { mode: 'number' }).notNull(),
    createdAt: ts('created_at').notNull(),
    readAt: ts('read_at'),
  },
  (t) => [
    index('notifications_recipient_idx').on(t.recipientUserId, t.createdAt, t.id),
    index('notifications_unread_idx').on(t.recipientUserId, t.createdAt).where(sql`${t.readAt} is null`),
    index('notifications_case_idx').on(t.caseId, t.createdAt).where(sql`${t.audience} = 'defender'`),
    uniqueIndex('notifications_outbox_user_uq').on(t.outboxId, t.recipientUserId).where(sql`${t.audience} = 'user'`),
    uniqueIndex('notifications_outbox_defender_uq').on(t.outboxId, t.caseId).where(sql`${t.audience} = 'defender'`),
  ],
);

/**
 * A partner organisation's webhook. The secret is sealed at rest (XChaCha20-Poly1305 under a key
 * derived from SERVER_SECRET, AD = the endpoint id) and handed out once, at registration.
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: uuid('id').primaryKey(),
    orgId: uuid('org_id').notNull().references(() => organisations.id),
    url: text('url').notNull(),
    secret: text('secret').notNull(),
    createdAt: ts('created_at').notNull(),
    disabledAt: ts('disabled_at'),
  },
  (t) => [index('webhook_endpoints_org_idx').on(t.orgId)],
);

/** The delivery log: one row per (endpoint, event), updated by each attempt. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey(),
    endpointId: uuid('endpoint_id').notNull().references(() => webhookEndpoints.id),
    outboxId: bigint('outbox_id', { mode: 'number' }).notNull(),
    topic: text('topic').notNull(),
    body: text('body').notNull(),
    status: text('status', { enum: ['pending', 'retrying', 'delivered', 'failed', 'cancelled'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    nextAttemptAt: ts('next_attempt_at'),
    createdAt: ts('created_at').notNull(),
    deliveredAt: ts('delivered_at'),
  },
  (t) => [
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.createdAt),
    uniqueIndex('webhook_deliveries_outbox_uq').on(t.outboxId, t.endpointId),
    index('webhook_deliveries_pending_idx').on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'retrying')`),
  ],
);
