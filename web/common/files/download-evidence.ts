/**
 * Downloading one evidence file INSIDE a crypto worker: the ciphertext fetched, opened with the
 * SDK (openDownload: both hashes checked, the stream errors instead of ending on a mismatch)
 * and written either to a file the person chose (File System Access API: the page's picker
 * gives a FileSystemFileHandle, which crosses to the worker) or assembled in memory up to a
 * bound (a phone, or a file shown inline).
 *
 * Nothing is kept of a file that fails a check: the writable is aborted (its swap file is
 * discarded) and the empty file the picker created removed where the browser allows, the
 * in-memory parts dropped; the caller gets the FileCheckError with its code.
 */
import { FileCheckError, openDownload } from '../../../src/sdk/client/file-download.js';
import type { FileKeyRecord } from '../../../src/sdk/crypto/file-key.js';
import { CryptoError } from '../../../src/sdk/crypto/errors.js';

export { FileCheckError };

export type DownloadSink =
  /** Written to disk as it is opened; committed only on a clean end. */
  | { kind: 'file'; handle: FileSystemFileHandle }
  /** Assembled in memory, refused (code `too_large_for_memory`) above `maxBytes` of plaintext. */
  | { kind: 'memory'; maxBytes: number; type: string };

export interface DownloadEvidenceOptions {
  origin: string;
  token(): string;
  caseId: string;
  fileId: string;
  /** The file key record (openFileKey of the file's sealed `key`). */
  record: FileKeyRecord;
  /** hex, as the file list shows it (the server's hash of what it received) */
  ciphertextSha256: string;
  /** hex, opened from the file's sealed `sha256` */
  plaintextSha256?: string;
  /** ciphertext bytes, as the file list shows them: checked against the memory bound before fetching */
  size?: number;
  sink: DownloadSink;
  onProgress?(receivedBytes: number, totalBytes: number): void;
  signal?: AbortSignal;
}

export interface DownloadEvidenceResult {
  /** plaintext bytes */
  bytes: number;
  /** The plaintext, for a memory sink. */
  blob?: Blob;
}

/** A refusal with a stable code for the page's words (FileCheckError keeps its own codes). */
export class DownloadFailure extends Error {
  constructor(
    /** cut_short: the answer stopped before its end (the network, or a server that found the stored file altered as it sent it) */
    readonly code: 'too_large_for_memory' | 'fetch_failed' | 'cut_short',
    message: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

export async function downloadEvidence(o: DownloadEvidenceOptions): Promise<DownloadEvidenceResult> {
  if (o.sink.kind === 'memory' && o.size !== undefined && o.size > o.sink.maxBytes + 1024 * 1024) {
    // The ciphertext is padded: a little over the bound may still hold a plaintext under it.
    throw new DownloadFailure('too_large_for_memory', 'the file is too large to open in memory here');
  }
  const response = await fetch(`${o.origin}/v1/cases/${encodeURIComponent(o.caseId)}/files/${encodeURIComponent(o.fileId)}/content`, {
    headers: { Authorization: `Bearer ${o.token()}` },
    credentials: 'omit',
    cache: 'no-store',
    redirect: 'error',
    ...(o.signal ? { signal: o.signal } : {}),
  }).catch((err: unknown) => {
    throw new DownloadFailure('fetch_failed', err instanceof Error ? err.message : 'no answer', 0);
  });
  if (!response.ok || !response.body) {
    // The server hashes a small file whole before sending it: `file_corrupted` is an altered file.
    const problem = (await response.json().catch(() => null)) as { code?: unknown } | null;
    if (problem?.code === 'file_corrupted') throw new FileCheckError('ciphertext_changed');
    throw new DownloadFailure('fetch_failed', `the file could not be fetched (${response.status})`, response.status);
  }
  const total = Number(response.headers.get('content-length') ?? o.size ?? 0);
  let received = 0;
  const counted = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.length;
        o.onProgress?.(received, total);
        controller.enqueue(chunk);
      },
    }),
  );
  const opened = openDownload(counted, o.record, { ciphertextSha256: o.ciphertextSha256, ...(o.plaintextSha256 ? { plaintextSha256: o.plaintextSha256 } : {}) });
  try {
    if (o.sink.kind === 'file') return { bytes: await toFile(opened, o.sink.handle) };
    return await toMemory(opened, o.sink.maxBytes, o.sink.type);
  } catch (err) {
    throw asAltered(err, received, total);
  }
}

/**
 * An altered file rarely reaches the final hash check: a changed byte fails its chunk's
 * authentication first (decrypt_failed, bad_stream, bad_padding). A large file the server finds
 * altered as it sends it is cut before its last bytes, which the page cannot tell from a lost
 * connection: it says the download stopped short and nothing was kept.
 */
function asAltered(err: unknown, received: number, total: number): unknown {
  if (err instanceof FileCheckError || err instanceof DownloadFailure) return err;
  if (err instanceof CryptoError && ['decrypt_failed', 'bad_stream', 'bad_padding'].includes(err.code)) return new FileCheckError('ciphertext_changed');
  if (received > 0 && received < total) return new DownloadFailure('cut_short', 'the download stopped before its end', 0);
  return new DownloadFailure('fetch_failed', err instanceof Error ? err.message : 'the download stopped', 0);
}

async function toFile(opened: ReturnType<typeof openDownload>, handle: FileSystemFileHandle): Promise<number> {
  const writable = await handle.createWritable({ keepExistingData: false });
  try {
    // pipeTo aborts the writable when the source errors: the swap file is discarded, the target untouched.
    await opened.plaintext.pipeTo(writable);
  } catch (err) {
    await writable.abort().catch(() => undefined);
    // The picker created an empty file: remove it where the browser can (Chromium's remove()).
    await (handle as FileSystemFileHandle & { remove?: () => Promise<void> }).remove?.().catch(() => undefined);
    throw err;
  }
  return opened.bytes();
}

async function toMemory(opened: ReturnType<typeof openDownload>, maxBytes: number, type: string): Promise<DownloadEvidenceResult> {
  let parts: Uint8Array[] = [];
  let held = 0;
  const reader = opened.plaintext.getReader();
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      held += next.value.length;
      if (held > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new DownloadFailure('too_large_for_memory', 'the file is too large to open in memory here');
      }
      parts.push(next.value);
    }
  } catch (err) {
    parts = [];
    throw err;
  }
  return { bytes: held, blob: new Blob(parts as Uint8Array<ArrayBuffer>[], { type }) };
}
