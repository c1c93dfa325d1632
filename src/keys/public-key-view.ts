import { Type } from 'typebox';
import { KeyId, PublicKey } from '../lib/schemas.js';

/**
 * A public key as the API serves it, a user's or an organisation's: the key, its keyId, and the
 * same 16 bytes as a fingerprint a person can read aloud to compare out of band (on the phone,
 * in person) before sealing anything to it. A client still recomputes the keyId from the key
 * (docs/crypto-v1.md §2) and never trusts the server's word for it.
 */
export const Fingerprint = Type.String({
  pattern: '^[0-9A-F]{4}( [0-9A-F]{4}){7}$',
  description: 'the keyId bytes (BLAKE2b-128 of the public key) in upper-case hex, in eight groups of four',
  examples: ['0C07 3BC2 2953 1666 C092 F3D7 01E0 0F41'],
});

export const PublicKeyFields = { keyId: KeyId, publicKey: PublicKey, fingerprint: Fingerprint };

/** The fingerprint of a keyId (base64url of 16 bytes). */
export function fingerprintOf(keyId: string): string {
  const hex = Buffer.from(keyId, 'base64url').toString('hex').toUpperCase();
  return hex.match(/.{4}/g)!.join(' ');
}

export function publicKeyView(k: { keyId: string; publicKey: string }) {
  return { keyId: k.keyId, publicKey: k.publicKey, fingerprint: fingerprintOf(k.keyId) };
}
