import { noteBodyAd } from './associated-data.js';
import { type Envelope, openEnvelope, sealSecret, type KeyEnvelope } from './envelope.js';
import { CryptoError } from './errors.js';
import { fromB64uExact } from './encoding.js';
import { type BoxKeyPair, PUBLIC_KEY_BYTES, generateDek, keyIdOf } from './keys.js';
import { type JsonValue, type SealedFieldV2, openField, sealField } from './sealed-field.js';

/**
 * The staff key of a case (docs/crypto-v1.md, "Staff key and internal notes"): 32 random bytes,
 * made by the first staff client that needs it, sealed only to the staff holders of the case (the
 * officers and supervisors who hold a case envelope, and the mechanism key), never to the
 * defender nor to a partner organisation. Internal notes are sealed under it, so that a defender
 * who holds the case key (from their receipt) still opens none of them.
 */

/** A staff holder of a case: whom a staff-key envelope is sealed to. */
export interface StaffKeyHolder {
  keyId: string;
  /** the raw X25519 public key, or its base64url */
  publicKey: Uint8Array | string;
  recipientType: 'org' | 'user';
  recipientId: string;
}

/** A staff-key envelope as the API takes it. */
export interface StaffKeyEnvelope {
  keyId: string;
  envelope: Envelope;
  recipientType: 'org' | 'user';
  recipientId: string;
}

function publicKeyOf(h: StaffKeyHolder): Uint8Array {
  const pk = typeof h.publicKey === 'string' ? fromB64uExact(h.publicKey, PUBLIC_KEY_BYTES, 'holder public key', 'bad_key_size') : h.publicKey;
  // A server that hands out another key than the keyId it names is caught here.
  if (keyIdOf(pk) !== h.keyId) throw new CryptoError('key_id_mismatch', `the public key of ${h.recipientType}:${h.recipientId} has keyId ${keyIdOf(pk)}, not ${h.keyId}`);
  return pk;
}

/** Seals a staff key to each holder (their public key checked against the keyId they are named by). */
export function sealStaffKey(staffKey: Uint8Array, holders: readonly StaffKeyHolder[]): StaffKeyEnvelope[] {
  return holders.map((h) => ({ keyId: h.keyId, envelope: sealSecret(staffKey, publicKeyOf(h), 'staff key'), recipientType: h.recipientType, recipientId: h.recipientId }));
}

/**
 * The first staff client that needs it makes the staff key and seals it to every staff holder of
 * the case (POST /v1/cases/:caseId/staff-key). Keep `staffKey` to seal the first note; wipe it after.
 */
export function createStaffKey(holders: readonly StaffKeyHolder[]): { staffKey: Uint8Array; envelopes: StaffKeyEnvelope[] } {
  const staffKey = generateDek();
  return { staffKey, envelopes: sealStaffKey(staffKey, holders) };
}

/** Opens the staff key from the caller's own staff-key envelope(s), with whichever key pair fits. */
export function openStaffKey(own: ReadonlyArray<{ keyId: string; envelope: string }>, keyPairs: readonly BoxKeyPair[]): Uint8Array {
  for (const e of own) {
    const pair = keyPairs.find((k) => keyIdOf(k.publicKey) === e.keyId);
    if (pair) return openEnvelope(e as KeyEnvelope, pair);
  }
  throw new CryptoError('key_id_mismatch', 'none of these key pairs opens a staff-key envelope of this case');
}

/** Where a note sits: its case, its id (chosen by the client) and its author (`u:<userId>`). */
export interface NotePlace {
  caseId: string;
  noteId: string;
  author: string;
}

/** Seals a note's body (format 2, padded) under the staff key, bound to its case, id and author. */
export function sealNote(value: JsonValue, staffKey: Uint8Array, place: NotePlace): SealedFieldV2 {
  return sealField(value, staffKey, noteBodyAd(place.caseId, place.noteId, place.author));
}

/** Opens a note's body; `decrypt_failed` under any other key (the case DEK included) or place. */
export function openNote<T extends JsonValue = JsonValue>(sealed: string, staffKey: Uint8Array, place: NotePlace): T {
  return openField<T>(sealed, staffKey, noteBodyAd(place.caseId, place.noteId, place.author));
}
