/**
 * Uploading an evidence file: the client encrypts (files format 2) and sends the ciphertext with
 * the tus resumable-upload protocol (tus-js-client, which picks its Node or browser build). Runs
 * in Node and in a Web Worker; memory stays bounded by one tus chunk whatever the file's size.
 *
 * Resuming: the encryption is deterministic for a given file key and stream header (the header
 * is kept in the sealed key record), so the ciphertext can be made again from the start of the
 * same plaintext at any time, e.g. after a page reload, and the bytes the server already holds
 * skipped. Only the upload URL is remembered by the caller, never the key.
 */
import { Upload, type DetailedError } from 'tus-js-client';
import { createFileEncryptor, encryptedFileSize, generateFileKey, type FileEncryptor, type Sha256Engine } from '../crypto/file-stream.js';
import { decodeFileKey, encodeFileKey, type FileKeyRecord } from '../crypto/file-key.js';
import { fileFieldAd } from '../crypto/associated-data.js';
import { openField, sealField } from '../crypto/sealed-field.js';
import { toHex } from '../crypto/encoding.js';
import { na } from '../crypto/sodium.js';

/** A new file's key record (key and stream header), sealed under the case DEK as its `key` field. */
export function newFileKey(): FileKeyRecord {
  const key = generateFileKey();
  const header = na().crypto_secretstream_xchacha20poly1305_init_push(key).header;
  return { format: 2, key, header };
}

export function sealFileKey(record: FileKeyRecord, dek: Uint8Array, fileId: string): string {
  return sealField(encodeFileKey(record), dek, fileFieldAd(fileId, 'key'));
}

export function openFileKey(sealed: string, dek: Uint8Array, fileId: string): FileKeyRecord {
  const text = openField(sealed, dek, fileFieldAd(fileId, 'key'));
  if (typeof text !== 'string') throw new TypeError('a file key record is sealed as text');
  return decodeFileKey(text);
}

/** What a file says about itself, sealed when it is attached (PUT /v1/cases/:caseId/files/:fileId), each as `{"text": …}`. */
export interface FileDescription {
  name: string;
  type: string;
  caption?: string;
  /** hex SHA-256 of the plaintext */
  sha256: string;
}

export function sealFileDescription(d: FileDescription, dek: Uint8Array, fileId: string): { name: string; type: string; caption?: string; sha256: string } {
  return {
    name: sealField({ text: d.name }, dek, fileFieldAd(fileId, 'name')),
    type: sealField({ text: d.type }, dek, fileFieldAd(fileId, 'type')),
    ...(d.caption !== undefined && d.caption !== '' ? { caption: sealField({ text: d.caption }, dek, fileFieldAd(fileId, 'caption')) } : {}),
    sha256: sealField({ text: d.sha256 }, dek, fileFieldAd(fileId, 'sha256')),
  };
}

/** Opens what `sealFileDescription` sealed (fields absent from `sealed` are left out). */
export function openFileDescription(sealed: Readonly<Record<string, string>>, dek: Uint8Array, fileId: string): Partial<FileDescription> {
  const out: Partial<FileDescription> = {};
  for (const field of ['name', 'type', 'caption', 'sha256'] as const) {
    const v = sealed[field];
    if (v === undefined) continue;
    const opened = openField(v, dek, fileFieldAd(fileId, field));
    // Sealed as `{"text": …}` like every other text of the scheme (docs/crypto-v1.md §3.6).
    const text = opened !== null && typeof opened === 'object' && !Array.isArray(opened) ? (opened as { text?: unknown }).text : undefined;
    if (typeof text === 'string') out[field] = text;
  }
  return out;
}

/**
 * A tus "file reader" over ciphertext made on demand: `open()` gives the ciphertext from its
 * first byte (the plaintext encrypted again), slices are served from a buffer of the current
 * chunk, and a slice that starts before it (a store that lost the end of an interrupted request)
 * opens the stream again and skips. While a chunk is being sent, the next one is encrypted
 * ahead, so encryption and network overlap; at most two chunks are ever held.
 */
function ciphertextReader(open: () => ReadableStream<Uint8Array>, size: number, ahead: number) {
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  /** bytes of the stream before `parts` */
  let base = 0;
  let parts: Uint8Array[] = [];
  let held = 0;
  let done = false;
  /** the one read in progress: reads are chained, never concurrent */
  let filling: Promise<void> = Promise.resolve();

  const restart = () => {
    void reader?.cancel().catch(() => undefined);
    reader = open().getReader();
    base = 0;
    parts = [];
    held = 0;
    done = false;
    filling = Promise.resolve();
  };
  const dropBefore = (start: number) => {
    while (parts.length > 0 && base + parts[0]!.length <= start) {
      base += parts[0]!.length;
      held -= parts[0]!.length;
      parts.shift();
    }
  };
  /** Reads until the buffer reaches `end` (or the stream ends), after whatever read is in progress. */
  const fill = (end: number): Promise<void> => {
    const current = reader;
    filling = filling.then(async () => {
      while (reader === current && current && !done && base + held < end) {
        const next = await current.read();
        if (reader !== current) return;
        if (next.done) done = true;
        else {
          parts.push(next.value);
          held += next.value.length;
        }
      }
    });
    return filling;
  };
  return {
    size,
    async slice(start: number, end: number): Promise<{ value: Uint8Array | null; done: boolean }> {
      if (!reader || start < base) restart();
      end = Math.min(end, size);
      dropBefore(start);
      await fill(end);
      if (start >= size) return { value: null, done: true };
      const out = new Uint8Array(Math.max(0, Math.min(end, base + held) - start));
      let at = 0;
      let pos = base;
      for (const p of parts) {
        const from = Math.max(start - pos, 0);
        const to = Math.min(end - pos, p.length);
        if (to > from) {
          out.set(p.subarray(from, to), at);
          at += to - from;
        }
        pos += p.length;
        if (pos >= end) break;
      }
      // The next chunk is made while this one travels; a failure surfaces at the next slice.
      if (end < size) fill(Math.min(size, end + ahead)).catch(() => undefined);
      return { value: out, done: false };
    },
    close() {
      void reader?.cancel().catch(() => undefined);
      reader = null;
    },
  };
}

