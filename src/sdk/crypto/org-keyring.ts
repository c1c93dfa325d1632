import { type Envelope, openSecret, sealSecret } from './envelope.js';
import { type BoxKeyPair, generateKeyPair, keyIdOf, publicKeyOf } from './keys.js';
import { toB64u } from './encoding.js';
import { CryptoError } from './errors.js';

/** A keyring entry: the organisation's private key sealed to one member. */
export interface KeyringEntry {
  /** keyId of the organisation key this entry opens. */
  orgKeyId: string;
  /** keyId of the member key that opens the entry. */
  memberKeyId: string;
  entry: Envelope;
}

/** A member who holds the org key adds an entry for another member. */
export function sealKeyringEntry(orgPrivateKey: Uint8Array, memberPublicKey: Uint8Array): KeyringEntry {
  const entry = sealSecret(orgPrivateKey, memberPublicKey, 'organisation private key');
  return { orgKeyId: keyIdOf(publicKeyOf(orgPrivateKey)), memberKeyId: keyIdOf(memberPublicKey), entry };
}

/** What a grant carries: the current key and each retired key of an organisation, sealed to one member. */
export interface KeyringGrant {
  entry: Envelope;
  memberKeyId: string;
  retired: Array<{ orgKeyId: string; entry: Envelope }>;
}

/**
 * A holder passes an organisation's keyring on whole: the current private key and every retired
 * one they hold, each sealed to the member's public key, so the member reads older material too.
 */
export function sealKeyringGrant(currentPrivateKey: Uint8Array, retiredPrivateKeys: readonly Uint8Array[], memberPublicKey: Uint8Array): KeyringGrant {
  const current = sealKeyringEntry(currentPrivateKey, memberPublicKey);
  const retired = retiredPrivateKeys.map((k) => sealKeyringEntry(k, memberPublicKey)).map((e) => ({ orgKeyId: e.orgKeyId, entry: e.entry }));
  if (retired.some((r) => r.orgKeyId === current.orgKeyId)) throw new CryptoError('key_id_mismatch', 'a retired key is the current one');
  return { entry: current.entry, memberKeyId: current.memberKeyId, retired };
}

/** A member opens their entry and gets the organisation's key pair. */
export function openKeyringEntry(entry: KeyringEntry | string, member: BoxKeyPair): BoxKeyPair {
  if (typeof entry !== 'string' && entry.memberKeyId !== keyIdOf(member.publicKey)) {
    throw new CryptoError('key_id_mismatch', `keyring entry is for member keyId ${entry.memberKeyId}, not this key pair`);
  }
  const privateKey = openSecret(typeof entry === 'string' ? entry : entry.entry, member, 'keyring entry');
  const publicKey = publicKeyOf(privateKey);
  // A server could hand out an entry for a key of its own: the opened key must be the one announced.
  if (typeof entry !== 'string' && keyIdOf(publicKey) !== entry.orgKeyId) {
    throw new CryptoError('key_id_mismatch', `keyring entry opens keyId ${keyIdOf(publicKey)}, not the announced ${entry.orgKeyId}`);
  }
  return { publicKey, privateKey };
}

/** A new organisation key: the key pair and an entry for each founding member. */
export interface OrgKey {
  keyPair: BoxKeyPair;
  publicKey: string;
  keyId: string;
  entries: KeyringEntry[];
}

/**
 * Creates (or rotates to) a new organisation key and seals it to every listed member. Rotation
 * is the same operation: the old key stays with current members for old cases; new cases use
 * the new key.
 */
export function createOrgKey(memberPublicKeys: Uint8Array[]): OrgKey {
  const keyPair = generateKeyPair();
  return {
    keyPair,
    publicKey: toB64u(keyPair.publicKey),
    keyId: keyIdOf(keyPair.publicKey),
    entries: memberPublicKeys.map((pk) => sealKeyringEntry(keyPair.privateKey, pk)),
  };
}

/** Rotation is the same operation as creation (see createOrgKey), named for the callers that rotate. @alias */
export const rotateOrgKey = createOrgKey;
