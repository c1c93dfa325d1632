import { index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { cases } from './cases.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/**
 * The per-case staff key (32 random bytes, made by the first staff client that needs it) sealed
 * to each staff holder of the case: the officers and supervisors with a case envelope, and the
 * mechanism key. Never to the defender nor to a partner organisation: internal notes are sealed
 * under it, so the defender's case key opens none of them. `keyEpoch` is the case key epoch the
 * staff key was made or last re-keyed at; a re-key of the case replaces every row.
 */
export const staffKeyEnvelopes = pgTable(
  'staff_key_envelopes',
  {
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    keyId: text('key_id').notNull(),
    envelope: text('envelope').notNull(),
    recipientType: text('recipient_type', { enum: ['org', 'user'] }).notNull(),
    /** org id (the mechanism) or user id */
    recipientId: text('recipient_id').notNull(),
    keyEpoch: integer('key_epoch').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.caseId, t.keyId] })],
);

/**
 * Internal notes of the staff on a case: the body sealed (format 2, padded) under the case's staff
 * key with AD `egide/v1/note/<caseId>/<noteId>/body`. `author` is `u:<userId>`.
 */
export const caseNotes = pgTable(
  'case_notes',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    author: text('author').notNull(),
    authorRole: text('author_role').notNull(),
    body: text('body').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('case_notes_case_idx').on(t.caseId, t.createdAt, t.id)],
);

/**
 * How far each reader of a case's messages has read: `u:<userId>` for staff, `d:<caseId>` for the
 * defender. The marker is the (createdAt, id) of the last message read; it only moves forward.
 */
export const messageReads = pgTable(
  'message_reads',
  {
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    reader: text('reader').notNull(),
    lastReadAt: ts('last_read_at').notNull(),
    lastReadId: uuid('last_read_id').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.caseId, t.reader] }), index('message_reads_reader_idx').on(t.reader)],
);