export interface FileUploadOptions {
  /** The tus creation endpoint, absolute: `<origin>/v1/uploads`. */
  endpoint: string;
  /** The current access token (read before each request, so a refreshed one is used). */
  token(): string;
  caseId: string;
  fileId: string;
  /** The case DEK: the key record is sealed under it. */
  dek: Uint8Array;
  keyEpoch?: number;
  /** The plaintext, from its first byte, as often as asked (a File's `stream()`, a file read again). */
  plaintext(): ReadableStream<Uint8Array>;
  /** Plaintext bytes. */
  plainSize: number;
  /** The key record of an upload being resumed (opened from its sealed `key`); a new one otherwise. */
  resume?: { record: FileKeyRecord; uploadUrl: string };
  /** Bytes per PATCH (policies/files.yaml uploadChunkBytes). */
  chunkSize: number;
  /** Told once the server created the upload: the URL to keep to resume after a reload. */
  onUploadUrl?(url: string): void;
  onProgress?(sentBytes: number, totalBytes: number): void;
  retryDelays?: number[];
  signal?: AbortSignal;
  /** A faster SHA-256 than libsodium's where the platform has one (Node: `nodeSha256` of src/sdk/node/file-stream.ts). */
  sha256?: () => Sha256Engine;
}

export interface FileUploadResult {
  uploadUrl: string;
  /** hex SHA-256 of the plaintext, from the last encryption pass (what the attach seals) */
  sha256: string;
  /** ciphertext bytes */
  size: number;
}

/**
 * Encrypts and uploads one file; resolves once the server holds every byte. The caller then
 * attaches it with its sealed description (sealFileDescription). Rejects on a refusal (a
 * problem from the API) or when aborted; network failures are retried per `retryDelays`.
 */
export function uploadFile(o: FileUploadOptions): Promise<FileUploadResult> {
  const record = o.resume?.record ?? newFileKey();
  const size = encryptedFileSize(o.plainSize, record.format);
  let last: FileEncryptor | null = null;
  const open = () => {
    last = createFileEncryptor(record.key, { format: record.format, header: record.header, ...(o.sha256 ? { sha256: o.sha256 } : {}) });
    return o.plaintext().pipeThrough(last.transform);
  };
  const source = ciphertextReader(open, size, o.chunkSize);
  return new Promise((resolve, reject) => {
    // tus-js-client reads the bytes through `fileReader` below; the input it is given is a stand-in.
    const upload = new Upload({ read: async () => ({ done: true, value: undefined }) }, {
      endpoint: o.endpoint,
      ...(o.resume ? { uploadUrl: o.resume.uploadUrl } : {}),
      uploadSize: size,
      chunkSize: o.chunkSize,
      retryDelays: o.retryDelays ?? [0, 1000, 3000, 5000, 10_000, 20_000],
      // Never a name or type in the clear: the server keeps only what binds the upload to its case.
      metadata: { caseId: o.caseId, fileId: o.fileId, key: sealFileKey(record, o.dek, o.fileId), ...(o.keyEpoch !== undefined ? { keyEpoch: String(o.keyEpoch) } : {}) },
      // The caller keeps the upload URL (never a file name: tus's default fingerprint holds it).
      fingerprint: async () => `egide-${o.fileId}`,
      storeFingerprintForResuming: false,
      removeFingerprintOnSuccess: false,
      fileReader: { openFile: async () => source },
      onBeforeRequest: (req) => {
        req.setHeader('Authorization', `Bearer ${o.token()}`);
      },
      onUploadUrlAvailable: () => {
        if (upload.url) o.onUploadUrl?.(upload.url);
      },
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      onShouldRetry: (err: DetailedError) => {
        const status = err.originalResponse?.getStatus() ?? 0;
        // Retry what a poor connection causes (no answer, 5xx, 423 lock, 409 offset race), never a refusal.
        return status === 0 || status >= 500 || status === 409 || status === 423 || status === 429;
      },
      onError: (err) => reject(err),
      onSuccess: () => {
        source.close();
        // A resumed upload that the server already held whole never ran the encryption: run it
        // once to learn the plaintext hash the attach seals.
        const hashOf = async (): Promise<string> => {
          if (last && last.plaintextBytes() === o.plainSize) return toHex(last.plaintextSha256());
          const enc = createFileEncryptor(record.key, { format: record.format, header: record.header, ...(o.sha256 ? { sha256: o.sha256 } : {}) });
          const r = o.plaintext().pipeThrough(enc.transform).getReader();
          while (!(await r.read()).done);
          return toHex(enc.plaintextSha256());
        };
        hashOf().then((sha256) => resolve({ uploadUrl: upload.url!, sha256, size }), reject);
      },
    });
    o.signal?.addEventListener('abort', () => {
      void upload.abort(false);
      reject(o.signal!.reason instanceof Error ? o.signal!.reason : new Error('upload aborted'));
    });
    upload.start();
  });
}
