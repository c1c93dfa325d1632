/**
 * The console's crypto worker: libsodium (WebAssembly) and every key of the signed-in person live
 * here and nowhere else. The page's thread never holds a private key, a case key or a password
 * after handing it over; an idle lock or a log out wipes them all. Loaded from a static file
 * (`new Worker('/console/assets/crypto-<hash>.js')`), so it obeys the console's CSP, which allows
 * WebAssembly and nothing else that runs code.
 */
/// <reference lib="webworker" />
import { base32 } from '@scure/base';
import {
  CryptoError,
  changePassword,
  enrol,
  keyIdOf,
  login,
  openEnvelope,
  openField,
  openKeyringEntry,
  openNote,
  openSearchKeyEntry,
  padTokens,
  queryTokens,
  randomBytes,
  ready,
  createStaffKey,
  createReferralPacket,
  referralReportAd,
  fromB64u,
  openSecret,
  openRekeyDek,
  prepareFiling,
  prepareReceiptReissue,
  recoverKeyPair,
  renewRecoveryCode,
  sealEnvelope,
  sealField,
  sealNote,
  searchTokens,
  toB64u,
  unwrapPrivateKey,
  wipe,
  type BoxKeyPair,
  type FilingSecrets,
  type RekeyRecipient,
  type StaffKeyHolder,
  type JsonValue,
} from '../../src/sdk/index.js';
import { serveWorker } from '../common/worker-rpc.js';
import type { BehalfSecrets, CryptoRequest, CryptoResults, KeyringItem, SealedItem, StaffHolder, WorkerViolation } from './protocol.js';
import { searchableOf } from './search/searchable.js';
import { createFileOps, isFileRequest } from './files/worker-files.js';
import { createRekeyOps, isRekeyRequest } from './oversight/worker-rekey.js';
import { createPartnerOps, isPartnerRequest } from './partner/worker-partner.js';
import { createCustodyOps, isCustodyRequest } from './custody/worker-custody.js';
import { createAuditOps, isAuditRequest } from './audit/worker-audit.js';

declare const self: DedicatedWorkerGlobalScope;

/** The user's key pair, once opened. */
let account: BoxKeyPair | null = null;
/** The wrap key between `login` and `openAccount` (a few seconds at most). */
let pendingWrapKey: Uint8Array | null = null;
/** The key pair a recovery code opened, between `recoveryOpen` and `recoveryRewrap`. */
let recovering: BoxKeyPair | null = null;
/** Organisation private keys opened from the account's keyring entries, by org key id. */
const orgKeys = new Map<string, BoxKeyPair>();
/** Open case keys, by case id, with the key epoch they belong to. */
const caseKeys = new Map<string, { keyEpoch: number; dek: Uint8Array }>();
/** Open staff keys (internal notes), by case id. */
const staffKeys = new Map<string, Uint8Array>();
/** The search key (blind index), once opened from the account's staff keyring entry. */
let searchKey: Uint8Array | null = null;

/** Evidence files: uploads, downloads and pictures, with the case keys opened here. */
const files = createFileOps({
  caseKey: (caseId) => caseKeys.get(caseId) ?? fail('case_locked', 'the key of this case is not open'),
  post: (message) => self.postMessage(message),
});

/** Re-keying a case away from a staff member who leaves. */
const rekeys = createRekeyOps({
  keyPairsFor: (keyIds, keyring) => keyPairsFor(keyIds, keyring),
  forgetCaseKey: (caseId) => {
    const previous = caseKeys.get(caseId);
    if (previous) wipe(previous.dek);
    caseKeys.delete(caseId);
  },
});

/** A partner organisation's packets, reports and keyring, with the organisation keys opened here. */
const partner = createPartnerOps({
  account: () => account ?? fail('locked', 'the console is locked'),
  recipientFor: (keyId, keyring) => recipientFor(keyId, keyring),
  keepOrgKey: (keyId, keyPair) => void orgKeys.set(keyId, keyPair),
  token: () => files.token(),
});

/** Custody of the mechanism key: grant, rotation, split backup and restore. */
const custody = createCustodyOps({
  account: () => account ?? fail('locked', 'the console is locked'),
  orgKey: (keyId, keyring) => recipientFor(keyId, keyring),
  searchKey: () => searchKey,
});

function lock(): void {
  files.stopAll();
  partner.lock();
  if (account) wipe(account.privateKey);
  if (pendingWrapKey) wipe(pendingWrapKey);
  for (const k of orgKeys.values()) wipe(k.privateKey);
  for (const k of caseKeys.values()) wipe(k.dek);
  for (const k of staffKeys.values()) wipe(k);
  if (searchKey) wipe(searchKey);
  orgKeys.clear();
  caseKeys.clear();
  staffKeys.clear();
  searchKey = null;
  account = null;
  pendingWrapKey = null;
  if (recovering) wipe(recovering.privateKey);
  recovering = null;
}

