import { appealGroundsAd, assessmentFieldAd, caseFieldAd, caseReportNoteAd, fileFieldAd, measureDetailsAd, messageBodyAd, noteBodyAd, type FileField } from '../crypto/associated-data.js';
import { openEnvelope, type Envelope, type KeyEnvelope } from '../crypto/envelope.js';
import { CryptoError } from '../crypto/errors.js';
import { fromB64uExact } from '../crypto/encoding.js';
import { type BoxKeyPair, PUBLIC_KEY_BYTES, keyIdOf } from '../crypto/keys.js';
import { rekey } from '../crypto/rekey.js';
import type { SealedField } from '../crypto/sealed-field.js';
import { openStaffKey, sealStaffKey, type StaffKeyEnvelope } from '../crypto/staff-key.js';

/**
 * Every kind of value sealed under a case's DEK. The server's table of sealed columns
 * (src/cases/sealed-content-repository.ts) is typed on this list, so a new kind must be added
 * here, with its associated data in `expectedAd` below, before the server can list it.
 */
export const REKEY_ITEM_KINDS = ['case_field', 'message', 'assessment', 'measure', 'case_report', 'appeal', 'file'] as const;
export type RekeyItemKind = (typeof REKEY_ITEM_KINDS)[number];

export type RecipientType = 'org' | 'user' | 'defender';

/** What GET /v1/cases/:caseId/rekey answers: everything a re-keying client needs. */
export interface RekeyBundle {
  caseId: string;
  /** The key epoch the items are sealed under; sent back so that a concurrent re-key is detected. */
  epoch: number;
  /** Every envelope of the case (who reads it), and the key a new envelope must be addressed to. */
  envelopes: Array<{ keyId: string; recipientType: RecipientType; recipientId: string; currentKeyId: string | null; publicKey: string | null }>;
  /** The caller's own envelope(s): what opens the current DEK. */
  own: Array<{ keyId: string; envelope: string }>;
  /** Every value sealed under the current DEK, with the associated data it is bound to. */
  items: Array<{ kind: RekeyItemKind; id: string; field: string; ad: string; sealed: string }>;
  /**
   * The staff key, when the case has one (internal notes): the caller's own staff-key envelope(s),
   * who holds it, and every note sealed under it. A re-key replaces it too.
   */
  staff?: RekeyStaffBundle | null;
}

/** The staff-key part of a re-key bundle. */
export interface RekeyStaffBundle {
  epoch: number;
  own: Array<{ keyId: string; envelope: string }>;
  holders: Array<{ keyId: string; recipientType: 'org' | 'user'; recipientId: string }>;
  notes: Array<{ id: string; author: string; ad: string; sealed: string }>;
}

/** A reader who keeps the case: the key the new DEK is sealed to. */
export interface RekeyRecipient {
  keyId: string;
  /** the raw X25519 public key, or its base64url */
  publicKey: Uint8Array | string;
  recipientType: RecipientType;
  recipientId: string;
}

/** The body of POST /v1/cases/:caseId/rekey. */
export interface RekeyBody {
  epoch: number;
  revoke: string[];
  envelopes: Array<{ keyId: string; envelope: Envelope; recipientType: RecipientType; recipientId: string }>;
  items: Array<{ kind: RekeyItemKind; id: string; field: string; sealed: SealedField }>;
  /** a new staff key sealed to the remaining staff holders, every note re-sealed under it */
  staff?: { envelopes: StaffKeyEnvelope[]; notes: Array<{ id: string; sealed: SealedField }> };
}

const readerOf = (r: { recipientType: string; recipientId: string }): string => `${r.recipientType}:${r.recipientId}`;

/**
 * The AD an item must be bound to, computed here from its place (kind, id, field) rather than
 * taken from the server: a server that pairs one item's ciphertext with another's place is caught
 * before anything is re-sealed. Messages bind their sender, which only the AD carries, so that
 * part is read from the server's AD and checked to be one well-formed id.
 */
