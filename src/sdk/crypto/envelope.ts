import { CryptoError } from './errors.js';
import { assertKeySize, fromB64uExact, splitVersioned, toB64u } from './encoding.js';
import { type BoxKeyPair, DEK_BYTES, PRIVATE_KEY_BYTES, PUBLIC_KEY_BYTES, keyIdOf } from './keys.js';
import { na, wipe } from './sodium.js';

const SEAL_OVERHEAD = 48; // ephemeral public key (32) + Poly1305 tag (16)

/** `v1.<b64u(crypto_box_seal(secret, recipientPublicKey))>` */
export type Envelope = `v1.${string}`;

/** An envelope as the API stores it: the sealed key and the keyId of the key that opens it. */
export interface KeyEnvelope {
  keyId: string;
  envelope: Envelope;
}

/** Seals a 32-byte secret (a DEK or an organisation private key) to a recipient's public key. */
export function sealSecret(secret: Uint8Array, recipientPublicKey: Uint8Array, what = 'secret'): Envelope {
  assertKeySize(secret, DEK_BYTES, what);
  assertKeySize(recipientPublicKey, PUBLIC_KEY_BYTES, 'recipient public key');
  return `v1.${toB64u(na().crypto_box_seal(secret, recipientPublicKey))}`;
}

/** Opens a sealed secret with the recipient's key pair. */
export function openSecret(envelope: string, recipient: BoxKeyPair, what = 'envelope'): Uint8Array {
  assertKeySize(recipient.publicKey, PUBLIC_KEY_BYTES, 'recipient public key');
  assertKeySize(recipient.privateKey, PRIVATE_KEY_BYTES, 'recipient private key');
  const [body] = splitVersioned(envelope, 1, what) as [string];
  const sealed = fromB64uExact(body, DEK_BYTES + SEAL_OVERHEAD, what);
  try {
    return na().crypto_box_seal_open(sealed, recipient.publicKey, recipient.privateKey);
  } catch {
    throw new CryptoError('decrypt_failed', `${what} did not open with this key pair`);
  }
}

/** A DEK sealed to a reader, with the reader's keyId. */
export function sealEnvelope(dek: Uint8Array, recipientPublicKey: Uint8Array): KeyEnvelope {
  return { keyId: keyIdOf(recipientPublicKey), envelope: sealSecret(dek, recipientPublicKey, 'DEK') };
}

/** Opens a key envelope; refuses one addressed to another keyId before trying to decrypt. */
export function openEnvelope(envelope: KeyEnvelope | string, recipient: BoxKeyPair): Uint8Array {
  if (typeof envelope !== 'string' && envelope.keyId !== keyIdOf(recipient.publicKey)) {
    throw new CryptoError('key_id_mismatch', `envelope is for keyId ${envelope.keyId}, not this key pair`);
  }
  return openSecret(typeof envelope === 'string' ? envelope : envelope.envelope, recipient, 'key envelope');
}

/**
 * Moves a key envelope to another recipient without changing the key it seals (after a rotation
 * of an organisation key: the case key sealed to the retired key, re-sealed to the current one).
 * The opened key is wiped before returning.
 */
export function rewrapEnvelope(envelope: KeyEnvelope, from: BoxKeyPair, toPublicKey: Uint8Array): KeyEnvelope {
  const secret = openEnvelope(envelope, from);
  try {
    return sealEnvelope(secret, toPublicKey);
  } finally {
    wipe(secret);
  }
}
