/**
 * A case's listed files with their names, types and captions opened in the worker (AD
 * egide/v1/file/<id>/<field>): only their text comes back to the page. Shared by the files
 * section and the referral form, which names the files an officer may choose to share.
 */
import { fileFieldAd } from '../../../src/sdk/crypto/associated-data.js';
import type { ResponseOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import type { SealedFileRef } from '../protocol.js';

export type CaseFile = ResponseOf<'listCaseFiles'>['items'][number];

export interface Listed {
  file: CaseFile;
  /** opened in the worker; null when absent or when it did not open */
  name: string | null;
  type: string | null;
  caption: string | null;
  /** false: a sealed field is there but did not open */
  opened: boolean;
}

/** A file's name, type or caption is sealed as `{"text": …}`. */
export const textOf = (v: unknown): string | null => {
  const text = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as { text?: unknown }).text : undefined;
  return typeof text === 'string' ? text : null;
};

export async function openListed(caseId: string, items: CaseFile[]): Promise<Listed[]> {
  const fields = ['name', 'type', 'caption'] as const;
  const wanted = items.flatMap((f) => fields.filter((field) => f.sealed[field] !== undefined).map((field) => ({ f, field })));
  const opened = wanted.length > 0 ? await crypto({ op: 'open', caseId, items: wanted.map(({ f, field }) => ({ sealed: f.sealed[field]!, ad: fileFieldAd(f.id, field) })) }) : [];
  return items.map((file) => {
    const out: Listed = { file, name: null, type: null, caption: null, opened: true };
    wanted.forEach(({ f, field }, i) => {
      if (f !== file) return;
      const text = textOf(opened[i]);
      if (text === null) out.opened = false;
      out[field] = text;
    });
    return out;
  });
}

/** What the worker needs of a listed file to open it (its sealed fields stay sealed in the page). */
export const refOf = (f: CaseFile): SealedFileRef => ({ id: f.id, sealed: f.sealed, ciphertextSha256: f.ciphertextSha256 ?? '', size: f.size });
