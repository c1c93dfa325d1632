import { Secret, TOTP } from 'otpauth';
import sodium from 'libsodium-wrappers-sumo';
import { fromB64u, toB64u } from '../sdk/index.js';
import { AppError, fieldInvalid } from '../lib/problem.js';

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

/** The smallest period p (p < length) with b[i] = b[i - p] throughout, or the length. */
function period(b: ArrayLike<number>): number {
  outer: for (let p = 1; p < b.length; p++) {
    for (let i = p; i < b.length; i++) if (b[i] !== b[i - p]) continue outer;
    return p;
  }
  return b.length;
}

/**
 * Why a secret of acceptable length is still predictable, or null. Refused: few distinct bytes
 * (twenty zero bytes, "A" x 32 in base32), a short pattern repeated (a period of at most half the
 * length), or bytes that step by a repeating difference (0, 1, 2, ...). A secret from a CSPRNG
 * fails one of these with a probability below 2^-70.
 */
export function totpSecretWeakness(base32: string): string | null {
  const bytes = Secret.fromBase32(base32).bytes;
  const n = bytes.length;
  if (new Set(bytes).size < Math.ceil(n / 2)) return 'too few distinct bytes';
  if (period(bytes) <= n / 2) return 'a short pattern repeated';
  const steps = Array.from({ length: n - 1 }, (_, i) => (bytes[i + 1]! - bytes[i]! + 256) % 256);
  if (period(steps) <= (n - 1) / 2) return 'bytes that step by a repeated difference';
  return null;
}

/**
 * A new secret (enrolment, TOTP reset) and the code the user read from it: refuses a secret too
 * short or too predictable (`totp_secret_weak`), or a code that does not match (`totp_invalid`);
 * returns the code's time step (the last one used).
 */
export function checkNewTotpSecret(base32: string, code: string, now: Date): number {
  if (!isAcceptableTotpSecret(base32)) throw fieldInvalid('/body/totpSecret', 'base32, at least 160 bits', 'the TOTP secret must be base32 of at least 160 bits');
  const weakness = totpSecretWeakness(base32);
  if (weakness) throw new AppError('totp_secret_weak', `the TOTP secret is predictable (${weakness}): let the authenticator or a CSPRNG make it`, { errors: [{ field: '/body/totpSecret', message: weakness }] });
  const step = totpStep(base32, code, now);
  if (step === null) throw new AppError('totp_invalid', 'the one-time code does not match the TOTP secret: check the clock of the device and type the current code', { errors: [{ field: '/body/totpCode', message: 'does not match totpSecret' }] });
  return step;
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
