/**
 * What the console and its crypto worker say to each other. The worker holds libsodium, the
 * user's private key and every case key it opened; the page sends ciphertext in and gets display
 * text out, and sends what is to be sealed and gets sealed strings back. Nothing the page keeps
 * opens anything.
 */
import type { EnrolmentUpload, FilingBody, FilingMetadata, IntakeKeyInfo, JsonValue, PasswordMaterial, PreloginParams, ReceiptReissueBody, ReceiptReissueCause, RangeFailure, RekeyBody, RekeyBundle } from '../../src/sdk/index.js';

/** A sealed value and the associated data it was sealed with (src/sdk/crypto/associated-data.ts). */
export interface SealedItem {
  sealed: string;
  ad: string;
}

/** An organisation keyring entry of the account (getMe's `keyring`), e.g. the mechanism key. */
export interface KeyringItem {
  orgKeyId: string;
  entry: string;
}

/** A case whose mechanism envelope (and staff-key envelope) is sealed to a retired mechanism key, as GET /v1/custody/rewrap serves it. */
export interface RewrapCase {
  caseId: string;
  envelope: { keyId: string; envelope: string };
  staffEnvelope: { keyId: string; envelope: string } | null;
}

/** An organisation's keyring passed on to a colleague: the current key's entry and one per retired key. */
export interface KeyringGrantResult {
  entry: string;
  memberKeyId: string;
  retired: Array<{ orgKeyId: string; entry: string }>;
}

