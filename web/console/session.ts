/**
 * The signed-in person: who they are (the account bundle of getMe, which opens nothing without
 * the password), whether the console is locked, and the idle lock. The private key itself is in
 * the worker; here are only its id and the wrapped form the password opens again on unlock.
 */
import { signal } from '@preact/signals';
import type { PreloginParams } from '../../src/sdk/index.js';
import { call, forgetTokens, sessionAlive, type ResponseOf } from './api.js';
import { crypto, stopCrypto } from './crypto-client.js';

export type Account = ResponseOf<'getMe'>;

export const account = signal<Account | null>(null);
export const locked = signal(false);
/** Minutes without a key press, click or touch before the lock (the API's settings). */
export const idleLockMinutes = signal(15);

let prelogin: PreloginParams | null = null;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

/** Password and TOTP: Argon2id in the worker, the authKey to the server, the private key opened in the worker. */
export async function signIn(username: string, password: string, totp: string): Promise<void> {
  const params = await call('prelogin', { body: { username } });
  const { authKey } = await crypto({ op: 'login', password, params });
  await call('login', { body: { username, authKey, totp } });
  const me = await call('getMe');
  await crypto({ op: 'openAccount', wrappedPrivateKey: me.wrappedPrivateKey, keyId: me.keyId });
  prelogin = params;
  account.value = me;
  locked.value = false;
  armIdleLock();
}

/** The lock's way back: the password opens the private key again in the worker; no server call. */
export async function unlock(password: string): Promise<void> {
  const me = account.value;
  if (!me || !prelogin) throw Object.assign(new Error('no session'), { code: 'session_ended' });
  await crypto({ op: 'unlock', password, params: prelogin, wrappedPrivateKey: me.wrappedPrivateKey, keyId: me.keyId });
  locked.value = false;
  armIdleLock();
}

export async function lockNow(): Promise<void> {
  locked.value = true;
  await crypto({ op: 'lock' });
}

/** Ends the session on the server (best effort) and forgets everything here. */
export async function signOut(): Promise<void> {
  try {
    if (sessionAlive.value) await call('logout');
  } finally {
    endLocally();
  }
}

/** Forgets the session in this tab: keys (the worker stops), tokens, account. */
export function endLocally(): void {
  stopCrypto();
  forgetTokens();
  account.value = null;
  prelogin = null;
  locked.value = false;
  clearTimeout(idleTimer);
}

function armIdleLock(): void {
  clearTimeout(idleTimer);
  if (!account.value || locked.value) return;
  idleTimer = setTimeout(() => void lockNow(), idleLockMinutes.value * 60_000);
}

for (const type of ['keydown', 'pointerdown', 'touchstart', 'wheel'] as const) {
  window.addEventListener(type, armIdleLock, { passive: true, capture: true });
}

/** After a password change: the new salt and wrapped key, so that the idle lock's unlock takes the new password. */
export function passwordChanged(params: PreloginParams, me: Account): void {
  prelogin = params;
  account.value = me;
}