function expectedAd(caseId: string, item: RekeyBundle['items'][number]): string {
  const fixedField = (name: string): void => {
    if (item.field !== name) throw new CryptoError('bad_associated_data', `a ${item.kind} item has the field ${name}, not ${item.field}`);
  };
  switch (item.kind) {
    case 'case_field':
      if (item.id !== caseId) throw new CryptoError('bad_associated_data', 'a case field belongs to another case');
      return caseFieldAd(caseId, item.field);
    case 'message': {
      fixedField('body');
      const prefix = `egide/v1/message/${item.id}/`;
      const sender = item.ad.startsWith(prefix) && item.ad.endsWith('/body') ? item.ad.slice(prefix.length, -'/body'.length) : '';
      return messageBodyAd(item.id, sender);
    }
    case 'assessment':
      return assessmentFieldAd(item.id, item.field);
    case 'measure':
      fixedField('details');
      return measureDetailsAd(item.id);
    case 'case_report': {
      fixedField('note');
      const kind = (['incident', 'checkin', 'alert'] as const).find((k) => item.ad === caseReportNoteAd(k, item.id));
      if (!kind) throw new CryptoError('bad_associated_data', `a case report's note is bound to egide/v1/<incident|checkin|alert>/${item.id}/note`);
      return caseReportNoteAd(kind, item.id);
    }
    case 'appeal':
      fixedField('grounds');
      return appealGroundsAd(item.id);
    case 'file': {
      // An evidence file's key record and description: a field the server names but no client seals is refused.
      const fields: readonly FileField[] = ['key', 'name', 'type', 'caption', 'sha256'];
      const field = fields.find((f) => f === item.field);
      if (!field) throw new CryptoError('bad_associated_data', `a file has no sealed field ${item.field}`);
      return fileFieldAd(item.id, field);
    }
    default:
      throw new CryptoError('bad_associated_data', `unknown kind of sealed item: ${String((item as { kind: unknown }).kind)}`);
  }
}

/** Opens the case's current DEK from the caller's own envelope(s) in a bundle. */
export function openRekeyDek(bundle: Pick<RekeyBundle, 'own'>, keyPairs: BoxKeyPair[]): Uint8Array {
  for (const e of bundle.own) {
    const pair = keyPairs.find((k) => keyIdOf(k.publicKey) === e.keyId);
    if (pair) return openEnvelope(e as KeyEnvelope, pair);
  }
  throw new CryptoError('key_id_mismatch', 'none of these key pairs opens an envelope of the bundle');
}

/** Opens the case's current staff key from the caller's own staff-key envelope(s) in a bundle (null: the case has none). */
export function openRekeyStaffKey(bundle: Pick<RekeyBundle, 'staff'>, keyPairs: BoxKeyPair[]): Uint8Array | null {
  return bundle.staff ? openStaffKey(bundle.staff.own, keyPairs) : null;
}

/**
 * The staff part of a re-key: a new staff key, every note opened under the old one (its AD
 * computed here from the case, note id and author) and re-sealed, and the new key sealed to the
 * staff holders who remain (the holders among `recipients`, at the same keys).
 */
function rekeyStaff(caseId: string, staff: RekeyStaffBundle, oldStaffKey: Uint8Array, recipients: RekeyRecipient[], keys: Uint8Array[]) {
  const held = new Set(staff.holders.map(readerOf));
  const holders = recipients.flatMap((r, i) => (held.has(readerOf(r)) && r.recipientType !== 'defender' ? [{ keyId: r.keyId, publicKey: keys[i]!, recipientType: r.recipientType, recipientId: r.recipientId }] : []));
  const notes = staff.notes.map((n) => {
    const ad = noteBodyAd(caseId, n.id, n.author);
    if (ad !== n.ad) throw new CryptoError('bad_associated_data', `the server gave note ${n.id} the associated data of another place`);
    return { id: n.id, ad, sealed: n.sealed };
  });
  const out = rekey(oldStaffKey, notes, []);
  return { staffKey: out.dek, envelopes: sealStaffKey(out.dek, holders), notes: out.items.map((x) => ({ id: x.id, sealed: x.sealed })) };
}