export type CryptoRequest =
  | { op: 'ready' }
  /** Argon2id of the password; the wrap key stays in the worker until `openAccount`. */
  | { op: 'login'; password: string; params: PreloginParams }
  /** Unwraps the private key with the wrap key of the last `login` (then wiped). */
  | { op: 'openAccount'; wrappedPrivateKey: string; keyId: string }
  /** The idle lock's way back: the password opens the wrapped key again, without the server. */
  | { op: 'unlock'; password: string; params: PreloginParams; wrappedPrivateKey: string; keyId: string }
  /** A new account: key pair, password material, recovery code, TOTP secret. */
  | { op: 'enrol'; password: string }
  /**
   * Opens a case key from the envelopes the API gave (getCaseSealed): the account's own, or one
   * sealed to an organisation key (the mechanism key) whose keyring entry the account holds.
   * Kept in the worker, by case and key epoch, until the lock.
   */
  | { op: 'openCaseKey'; caseId: string; keyEpoch: number; envelopes: Array<{ keyId: string; envelope: string }>; keyring: KeyringItem[] }
  /** Opens sealed values of a case with its open key: one result per item, null when it does not open. */
  | { op: 'open'; caseId: string; items: SealedItem[] }
  /**
   * Seals the open case key to a colleague's public key (a hand-over, an envelope granted); the
   * keyId the API gave must be the key's own, or nothing is sealed.
   */
  | { op: 'sealCaseKeyTo'; caseId: string; publicKey: string; keyId: string }
  /** Seals a value for a case (padded format 2) with its open key. */
  | { op: 'seal'; caseId: string; value: JsonValue; ad: string }
  /** Opens a case's staff key from the caller's own staff-key envelope(s) (listCaseNotes' `staffKey.own`), as openCaseKey does. */
  | { op: 'openStaffKey'; caseId: string; own: Array<{ keyId: string; envelope: string }>; keyring: KeyringItem[] }
  /** Makes a case's first staff key, kept in the worker, and seals it to every staff holder the API lists. */
  | { op: 'makeStaffKey'; caseId: string; holders: StaffHolder[] }
  /** Opens notes with the case's open staff key: the text of each, null when it does not open. */
  | { op: 'openNotes'; caseId: string; items: Array<{ id: string; author: string; body: string }> }
  /** Seals a note (format 2, the note AD) with the case's open staff key. */
  | { op: 'sealNote'; caseId: string; noteId: string; author: string; text: string }
  /** Opens the search key from the caller's staff keyring entry (getOwnSearchKey), kept in the worker. */
  | { op: 'openSearchKey'; memberKeyId: string; entry: string }
  /** The blind-index tokens of what was typed (a name, words, a phone); the text goes no further. */
  | { op: 'queryTokens'; typed: string }
  /** A case's tokens from its sealed identity and contact (opened with its open case key): the real ones, and padded to `count`. */
  | { op: 'caseTokens'; caseId: string; identity: SealedItem | null; contact: SealedItem | null; count: number }
  /** Wipes every key (idle lock, log out). */
  | { op: 'lock' }
  /**
   * A password change: the current password proves itself (its authKey for the server, and it
   * must open the account's wrapped key here); the open key pair is wrapped under the new one.
   */
  | { op: 'changePassword'; currentPassword: string; params: PreloginParams; wrappedPrivateKey: string; keyId: string; newPassword: string }
  /** Recovery, step 1: the recovery code opens the recovery wrap; the key pair answers the challenge and stays in the worker. */
  | { op: 'recoveryOpen'; recoveryCode: string; recoveryWrap: string; challenge: string }
  /** Recovery, step 2: the recovered key pair wrapped under a new password and a NEW recovery code (shown once). */
  | { op: 'recoveryRewrap'; password: string }
  /**
   * A request recorded on a defender's behalf: what they said, sealed here under a new case key
   * (prepareFiling) to the mechanism key (checked against `pinnedKeyId`), to a new receipt's key
   * and to the recording officer's own key. The receipt comes back once, to be handed over.
   */
  | { op: 'fileOnBehalf'; intakeKey: IntakeKeyInfo; pinnedKeyId: string; metadata: FilingMetadata; secrets: BehalfSecrets }
  /**
   * A new receipt for a defender who lost theirs or had it taken: the case key opened from the
   * caller's own envelope of the re-key bundle, every sealed value re-sealed under a new one
   * (prepareReceiptReissue), the defender's envelope at the new receipt's key. The new case key
   * stays here in place of the old one; the receipt comes back once.
   */
  | { op: 'reissueReceipt'; caseId: string; bundle: RekeyBundle; receiptSalt: string; keyring: KeyringItem[]; cause: ReceiptReissueCause }
  /**
   * A referral packet (the SDK's createReferralPacket): the chosen case fields opened with the
   * open case key, re-sealed under a fresh referral key sealed to the organisation's key (whose
   * keyId must be the key's own) and to the account's own key, to read the partner's reports.
   * Each of `files` (attached files of the case, as listed) goes in as the entry `file.<id>`: its
   * key record, name, type and plaintext hash opened here with the case key, never in the page.
   */
  | { op: 'sealReferralPacket'; caseId: string; referralId: string; fields: Record<string, SealedItem>; files: SealedFileRef[]; orgPublicKey: string; orgKeyId: string }
  /** Opens a referral's report notes with the referral key from the account's own envelope: the text of each, null when it does not open. */
  | { op: 'openReferralReports'; referralId: string; envelopes: Array<{ keyId: string; envelope: string }>; reports: Array<{ id: string; note: string }> }
  /** The access token the worker's own requests carry (a file's tus upload, its download); sent again after each refresh, null at the end. */
  | { op: 'setToken'; accessToken: string | null }
  /**
   * A keyed tag of a picked file's name (BLAKE2b under a key derived from the open case key):
   * what the page keeps to know the same file again after a reload, never the name itself.
   */
  | { op: 'fileNameTag'; caseId: string; name: string }
  /**
   * Encrypts and uploads a picked file with tus (the File crosses by structured clone; its bytes
   * are read here only). A photo's metadata is removed first when `stripLocation`. The upload URL
   * and progress arrive as FileEvent messages; the answer is the sealed body of the attach call.
   * `resume`: the same file again (the page checked its size, date and name tag).
   */
  | { op: 'uploadFile'; caseId: string; fileId: string; keyEpoch: number; file: File; caption: string; stripLocation: boolean; chunkSize: number; resume?: { uploadUrl: string; sealedKey: string } }
  /** Stops an upload in progress (its bytes stay on the server until abandoned or resumed). */
  | { op: 'cancelUpload'; fileId: string }
  /**
   * Downloads a file's ciphertext, decrypts it and checks both hashes: streamed into `target` (a
   * File System Access handle the page was given by the save dialog), or else assembled in
   * memory up to `maxInMemory` bytes. Nothing is kept when a check fails.
   */
  | { op: 'downloadFile'; caseId: string; file: SealedFileRef; target: FileSystemFileHandle | null; maxInMemory: number }
  /** An image decrypted, checked and decoded here: only the picture comes back, to be drawn on a canvas. */
  | { op: 'showImage'; caseId: string; file: SealedFileRef; maxBytes: number }
  /**
   * A case re-keyed away from a staff member who leaves (web/console/oversight/worker-rekey.ts):
   * every envelope of `userId` revoked, every sealed value and note re-sealed under new keys sealed
   * to the readers who stay; the body of rekeyCase comes back, no key.
   */
  | { op: 'rekeyWithout'; caseId: string; userId: string; bundle: RekeyBundle; keyring: KeyringItem[] }
  /**
   * A partner member opens a referral packet (partner/worker-partner.ts): the referral key from
   * the organisation's envelope, opened with the organisation key of the account's keyring; the
   * fields' values and the files' names come back, the referral key and the files' keys stay
   * here (to seal reports, to download). The reports' notes are opened with it too.
   */
  | { op: 'openReferralPacket'; referralId: string; packet: Record<string, string>; envelopes: Array<{ keyId: string; envelope: string }>; keyring: KeyringItem[]; reports: Array<{ id: string; note: string }> }
  /** A report's note sealed under the open referral key (AD referral/<id>/report/<reportId>). */
  | { op: 'sealReferralReport'; referralId: string; reportId: string; text: string }
  /** A file the open packet carries, downloaded, opened with its key from the packet and checked, as downloadFile does. */
  | { op: 'downloadReferralFile'; referralId: string; fileId: string; target: FileSystemFileHandle | null; maxInMemory: number }
  /** The organisation's current key and each retired one named (opened from the keyring) sealed to a colleague's public key, checked against its keyId. */
  | { op: 'sealOrgKeyringEntry'; orgKeyId: string; retiredKeyIds: string[]; keyring: KeyringItem[]; publicKey: string; keyId: string }
  /** A new organisation key pair (a rotation), kept here, sealed to the caller and to each member named (keys checked against their keyIds). */
  | { op: 'makeOrgKey'; selfId: string; members: Array<{ userId: string; publicKey: string; keyId: string }> }
  /**
   * Custody (custody/worker-custody.ts): the mechanism key and each retired one named (opened from
   * `keyring`) and, when open, the search key sealed to a supervisor whose public key must match `keyId`.
   */
  | { op: 'custodyGrant'; publicKey: string; keyId: string; mechanismKeyId: string; retiredKeyIds: string[]; keyring: KeyringItem[] }
  /** A new mechanism key pair made here and sealed to each holder (their keys checked against their keyIds); only its public half and the entries come back. */
  | { op: 'custodyRotate'; currentKeyId: string; keyring: KeyringItem[]; holders: Array<{ userId: string; publicKey: string; keyId: string }> }
  /**
   * After a rotation: each case key (and staff key) opened with the retired mechanism key its
   * envelope names and sealed again, unchanged, to the current key `currentKeyId` (both opened
   * from `keyring`); only the new envelopes come back.
   */
  | { op: 'custodyRewrap'; currentKeyId: string; keyring: KeyringItem[]; cases: RewrapCase[] }
  /** A new search key (a re-issue) made here and sealed to each member (their keys checked against their keyIds); only the entries come back, the key is wiped. */
  | { op: 'searchReissue'; members: Array<{ userId: string; publicKey: string; keyId: string }> }
  /** The held mechanism private key cut into `shares` printable codes, any `threshold` of which rebuild it. */
  | { op: 'custodySplit'; keyId: string; keyring: KeyringItem[]; threshold: number; shares: number }
  /** Typed codes rebuild the key here, checked against `keyId`; it answers the challenge and is sealed to the account's own key, then wiped. */
  | { op: 'custodyRestore'; codes: string[]; keyId: string; challenge: string }
  /**
   * Recomputes the chain of an audit export (its NDJSON, as saved) from genesis, and checks that
   * it passes through `head`, whose signature must verify with `signingPublicKey`: the key the
   * console pinned, not the one the server names. Progress arrives as FileEvent messages under `progressId`.
   */
  | { op: 'verifyAuditExport'; file: Blob; head: { seq: number; hash: string; signature: string }; signingPublicKey: string; progressId: string }
  /**
   * Verifies a range export (the events after `range.start`, genesis when null, up to
   * `range.end`): both checkpoints signed by `signingPublicKey` (the pinned key), the chain
   * recomputed from the start's hash, landing exactly on the end's. Progress as for an export.
   */
  | { op: 'verifyAuditRange'; file: Blob; range: { start: AuditCheckpointRef | null; end: AuditCheckpointRef }; signingPublicKey: string; progressId: string };

