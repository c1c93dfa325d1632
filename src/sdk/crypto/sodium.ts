import sodium from 'libsodium-wrappers-sumo';
import { CryptoError } from './errors.js';

export type Sodium = typeof sodium;

let loaded = false;

/**
 * Loads libsodium (WebAssembly) once. Every other SDK function is synchronous and throws
 * `not_ready` until this has resolved, so callers await it once at start-up.
 */
export async function ready(): Promise<void> {
  if (loaded) return;
  await sodium.ready;
  loaded = true;
}

/** The loaded libsodium instance; throws `not_ready` before `ready()` resolved. */
export function na(): Sodium {
  if (!loaded) throw new CryptoError('not_ready', 'call `await ready()` before using the egide crypto SDK');
  return sodium;
}

/**
 * Overwrites secrets in place. Callers wipe what they no longer need (DEKs, private keys,
 * master keys); JavaScript strings cannot be wiped, which is why secrets stay Uint8Arrays.
 */
export function wipe(...buffers: Array<Uint8Array | null | undefined>): void {
  const s = na();
  for (const b of buffers) if (b) s.memzero(b);
}

/**
 * Random bytes from the platform CSPRNG (WebCrypto `getRandomValues`, the same in Node.js and
 * browsers). libsodium.js's own randombytes_buf calls it once per byte, which made most of the
 * cost of sealing a case; keys, nonces and salts come from here instead.
 */
export function randomBytes(length: number): Uint8Array {
  na(); // the SDK's one contract: nothing works before ready(), whatever it happens to use
  const out = new Uint8Array(length);
  // getRandomValues fills at most 65,536 bytes per call.
  for (let offset = 0; offset < length; offset += 65536) globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
  return out;
}

/** Constant-time equality of two byte strings of the same length. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && na().memcmp(a, b);
}
