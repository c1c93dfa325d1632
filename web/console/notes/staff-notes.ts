/**
 * The internal notes of a case as the console reads and writes them: the list from the API, the
 * staff key opened (or made, for the first note) and every note opened and sealed in the crypto
 * worker. The page only ever holds the display text.
 */
import { call } from '../api.js';
import { crypto } from '../crypto-client.js';
import type { KeyringItem } from '../protocol.js';
import { account } from '../session.js';

export const NOTES_PAGE = 20;

export interface ShownNote {
  id: string;
  author: string;
  authorRole: string;
  createdAt: string;
  /** null: the note does not open with this staff key */
  text: string | null;
}

export interface NotesPage {
  /** the case's staff key epoch; null when the case has none yet */
  keyEpoch: number | null;
  /** true when the case has a staff key but none of it was sealed to the caller */
  noEnvelope: boolean;
  holders: Array<{ keyId: string; recipientType: string; recipientId: string; publicKey: string | null }>;
  notes: ShownNote[];
  more: boolean;
}

function keyring(): KeyringItem[] {
  return (account.value?.keyring ?? []).map((k) => ({ orgKeyId: k.orgKeyId, entry: k.entry }));
}

/** One page of notes, oldest first, after `after` (the last note shown), opened in the worker. */
export async function loadNotes(caseId: string, after?: ShownNote): Promise<NotesPage> {
  const query = { limit: String(NOTES_PAGE), ...(after ? { afterAt: after.createdAt, afterId: after.id } : {}) };
  const res = await call('listCaseNotes', { params: { caseId }, query });
  const base = { holders: res.holders, more: res.items.length === NOTES_PAGE };
  if (!res.staffKey) return { ...base, keyEpoch: null, noEnvelope: false, notes: [] };
  if (res.staffKey.own.length === 0) return { ...base, keyEpoch: res.staffKey.keyEpoch, noEnvelope: true, notes: [] };
  await crypto({ op: 'openStaffKey', caseId, own: res.staffKey.own, keyring: keyring() });
  const texts = res.items.length ? await crypto({ op: 'openNotes', caseId, items: res.items.map((n) => ({ id: n.id, author: n.author, body: n.body })) }) : [];
  const notes = res.items.map((n, i) => ({ id: n.id, author: n.author, authorRole: n.authorRole, createdAt: n.createdAt, text: texts[i] ?? null }));
  return { ...base, keyEpoch: res.staffKey.keyEpoch, noEnvelope: false, notes };
}

/**
 * Writes a note. On a case without a staff key, the worker makes it and seals it to every staff
 * holder first (never the defender: the API lists only staff), then the note goes under it.
 */
export async function writeNote(caseId: string, page: Pick<NotesPage, 'keyEpoch' | 'holders'>, text: string): Promise<ShownNote> {
  const me = account.value;
  if (!me) throw Object.assign(new Error('no session'), { code: 'session_ended' });
  let keyEpoch = page.keyEpoch;
  if (keyEpoch === null) {
    const { envelopes } = await crypto({ op: 'makeStaffKey', caseId, holders: page.holders });
    keyEpoch = (await call('createStaffKey', { params: { caseId }, body: { envelopes } })).keyEpoch;
  }
  const noteId = window.crypto.randomUUID();
  const author = `u:${me.id}`;
  const body = await crypto({ op: 'sealNote', caseId, noteId, author, text });
  const made = await call('createNote', { params: { caseId }, body: { id: noteId, body, keyEpoch } });
  return { id: made.id, author: made.author, authorRole: me.role, createdAt: made.createdAt, text };
}
