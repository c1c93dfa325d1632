/**
 * A partner organisation's operations, INSIDE the crypto worker (crypto-worker.ts hands them the
 * account's key pair and the organisation keys it opens from the account's keyring): a referral
 * packet opened with the organisation key, its referral key kept here to seal the member's
 * reports and its files' keys kept here to download them; the organisation key sealed to a
 * colleague, or a new one made and sealed to every holder. What goes back to the page: the
 * packet's words, the files' names and sizes, sealed strings and public keys. Never a key.
 */
/// <reference lib="webworker" />
import {
  createOrgKey,
  fromB64u,
  keyIdOf,
  openEnvelope,
  openField,
  openReferralFiles,
  openReferralPacket,
  referralReportAd,
  sealField,
  sealKeyringGrant,
  wipe,
  type BoxKeyPair,
  type Envelope,
  type ReferralFile,
  type SealedField,
} from '../../../src/sdk/index.js';
import { downloadEvidence, type DownloadSink } from '../../common/files/index.js';
import { downloadFailureCode } from '../files/worker-files.js';
import type { CryptoRequest, CryptoResults, KeyringItem } from '../protocol.js';

type PartnerRequest = Extract<CryptoRequest, { op: 'openReferralPacket' | 'sealReferralReport' | 'downloadReferralFile' | 'sealOrgKeyringEntry' | 'makeOrgKey' }>;

const PARTNER_OPS: ReadonlySet<string> = new Set<PartnerRequest['op']>(['openReferralPacket', 'sealReferralReport', 'downloadReferralFile', 'sealOrgKeyringEntry', 'makeOrgKey']);

export function isPartnerRequest(request: CryptoRequest): request is PartnerRequest {
  return PARTNER_OPS.has(request.op);
}

const failure = (code: string, message: string): Error => Object.assign(new Error(message), { code });

/** A public key the API gave, checked against the keyId it named (nothing is sealed to another). */
function checkedKey(publicKey: string, keyId: string): Uint8Array {
  const key = fromB64u(publicKey);
  if (keyIdOf(key) !== keyId) throw failure('key_id_mismatch', 'the public key is not the one its keyId names');
  return key;
}

/** The text of a report note, as the officer's side reads it (`{ text }`), or null. */
function noteText(value: unknown): string | null {
  return value && typeof value === 'object' && !Array.isArray(value) && typeof (value as { text?: unknown }).text === 'string' ? (value as { text: string }).text : null;
}

export function createPartnerOps(deps: {
  /** The signed-in account's key pair (fails when locked). */
  account(): BoxKeyPair;
  /** The key pair an envelope sealed to `keyId` opens with: the account's, or an organisation key of its keyring. */
  recipientFor(keyId: string, keyring: KeyringItem[]): BoxKeyPair | null;
  /** Keeps a new organisation key pair among the opened ones (it is the account's to use at once). */
  keepOrgKey(keyId: string, keyPair: BoxKeyPair): void;
  /** The access token the worker's own downloads carry. */
  token(): string;
}) {
  /** Referral keys opened from the organisation's envelope, by referral id, until the lock. */
  const referralKeys = new Map<string, Uint8Array>();
  /** The files each opened packet carries (their keys), by referral id. */
  const referralFiles = new Map<string, ReferralFile[]>();

  function referralKey(referralId: string): Uint8Array {
    return referralKeys.get(referralId) ?? (() => {
      throw failure('packet_locked', 'the packet of this referral is not open');
    })();
  }

  async function handle<R extends PartnerRequest>(request: R): Promise<CryptoResults[R['op']]>;
  async function handle(request: PartnerRequest): Promise<CryptoResults[PartnerRequest['op']]> {
    switch (request.op) {
      case 'openReferralPacket': {
        const found = request.envelopes.map((e) => ({ e, pair: deps.recipientFor(e.keyId, request.keyring) })).find((x) => x.pair !== null);
        if (!found) throw failure('packet_unopened', "no envelope of this referral opens with your organisation's keys");
        // The SDK parses each value strictly when it opens it: the types only name the formats.
        const envelope = { keyId: found.e.keyId, envelope: found.e.envelope as Envelope };
        const packet = { referralId: request.referralId, fields: request.packet as Record<string, SealedField>, envelope };
        const pair = found.pair!;
        const fields = openReferralPacket(packet, pair);
        const files = openReferralFiles(packet, pair);
        const previous = referralKeys.get(request.referralId);
        if (previous) wipe(previous);
        const dek = openEnvelope(envelope, pair);
        referralKeys.set(request.referralId, dek);
        referralFiles.set(request.referralId, files);
        const reports = request.reports.map((r) => {
          try {
            return noteText(openField(r.note, dek, referralReportAd(request.referralId, r.id)));
          } catch {
            return null;
          }
        });
        return { fields, files: files.map((f) => ({ fileId: f.fileId, name: f.name, type: f.type, size: f.size })), reports };
      }
      case 'sealReferralReport':
        return sealField({ text: request.text }, referralKey(request.referralId), referralReportAd(request.referralId, request.reportId));
      case 'downloadReferralFile': {
        const file = referralFiles.get(request.referralId)?.find((f) => f.fileId === request.fileId);
        if (!file) throw failure('packet_locked', 'the packet of this referral is not open');
        const sink: DownloadSink = request.target ? { kind: 'file', handle: request.target } : { kind: 'memory', maxBytes: request.maxInMemory, type: file.type };
        try {
          const done = await downloadEvidence({ origin: self.location.origin, token: deps.token, caseId: file.caseId, fileId: file.fileId, record: file.key, ciphertextSha256: file.ciphertextSha256, plaintextSha256: file.sha256, size: file.size, sink });
          if (request.target) return { kind: 'saved', bytes: done.bytes };
          if (!done.blob) throw failure('unexpected', 'no plaintext was assembled');
          return { kind: 'memory', blob: done.blob, bytes: done.bytes };
        } catch (err) {
          throw failure(downloadFailureCode(err), err instanceof Error ? err.message : 'download failed');
        }
      }
      case 'sealOrgKeyringEntry': {
        const orgKey = (keyId: string): Uint8Array => {
          const org = deps.recipientFor(keyId, request.keyring);
          if (!org || keyIdOf(org.publicKey) !== keyId) throw failure('not_key_holder', `you do not hold the organisation's key ${keyId}`);
          return org.privateKey;
        };
        return sealKeyringGrant(orgKey(request.orgKeyId), request.retiredKeyIds.map(orgKey), checkedKey(request.publicKey, request.keyId));
      }
      case 'makeOrgKey': {
        const me = deps.account();
        const members = request.members.map((m) => ({ userId: m.userId, publicKey: checkedKey(m.publicKey, m.keyId) }));
        // The new key is sealed to its maker too (the API requires it): the account's own key, not one the page named.
        const all = [{ userId: request.selfId, publicKey: me.publicKey }, ...members.filter((m) => m.userId !== request.selfId)];
        const made = createOrgKey(all.map((m) => m.publicKey));
        deps.keepOrgKey(made.keyId, made.keyPair);
        return { publicKey: made.publicKey, keyId: made.keyId, entries: made.entries.map((e, i) => ({ userId: all[i]!.userId, memberKeyId: e.memberKeyId, entry: e.entry })) };
      }
    }
  }

  return {
    handle,
    /** The lock wipes every referral key and forgets the files' keys. */
    lock(): void {
      for (const k of referralKeys.values()) wipe(k);
      referralKeys.clear();
      for (const files of referralFiles.values()) for (const f of files) wipe(f.key.key);
      referralFiles.clear();
    },
  };
}
