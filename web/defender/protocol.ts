/**
 * What the page and its crypto worker say to each other. The worker holds every key (the
 * defender's key pair from the receipt, the case key); the page only ever sees plaintext it
 * typed or asked to open, sealed strings, and the authKey it sends to log in.
 */
import type { FilingMetadata, FilingSecrets, IntakeKeyInfo, JsonValue, PreparedFiling } from '../../src/sdk/index.js';

export type CryptoRequest =
  | { op: 'ready' }
  /** `caseId` and `receipt`: sealing again a request that may already have arrived keeps its identity (one request, one receipt). */
  | { op: 'file'; intakeKey: IntakeKeyInfo; pinnedKeyId: string; metadata: FilingMetadata; secrets: FilingSecrets; caseId?: string; receipt?: string }
  | { op: 'unlock'; receipt: string; receiptSalt: string }
  | { op: 'openCaseKey'; envelopes: Array<{ keyId: string; envelope: string }> }
  | { op: 'open'; items: Array<{ sealed: string; ad: string }> }
  | { op: 'seal'; value: JsonValue; ad: string }
  | { op: 'forget' }
  /** The access token the worker's own requests (uploads, downloads) carry, renewed by the page. */
  | { op: 'setToken'; token: string }
  /** A keyed hash of a file name (under the case key): lets a resumed upload check the re-picked file without storing its name. */
  | { op: 'nameTag'; name: string }
  /** Progress and the upload URL come back as WorkerEvents (not replies) while this runs. */
  | { op: 'uploadFile'; origin: string; caseId: string; fileId: string; keyEpoch: number; file: File; caption: string; stripLocation: boolean; chunkSize: number; resume?: { uploadUrl: string; sealedKey: string } }
  | { op: 'cancelUpload'; fileId: string }
  /** Opens the listed files' descriptions; their key records stay in the worker for downloads. */
  | { op: 'openFiles'; items: Array<{ id: string; sealed: Record<string, string> }> }
  /** `handle`: a file the person chose (File System Access API), written as it opens; otherwise assembled in memory up to `maxBytes`. */
  | { op: 'downloadFile'; origin: string; caseId: string; fileId: string; ciphertextSha256: string; size: number; maxBytes: number; handle?: FileSystemFileHandle };

export interface CryptoResults {
  ready: null;
  file: { body: PreparedFiling['body']; receipt: string; authKey: string };
  unlock: { authKey: string };
  openCaseKey: null;
  /** One entry per item: the opened value, or null when it did not open. */
  open: Array<JsonValue | null>;
  seal: string;
  forget: null;
  setToken: null;
  nameTag: string;
  uploadFile: { attachBody: { name: string; type: string; caption?: string; sha256: string; keyEpoch?: number }; removed: string[]; strip: string };
  cancelUpload: null;
  openFiles: Array<{ fileId: string; name: string | null; type: string | null; caption: string | null; readable: boolean }>;
  /** The plaintext, assembled in memory (its type is the sealed media type). */
  downloadFile: { blob: Blob | null; bytes: number };
}

/** What the worker tells the page while an upload runs (messages that are not replies). */
export type WorkerEvent = { event: 'uploadUrl'; fileId: string; url: string } | { event: 'uploadProgress'; fileId: string; sent: number; total: number };


