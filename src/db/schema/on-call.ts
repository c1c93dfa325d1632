import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { users } from './identity.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/**
 * The on-call roster: who answers out of office hours, from when to when, in which order
 * (`position` 1 is paged first, then 2...). The contact points are staff personal data: kept
 * here for the notices only, never logged, never in a job payload.
 */
export const onCallEntries = pgTable(
  'on_call_entries',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    position: integer('position').notNull(),
    startsAt: ts('starts_at').notNull(),
    endsAt: ts('ends_at').notNull(),
    email: text('email'),
    phone: text('phone'),
    /** the language of the notice: `fr` or `en` */
    language: text('language', { enum: ['fr', 'en'] }).notNull().default('fr'),
    createdBy: uuid('created_by')
      .notNull()
      .references(() => users.id),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    index('on_call_entries_time_idx').on(t.startsAt, t.endsAt),
    check('on_call_entries_span', sql`${t.endsAt} > ${t.startsAt}`),
    check('on_call_entries_position', sql`${t.position} between 1 and 20`),
  ],
);

/** Where one channel of a page's notice stands: `none` when there is no such contact point. */
export type NoticeStatus = 'none' | 'pending' | 'retrying' | 'sent' | 'failed';

/**
 * A page: one event out of hours (an outbox row) put to one person on call. `rank` 1 is the
 * first person; a page not acknowledged in time gets the next rank for the next person. The
 * contact points are those the notice went to (the roster may change meanwhile).
 */
export const onCallPages = pgTable(
  'on_call_pages',
  {
    id: uuid('id').primaryKey(),
    /** the outbox row of the event: one chain of pages per event */
    eventId: bigint('event_id', { mode: 'number' }).notNull(),
    rank: integer('rank').notNull(),
    topic: text('topic').notNull(),
    caseId: uuid('case_id'),
    recipientUserId: uuid('recipient_user_id')
      .notNull()
      .references(() => users.id),
    email: text('email'),
    phone: text('phone'),
    language: text('language', { enum: ['fr', 'en'] }).notNull(),
    emailStatus: text('email_status').$type<NoticeStatus>().notNull(),
    smsStatus: text('sms_status').$type<NoticeStatus>().notNull(),
    /** the last delivery error (a class of error, never an address) */
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull(),
    acknowledgedAt: ts('acknowledged_at'),
    /** when the next person was paged (or found to be nobody) */
    escalatedAt: ts('escalated_at'),
  },
  (t) => [unique('on_call_pages_event_rank').on(t.eventId, t.rank), index('on_call_pages_recipient_idx').on(t.recipientUserId, t.createdAt)],
);
