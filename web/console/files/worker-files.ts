/**
 * The console's evidence-file operations, INSIDE the crypto worker (crypto-worker.ts hands them
 * the open case keys): uploads and downloads run here with web/common/files, so the file key,
 * the plaintext and the case key never reach the page. What goes back: sealed fields, the
 * upload's URL and progress, a checked plaintext the person asked to save, or a decoded picture.
 *
 * Every failure leaves with a code the page has words for: a problem code of the API (from the
 * tus answer), `ciphertext_changed` / `plaintext_changed` when a check fails (a chunk that does
 * not open means the stored bytes changed, too), `upload_cancelled`, `file_too_big_for_memory`,
 * `network`.
 */
/// <reference lib="webworker" />
import type { DetailedError } from 'tus-js-client';
import { CryptoError, toHex, type ReferralFile } from '../../../src/sdk/index.js';
import { utf8 } from '../../../src/sdk/crypto/encoding.js';
import { na } from '../../../src/sdk/crypto/sodium.js';
import { DownloadFailure, FileCheckError, describeEvidence, downloadEvidence, uploadEvidence, type DownloadSink } from '../../common/files/index.js';
import type { CryptoRequest, CryptoResults, FileEvent, SealedFileRef } from '../protocol.js';

type FileRequest = Extract<CryptoRequest, { op: 'setToken' | 'fileNameTag' | 'uploadFile' | 'cancelUpload' | 'downloadFile' | 'showImage' }>;

export const FILE_OPS: ReadonlySet<string> = new Set<FileRequest['op']>(['setToken', 'fileNameTag', 'uploadFile', 'cancelUpload', 'downloadFile', 'showImage']);

export function isFileRequest(request: CryptoRequest): request is FileRequest {
  return FILE_OPS.has(request.op);
}

interface OpenCaseKey {
  keyEpoch: number;
  dek: Uint8Array;
}

const failure = (code: string, message: string): Error => Object.assign(new Error(message), { code });

/** The problem code of a tus refusal (its problem+json body), or `network` when nothing answered. */
function uploadFailureCode(err: unknown): string {
  const response = (err as Partial<DetailedError>).originalResponse;
  if (!response) return (err as { code?: string }).code ?? 'network';
  try {
    const body = JSON.parse(response.getBody()) as { code?: unknown };
    if (typeof body.code === 'string') return body.code;
  } catch {
    // not a problem document
  }
  const status = response.getStatus();
  return status === 401 ? 'invalid_token' : status === 403 ? 'forbidden' : status === 404 ? 'not_found' : status === 413 ? 'file_too_large' : 'unexpected';
}

/** Why a download did not give a checked file, in the page's codes (a referral's files fail alike: partner/worker-partner.ts). */
export function downloadFailureCode(err: unknown): string {
  if (err instanceof FileCheckError) return err.code;
  // A chunk that does not open, a truncated or padded-wrong stream: not the bytes that were uploaded.
  if (err instanceof CryptoError && ['decrypt_failed', 'bad_stream', 'bad_padding', 'bad_length'].includes(err.code)) return 'ciphertext_changed';
  if (err instanceof DownloadFailure) {
    if (err.code === 'too_large_for_memory') return 'file_too_big_for_memory';
    if (err.code === 'cut_short') return 'download_cut_short';
    return err.status === 0 ? 'network' : err.status === 401 ? 'invalid_token' : err.status === 403 ? 'forbidden' : err.status === 404 ? 'not_found' : 'unexpected';
  }
  if (err instanceof TypeError) return 'network';
  return (err as { code?: string }).code ?? 'unexpected';
}

