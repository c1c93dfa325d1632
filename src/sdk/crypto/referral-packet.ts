import { type KeyEnvelope, openEnvelope, sealEnvelope } from './envelope.js';
import { type BoxKeyPair, generateDek } from './keys.js';
import { referralFieldAd } from './associated-data.js';
import { type JsonValue, type SealedField, openField, sealField } from './sealed-field.js';
import { decodeFileKey, encodeFileKey, type FileKeyRecord } from './file-key.js';
import { CryptoError } from './errors.js';
import { na } from './sodium.js';

/** What the referring officer's client uploads: chosen fields under a fresh referral DEK, and that DEK sealed to the partner organisation. */
export interface ReferralPacket {
  referralId: string;
  /**
   * The packet's entries, each sealed with AD `egide/v1/referral/<referralId>/<name>`: the chosen
   * case fields under their names, and each chosen evidence file under `file.<fileId>`
   * (`referralFileEntry`). This map is the `packet` of `POST /v1/referrals/:referralId/packet`.
   */
  fields: Record<string, SealedField>;
  envelope: KeyEnvelope;
  /** The same referral DEK sealed to each of `copiesTo` (the referring staff, to read the partner's reports), in that order. */
  copies: KeyEnvelope[];
}

/**
 * An evidence file a referral carries: what the partner needs to download it
 * (`GET /v1/cases/<caseId>/files/<fileId>/content`) and open it (`openDownload`), as the
 * referring officer's client opened it from the case (the key and description under the case
 * DEK, the ciphertext hash and size from the case's file list).
 */
