/**
 * Re-keying a case away from a staff member who leaves, INSIDE the crypto worker: the case key
 * (and its staff key, when it has notes) opened from the caller's envelope of the re-key bundle,
 * every sealed value re-sealed under a new one by the SDK's prepareRekey, the new key sealed to
 * every reader but the leaver, at the key the API names for each (the SDK checks each public key
 * against its keyId). Only the body of POST /v1/cases/:caseId/rekey goes back; the keys are wiped.
 */
/// <reference lib="webworker" />
import { openRekeyDek, openRekeyStaffKey, prepareRekey, wipe, type BoxKeyPair, type RekeyRecipient } from '../../../src/sdk/index.js';
import type { CryptoRequest, CryptoResults } from '../protocol.js';

type RekeyRequest = Extract<CryptoRequest, { op: 'rekeyWithout' }>;

export function isRekeyRequest(request: CryptoRequest): request is RekeyRequest {
  return request.op === 'rekeyWithout';
}

const failure = (code: string, message: string): Error => Object.assign(new Error(message), { code });

export function createRekeyOps(deps: {
  /** the caller's key pairs that open these keyIds: their own, or an organisation key of their keyring */
  keyPairsFor: (keyIds: string[], keyring: Array<{ orgKeyId: string; entry: string }>) => BoxKeyPair[];
  /** the case key the worker kept for the case is the old one once re-keyed */
  forgetCaseKey: (caseId: string) => void;
}) {
  return {
    handle(request: RekeyRequest): CryptoResults['rekeyWithout'] {
      const { bundle } = request;
      if (bundle.caseId !== request.caseId) throw failure('crypto_failed', 'the bundle is of another case');
      const revoke = bundle.envelopes.filter((e) => e.recipientType === 'user' && e.recipientId === request.userId).map((e) => e.keyId);
      const recipients: RekeyRecipient[] = bundle.envelopes
        .filter((e) => !revoke.includes(e.keyId))
        .map((e) => {
          if (!e.currentKeyId || !e.publicKey) throw failure('reader_key_missing', `${e.recipientType}:${e.recipientId} has no current key`);
          return { keyId: e.currentKeyId, publicKey: e.publicKey, recipientType: e.recipientType, recipientId: e.recipientId };
        });
      const pairs = deps.keyPairsFor([...bundle.own.map((e) => e.keyId), ...(bundle.staff?.own.map((e) => e.keyId) ?? [])], request.keyring);
      const oldDek = openRekeyDek(bundle, pairs);
      const oldStaffKey = openRekeyStaffKey(bundle, pairs);
      try {
        const prepared = prepareRekey({ bundle, oldDek, revoke, recipients, oldStaffKey });
        wipe(prepared.dek);
        if (prepared.staffKey) wipe(prepared.staffKey);
        deps.forgetCaseKey(request.caseId);
        return { body: prepared.body, revoked: revoke.length };
      } finally {
        wipe(oldDek);
        if (oldStaffKey) wipe(oldStaffKey);
      }
    },
  };
}
