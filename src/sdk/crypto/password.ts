import { CryptoError } from './errors.js';
import { assertKeySize, fromB64uExact, splitVersioned, toB64u, utf8 } from './encoding.js';
import { type BoxKeyPair, PRIVATE_KEY_BYTES, publicKeyOf } from './keys.js';
import { NONCE_BYTES } from './sealed-field.js';
import { na, randomBytes } from './sodium.js';

/** The scheme's Argon2id parameters; a server offering anything else is refused. */
export const KDF_PARAMS = { alg: 'argon2id13', opslimit: 3, memlimit: 67108864 } as const;
export const SALT_BYTES = 16;
const KEY_BYTES = 32;

/** What `GET prelogin` returns. */
export interface PreloginParams {
  salt: string;
  opslimit: number;
  memlimit: number;
  alg: string;
}

/** What a password or a receipt derives: `authKey` is sent, the rest never leaves the client. */
export interface DerivedKeys {
  master: Uint8Array;
  authKey: Uint8Array;
  wrapKey: Uint8Array;
}

/** `v1.<b64u(nonce)>.<b64u(crypto_secretbox_easy(privateKey, nonce, key))>` */
export type WrappedKey = `v1.${string}.${string}`;

/** A random 16-byte salt for a new password (made by the enrolling client). */
export function generateSalt(): string {
  return toB64u(randomBytes(SALT_BYTES));
}

/** Refuses KDF parameters other than the scheme's, so a server cannot weaken the derivation. */
export function checkPreloginParams(params: PreloginParams): Uint8Array {
  if (params.alg !== KDF_PARAMS.alg || params.opslimit !== KDF_PARAMS.opslimit || params.memlimit !== KDF_PARAMS.memlimit) {
    throw new CryptoError('bad_kdf_params', `KDF parameters must be ${KDF_PARAMS.alg}, opslimit ${KDF_PARAMS.opslimit}, memlimit ${KDF_PARAMS.memlimit}`);
  }
  return fromB64uExact(params.salt, SALT_BYTES, 'salt');
}

/** `crypto_pwhash(32, secret, salt, 3, 64 MiB, ARGON2ID13)`: the slow step (about a third of a second). */
export function deriveMaster(secret: Uint8Array, salt: Uint8Array): Uint8Array {
  if (salt.length !== SALT_BYTES) throw new CryptoError('bad_length', `salt must be ${SALT_BYTES} bytes, got ${salt.length}`);
  const s = na();
  return s.crypto_pwhash(KEY_BYTES, secret, salt, KDF_PARAMS.opslimit, KDF_PARAMS.memlimit, s.crypto_pwhash_ALG_ARGON2ID13);
}

/** Subkey `id` with an 8-character context from a 32-byte master. */
export function kdf(master: Uint8Array, id: number, context: string): Uint8Array {
  assertKeySize(master, KEY_BYTES, 'master key');
  return na().crypto_kdf_derive_from_key(KEY_BYTES, id, context, master);
}

/** master -> authKey (id 1, "egideaut") and wrapKey (id 2, "egidewrp"). */
export function splitMaster(master: Uint8Array): DerivedKeys {
  return { master, authKey: kdf(master, 1, 'egideaut'), wrapKey: kdf(master, 2, 'egidewrp') };
}

/** Passwords are NFKC-normalised so the same password typed on another keyboard derives the same keys. */
export function derivePasswordKeys(password: string, params: PreloginParams): DerivedKeys {
  const salt = checkPreloginParams(params);
  const secret = utf8(password.normalize('NFKC'));
  try {
    return splitMaster(deriveMaster(secret, salt));
  } finally {
    na().memzero(secret);
  }
}

/** What the server stores for an authKey: `b64u(SHA-256(authKey))`. */
export function verifierOf(authKey: Uint8Array): string {
  assertKeySize(authKey, KEY_BYTES, 'authKey');
  return toB64u(na().crypto_hash_sha256(authKey));
}

/** Wraps a private key under a 32-byte key (the wrapKey or a recovery key). */
export function wrapPrivateKey(privateKey: Uint8Array, key: Uint8Array, nonce?: Uint8Array): WrappedKey {
  assertKeySize(privateKey, PRIVATE_KEY_BYTES, 'private key');
  assertKeySize(key, KEY_BYTES, 'wrapping key');
  const s = na();
  const n = nonce ?? randomBytes(NONCE_BYTES);
  if (n.length !== NONCE_BYTES) throw new CryptoError('bad_length', `nonce must be ${NONCE_BYTES} bytes`);
  return `v1.${toB64u(n)}.${toB64u(s.crypto_secretbox_easy(privateKey, n, key))}`;
}

/**
 * Splits and decodes a wrapped private key without a key (what a server can check). Wraps stay
 * format v1 only: a key has a fixed size, so there is no length to hide.
 */
export function parseWrappedKey(wrapped: string): { nonce: Uint8Array; ciphertext: Uint8Array } {
  const [nonceText, ctText] = splitVersioned(wrapped, 2, 'wrapped private key') as [string, string];
  return {
    nonce: fromB64uExact(nonceText, NONCE_BYTES, 'wrapped private key nonce'),
    ciphertext: fromB64uExact(ctText, PRIVATE_KEY_BYTES + 16, 'wrapped private key'),
  };
}

/** Unwraps a private key and returns the key pair (the public key is recomputed from it). */
export function unwrapPrivateKey(wrapped: string, key: Uint8Array): BoxKeyPair {
  assertKeySize(key, KEY_BYTES, 'wrapping key');
  const { nonce, ciphertext: ct } = parseWrappedKey(wrapped);
  let privateKey: Uint8Array;
  try {
    privateKey = na().crypto_secretbox_open_easy(ct, nonce, key);
  } catch {
    throw new CryptoError('decrypt_failed', 'private key did not unwrap: wrong password or recovery code, or altered wrap');
  }
  return { publicKey: publicKeyOf(privateKey), privateKey };
}
