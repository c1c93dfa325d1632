import { sql } from 'drizzle-orm';
import { bigint, customType, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { cases } from './cases.js';
import type { SealedMap } from './protection.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });

/**
 * An evidence file of a case. The bytes (secretstream ciphertext, format 2) are in the evidence
 * store under `id`; this row holds what the server may see: who uploaded it to which case, its
 * ciphertext size and chunk count, the SHA-256 of the ciphertext (computed by the server as the
 * bytes arrived, kept so anyone can later prove the stored bytes never changed) and an optional
 * RFC 3161 time-stamp token of that hash. The file key, name, media type, caption and plaintext
 * SHA-256 are sealed under the case DEK (`sealed`, AD `egide/v1/file/<id>/<field>`): the key at
 * creation (so an upload resumes after a reload), the rest when the upload is attached.
 *
 * States: `uploading` (bytes arriving) -> `received` (all bytes stored, hash known) ->
 * `available` (attached with its sealed description: "a file was added").
 */
export const caseFiles = pgTable(
  'case_files',
  {
    /** chosen by the uploading client: it is part of every sealed field's associated data */
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    /** the uploader as the audit names them (`u:<id>`, `d:<caseId>`): the only one who may write, resume or attach it */
    uploader: text('uploader').notNull(),
    uploaderRole: text('uploader_role').notNull(),
    state: text('state', { enum: ['uploading', 'received', 'available'] }).notNull(),
    /** ciphertext bytes (the tus Upload-Length) */
    size: bigint('size', { mode: 'number' }).notNull(),
    chunks: integer('chunks').notNull(),
    /** hex SHA-256 of the stored ciphertext, once received */
    ciphertextSha256: text('ciphertext_sha256'),
    sealed: jsonb('sealed').$type<SealedMap>().notNull(),
    /** DER of the RFC 3161 TimeStampToken over the ciphertext hash, when a time-stamp authority is configured */
    timestampToken: bytea('timestamp_token'),
    timestampedAt: ts('timestamped_at'),
    createdAt: ts('created_at').notNull(),
    receivedAt: ts('received_at'),
    attachedAt: ts('attached_at'),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    index('case_files_case_idx').on(t.caseId, t.createdAt),
    // The stale-upload sweep reads the unfinished ones oldest first.
    index('case_files_unfinished_idx').on(t.createdAt).where(sql`${t.state} <> 'available'`),
  ],
);