/** A signed checkpoint as the worker checks it. */
export interface AuditCheckpointRef {
  seq: number;
  hash: string;
  signature: string;
}

/** Why the worker refused an export or a range: a code the page has words for. */
export type AuditFailure = { ok: false; code: 'audit_head_unsigned' | RangeFailure; count: number; firstBadSeq: number | null; headSeq: number };

/** What the worker found in an audit export: each failure with a code the page has words for, and the first event it names. */
export type AuditVerdict = { ok: true; count: number; headSeq: number; last: { seq: number; hash: string } } | AuditFailure;

/** What the worker found in a range: the seqs verified (after `fromSeq` up to `headSeq`, the end) and when their first and last events were recorded. */
export type AuditRangeVerdict = { ok: true; count: number; fromSeq: number; headSeq: number; span: { first: string; last: string } | null } | AuditFailure;

/** What the worker needs of a listed file to open it: its id, sealed fields and the hash the server took. */
export interface SealedFileRef {
  id: string;
  sealed: Record<string, string>;
  ciphertextSha256: string;
  /** ciphertext bytes */
  size: number;
}

/** A sealed attach body (PUT /v1/cases/:caseId/files/:fileId), as uploadFile answers it. */
export interface SealedAttachBody {
  name: string;
  type: string;
  caption?: string;
  sha256: string;
  keyEpoch?: number;
}

