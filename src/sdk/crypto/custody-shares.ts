import { base32crockford } from '@scure/base';
import { combine, split } from 'shamir-secret-sharing';
import { CryptoError } from './errors.js';
import { assertKeySize, fromB64u, utf8 } from './encoding.js';
import { type BoxKeyPair, PRIVATE_KEY_BYTES, keyIdOf, publicKeyOf } from './keys.js';
import { equalBytes, na, wipe } from './sodium.js';

/**
 * The offline split backup of an organisation's private key (the mechanism key): Shamir shares
 * made with `shamir-secret-sharing` (audited), each written as a code a person can type back.
 *
 * A code is 40 bytes in Crockford base32 (64 characters, sixteen groups of four):
 *   byte 0       version (high nibble, 1) and threshold k (low nibble, 2..15)
 *   bytes 1-2    the first two bytes of the key's keyId: codes of another key are told apart
 *   bytes 3-35   the share (32 bytes and its x coordinate, as the library makes it)
 *   bytes 36-39  BLAKE2b-32 of bytes 0-35 keyed by the domain: a typo is caught before combining
 * The fingerprint of the key goes on the printed sheet beside the code, not inside it.
 */
const VERSION = 1;
const SHARE_BYTES = PRIVATE_KEY_BYTES + 1;
const HEADER_BYTES = 3;
const CHECK_BYTES = 4;
const CODE_BYTES = HEADER_BYTES + SHARE_BYTES + CHECK_BYTES;
const CODE_CHARS = (CODE_BYTES * 8) / 5;
const CHECK_KEY = utf8('egide/v1/custody-share');
export const MIN_SHARE_THRESHOLD = 2;
export const MAX_SHARES = 15;

/** A share code read back: which split it belongs to and the share itself. */
export interface ShareCode {
  threshold: number;
  /** The first two bytes of the key's keyId, as hex. */
  keyTag: string;
  share: Uint8Array;
}

function checksum(body: Uint8Array): Uint8Array {
  return na().crypto_generichash(CHECK_BYTES, body, CHECK_KEY);
}

const hex2 = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function encodeShare(threshold: number, keyIdBytes: Uint8Array, share: Uint8Array): string {
  const body = new Uint8Array(HEADER_BYTES + SHARE_BYTES);
  body[0] = (VERSION << 4) | threshold;
  body.set(keyIdBytes.subarray(0, 2), 1);
  body.set(share, HEADER_BYTES);
  const code = new Uint8Array(CODE_BYTES);
  code.set(body);
  code.set(checksum(body), body.length);
  const text = base32crockford.encode(code);
  wipe(body, code);
  return text.match(/.{4}/g)!.join(' ');
}

/**
 * Reads a share code as a person types it: any case, spaces or dashes anywhere, O for 0 and I or
 * L for 1. A wrong character fails the checksum (`bad_share_code`), so a typo is named at once.
 */
export function readShareCode(code: string): ShareCode {
  if (typeof code !== 'string') throw new CryptoError('bad_share_code', 'a share code must be text');
  const compact = code.normalize('NFKC').replace(/[\s-]/g, '').toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1');
  if (compact.length !== CODE_CHARS || !/^[0-9A-HJKMNP-TV-Z]+$/.test(compact)) throw new CryptoError('bad_share_code', `a share code is ${CODE_CHARS} letters and digits`);
  let bytes: Uint8Array;
  try {
    bytes = base32crockford.decode(compact);
  } catch {
    throw new CryptoError('bad_share_code', 'the share code is not valid Crockford base32');
  }
  if (bytes.length !== CODE_BYTES) throw new CryptoError('bad_share_code', 'the share code has the wrong length');
  const body = bytes.subarray(0, HEADER_BYTES + SHARE_BYTES);
  if (!equalBytes(checksum(body), bytes.subarray(body.length))) {
    wipe(bytes);
    throw new CryptoError('bad_share_code', 'the share code does not match its checksum: a character is mistyped');
  }
  const version = body[0]! >> 4;
  const threshold = body[0]! & 0x0f;
  if (version !== VERSION || threshold < MIN_SHARE_THRESHOLD) {
    wipe(bytes);
    throw new CryptoError('bad_share_code', 'the share code is of an unknown version');
  }
  const share = body.slice(HEADER_BYTES);
  const keyTag = hex2(body.subarray(1, 3));
  wipe(bytes);
  return { threshold, keyTag, share };
}

/** The shares of a split: `codes[i]` goes to the i-th custodian, shown once. */
export interface KeySplit {
  keyId: string;
  threshold: number;
  codes: string[];
}

/** Cuts a private key into `shares` codes, any `threshold` of which rebuild it. */
export async function splitPrivateKey(privateKey: Uint8Array, threshold: number, shares: number): Promise<KeySplit> {
  assertKeySize(privateKey, PRIVATE_KEY_BYTES, 'private key');
  if (!Number.isInteger(threshold) || !Number.isInteger(shares) || threshold < MIN_SHARE_THRESHOLD || shares < threshold || shares > MAX_SHARES) {
    throw new CryptoError('share_mismatch', `a split needs ${MIN_SHARE_THRESHOLD} <= k <= n <= ${MAX_SHARES}`);
  }
  const keyId = keyIdOf(publicKeyOf(privateKey));
  const parts = await split(privateKey, shares, threshold);
  const keyIdBytes = fromB64u(keyId, 'keyId');
  const codes = parts.map((p) => encodeShare(threshold, keyIdBytes, p));
  wipe(...parts);
  return { keyId, threshold, codes };
}

/**
 * Rebuilds a private key from share codes: all of one split, distinct, at least its threshold.
 * The key is checked against `expectedKeyId` (the organisation's current key, from the API), so
 * shares of an older key or a wrong combination are refused rather than returned.
 */
export async function combineShareCodes(codes: string[], expectedKeyId: string): Promise<BoxKeyPair> {
  const read = codes.map(readShareCode);
  const first = read[0];
  if (!first) throw new CryptoError('share_mismatch', 'no share code was given');
  try {
    if (read.some((r) => r.threshold !== first.threshold || r.keyTag !== first.keyTag)) throw new CryptoError('share_mismatch', 'the share codes are of different keys or splits');
    const xs = new Set(read.map((r) => r.share[SHARE_BYTES - 1]));
    if (xs.size !== read.length) throw new CryptoError('share_mismatch', 'the same share was given twice');
    if (read.length < first.threshold) throw new CryptoError('share_mismatch', `${first.threshold} share codes are needed, ${read.length} were given`);
    if (first.keyTag !== hex2(fromB64u(expectedKeyId, 'keyId').subarray(0, 2))) throw new CryptoError('key_id_mismatch', 'the share codes are of another key than the current one');
    const privateKey = await combine(read.map((r) => r.share));
    const publicKey = publicKeyOf(privateKey);
    if (keyIdOf(publicKey) !== expectedKeyId) {
      wipe(privateKey);
      throw new CryptoError('key_id_mismatch', 'the shares do not rebuild the current key');
    }
    return { publicKey, privateKey };
  } finally {
    wipe(...read.map((r) => r.share));
  }
}
