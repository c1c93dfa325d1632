import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
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
 * A partner organisation's webhook. The secret and the URL (which may carry the partner's own
 * token) are sealed at rest (XChaCha20-Poly1305 under SERVER_SECRET subkeys, AD naming the
 * endpoint: src/notifications/webhook-secret.ts, webhook-url.ts); the secret is handed out once,
 * at registration, and the URL is opened only by the delivery worker.
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: uuid('id').primaryKey(),
    orgId: uuid('org_id').notNull().references(() => organisations.id),
    /** Sealed URL (`v1.<nonce>.<ciphertext>`). */
    urlSealed: text('url_sealed'),
    /** Scheme, host and port of the URL: what the list shows and logs name. */
    urlOrigin: text('url_origin'),
    /**
     * A URL registered before URLs were sealed, in clear: the migration that introduced sealing
     * could not seal it (the key is not in the database), so the next start does
     * (src/notifications/webhook-url-migration.ts) and clears it. Never written otherwise.
     */
    urlPlaintext: text('url_plaintext'),
    secret: text('secret').notNull(),
    createdAt: ts('created_at').notNull(),
    disabledAt: ts('disabled_at'),
  },
  (t) => [
    index('webhook_endpoints_org_idx').on(t.orgId),
    // Either sealed (with its origin) or, until the next start, a row of an older release.
    check('webhook_endpoints_url_sealed', sql`(${t.urlPlaintext} is null and ${t.urlSealed} is not null and ${t.urlOrigin} is not null) or (${t.urlPlaintext} is not null and ${t.urlSealed} is null)`),
  ],
);

/**
 * The delivery log: one row per (endpoint, event), updated by each attempt. An attempt is claimed
 * (`in_flight`, `attempts` + 1, `lease_expires_at`) in one short transaction, the POST is made
 * outside any transaction, and the result is recorded in another, only if `attempts` still holds
 * the number claimed; a claim whose lease lapsed (its worker died) is claimed again. See
 * src/notifications/webhook-delivery.ts.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey(),
    endpointId: uuid('endpoint_id').notNull().references(() => webhookEndpoints.id),
    outboxId: bigint('outbox_id', { mode: 'number' }).notNull(),
    topic: text('topic').notNull(),
    body: text('body').notNull(),
    status: text('status', { enum: ['pending', 'in_flight', 'retrying', 'delivered', 'failed', 'cancelled'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    nextAttemptAt: ts('next_attempt_at'),
    /** While `in_flight`: when the claim lapses and another worker may claim the delivery again. */
    leaseExpiresAt: ts('lease_expires_at'),
    createdAt: ts('created_at').notNull(),
    deliveredAt: ts('delivered_at'),
    /**
     * How many times an admin sent a failed delivery again: each round starts a fresh budget of
     * attempts and needs a queue job of its own (the failed job of the last round keeps its id).
     */
    round: integer('round').notNull().default(0),
  },
  (t) => [
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.createdAt),
    uniqueIndex('webhook_deliveries_outbox_uq').on(t.outboxId, t.endpointId),
    index('webhook_deliveries_pending_idx').on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'retrying')`),
    index('webhook_deliveries_lease_idx').on(t.leaseExpiresAt).where(sql`${t.status} = 'in_flight'`),
  ],
);