/**
 * Prepares a re-key on the client (docs: crypto.md, Key envelope): a new DEK, every item opened
 * with the old DEK under its AD and re-sealed under the new one with the same AD, and the new DEK
 * sealed to each remaining reader. `recipients` must be exactly the readers left once `revoke` is
 * removed, each with the key their new envelope is addressed to (the server refuses anything
 * else). Throws a CryptoError if an item does not open (nothing is returned then, and the new
 * DEK is wiped); the caller keeps `dek` to read on, and should wipe the old one.
 */
export function prepareRekey(input: { bundle: RekeyBundle; oldDek: Uint8Array; revoke: string[]; recipients: RekeyRecipient[]; oldStaffKey?: Uint8Array | null }): { body: RekeyBody; dek: Uint8Array; staffKey: Uint8Array | null } {
  const { bundle, oldDek, revoke, recipients } = input;
  // A case with notes is re-keyed whole or not at all: the server refuses a body without them.
  if (bundle.staff && !input.oldStaffKey) throw new CryptoError('key_id_mismatch', 'this case has a staff key: open it (openRekeyStaffKey) and pass it as oldStaffKey');
  const known = new Set(bundle.envelopes.map((e) => e.keyId));
  const unknown = revoke.filter((k) => !known.has(k));
  if (unknown.length > 0) throw new Error(`no envelope of the case has keyId ${unknown.join(', ')}`);
  const remaining = new Set(bundle.envelopes.filter((e) => !revoke.includes(e.keyId)).map(readerOf));
  const given = recipients.map(readerOf);
  const missing = [...remaining].filter((r) => !given.includes(r));
  const extra = given.filter((r, i) => !remaining.has(r) || given.indexOf(r) !== i);
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(`recipients must be exactly the remaining readers${missing.length ? `; missing ${missing.join(', ')}` : ''}${extra.length ? `; not expected ${extra.join(', ')}` : ''}`);
  }
  const keys = recipients.map((r) => {
    const pk = typeof r.publicKey === 'string' ? fromB64uExact(r.publicKey, PUBLIC_KEY_BYTES, 'recipient public key', 'bad_key_size') : r.publicKey;
    if (keyIdOf(pk) !== r.keyId) throw new CryptoError('key_id_mismatch', `the public key of ${readerOf(r)} has keyId ${keyIdOf(pk)}, not ${r.keyId}`);
    return pk;
  });
  const items = bundle.items.map((item, i) => {
    const ad = expectedAd(bundle.caseId, item);
    if (ad !== item.ad) throw new CryptoError('bad_associated_data', `the server gave ${item.kind} ${item.id}/${item.field} the associated data of another place`);
    return { id: String(i), ad, sealed: item.sealed };
  });
  const out = rekey(oldDek, items, keys);
  let staff: ReturnType<typeof rekeyStaff> | null = null;
  try {
    staff = bundle.staff ? rekeyStaff(bundle.caseId, bundle.staff, input.oldStaffKey!, recipients, keys) : null;
  } catch (err) {
    out.dek.fill(0);
    throw err;
  }
  return {
    dek: out.dek,
    staffKey: staff?.staffKey ?? null,
    body: {
      ...(staff ? { staff: { envelopes: staff.envelopes, notes: staff.notes } } : {}),
      epoch: bundle.epoch,
      revoke: [...revoke],
      envelopes: out.envelopes.map((e, i) => ({ keyId: e.keyId, envelope: e.envelope, recipientType: recipients[i]!.recipientType, recipientId: recipients[i]!.recipientId })),
      items: out.items.map((x, i) => {
        const item = bundle.items[i]!;
        return { kind: item.kind, id: item.id, field: item.field, sealed: x.sealed };
      }),
    },
  };
}
