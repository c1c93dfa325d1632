import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** b64u(SHA-256(x)): how tokens, invitations and authKeys are stored (never the value itself). */
export function sha256b64u(value: string | Uint8Array): string {
  return createHash('sha256').update(value).digest('base64url');
}

export function hmacB64u(key: Uint8Array, value: string, bytes = 32): string {
  return createHmac('sha256', key).update(value).digest().subarray(0, bytes).toString('base64url');
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Constant-time comparison of two base64url strings (a length difference returns false at once; lengths are public). */
export function equalB64u(a: string, b: string): boolean {
  const x = Buffer.from(a, 'base64url');
  const y = Buffer.from(b, 'base64url');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
