import { createHmac } from 'node:crypto';
import sodium from 'libsodium-wrappers-sumo';
import { fromB64u, toB64u } from '../sdk/index.js';

/**
 * A value the server keeps at rest and must read back itself (a partner's webhook secret or URL):
 * `v1.<nonce>.<ciphertext>`, XChaCha20-Poly1305 under a SERVER_SECRET subkey (src/lib/server-keys.ts)
 * with associated data naming the row and the purpose, so that a sealed value cannot be moved to
 * another row or read as another field. Call after libsodium's `ready()`.
 */
export function sealAtRest(plaintext: string, associatedData: string, key: Uint8Array): string {
  const nonce = sodium.randombytes_buf(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  const ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(sodium.from_string(plaintext), associatedData, null, nonce, key);
  return `v1.${toB64u(nonce)}.${toB64u(ct)}`;
}

export function openAtRest(sealed: string, associatedData: string, key: Uint8Array): string {
  const [v, nonce, ct] = sealed.split('.');
  if (v !== 'v1' || !nonce || !ct) throw new Error('unknown sealed value format');
  return sodium.to_string(sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, fromB64u(ct), associatedData, fromB64u(nonce), key));
}

/**
 * Webhook signing secrets at rest, under `ServerKeys.webhookSecretKey` (AD = the endpoint id, as
 * since the first release: existing rows open unchanged).
 */
export function sealWebhookSecret(secret: string, endpointId: string, key: Uint8Array): string {
  return sealAtRest(secret, endpointId, key);
}

export function openWebhookSecret(sealed: string, endpointId: string, key: Uint8Array): string {
  return openAtRest(sealed, endpointId, key);
}

/** `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`: what the receiver recomputes. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}
