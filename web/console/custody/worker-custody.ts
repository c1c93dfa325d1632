/**
 * Custody of the mechanism key, INSIDE the crypto worker (crypto-worker.ts hands in the account
 * key pair, the organisation keys it opens from the keyring, and the open search key): a grant
 * to another supervisor, a rotation to the remaining holders, older cases' keys moved from a
 * retired key onto the current one, a new search key sealed to the staff keyring (a re-issue), the Shamir split of the private key into printable codes,
 * and a restore from typed codes. No private key nor case key leaves the worker; the share codes
 * do, once, because they are printed for their custodians.
 */
/// <reference lib="webworker" />
import { combineShareCodes, createOrgKey, fromB64u, generateSearchKey, keyIdOf, openSecret, sealKeyringEntry, rewrapEnvelope, sealKeyringGrant, sealSearchKeyEntry, splitPrivateKey, toB64u, wipe, type BoxKeyPair, type Envelope } from '../../../src/sdk/index.js';
import type { CryptoRequest, CryptoResults, KeyringItem } from '../protocol.js';

type CustodyRequest = Extract<CryptoRequest, { op: 'custodyGrant' | 'custodyRotate' | 'custodyRewrap' | 'custodySplit' | 'custodyRestore' | 'searchReissue' }>;

const CUSTODY_OPS: ReadonlySet<string> = new Set<CustodyRequest['op']>(['custodyGrant', 'custodyRotate', 'custodyRewrap', 'custodySplit', 'custodyRestore', 'searchReissue']);

export function isCustodyRequest(request: CryptoRequest): request is CustodyRequest {
  return CUSTODY_OPS.has(request.op);
}

const failure = (code: string, message: string): Error => Object.assign(new Error(message), { code });

/** A public key the API gave, checked against the keyId it names (a swapped key is refused here). */
function checkedKey(publicKey: string, keyId: string): Uint8Array {
  const key = fromB64u(publicKey);
  if (keyIdOf(key) !== keyId) throw failure('key_id_mismatch', 'the public key is not the one its keyId names');
  return key;
}

export function createCustodyOps(deps: {
  account: () => BoxKeyPair;
  /** An organisation key pair the account holds through `keyring`, opened (and kept) by the worker; null if it holds none. */
  orgKey: (keyId: string, keyring: KeyringItem[]) => BoxKeyPair | null;
  /** The open search key, or null. */
  searchKey: () => Uint8Array | null;
}) {
  const held = (keyId: string, keyring: KeyringItem[]): BoxKeyPair => {
    const pair = deps.orgKey(keyId, keyring);
    if (!pair) throw failure('key_holder_required', 'you do not hold this key');
    return pair;
  };

  async function handle(request: CustodyRequest): Promise<CryptoResults[CustodyRequest['op']]> {
    switch (request.op) {
      case 'custodyGrant': {
        const recipient = checkedKey(request.publicKey, request.keyId);
        const mechanism = held(request.mechanismKeyId, request.keyring);
        const retired = request.retiredKeyIds.map((keyId) => held(keyId, request.keyring).privateKey);
        const search = deps.searchKey();
        return { ...sealKeyringGrant(mechanism.privateKey, retired, recipient), searchEntry: search ? sealSearchKeyEntry(search, recipient).entry : null };
      }
      case 'custodyRotate': {
        // The caller must hold the key being replaced: only a holder rotates it (the API checks too).
        held(request.currentKeyId, request.keyring);
        const members = request.holders.map((h) => ({ userId: h.userId, key: checkedKey(h.publicKey, h.keyId) }));
        const made = createOrgKey(members.map((m) => m.key));
        wipe(made.keyPair.privateKey);
        return { publicKey: made.publicKey, keyId: made.keyId, entries: made.entries.map((e, i) => ({ userId: members[i]!.userId, memberKeyId: e.memberKeyId, entry: e.entry })) };
      }
      case 'custodyRewrap': {
        const current = held(request.currentKeyId, request.keyring);
        if (keyIdOf(current.publicKey) !== request.currentKeyId) throw failure('key_id_mismatch', 'the keyring entry does not open the current mechanism key');
        const moved = request.cases.map((c) => {
          // Only an organisation key of the keyring opens these: never the account's own key.
          if (!request.keyring.some((k) => k.orgKeyId === c.envelope.keyId)) throw failure('key_holder_required', `you do not hold the key ${c.envelope.keyId}`);
          const from = held(c.envelope.keyId, request.keyring);
          const envelope = rewrapEnvelope({ keyId: c.envelope.keyId, envelope: c.envelope.envelope as Envelope }, from, current.publicKey);
          const staff = c.staffEnvelope ? rewrapEnvelope({ keyId: c.staffEnvelope.keyId, envelope: c.staffEnvelope.envelope as Envelope }, from, current.publicKey) : null;
          return { caseId: c.caseId, keyId: envelope.keyId, envelope: envelope.envelope, staffEnvelope: staff?.envelope ?? null };
        });
        return { cases: moved };
      }
      case 'searchReissue': {
        // Every key is checked before anything is sealed: one swapped key refuses the whole re-issue.
        const members = request.members.map((m) => ({ userId: m.userId, key: checkedKey(m.publicKey, m.keyId) }));
        const key = generateSearchKey();
        try {
          return { entries: members.map((m) => ({ userId: m.userId, ...sealSearchKeyEntry(key, m.key) })) };
        } finally {
          wipe(key);
        }
      }
      case 'custodySplit': {
        const mechanism = held(request.keyId, request.keyring);
        const split = await splitPrivateKey(mechanism.privateKey, request.threshold, request.shares);
        return { keyId: split.keyId, codes: split.codes };
      }
      case 'custodyRestore': {
        const me = deps.account();
        const rebuilt = await combineShareCodes(request.codes, request.keyId);
        try {
          const answer = openSecret(request.challenge, rebuilt, 'challenge');
          try {
            return { answer: toB64u(answer), entry: sealKeyringEntry(rebuilt.privateKey, me.publicKey).entry };
          } finally {
            wipe(answer);
          }
        } finally {
          wipe(rebuilt.privateKey);
        }
      }
    }
  }

  return { handle };
}
