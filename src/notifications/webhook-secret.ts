import { createHmac } from 'node:crypto';
import sodium from 'libsodium-wrappers-sumo';
import { fromB64u, toB64u } from '../sdk/index.js';

/**
 * Webhook secrets at rest: sealed (XChaCha20-Poly1305, AD = the endpoint id, so a row's secret
 * cannot be moved to another endpoint) under a key derived from SERVER_SECRET, as TOTP secrets
 * are (src/lib/server-keys.ts; subkey 3, context `egidewhk`). Call after `ready()`.
 */
export function webhookKey(serverSecret: string): Uint8Array {
  return sodium.crypto_kdf_derive_from_key(32, 3, 'egidewhk', fromB64u(serverSecret));
}

export function sealWebhookSecret(secret: string, endpointId: string, key: Uint8Array): string {
  const nonce = sodium.randombytes_buf(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  const ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(sodium.from_string(secret), endpointId, null, nonce, key);
  return `v1.${toB64u(nonce)}.${toB64u(ct)}`;
}

export function openWebhookSecret(sealed: string, endpointId: string, key: Uint8Array): string {
  const [v, nonce, ct] = sealed.split('.');
  if (v !== 'v1' || !nonce || !ct) throw new Error('unknown webhook secret format');
  return sodium.to_string(sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, fromB64u(ct), endpointId, fromB64u(nonce), key));
}

/** `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`: what the receiver recomputes. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}
