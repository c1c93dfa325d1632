/**
 * The audit signing key, pinned in this console at first use (a public key: localStorage is
 * fine): each later verification checks the signed head with the pinned key, not with the key the
 * server names beside it. A server that rewrote history and re-signed with a key of its own would
 * hand out that key too; a different key is therefore refused, never silently taken.
 */
import { consolePins, type PinState } from '../keys/pinned-keys.js';

const SUBJECT = 'audit:signing';
const KEY = /^[A-Za-z0-9_-]{43}$/;

/** The 32 bytes of an Ed25519 public key in upper-case hex, sixteen groups of four, as read aloud over a telephone. */
export function signingFingerprint(key: string): string {
  if (!KEY.test(key)) return key;
  const binary = atob(key.replace(/-/g, '+').replace(/_/g, '/') + '=');
  const hex = Array.from(binary, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('').toUpperCase();
  return hex.match(/.{4}/g)!.join(' ');
}

/** Where the key the server names stands against the pin of `owner` (the signed-in account). */
export function signingKeyState(owner: string, key: string): PinState {
  return consolePins().check(owner, SUBJECT, key);
}

/** Pins the key at first use. */
export function pinSigningKey(owner: string, key: string): void {
  consolePins().pin(owner, SUBJECT, key);
}