/** What happened to a photo's metadata before it was encrypted (RemovedMetadata of web/common/files). */
export interface StripReport {
  outcome: 'stripped' | 'none_found' | 'unsupported_type' | 'too_large' | 'malformed' | 'off';
  removed: string[];
}

/** Messages of the worker about an upload in progress (not replies). */
export interface FileEvent {
  fileEvent: { fileId: string; kind: 'uploadUrl'; uploadUrl: string } | { fileId: string; kind: 'progress'; sent: number; total: number };
}

/** What an officer types for the defender, sealed in the worker only (each value is a short text). */
export interface BehalfSecrets {
  identity: string;
  contact: string;
  narrative: string;
  location?: string;
}

/** A staff holder of a case as listCaseNotes gives it (publicKey null: the holder moved to another key). */
export interface StaffHolder {
  keyId: string;
  recipientType: string;
  recipientId: string;
  publicKey: string | null;
}

export interface CryptoResults {
  ready: null;
  login: { authKey: string };
  openAccount: { keyId: string };
  unlock: { keyId: string };
  enrol: { upload: EnrolmentUpload; authKey: string; recoveryCode: string; totpSecret: string };
  openCaseKey: { keyEpoch: number };
  open: Array<JsonValue | null>;
  seal: string;
  sealCaseKeyTo: { keyId: string; envelope: string };
  lock: null;
  openStaffKey: null;
  makeStaffKey: { envelopes: Array<{ keyId: string; envelope: string; recipientType: 'org' | 'user'; recipientId: string }> };
  openNotes: Array<string | null>;
  sealNote: string;
  openSearchKey: null;
  queryTokens: string[];
  caseTokens: { real: string[]; padded: string[] };
  changePassword: PasswordMaterial & { currentAuthKey: string };
  recoveryOpen: { answer: string; publicKey: string };
  recoveryRewrap: PasswordMaterial & { recoveryWrap: string; recoveryCode: string };
  fileOnBehalf: { body: FilingBody; filer: { keyId: string; envelope: string }; receipt: string };
  reissueReceipt: { body: ReceiptReissueBody; receipt: string; keyEpoch: number };
  sealReferralPacket: { packet: Record<string, string>; org: { keyId: string; envelope: string }; own: { keyId: string; envelope: string } };
  openReferralReports: Array<string | null>;
  setToken: null;
  fileNameTag: string;
  uploadFile: { attachBody: SealedAttachBody; strip: StripReport; size: number };
  cancelUpload: null;
  /** `saved`: written through the handle; `memory`: the checked plaintext, for the page to offer. */
  downloadFile: { kind: 'saved'; bytes: number } | { kind: 'memory'; blob: Blob; bytes: number };
  showImage: ImageBitmap;
  rekeyWithout: { body: RekeyBody; revoked: number };
  openReferralPacket: { fields: Record<string, JsonValue>; files: Array<{ fileId: string; name: string; type: string; size: number }>; reports: Array<string | null> };
  sealReferralReport: string;
  downloadReferralFile: { kind: 'saved'; bytes: number } | { kind: 'memory'; blob: Blob; bytes: number };
  sealOrgKeyringEntry: KeyringGrantResult;
  makeOrgKey: { publicKey: string; keyId: string; entries: Array<{ userId: string; memberKeyId: string; entry: string }> };
  custodyGrant: KeyringGrantResult & { searchEntry: string | null };
  custodyRotate: { publicKey: string; keyId: string; entries: Array<{ userId: string; memberKeyId: string; entry: string }> };
  custodyRewrap: { cases: Array<{ caseId: string; keyId: string; envelope: string; staffEnvelope: string | null }> };
  searchReissue: { entries: Array<{ userId: string; memberKeyId: string; entry: string }> };
  custodySplit: { keyId: string; codes: string[] };
  custodyRestore: { answer: string; entry: string };
  verifyAuditExport: AuditVerdict;
  verifyAuditRange: AuditRangeVerdict;
}


/** A CSP violation seen inside the worker: its listener is the only one that hears it. */
export interface WorkerViolation {
  violation: { directive: string; blockedURI: string };
}

