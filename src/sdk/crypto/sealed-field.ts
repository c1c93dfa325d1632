import { CryptoError } from './errors.js';
import { assertKeySize, fromB64u, fromB64uExact, fromUtf8, splitVersioned, toB64u, utf8 } from './encoding.js';
import { DEK_BYTES } from './keys.js';
import { isPaddedLength, pad, unpad } from './padding.js';
import { na, randomBytes } from './sodium.js';

export const NONCE_BYTES = 24;
const TAG_BYTES = 16;

/**
 * UTF-8 of the associated data. A lone surrogate would be encoded as U+FFFD, so two different AD
 * strings (say "\uD800" and "\uDC00") would give the same bytes and open each other's
 * ciphertexts; such text, or a non-string (TextEncoder would bind to "undefined"), is refused.
 */
function adBytes(ad: string): Uint8Array {
  if (typeof ad !== 'string' || /\p{Cs}/u.test(ad)) {
    throw new CryptoError('bad_associated_data', 'associated data must be well-formed Unicode text');
  }
  return utf8(ad);
}

/** Any value JSON can carry. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Format 1: `v1.<b64u(nonce)>.<b64u(ciphertext)>`, the ciphertext as long as the JSON + 16. Read, no longer written. */
export type SealedFieldV1 = `v1.${string}.${string}`;
/** Format 2: `v2.<b64u(nonce)>.<b64u(ciphertext)>`, the JSON padded before encryption (see padding.ts). */
export type SealedFieldV2 = `v2.${string}.${string}`;
/** A sealed field as stored and sent: every writer makes format 2, readers take both. */
export type SealedField = SealedFieldV1 | SealedFieldV2;

const SEALED_VERSIONS = ['v1', 'v2'] as const;

/**
 * Seals a JSON value under a DEK with XChaCha20-Poly1305, bound to `ad`, in format 2: the UTF-8
 * JSON is padded first, so the ciphertext tells a server only a length bucket.
 * `nonce` is for test vectors only; normal callers let it be random.
 */
export function sealField(value: JsonValue, dek: Uint8Array, ad: string, nonce?: Uint8Array): SealedFieldV2 {
  assertKeySize(dek, DEK_BYTES, 'DEK');
  // NaN and Infinity would silently become null: refuse them rather than seal something else.
  const json = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new CryptoError('bad_plaintext', 'value contains a non-finite number');
    return v;
  });
  if (typeof json !== 'string') throw new CryptoError('bad_plaintext', 'value is not JSON-serialisable');
  const s = na();
  const n = nonce ?? randomBytes(NONCE_BYTES);
  if (n.length !== NONCE_BYTES) throw new CryptoError('bad_length', `nonce must be ${NONCE_BYTES} bytes`);
  const adData = adBytes(ad);
  const plaintext = utf8(json);
  const padded = pad(plaintext);
  s.memzero(plaintext);
  const ct = s.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, adData, null, n, dek);
  s.memzero(padded);
  return `v2.${toB64u(n)}.${toB64u(ct)}`;
}

/** A sealed field split and decoded: its format (1 or 2), nonce and ciphertext (tag included). */
export interface ParsedSealedField {
  format: 1 | 2;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

/**
 * Splits and decodes a sealed field without a key: the checks any party (even the server) can
 * make. A format-2 ciphertext must also be as long as some padded plaintext plus the tag.
 */
export function parseSealedField(sealed: string): ParsedSealedField {
  const [nonceText, ctText] = splitVersioned(sealed, 2, 'sealed field', SEALED_VERSIONS) as [string, string];
  const format = sealed.startsWith('v2.') ? 2 : 1;
  const nonce = fromB64uExact(nonceText, NONCE_BYTES, 'sealed field nonce');
  const ciphertext = fromB64u(ctText, 'sealed field ciphertext');
  if (ciphertext.length < TAG_BYTES) {
    throw new CryptoError('bad_length', `sealed field ciphertext must be at least ${TAG_BYTES} bytes`);
  }
  if (format === 2 && !isPaddedLength(ciphertext.length - TAG_BYTES)) {
    throw new CryptoError('bad_length', `a v2 sealed field's ciphertext less its ${TAG_BYTES}-byte tag must be a padded length, not ${ciphertext.length - TAG_BYTES} bytes`);
  }
  return { format, nonce, ciphertext };
}

/**
 * Opens a sealed field of either format: `decrypt_failed` when the DEK, the AD or the ciphertext
 * is not the sealed one; `bad_padding` when a format-2 value authenticates but its padding is
 * missing or not canonical.
 */
export function openField<T extends JsonValue = JsonValue>(sealed: string, dek: Uint8Array, ad: string): T {
  assertKeySize(dek, DEK_BYTES, 'DEK');
  const { format, nonce, ciphertext } = parseSealedField(sealed);
  const adData = adBytes(ad);
  const s = na();
  let plaintext: Uint8Array;
  try {
    plaintext = s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, adData, nonce, dek);
  } catch {
    throw new CryptoError('decrypt_failed', 'sealed field did not open: wrong key, other associated data, or altered ciphertext');
  }
  try {
    return jsonOf<T>(format === 2 ? unpad(plaintext) : plaintext);
  } finally {
    s.memzero(plaintext);
  }
}

function jsonOf<T>(message: Uint8Array): T {
  try {
    return JSON.parse(fromUtf8(message)) as T;
  } catch {
    throw new CryptoError('bad_plaintext', 'sealed field opened but is not UTF-8 JSON');
  }
}
