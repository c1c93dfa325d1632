import { type DerivedKeys, type PreloginParams, type WrappedKey, KDF_PARAMS, derivePasswordKeys, generateSalt, unwrapPrivateKey, verifierOf, wrapPrivateKey } from './password.js';
import { type BoxKeyPair, generateKeyPair, keyIdOf } from './keys.js';
import { createRecoveryCode, recoveryKeyOf } from './recovery.js';
import { toB64u } from './encoding.js';
import { na } from './sodium.js';

/** The password-derived part of an account as the server stores it (none of it opens anything). */
export interface PasswordMaterial {
  salt: string;
  verifier: string;
  wrappedPrivateKey: WrappedKey;
}

/** What an enrolling client uploads. */
export interface EnrolmentUpload extends PasswordMaterial {
  publicKey: string;
  keyId: string;
  recoveryWrap: WrappedKey;
}

/** Enrolment result: the upload, the secrets to keep in memory, and the recovery code to show once. */
export interface Enrolment {
  upload: EnrolmentUpload;
  keyPair: BoxKeyPair;
  authKey: Uint8Array;
  /** Shown to the user once, as text, to write down; never sent. */
  recoveryCode: string;
}

function passwordMaterial(keyPair: BoxKeyPair, password: string): PasswordMaterial & { keys: DerivedKeys } {
  const salt = generateSalt();
  const keys = derivePasswordKeys(password, { salt, ...KDF_PARAMS });
  return { salt, verifier: verifierOf(keys.authKey), wrappedPrivateKey: wrapPrivateKey(keyPair.privateKey, keys.wrapKey), keys };
}

/** Makes a key pair, derives the password keys, wraps the private key under the password and a new recovery code. */
export function enrol(password: string): Enrolment {
  const keyPair = generateKeyPair();
  const { keys, ...material } = passwordMaterial(keyPair, password);
  const recoveryCode = createRecoveryCode();
  const recoveryKey = recoveryKeyOf(recoveryCode);
  const recoveryWrap = wrapPrivateKey(keyPair.privateKey, recoveryKey);
  na().memzero(recoveryKey);
  na().memzero(keys.master);
  na().memzero(keys.wrapKey);
  return {
    upload: { ...material, publicKey: toB64u(keyPair.publicKey), keyId: keyIdOf(keyPair.publicKey), recoveryWrap },
    keyPair,
    authKey: keys.authKey,
    recoveryCode,
  };
}

/** Logs in: derives the keys from the prelogin answer; `authKey` goes to the server. */
export function login(password: string, params: PreloginParams): DerivedKeys {
  return derivePasswordKeys(password, params);
}

/** After login: unwraps the private key the server returned with the wrapKey. */
export function openAccount(keys: DerivedKeys, wrappedPrivateKey: string): BoxKeyPair {
  return unwrapPrivateKey(wrappedPrivateKey, keys.wrapKey);
}

/**
 * Password change (also the last step of recovery): re-wraps the same private key under a new
 * password. The three values replace salt, verifier and wrap in one request.
 */
export function changePassword(keyPair: BoxKeyPair, newPassword: string): PasswordMaterial & { authKey: Uint8Array } {
  const { keys, ...material } = passwordMaterial(keyPair, newPassword);
  na().memzero(keys.master);
  na().memzero(keys.wrapKey);
  return { ...material, authKey: keys.authKey };
}

/** Recovery: the code the user wrote down unwraps the private key without anyone else's help. */
export function recoverKeyPair(recoveryCode: string, recoveryWrap: string): BoxKeyPair {
  const key = recoveryKeyOf(recoveryCode);
  try {
    return unwrapPrivateKey(recoveryWrap, key);
  } finally {
    na().memzero(key);
  }
}

/**
 * The end of a recovery: a new recovery code (shown once) and the private key wrapped under it,
 * sent with the new password material so that the code just used stops working.
 */
export function renewRecoveryCode(keyPair: BoxKeyPair): { recoveryCode: string; recoveryWrap: WrappedKey } {
  const recoveryCode = createRecoveryCode();
  const key = recoveryKeyOf(recoveryCode);
  try {
    return { recoveryCode, recoveryWrap: wrapPrivateKey(keyPair.privateKey, key) };
  } finally {
    na().memzero(key);
  }
}
