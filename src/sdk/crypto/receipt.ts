import { CryptoError } from './errors.js';
import { fromB64uExact, toB64u, utf8 } from './encoding.js';
import { type BoxKeyPair, keyIdOf } from './keys.js';
import { SALT_BYTES, deriveMaster, kdf, verifierOf } from './password.js';
import { na, randomBytes } from './sodium.js';

export const RECEIPT_DIGITS = 16;

/** Everything a receipt opens: the authKey to log in and the defender's own key pair. */
export interface ReceiptKeys {
  authKey: Uint8Array;
  verifier: string;
  keyPair: BoxKeyPair;
  keyId: string;
}

/**
 * 16 decimal digits from the CSPRNG, shown as four groups of four. Each digit comes from one
 * random byte; bytes 250-255 are rejected so that every digit is equally likely (a plain
 * `byte % 10` would favour 0-5). `randomSource` exists for tests.
 */
export function generateReceipt(randomSource: (n: number) => Uint8Array = randomBytes): string {
  let digits = '';
  // Each round keeps ~98% of bytes; a source that yields only rejected bytes is broken, not unlucky.
  for (let round = 0; digits.length < RECEIPT_DIGITS; round++) {
    if (round > 64) throw new CryptoError('bad_receipt', 'random source yields no usable bytes');
    const bytes = randomSource(RECEIPT_DIGITS);
    for (const b of bytes) {
      if (b < 250 && digits.length < RECEIPT_DIGITS) digits += String(b % 10);
    }
    bytes.fill(0);
  }
  return formatReceipt(digits);
}

/** "4821093755621048" -> "4821 0937 5562 1048" */
export function formatReceipt(digits: string): string {
  return normaliseReceipt(digits).match(/.{4}/g)!.join(' ');
}

/**
 * Reads a receipt as a person types it: spaces (including non-breaking ones), dashes and dots
 * between groups are ignored; full-width digits are folded by NFKC. Anything else is refused.
 */
export function normaliseReceipt(typed: string): string {
  if (typeof typed !== 'string') throw new CryptoError('bad_receipt', 'receipt must be text');
  const digits = typed.normalize('NFKC').replace(/[\s\-\u2010-\u2015\u2212.]/g, '');
  if (!/^[0-9]+$/.test(digits) || digits.length !== RECEIPT_DIGITS) {
    throw new CryptoError('bad_receipt', `receipt must be ${RECEIPT_DIGITS} digits`);
  }
  return digits;
}

/**
 * master = Argon2id(digits, receiptSalt); authKey = kdf(master, 1, "egideaut");
 * key pair = crypto_box_seed_keypair(kdf(master, 3, "egidedfn")).
 */
export function deriveReceiptKeys(receipt: string, receiptSalt: string): ReceiptKeys {
  const salt = fromB64uExact(receiptSalt, SALT_BYTES, 'receipt salt');
  const digits = utf8(normaliseReceipt(receipt));
  const s = na();
  const master = deriveMaster(digits, salt);
  s.memzero(digits);
  const authKey = kdf(master, 1, 'egideaut');
  const seed = kdf(master, 3, 'egidedfn');
  s.memzero(master);
  const { publicKey, privateKey } = s.crypto_box_seed_keypair(seed);
  s.memzero(seed);
  return { authKey, verifier: verifierOf(authKey), keyPair: { publicKey, privateKey }, keyId: keyIdOf(publicKey) };
}

/** The defender's public key as the filing client uploads it. */
export function receiptPublicKey(keys: ReceiptKeys): string {
  return toB64u(keys.keyPair.publicKey);
}
