/**
 * What a listed evidence file says about itself, opened INSIDE the crypto worker from its sealed
 * fields: its key record (kept in the worker to download it) and its name, type, caption and
 * plaintext hash (handed to the page, which shows them). A field that does not open (another
 * key epoch, a tampered value) is left out rather than failing the whole list.
 */
import { openFileDescription, openFileKey } from '../../../src/sdk/client/file-upload.js';
import type { FileKeyRecord } from '../../../src/sdk/crypto/file-key.js';

export interface OpenedEvidence {
  fileId: string;
  name?: string;
  type?: string;
  caption?: string;
  /** hex SHA-256 of the plaintext, as its uploader sealed it */
  sha256?: string;
  /** null when the key does not open */
  record: FileKeyRecord | null;
}

export function describeEvidence(fileId: string, sealed: Readonly<Record<string, string>>, dek: Uint8Array): OpenedEvidence {
  let record: FileKeyRecord | null = null;
  try {
    record = sealed.key !== undefined ? openFileKey(sealed.key, dek, fileId) : null;
  } catch {
    record = null;
  }
  let description: ReturnType<typeof openFileDescription> = {};
  for (const field of ['name', 'type', 'caption', 'sha256'] as const) {
    const value = sealed[field];
    if (value === undefined) continue;
    try {
      description = { ...description, ...openFileDescription({ [field]: value }, dek, fileId) };
    } catch {
      // one unreadable field does not hide the others
    }
  }
  return { fileId, ...description, record };
}
