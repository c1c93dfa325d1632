import { base32crockford } from '@scure/base';
import { CryptoError } from './errors.js';
import { na, randomBytes } from './sodium.js';

export const RECOVERY_KEY_BYTES = 32;
const CODE_CHARS = 52; // ceil(256 / 5)

/**
 * A recovery code is 32 random bytes written as Crockford base32 (52 characters, no I, L, O or
 * U, case-insensitive) in groups of four separated by dashes: easy to copy by hand and read
 * back. Generating returns only the text; the key is derived from it when needed.
 */
export function createRecoveryCode(): string {
  const key = randomBytes(RECOVERY_KEY_BYTES);
  const text = base32crockford.encode(key);
  na().memzero(key);
  return text.match(/.{1,4}/g)!.join('-');
}

/**
 * Reads a recovery code as a person may type it: any case, with spaces or dashes, and the
 * letters O, I and L standing for 0, 1 and 1.
 */
export function recoveryKeyOf(code: string): Uint8Array {
  if (typeof code !== 'string') throw new CryptoError('bad_recovery_code', 'recovery code must be text');
  const compact = code.normalize('NFKC').replace(/[\s-]/g, '').toUpperCase();
  if (compact.length !== CODE_CHARS || !/^[0-9A-HJKMNP-TV-Z OIL]+$/.test(compact)) {
    throw new CryptoError('bad_recovery_code', `recovery code must be ${CODE_CHARS} letters and digits`);
  }
  let key: Uint8Array;
  try {
    key = base32crockford.decode(compact.replace(/O/g, '0').replace(/[IL]/g, '1'));
  } catch {
    throw new CryptoError('bad_recovery_code', 'recovery code is not valid Crockford base32');
  }
  if (key.length !== RECOVERY_KEY_BYTES) throw new CryptoError('bad_recovery_code', 'recovery code has the wrong length');
  return key;
}
