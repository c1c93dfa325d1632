import { Secret, TOTP } from 'otpauth';
import sodium from 'libsodium-wrappers-sumo';
import { fromB64u, toB64u } from '../sdk/index.js';

/** RFC 6238 defaults that every authenticator app understands. */
const PERIOD = 30;
const DIGITS = 6;

/** The server must read TOTP secrets to verify codes, so they are sealed at rest with a key derived from SERVER_SECRET. */
export function sealTotpSecret(base32: string, key: Uint8Array): string {
  const nonce = sodium.randombytes_buf(24);
  return `v1.${toB64u(nonce)}.${toB64u(sodium.crypto_secretbox_easy(new TextEncoder().encode(base32), nonce, key))}`;
}

export function openTotpSecret(sealed: string, key: Uint8Array): string {
  const [, nonce, ct] = sealed.split('.');
  return new TextDecoder().decode(sodium.crypto_secretbox_open_easy(fromB64u(ct ?? ''), fromB64u(nonce ?? ''), key));
}

/** A valid base32 secret of at least 160 bits (RFC 4226 recommends 160). */
export function isAcceptableTotpSecret(base32: string): boolean {
  try {
    return Secret.fromBase32(base32).bytes.length >= 20;
  } catch {
    return false;
  }
}

/**
 * The time step the code belongs to (current step ±1 for clock drift), or null. Callers then
 * accept the step only if it is later than the last accepted one (no replay).
 */
export function totpStep(base32: string, code: string, now: Date): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const totp = new TOTP({ secret: Secret.fromBase32(base32), algorithm: 'SHA1', digits: DIGITS, period: PERIOD });
  const delta = totp.validate({ token: code, timestamp: now.getTime(), window: 1 });
  if (delta === null) return null;
  return Math.floor(now.getTime() / 1000 / PERIOD) + delta;
}

/** For clients and tests: the code of a secret at a time. */
export function totpCode(base32: string, at: Date): string {
  return new TOTP({ secret: Secret.fromBase32(base32), algorithm: 'SHA1', digits: DIGITS, period: PERIOD }).generate({ timestamp: at.getTime() });
}

export function generateTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}
