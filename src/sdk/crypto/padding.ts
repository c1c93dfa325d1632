import { CryptoError } from './errors.js';

/**
 * Length hiding for sealed fields (format 2). A plaintext of L bytes is padded with ISO/IEC
 * 7816-4 (`0x80` then zeros, as libsodium's `sodium_pad`) up to the next multiple of a block
 * strictly above L: 64 bytes under 1 KiB, then 1/16 of the power of two at or below L, so the
 * padding never costs more than 1/16 and a reader learns only a bucket, not the length.
 */
const SMALL_BLOCK = 64;
const SMALL_LIMIT = 1024;

/** The block a plaintext of `length` bytes is padded to a multiple of. */
export function paddingBlock(length: number): number {
  if (!Number.isSafeInteger(length) || length < 0) throw new CryptoError('bad_length', 'a plaintext length is a non-negative integer');
  if (length < SMALL_LIMIT) return SMALL_BLOCK;
  // 2^(floor(log2 L) - 4), computed without floating point (exact for every safe integer).
  let power = SMALL_LIMIT;
  while (power * 2 <= length) power *= 2;
  return power / 16;
}

/** The padded length of a plaintext of `length` bytes: always more than `length` (the 0x80 marker). */
export function paddedLength(length: number): number {
  const block = paddingBlock(length);
  return (Math.floor(length / block) + 1) * block;
}

/**
 * Whether `padded` is the padded length of some plaintext: the check a server can make on a
 * format-2 ciphertext without a key (its length less the 16-byte tag).
 */
export function isPaddedLength(padded: number): boolean {
  if (!Number.isSafeInteger(padded) || padded < SMALL_BLOCK) return false;
  // The largest plaintext that fits is padded - 1; it pads to `padded` exactly when this is its padded length.
  return paddedLength(padded - 1) === padded;
}

/** m || 0x80 || 0x00... up to `paddedLength(len(m))`. */
export function pad(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(paddedLength(message.length));
  out.set(message);
  out[message.length] = 0x80;
  return out;
}

/**
 * The message inside a padded plaintext. Refuses (`bad_padding`) a plaintext with no 0x80 marker
 * after the trailing zeros, and one padded to another length than `pad` gives for what it holds
 * (an extra block, or a block of the wrong size), so each value has exactly one encoding. Only
 * ever called on authenticated plaintext, so its timing reveals nothing a key holder lacks.
 */
export function unpad(padded: Uint8Array): Uint8Array {
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  if (end < 0 || padded[end] !== 0x80) {
    throw new CryptoError('bad_padding', 'sealed field opened but its padding has no 0x80 marker after the trailing zeros');
  }
  if (paddedLength(end) !== padded.length) {
    throw new CryptoError('bad_padding', `sealed field opened but is padded to ${padded.length} bytes, not the ${paddedLength(end)} that a ${end}-byte value takes`);
  }
  return padded.subarray(0, end);
}
