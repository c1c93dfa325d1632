/**
 * The crypto worker: libsodium (WebAssembly) and every key live here, off the page's thread, so
 * that the Argon2id derivation of the receipt (64 MiB, a few seconds on a modest phone) never
 * freezes the page, and so that the page loads fast: this bundle (the big one) is fetched only
 * when the person starts typing or comes back with a receipt.
 */
/// <reference lib="webworker" />
import {
  CryptoError,
  deriveReceiptKeys,
  keyIdOf,
  openEnvelope,
  openField,
  prepareFiling,
  ready,
  sealField,
  toB64u,
  wipe,
  type BoxKeyPair,
  type JsonValue,
  type KeyEnvelope,
} from '../../src/sdk/index.js';
import { na } from '../../src/sdk/crypto/sodium.js';
import { serveWorker } from '../common/worker-rpc.js';
import { describeEvidence, downloadEvidence, uploadEvidence } from '../common/files/index.js';
import type { FileKeyRecord } from '../../src/sdk/crypto/file-key.js';
import type { CryptoRequest, CryptoResults, WorkerEvent } from './protocol.js';

declare const self: DedicatedWorkerGlobalScope;

let defenderKeys: BoxKeyPair | null = null;
let caseKey: Uint8Array | null = null;
/** The session's access token, for the worker's own requests (the page renews it). */
let accessToken = '';
/** Key records and sealed hashes of the files last listed, for their downloads. */
const fileKeys = new Map<string, { record: FileKeyRecord; sha256?: string; type: string }>();
const uploads = new Map<string, AbortController>();

function forget(): void {
  if (defenderKeys) wipe(defenderKeys.privateKey);
  if (caseKey) wipe(caseKey);
  defenderKeys = null;
  caseKey = null;
  accessToken = '';
  for (const { record } of fileKeys.values()) wipe(record.key);
  fileKeys.clear();
  for (const c of uploads.values()) c.abort();
  uploads.clear();
}

const tell = (e: WorkerEvent): void => self.postMessage(e);

/** A refused tus request keeps the API's problem code (file_too_large...) or says it had no answer. */
function uploadFailure(err: unknown): Error {
  const response = (err as { originalResponse?: { getStatus(): number; getBody(): string } | null }).originalResponse;
  if (!response) return err instanceof Error && 'code' in err ? err : Object.assign(new Error('no answer'), { code: 'network' });
  let code = `http_${response.getStatus()}`;
  try {
    const body = JSON.parse(response.getBody()) as { code?: unknown };
    if (typeof body.code === 'string') code = body.code;
  } catch {
    // not a problem document
  }
  return Object.assign(new Error(`upload refused (${response.getStatus()})`), { code, status: response.getStatus() });
}

