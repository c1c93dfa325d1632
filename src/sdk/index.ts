/**
 * The egide client SDK: scheme v1 of client-side encryption (docs/crypto-v1.md) and the typed HTTP
 * client of the API (client/api-client.ts). Runs unchanged
 * in Node.js (24 and later) and in browsers: no `node:` imports here; Node-only helpers live in `./node/`.
 * Call `await ready()` once, then everything is synchronous except file streams.
 */
export * from './crypto/errors.js';
export { ready, wipe, equalBytes } from './crypto/sodium.js';
export { toB64u, fromB64u, toHex, fromHex } from './crypto/encoding.js';
export * from './crypto/keys.js';
export * from './crypto/associated-data.js';
export * from './crypto/padding.js';
export * from './crypto/sealed-field.js';
export * from './crypto/envelope.js';
export * from './crypto/password.js';
export * from './crypto/account.js';
export * from './crypto/recovery.js';
export * from './crypto/receipt.js';
export * from './crypto/org-keyring.js';
export * from './crypto/custody-shares.js';
export * from './crypto/rekey.js';
export * from './crypto/staff-key.js';
export * from './crypto/referral-packet.js';
export * from './crypto/file-stream.js';
export * from './crypto/file-key.js';
export * from './crypto/audit-chain.js';
export * from './crypto/blind-index.js';
export * from './client/filing.js';
export * from './client/rekey.js';
export * from './client/receipt-reissue.js';
export * from './client/api-client.js';
export type { Contracts } from '../contracts/index.js';