export interface ReferralFile {
  caseId: string;
  fileId: string;
  key: FileKeyRecord;
  name: string;
  /** media type */
  type: string;
  /** lowercase hex SHA-256 of the plaintext, as its uploader sealed it */
  sha256: string;
  /** lowercase hex SHA-256 of the ciphertext, as the server recorded it on arrival */
  ciphertextSha256: string;
  /** ciphertext bytes */
  size: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX256 = /^[0-9a-f]{64}$/;
const FILE_ENTRY = /^file\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/**
 * The packet entry (and AD field part) of a file: `file.<fileId>`, the id in lower case. A case
 * field name never has this form (field names have no hyphen), so files and fields cannot clash.
 */
export function referralFileEntry(fileId: string): string {
  const id = typeof fileId === 'string' ? fileId.toLowerCase() : '';
  if (!UUID.test(id)) throw new CryptoError('bad_associated_data', 'a file id is a UUID');
  return `file.${id}`;
}

/** The file id a packet entry names, or null for a case field. */
export function fileIdOfReferralEntry(name: string): string | null {
  return FILE_ENTRY.exec(name)?.[1] ?? null;
}

/** The sealed JSON of a file entry: members in this order, the key record as its canonical text. */
function fileValue(f: ReferralFile): JsonValue {
  for (const [what, ok] of [
    ['caseId', UUID.test(f.caseId)],
    ['sha256', HEX256.test(f.sha256)],
    ['ciphertextSha256', HEX256.test(f.ciphertextSha256)],
    ['size', Number.isSafeInteger(f.size) && f.size >= 0],
    ['name', typeof f.name === 'string'],
    ['type', typeof f.type === 'string'],
  ] as const) {
    if (!ok) throw new CryptoError('bad_plaintext', `a referral file's ${what} is not valid`);
  }
  return { caseId: f.caseId, key: encodeFileKey(f.key), name: f.name, type: f.type, sha256: f.sha256, ciphertextSha256: f.ciphertextSha256, size: f.size };
}

/** Reads what `fileValue` sealed, and only that shape. */
function readFileValue(fileId: string, value: JsonValue): ReferralFile {
  const bad = (): never => {
    throw new CryptoError('bad_plaintext', 'a referral file entry is not the record of a file');
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad();
  if (Object.keys(value).sort().join(',') !== 'caseId,ciphertextSha256,key,name,sha256,size,type') return bad();
  const { caseId, key, name, type, sha256, ciphertextSha256, size } = value;
  if (typeof caseId !== 'string' || !UUID.test(caseId) || typeof key !== 'string' || typeof name !== 'string' || typeof type !== 'string') return bad();
  if (typeof sha256 !== 'string' || !HEX256.test(sha256) || typeof ciphertextSha256 !== 'string' || !HEX256.test(ciphertextSha256)) return bad();
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return bad();
  return { caseId, fileId, key: decodeFileKey(key), name, type, sha256, ciphertextSha256, size };
}

/**
 * Builds a referral packet from fields the officer's client has already opened, and the evidence
 * files chosen for it (their keys opened from the case). The partner never receives the case DEK
 * nor any other file's key. `orgPublicKey` must come from `pinnedPublicKey` or the org's
 * registered key.
 */
export function createReferralPacket(referralId: string, fields: Record<string, JsonValue>, orgPublicKey: Uint8Array, copiesTo: Uint8Array[] = [], files: readonly ReferralFile[] = []): ReferralPacket {
  for (const name of Object.keys(fields)) {
    if (fileIdOfReferralEntry(name) !== null) throw new CryptoError('bad_associated_data', 'a field name of the form file.<uuid> is reserved for files');
  }
  const dek = generateDek();
  try {
    // fromEntries defines own properties: assigning `obj[name]` would drop a field named "__proto__".
    const sealed: Record<string, SealedField> = Object.fromEntries([
      ...Object.entries(fields).map(([name, value]) => [name, sealField(value, dek, referralFieldAd(referralId, name))] as const),
      ...files.map((f) => {
        const entry = referralFileEntry(f.fileId);
        return [entry, sealField(fileValue(f), dek, referralFieldAd(referralId, entry))] as const;
      }),
    ]);
    if (Object.keys(sealed).length !== Object.keys(fields).length + files.length) throw new CryptoError('bad_plaintext', 'a file is chosen twice');
    return { referralId, fields: sealed, envelope: sealEnvelope(dek, orgPublicKey), copies: copiesTo.map((publicKey) => sealEnvelope(dek, publicKey)) };
  } finally {
    na().memzero(dek);
  }
}

type OpenablePacket = Pick<ReferralPacket, 'referralId' | 'fields' | 'envelope'>;

/** Opens every entry of a packet with its referral AD, the referral DEK wiped afterwards. */
function openEntries<T>(packet: OpenablePacket, keyPair: BoxKeyPair, pick: (name: string) => boolean, read: (name: string, value: JsonValue) => T): Array<[string, T]> {
  const dek = openEnvelope(packet.envelope, keyPair);
  try {
    return Object.entries(packet.fields)
      .filter(([name]) => pick(name))
      .map(([name, sealed]) => [name, read(name, openField(sealed, dek, referralFieldAd(packet.referralId, name)))]);
  } finally {
    na().memzero(dek);
  }
}

/** The partner's client opens the case fields of a packet with the organisation key pair (from its keyring entry); file entries are left to `openReferralFiles`. */
export function openReferralPacket(packet: OpenablePacket, orgKeyPair: BoxKeyPair): Record<string, JsonValue> {
  return Object.fromEntries(openEntries(packet, orgKeyPair, (name) => fileIdOfReferralEntry(name) === null, (_name, value) => value));
}

/**
 * The evidence files a packet carries, opened with the organisation key pair (or a staff copy's
 * key pair): for each, where to download it and the key to open it with (`openDownload`).
 */
export function openReferralFiles(packet: OpenablePacket, keyPair: BoxKeyPair): ReferralFile[] {
  return openEntries(packet, keyPair, (name) => fileIdOfReferralEntry(name) !== null, (name, value) => readFileValue(fileIdOfReferralEntry(name)!, value)).map(([, f]) => f);
}