function keepStaffKey(caseId: string, key: Uint8Array): void {
  const previous = staffKeys.get(caseId);
  if (previous) wipe(previous);
  staffKeys.set(caseId, key);
}

function staffKey(caseId: string): Uint8Array {
  return staffKeys.get(caseId) ?? fail('staff_key_locked', 'the staff key of this case is not open');
}

/** The holders as the SDK seals to them: each public key is checked against its keyId there. */
function resolveHolders(holders: StaffHolder[]): StaffKeyHolder[] {
  return holders.map((h) => {
    if (h.publicKey === null) fail('holder_key_changed', `${h.recipientType}:${h.recipientId} has moved to another key`);
    const recipientType = h.recipientType === 'org' || h.recipientType === 'user' ? h.recipientType : fail('crypto_failed', 'unknown holder type');
    return { keyId: h.keyId, publicKey: fromB64u(h.publicKey), recipientType, recipientId: h.recipientId };
  });
}

function caseKey(caseId: string): Uint8Array {
  return caseKeys.get(caseId)?.dek ?? fail('case_locked', 'the key of this case is not open');
}

/** The key pair an envelope is sealed to: the account's own, or an organisation key it holds through a keyring. */
function recipientFor(keyId: string, keyring: Array<{ orgKeyId: string; entry: string }>): BoxKeyPair | null {
  const me = account ?? fail('locked', 'the console is locked');
  if (keyIdOf(me.publicKey) === keyId) return me;
  const known = orgKeys.get(keyId);
  if (known) return known;
  const item = keyring.find((k) => k.orgKeyId === keyId);
  if (!item) return null;
  const org = openKeyringEntry(item.entry, me);
  orgKeys.set(keyId, org);
  return org;
}

function fail(code: string, message: string): never {
  throw Object.assign(new Error(message), { code });
}

/** Unwraps the private key and checks it is the account's (a swapped bundle is refused). */
function openKeyPair(wrapKey: Uint8Array, wrappedPrivateKey: string, keyId: string): BoxKeyPair {
  let keys: BoxKeyPair;
  try {
    keys = unwrapPrivateKey(wrappedPrivateKey, wrapKey);
  } catch {
    fail('wrong_password', 'the password does not open the private key');
  } finally {
    wipe(wrapKey);
  }
  if (keyIdOf(keys.publicKey) !== keyId) {
    wipe(keys.privateKey);
    fail('key_id_mismatch', 'the private key is not the account\'s');
  }
  return keys;
}

/** What the defender said, in the shapes the defender's own page seals (so every reader shows them alike). */
function filingSecretsOf(s: BehalfSecrets): FilingSecrets {
  const text = (v: string) => ({ text: v.trim() });
  return { identity: { name: s.identity.trim() }, contact: text(s.contact), narrative: text(s.narrative), ...(s.location?.trim() ? { location: text(s.location) } : {}) };
}

/**
 * The key pairs of the caller that may open a bundle's envelope: the account's own, and each
 * organisation key of its keyring the bundle names (opened once, then kept as openCaseKey does).
 */
function keyPairsFor(keyIds: string[], keyring: KeyringItem[]): BoxKeyPair[] {
  return keyIds.flatMap((keyId) => {
    const pair = recipientFor(keyId, keyring);
    return pair ? [pair] : [];
  });
}