async function handle(request: CryptoRequest): Promise<CryptoResults[CryptoRequest['op']]> {
  await ready();
  switch (request.op) {
    case 'ready':
      return null;
    case 'file': {
      forget();
      const { intakeKey, pinnedKeyId, metadata, secrets, caseId, receipt } = request;
      const prepared = prepareFiling({ intakeKey, pinnedKeyId, metadata, secrets, ...(caseId ? { caseId } : {}), ...(receipt ? { receipt } : {}) });
      // The defender goes on to follow the case with the keys of this receipt: no second Argon2id run.
      defenderKeys = prepared.receiptKeys.keyPair;
      const authKey = toB64u(prepared.receiptKeys.authKey);
      wipe(prepared.receiptKeys.authKey);
      return { body: prepared.body, receipt: prepared.receipt, authKey };
    }
    case 'unlock': {
      forget();
      const keys = deriveReceiptKeys(request.receipt, request.receiptSalt);
      defenderKeys = keys.keyPair;
      const authKey = toB64u(keys.authKey);
      wipe(keys.authKey);
      return { authKey };
    }
    case 'openCaseKey': {
      const keys = defenderKeys ?? fail('locked', 'no receipt has been entered');
      const mine = request.envelopes.find((e) => e.keyId === keyIdOf(keys.publicKey)) ?? fail('key_id_mismatch', 'no envelope for this receipt');
      if (caseKey) wipe(caseKey);
      caseKey = openEnvelope(mine as KeyEnvelope, keys);
      return null;
    }
    case 'open': {
      const dek = caseKey ?? fail('locked', 'the case key is not open');
      return request.items.map(({ sealed, ad }) => {
        try {
          return openField(sealed, dek, ad);
        } catch {
          return null;
        }
      });
    }
    case 'seal': {
      const dek = caseKey ?? fail('locked', 'the case key is not open');
      return sealField(request.value as JsonValue, dek, request.ad);
    }
    case 'forget':
      forget();
      return null;
    case 'setToken':
      accessToken = request.token;
      return null;
    case 'nameTag': {
      const dek = caseKey ?? fail('locked', 'the case key is not open');
      return toB64u(na().crypto_generichash(16, `egide/v1/file-name-tag/${request.name}`, dek));
    }
    case 'uploadFile': {
      const dek = caseKey ?? fail('locked', 'the case key is not open');
      const controller = new AbortController();
      uploads.set(request.fileId, controller);
      try {
        const done = await uploadEvidence({
          origin: request.origin,
          token: () => accessToken,
          caseId: request.caseId,
          fileId: request.fileId,
          dek,
          keyEpoch: request.keyEpoch,
          file: request.file,
          caption: request.caption,
          stripLocation: request.stripLocation,
          chunkSize: request.chunkSize,
          ...(request.resume ? { resume: request.resume } : {}),
          onUploadUrl: (url) => tell({ event: 'uploadUrl', fileId: request.fileId, url }),
          onProgress: (sent, total) => tell({ event: 'uploadProgress', fileId: request.fileId, sent, total }),
          // A poor connection: keep trying for about a minute before telling the person.
          retryDelays: [0, 1000, 3000, 5000, 10_000, 20_000],
          signal: controller.signal,
        });
        return { attachBody: done.attachBody, removed: done.removed, strip: done.strip };
      } catch (err) {
        throw controller.signal.aborted ? Object.assign(new Error('cancelled'), { code: 'cancelled' }) : uploadFailure(err);
      } finally {
        uploads.delete(request.fileId);
      }
    }
    case 'cancelUpload':
      uploads.get(request.fileId)?.abort();
      return null;
    case 'openFiles': {
      const dek = caseKey ?? fail('locked', 'the case key is not open');
      return request.items.map(({ id, sealed }) => {
        const d = describeEvidence(id, sealed, dek);
        const old = fileKeys.get(id);
        if (old) wipe(old.record.key);
        if (d.record) fileKeys.set(id, { record: d.record, ...(d.sha256 ? { sha256: d.sha256 } : {}), type: d.type ?? 'application/octet-stream' });
        return { fileId: id, name: d.name ?? null, type: d.type ?? null, caption: d.caption ?? null, readable: d.record !== null && d.name !== undefined };
      });
    }
    case 'downloadFile': {
      const file = fileKeys.get(request.fileId) ?? fail('unknown_file', 'the file is not in the last list');
      const done = await downloadEvidence({
        origin: request.origin,
        token: () => accessToken,
        caseId: request.caseId,
        fileId: request.fileId,
        record: file.record,
        ciphertextSha256: request.ciphertextSha256,
        ...(file.sha256 ? { plaintextSha256: file.sha256 } : {}),
        size: request.size,
        sink: request.handle ? { kind: 'file', handle: request.handle } : { kind: 'memory', maxBytes: request.maxBytes, type: file.type },
      });
      return { blob: done.blob ?? null, bytes: done.bytes };
    }
  }
}

function fail(code: string, message: string): never {
  throw Object.assign(new Error(message), { code });
}

serveWorker<CryptoRequest>(self, handle, (err) => (err instanceof CryptoError ? err.code : ((err as { code?: string }).code ?? 'crypto_failed')));
