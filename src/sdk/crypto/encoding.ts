import { CryptoError } from './errors.js';
import { na } from './sodium.js';

const B64U = /^[A-Za-z0-9_-]*$/;

/** base64url without padding, the scheme's encoding for every byte string. */
export function toB64u(bytes: Uint8Array): string {
  const s = na();
  return s.to_base64(bytes, s.base64_variants.URLSAFE_NO_PADDING);
}

/**
 * Strict decoding: only the URL-safe alphabet, no padding, and canonical (unused trailing bits
 * zero), so one byte string has exactly one accepted spelling.
 */
export function fromB64u(text: string, what = 'value'): Uint8Array {
  if (typeof text !== 'string' || !B64U.test(text) || text.length % 4 === 1) {
    throw new CryptoError('bad_base64url', `${what} is not base64url without padding`);
  }
  const s = na();
  let bytes: Uint8Array;
  try {
    bytes = s.from_base64(text, s.base64_variants.URLSAFE_NO_PADDING);
  } catch {
    throw new CryptoError('bad_base64url', `${what} is not base64url without padding`);
  }
  if (toB64u(bytes) !== text) {
    throw new CryptoError('bad_base64url', `${what} is not canonical base64url`);
  }
  return bytes;
}

/** Decodes and checks the length in one step: what the scheme's fixed-size fields need. */
export function fromB64uExact(text: string, length: number, what: string, code: 'bad_length' | 'bad_key_size' = 'bad_length'): Uint8Array {
  const bytes = fromB64u(text, what);
  if (bytes.length !== length) {
    throw new CryptoError(code, `${what} must be ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

export function toHex(bytes: Uint8Array): string {
  return na().to_hex(bytes);
}

export function fromHex(text: string, what = 'value'): Uint8Array {
  if (typeof text !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(text)) {
    throw new CryptoError('bad_format', `${what} is not lowercase hex`);
  }
  return na().from_hex(text);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Splits `v<n>.<part>.<part>` strings. The prefix is checked first, against the versions this
 * kind of value has (sealed fields v1 and v2, every other kind v1 only), so that an unknown
 * version is reported as such, not as garbage.
 */
export function splitVersioned(text: string, parts: number, what: string, versions: readonly string[] = ['v1']): string[] {
  if (typeof text !== 'string') throw new CryptoError('bad_format', `${what} must be a string`);
  const all = text.split('.');
  const version = all[0] ?? '';
  if (!versions.includes(version)) {
    const expected = versions.map((v) => `"${v}."`).join(' or ');
    throw new CryptoError('unsupported_version', `${what} must start with ${expected}, got "${version.slice(0, 8)}."`);
  }
  if (all.length !== parts + 1) {
    throw new CryptoError('bad_format', `${what} must have ${parts} part(s) after "${version}."`);
  }
  return all.slice(1);
}

/** Checks a raw key's size, naming which key was wrong. */
export function assertKeySize(key: Uint8Array, size: number, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== size) {
    throw new CryptoError('bad_key_size', `${what} must be ${size} bytes, got ${key instanceof Uint8Array ? key.length : typeof key}`);
  }
}