async function handle(request: CryptoRequest): Promise<CryptoResults[CryptoRequest['op']]> {
  await ready();
  if (isFileRequest(request)) return files.handle(request);
  if (isRekeyRequest(request)) return rekeys.handle(request);
  if (isPartnerRequest(request)) return partner.handle(request);
  if (isCustodyRequest(request)) return custody.handle(request);
  if (isAuditRequest(request)) return createAuditOps({ post: (message) => self.postMessage(message) }).handle(request);
  switch (request.op) {
    case 'ready':
      return null;
    case 'login': {
      lock();
      const keys = login(request.password, request.params);
      pendingWrapKey = keys.wrapKey;
      const authKey = toB64u(keys.authKey);
      wipe(keys.authKey);
      wipe(keys.master);
      return { authKey };
    }
    case 'openAccount': {
      const wrapKey = pendingWrapKey ?? fail('locked', 'no password was given');
      pendingWrapKey = null;
      account = openKeyPair(wrapKey, request.wrappedPrivateKey, request.keyId);
      return { keyId: request.keyId };
    }
    case 'unlock': {
      lock();
      const keys = login(request.password, request.params);
      wipe(keys.master);
      wipe(keys.authKey);
      account = openKeyPair(keys.wrapKey, request.wrappedPrivateKey, request.keyId);
      return { keyId: request.keyId };
    }
    case 'enrol': {
      lock();
      const e = enrol(request.password);
      account = e.keyPair;
      const authKey = toB64u(e.authKey);
      wipe(e.authKey);
      // RFC 6238 secrets are base32 (RFC 4648); 20 random bytes give exactly 32 characters.
      return { upload: e.upload, authKey, recoveryCode: e.recoveryCode, totpSecret: base32.encode(randomBytes(20)) };
    }
    case 'openCaseKey': {
      for (const e of request.envelopes) {
        const recipient = recipientFor(e.keyId, request.keyring);
        if (!recipient) continue;
        const previous = caseKeys.get(request.caseId);
        if (previous) wipe(previous.dek);
        caseKeys.set(request.caseId, { keyEpoch: request.keyEpoch, dek: openEnvelope(e.envelope, recipient) });
        return { keyEpoch: request.keyEpoch };
      }
      return fail('no_envelope', 'no envelope of this case opens with your keys');
    }
    case 'open': {
      const dek = caseKey(request.caseId);
      return request.items.map(({ sealed, ad }) => {
        try {
          return openField(sealed, dek, ad);
        } catch {
          return null;
        }
      });
    }
    case 'seal':
      return sealField(request.value as JsonValue, caseKey(request.caseId), request.ad);
    case 'sealCaseKeyTo': {
      const publicKey = fromB64u(request.publicKey);
      if (keyIdOf(publicKey) !== request.keyId) fail('key_id_mismatch', 'the public key is not the one its keyId names');
      return sealEnvelope(caseKey(request.caseId), publicKey);
    }
    case 'lock':
      lock();
      return null;
    case 'openStaffKey': {
      for (const e of request.own) {
        const recipient = recipientFor(e.keyId, request.keyring);
        if (!recipient) continue;
        keepStaffKey(request.caseId, openEnvelope(e.envelope, recipient));
        return null;
      }
      return fail('no_envelope', 'no staff-key envelope of this case opens with your keys');
    }
    case 'makeStaffKey': {
      const made = createStaffKey(resolveHolders(request.holders));
      keepStaffKey(request.caseId, made.staffKey);
      return { envelopes: made.envelopes };
    }
    case 'openNotes': {
      const key = staffKey(request.caseId);
      return request.items.map((n) => {
        try {
          const value = openNote(n.body, key, { caseId: request.caseId, noteId: n.id, author: n.author });
          return value && typeof value === 'object' && !Array.isArray(value) && typeof value.text === 'string' ? value.text : null;
        } catch {
          return null;
        }
      });
    }
    case 'sealNote':
      return sealNote({ text: request.text }, staffKey(request.caseId), { caseId: request.caseId, noteId: request.noteId, author: request.author });
    case 'openSearchKey': {
      const me = account ?? fail('locked', 'the console is locked');
      const key = openSearchKeyEntry({ memberKeyId: request.memberKeyId, entry: request.entry }, me);
      if (searchKey) wipe(searchKey);
      searchKey = key;
      return null;
    }
    case 'queryTokens':
      return queryTokens(searchKey ?? fail('no_search_key', 'the search key is not open'), request.typed);
    case 'caseTokens': {
      const key = searchKey ?? fail('no_search_key', 'the search key is not open');
      const dek = caseKey(request.caseId);
      const open = (item: SealedItem | null): JsonValue | null => (item ? openField(item.sealed, dek, item.ad) : null);
      const real = searchTokens(key, searchableOf(open(request.identity), open(request.contact)));
      return { real, padded: padTokens(real, request.count) };
    }
    case 'changePassword': {
      const me = account ?? fail('locked', 'the console is locked');
      const current = login(request.currentPassword, request.params);
      const currentAuthKey = toB64u(current.authKey);
      wipe(current.authKey);
      wipe(current.master);
      // The current password must open the account's own key: a typo is caught here, before the server counts a failure.
      const check = openKeyPair(current.wrapKey, request.wrappedPrivateKey, request.keyId);
      wipe(check.privateKey);
      const next = changePassword(me, request.newPassword);
      wipe(next.authKey);
      return { currentAuthKey, salt: next.salt, verifier: next.verifier, wrappedPrivateKey: next.wrappedPrivateKey };
    }
    case 'recoveryOpen': {
      lock();
      let keys: BoxKeyPair;
      try {
        keys = recoverKeyPair(request.recoveryCode, request.recoveryWrap);
      } catch {
        // An unknown username gets a decoy wrap that no code opens: the same words for both.
        return fail('recovery_code_wrong', 'the recovery code does not open the recovery wrap');
      }
      recovering = keys;
      const answer = openSecret(request.challenge, keys, 'challenge');
      try {
        return { answer: toB64u(answer), publicKey: toB64u(keys.publicKey) };
      } finally {
        wipe(answer);
      }
    }
    case 'recoveryRewrap': {
      const keys = recovering ?? fail('locked', 'no recovery code was given');
      const next = changePassword(keys, request.password);
      wipe(next.authKey);
      const renewed = renewRecoveryCode(keys);
      return { salt: next.salt, verifier: next.verifier, wrappedPrivateKey: next.wrappedPrivateKey, recoveryWrap: renewed.recoveryWrap, recoveryCode: renewed.recoveryCode };
    }
    case 'fileOnBehalf': {
      const me = account ?? fail('locked', 'the console is locked');
      const prepared = prepareFiling({ intakeKey: request.intakeKey, pinnedKeyId: request.pinnedKeyId, metadata: request.metadata, secrets: filingSecretsOf(request.secrets), alsoSealTo: [me.publicKey] });
      // The receipt's keys are the defender's: nothing here reads the case with them.
      wipe(prepared.receiptKeys.authKey, prepared.receiptKeys.keyPair.privateKey);
      const filer = prepared.extraEnvelopes[0] ?? fail('crypto_failed', 'the case key was not sealed to the officer');
      return { body: prepared.body, filer: { keyId: filer.keyId, envelope: filer.envelope }, receipt: prepared.receipt };
    }
    case 'reissueReceipt': {
      const { bundle } = request;
      if (bundle.caseId !== request.caseId) fail('crypto_failed', 'the bundle is of another case');
      const oldDek = openRekeyDek(bundle, keyPairsFor(bundle.own.map((e) => e.keyId), request.keyring));
      // Every other reader keeps reading, at the key the API names for them (checked against its keyId by the SDK).
      const recipients: RekeyRecipient[] = bundle.envelopes
        .filter((e) => e.recipientType !== 'defender')
        .map((e) => {
          if (!e.currentKeyId || !e.publicKey) fail('reader_key_missing', `${e.recipientType}:${e.recipientId} has no current key`);
          return { keyId: e.currentKeyId, publicKey: e.publicKey, recipientType: e.recipientType, recipientId: e.recipientId };
        });
      try {
        const prepared = prepareReceiptReissue({ bundle, oldDek, receiptSalt: request.receiptSalt, recipients, cause: request.cause });
        const keyEpoch = bundle.epoch + 1;
        const previous = caseKeys.get(request.caseId);
        if (previous) wipe(previous.dek);
        caseKeys.set(request.caseId, { keyEpoch, dek: prepared.dek });
        return { body: prepared.body, receipt: prepared.receipt, keyEpoch };
      } finally {
        wipe(oldDek);
      }
    }
    case 'sealReferralPacket': {
      const me = account ?? fail('locked', 'the console is locked');
      const orgPublicKey = fromB64u(request.orgPublicKey);
      if (keyIdOf(orgPublicKey) !== request.orgKeyId) fail('key_id_mismatch', 'the public key is not the one its keyId names');
      const dek = caseKey(request.caseId);
      // Every chosen field must open: a packet with a field missing or moved is not sent.
      const opened = Object.fromEntries(Object.entries(request.fields).map(([name, item]) => [name, openField(item.sealed, dek, item.ad)]));
      const made = createReferralPacket(request.referralId, opened, orgPublicKey, [me.publicKey], files.referralFiles(request.caseId, request.files));
      return { packet: made.fields, org: made.envelope, own: made.copies[0]! };
    }
    case 'openReferralReports': {
      let referralDek: Uint8Array | null = null;
      for (const e of request.envelopes) {
        const recipient = recipientFor(e.keyId, []);
        if (!recipient) continue;
        referralDek = openEnvelope(e.envelope, recipient);
        break;
      }
      const key = referralDek ?? fail('no_envelope', 'no envelope of this referral opens with your keys');
      try {
        return request.reports.map((r) => {
          try {
            const value = openField(r.note, key, referralReportAd(request.referralId, r.id));
            return value && typeof value === 'object' && !Array.isArray(value) && typeof value.text === 'string' ? value.text : null;
          } catch {
            return null;
          }
        });
      } finally {
        wipe(key);
      }
    }
  }
}

// A worker's CSP violations reach only its own listener: say so to the page, which reports them.
self.addEventListener('securitypolicyviolation', (event: Event) => {
  const v = event as SecurityPolicyViolationEvent;
  self.postMessage({ violation: { directive: v.violatedDirective, blockedURI: v.blockedURI } } satisfies WorkerViolation);
});

serveWorker<CryptoRequest>(self, handle, (err) => (err instanceof CryptoError ? err.code : ((err as { code?: string }).code ?? 'crypto_failed')));
