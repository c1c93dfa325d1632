/**
 * Rotating the mechanism key, for any screen that needs it (a holder leaves; a suspected leak):
 * a new key pair made in the crypto worker, sealed to each remaining holder's registered key, and
 * registered through POST /v1/orgs/:orgId/keys. Entries for older keys are kept by the API, so
 * every holder still opens the envelopes of older cases until they are moved onto the new key
 * (rewrap.ts, started by the custody screen); new cases are sealed to the new key.
 * The caller must hold the current key and is always among the holders.
 */
import { call } from '../api.js';
import { crypto } from '../crypto-client.js';
import { account } from '../session.js';

export interface RotationResult {
  keyId: string;
  retiredKeyId: string | null;
  holders: number;
}

export async function rotateMechanismKey(orgId: string, currentKeyId: string, keepUserIds: readonly string[]): Promise<RotationResult> {
  const me = account.value;
  if (!me) throw Object.assign(new Error('signed out'), { code: 'session_ended' });
  const userIds = [...new Set([me.id, ...keepUserIds])];
  // Each public key comes from the API and is checked against its keyId in the worker before anything is sealed to it.
  const holders = await Promise.all(userIds.map(async (userId) => {
    const key = await call('getUserPublicKey', { params: { userId } });
    return { userId, publicKey: key.publicKey, keyId: key.keyId };
  }));
  const keyring = me.keyring.map((k) => ({ orgKeyId: k.orgKeyId, entry: k.entry }));
  const made = await crypto({ op: 'custodyRotate', currentKeyId, keyring, holders });
  const done = await call('createOrgKey', { params: { orgId }, body: { publicKey: made.publicKey, keyId: made.keyId, entries: made.entries } });
  // The account's keyring now holds the new key: read it again, so the next case opens with it.
  account.value = await call('getMe');
  return { keyId: done.keyId, retiredKeyId: done.retiredKeyId, holders: done.entries };
}