export function createFileOps(deps: { caseKey(caseId: string): OpenCaseKey; post(message: FileEvent): void }) {
  let token: string | null = null;
  const uploads = new Map<string, AbortController>();
  const origin = self.location.origin;
  const currentToken = (): string => token ?? '';

  /** The key record and plaintext hash of a listed file, opened here (a file that does not open is refused). */
  function opened(caseId: string, file: SealedFileRef) {
    const d = describeEvidence(file.id, file.sealed, deps.caseKey(caseId).dek);
    if (!d.record) throw failure('file_unopened', 'the file key does not open with the case key');
    if (!file.ciphertextSha256) throw failure('not_found', 'the file has no recorded hash yet');
    return d;
  }

  async function download(caseId: string, file: SealedFileRef, sink: DownloadSink) {
    const d = opened(caseId, file);
    try {
      return await downloadEvidence({
        origin,
        token: currentToken,
        caseId,
        fileId: file.id,
        record: d.record!,
        ciphertextSha256: file.ciphertextSha256,
        ...(d.sha256 ? { plaintextSha256: d.sha256 } : {}),
        size: file.size,
        sink,
      });
    } catch (err) {
      throw failure(downloadFailureCode(err), err instanceof Error ? err.message : 'download failed');
    }
  }

  async function handle<R extends FileRequest>(request: R): Promise<CryptoResults[R['op']]>;
  async function handle(request: FileRequest): Promise<CryptoResults[FileRequest['op']]> {
    switch (request.op) {
      case 'setToken':
        token = request.accessToken;
        return null;
      case 'fileNameTag': {
        // A key of its own for the tag, from the case key: the tag says nothing to whoever reads the browser's storage.
        const sodium = na();
        const tagKey = sodium.crypto_generichash(32, utf8(`egide/v1/console/upload-name-tag/${request.caseId}`), deps.caseKey(request.caseId).dek);
        try {
          return toHex(sodium.crypto_generichash(16, utf8(request.name), tagKey));
        } finally {
          tagKey.fill(0);
        }
      }
      case 'uploadFile': {
        const key = deps.caseKey(request.caseId);
        const controller = new AbortController();
        uploads.set(request.fileId, controller);
        let last = 0;
        try {
          const done = await uploadEvidence({
            origin,
            token: currentToken,
            caseId: request.caseId,
            fileId: request.fileId,
            dek: key.dek,
            keyEpoch: key.keyEpoch,
            file: request.file,
            ...(request.caption ? { caption: request.caption } : {}),
            stripLocation: request.stripLocation,
            chunkSize: request.chunkSize,
            ...(request.resume ? { resume: request.resume } : {}),
            onUploadUrl: (uploadUrl) => deps.post({ fileEvent: { fileId: request.fileId, kind: 'uploadUrl', uploadUrl } }),
            onProgress: (sent, total) => {
              // At most ten a second: the page redraws a bar, not every packet.
              const now = Date.now();
              if (sent < total && now - last < 100) return;
              last = now;
              deps.post({ fileEvent: { fileId: request.fileId, kind: 'progress', sent, total } });
            },
            signal: controller.signal,
          });
          return { attachBody: done.attachBody, strip: { outcome: done.strip, removed: [...done.removed] }, size: done.size };
        } catch (err) {
          if (controller.signal.aborted) throw failure('upload_cancelled', 'the upload was cancelled');
          throw failure(uploadFailureCode(err), err instanceof Error ? err.message : 'upload failed');
        } finally {
          uploads.delete(request.fileId);
        }
      }
      case 'cancelUpload':
        uploads.get(request.fileId)?.abort();
        return null;
      case 'downloadFile': {
        const type = describeEvidence(request.file.id, request.file.sealed, deps.caseKey(request.caseId).dek).type ?? 'application/octet-stream';
        const sink: DownloadSink = request.target ? { kind: 'file', handle: request.target } : { kind: 'memory', maxBytes: request.maxInMemory, type };
        const done = await download(request.caseId, request.file, sink);
        if (request.target) return { kind: 'saved', bytes: done.bytes };
        if (!done.blob) throw failure('unexpected', 'no plaintext was assembled');
        return { kind: 'memory', blob: done.blob, bytes: done.bytes };
      }
      case 'showImage': {
        const done = await download(request.caseId, request.file, { kind: 'memory', maxBytes: request.maxBytes, type: 'application/octet-stream' });
        // Decoded here: the page gets pixels to draw, never the file or a URL to it.
        try {
          return await createImageBitmap(done.blob!);
        } catch {
          throw failure('image_undecodable', 'the picture could not be decoded');
        }
      }
    }
  }

  return {
    handle,
    /** The access token of the worker's own requests (a referral file's download, too). */
    token: currentToken,
    /**
     * The files a referral packet carries, opened from the case's list with the case key: each
     * one's key record, name, type and plaintext hash must open, or nothing is sealed (a packet
     * that names a file its partner cannot open or check is not sent).
     */
    referralFiles(caseId: string, refs: readonly SealedFileRef[]): ReferralFile[] {
      const dek = deps.caseKey(caseId).dek;
      return refs.map((file) => {
        const d = describeEvidence(file.id, file.sealed, dek);
        if (!d.record || d.name === undefined || d.type === undefined || d.sha256 === undefined) throw failure('file_unopened', 'a chosen file does not open with the case key');
        if (!file.ciphertextSha256) throw failure('referral_file_unavailable', 'a chosen file has no recorded hash yet');
        return { caseId, fileId: file.id, key: d.record, name: d.name, type: d.type, sha256: d.sha256, ciphertextSha256: file.ciphertextSha256, size: file.size };
      });
    },
    /** The lock wipes the case keys an upload seals with: every upload stops first (the person resumes after unlocking). */
    stopAll(): void {
      for (const controller of uploads.values()) controller.abort();
    },
  };
}
