import { createPrivateKey, createPublicKey } from 'node:crypto';
import sodium from 'libsodium-wrappers-sumo';
import { fromB64u, ready, toB64u } from '../sdk/index.js';
import type { Config } from '../config/config.js';

/**
 * The server's own keys. None of them opens case content: they sign access tokens and audit
 * checkpoints, make fake prelogin salts and recovery wraps, key the throttling counters, and
 * seal TOTP secrets and partners' webhook secrets and URLs at rest.
 *
 * Every key that comes from SERVER_SECRET is a libsodium KDF subkey assigned here and nowhere
 * else, one id and context per purpose, so that two purposes never share a key:
 *
 * | id | context    | purpose                                  |
 * |----|------------|------------------------------------------|
 * | 1  | `egidepre` | fake prelogin salts (HMAC)               |
 * | 2  | `egidetot` | TOTP secrets at rest                     |
 * | 3  | `egidewhk` | webhook signing secrets at rest          |
 * | 4  | `egidewhu` | webhook URLs at rest                     |
 * | 5  | `egiderec` | fake recovery wraps and challenge keys   |
 * | 6  | `egidethr` | names of the throttling counters (HMAC)  |
 */
export interface ServerKeys {
  jwt: { privatePem: string; publicPem: string };
  audit: { secretKey: Uint8Array; publicKey: string };
  /** HMAC key for stable fake salts of unknown usernames. */
  preloginKey: Uint8Array;
  /** secretbox key for TOTP secrets at rest. */
  totpKey: Uint8Array;
  /** XChaCha20-Poly1305 key for webhook signing secrets at rest (src/notifications/webhook-secret.ts). */
  webhookSecretKey: Uint8Array;
  /**
   * XChaCha20-Poly1305 key for webhook URLs at rest (src/notifications/webhook-url.ts): a URL
   * may carry the partner's own token in its path or query.
   */
  webhookUrlKey: Uint8Array;
  /** HMAC key for stable fake recovery wraps (and challenge keys) of unknown usernames. */
  recoveryKey: Uint8Array;
  /** HMAC key naming the throttling counters in Redis (no username or address in clear there). */
  throttleKey: Uint8Array;
}

function ed25519Pems(seed: Uint8Array): { privatePem: string; publicPem: string } {
  const { publicKey } = sodium.crypto_sign_seed_keypair(seed);
  const jwk = { kty: 'OKP', crv: 'Ed25519', d: toB64u(seed), x: toB64u(publicKey) };
  const key = createPrivateKey({ key: jwk, format: 'jwk' });
  return { privatePem: key.export({ format: 'pem', type: 'pkcs8' }).toString(), publicPem: createPublicKey(key).export({ format: 'pem', type: 'spki' }).toString() };
}

export async function loadServerKeys(config: Config): Promise<ServerKeys> {
  await ready();
  const auditPair = sodium.crypto_sign_seed_keypair(fromB64u(config.AUDIT_SIGNING_KEY));
  const secret = fromB64u(config.SERVER_SECRET);
  return {
    jwt: ed25519Pems(fromB64u(config.JWT_SIGNING_KEY)),
    audit: { secretKey: auditPair.privateKey, publicKey: toB64u(auditPair.publicKey) },
    preloginKey: sodium.crypto_kdf_derive_from_key(32, 1, 'egidepre', secret),
    totpKey: sodium.crypto_kdf_derive_from_key(32, 2, 'egidetot', secret),
    webhookSecretKey: sodium.crypto_kdf_derive_from_key(32, 3, 'egidewhk', secret),
    webhookUrlKey: sodium.crypto_kdf_derive_from_key(32, 4, 'egidewhu', secret),
    recoveryKey: sodium.crypto_kdf_derive_from_key(32, 5, 'egiderec', secret),
    throttleKey: sodium.crypto_kdf_derive_from_key(32, 6, 'egidethr', secret),
  };
}

/** Fresh values for the secret variables (used by `egide env init` and tests). */
export async function generateSecrets(): Promise<Pick<Config, 'JWT_SIGNING_KEY' | 'AUDIT_SIGNING_KEY' | 'SERVER_SECRET' | 'METRICS_TOKEN'>> {
  await ready();
  return { JWT_SIGNING_KEY: toB64u(sodium.randombytes_buf(32)), AUDIT_SIGNING_KEY: toB64u(sodium.randombytes_buf(32)), SERVER_SECRET: toB64u(sodium.randombytes_buf(32)), METRICS_TOKEN: toB64u(sodium.randombytes_buf(32)) };
}
