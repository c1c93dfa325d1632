import { CryptoError } from './errors.js';
import { assertKeySize, fromB64uExact, toB64u } from './encoding.js';
import { na, randomBytes } from './sodium.js';

export const PUBLIC_KEY_BYTES = 32;
export const PRIVATE_KEY_BYTES = 32;
export const DEK_BYTES = 32;
export const KEY_ID_BYTES = 16;

/** An X25519 key pair of a user, an organisation or a defender. */
export interface BoxKeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** A principal key pair (`crypto_box_keypair`), one per user and per organisation. */
export function generateKeyPair(): BoxKeyPair {
  const { publicKey, privateKey } = na().crypto_box_keypair();
  return { publicKey, privateKey };
}

/** Recomputes the public key of a private key (X25519 scalar multiplication by the base point). */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  assertKeySize(privateKey, PRIVATE_KEY_BYTES, 'private key');
  return na().crypto_scalarmult_base(privateKey);
}

/** `keyId = b64u(crypto_generichash(16, publicKey))`: short, stable, safe to print on a poster. */
export function keyIdOf(publicKey: Uint8Array): string {
  assertKeySize(publicKey, PUBLIC_KEY_BYTES, 'public key');
  return toB64u(na().crypto_generichash(KEY_ID_BYTES, publicKey, null));
}

/**
 * Decodes a published public key and checks it against the keyId the caller pinned (from its
 * own configuration, never from the same server response), so a compromised server cannot
 * substitute its own key.
 */
export function pinnedPublicKey(publicKeyB64u: string, pinnedKeyId: string): Uint8Array {
  const publicKey = fromB64uExact(publicKeyB64u, PUBLIC_KEY_BYTES, 'public key', 'bad_key_size');
  const actual = keyIdOf(publicKey);
  if (actual !== pinnedKeyId) {
    throw new CryptoError('key_id_mismatch', `public key has keyId ${actual}, expected the pinned ${pinnedKeyId}`);
  }
  return publicKey;
}

/** A fresh case or referral key (DEK). */
export function generateDek(): Uint8Array {
  return randomBytes(DEK_BYTES);
}

export { randomBytes };
