/**
 * Uploading one evidence file from INSIDE a crypto worker (the case DEK never leaves it): the
 * picture's metadata stripped first when asked (image-metadata.ts), the bytes encrypted and sent
 * with the SDK's tus upload, and the description sealed for the attach call the page makes.
 *
 * The File itself crosses from the page to the worker by structured clone (no copy of its
 * bytes); only an image to strip is read into memory, up to `stripMaxBytes`.
 */
import { openFileKey, sealFileDescription, uploadFile } from '../../../src/sdk/client/file-upload.js';
import { isStrippableType, stripImageMetadata, type RemovedMetadata, type StripOutcome } from './image-metadata.js';

/** Images above this are uploaded as they are (a phone would struggle to hold two copies). */
export const DEFAULT_STRIP_MAX_BYTES = 64 * 1024 * 1024;

export interface UploadEvidenceOptions {
  /** The API's origin, e.g. `https://egide.example` (the tus endpoint is `<origin>/v1/uploads`). */
  origin: string;
  /** The current access token, read before each request. */
  token(): string;
  caseId: string;
  /** A fresh UUID for a new file; the same one when resuming. */
  fileId: string;
  /** The case DEK (the file key is sealed under it, and so is the description). */
  dek: Uint8Array;
  keyEpoch?: number;
  file: File;
  caption?: string;
  /** Remove the metadata of a JPEG, PNG or WebP image before encrypting it. */
  stripLocation: boolean;
  /** Images larger than this are not read into memory to strip (default DEFAULT_STRIP_MAX_BYTES). */
  stripMaxBytes?: number;
  /** Bytes per tus PATCH (policies uploadChunkBytes). */
  chunkSize: number;
  /**
   * An upload to go on with (after a reload): its URL and its sealed `key` as the file list
   * shows it. ONLY for the very same file the upload started with (same name, size and
   * lastModified): the caller checks; another file under the same key would reuse a nonce.
   */
  resume?: { uploadUrl: string; sealedKey: string };
  /** Told the upload URL as soon as the server created it (to remember for a resume). */
  onUploadUrl?(url: string): void;
  onProgress?(sentBytes: number, totalBytes: number): void;
  retryDelays?: number[];
  signal?: AbortSignal;
}

export interface UploadEvidenceResult {
  fileId: string;
  /** The body of PUT /v1/cases/:caseId/files/:fileId (every field sealed). */
  attachBody: { name: string; type: string; caption?: string; sha256: string; keyEpoch?: number };
  /** What metadata was removed (empty when nothing was). */
  removed: RemovedMetadata[];
  /** What the stripping did ('off' when not asked). */
  strip: StripOutcome;
  uploadUrl: string;
  /** ciphertext bytes */
  size: number;
}

/** The plaintext to encrypt: the file as it is, or the stripped image (deterministic, so a resume sees the same bytes). */
async function plaintextOf(o: UploadEvidenceOptions): Promise<{ stream(): ReadableStream<Uint8Array>; size: number; strip: StripOutcome; removed: RemovedMetadata[] }> {
  const asIs = (strip: StripOutcome) => ({ stream: () => o.file.stream(), size: o.file.size, strip, removed: [] });
  if (!o.stripLocation) return asIs('off');
  if (!isStrippableType(o.file.type)) return asIs('unsupported_type');
  if (o.file.size > (o.stripMaxBytes ?? DEFAULT_STRIP_MAX_BYTES)) return asIs('too_large');
  const result = stripImageMetadata(new Uint8Array(await o.file.arrayBuffer()));
  if (result.outcome !== 'stripped') return asIs(result.outcome);
  const bytes = result.bytes;
  return { stream: () => new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(), size: bytes.length, strip: 'stripped', removed: result.removed };
}

export async function uploadEvidence(o: UploadEvidenceOptions): Promise<UploadEvidenceResult> {
  const plain = await plaintextOf(o);
  const done = await uploadFile({
    endpoint: `${o.origin}/v1/uploads`,
    token: o.token,
    caseId: o.caseId,
    fileId: o.fileId,
    dek: o.dek,
    ...(o.keyEpoch !== undefined ? { keyEpoch: o.keyEpoch } : {}),
    plaintext: plain.stream,
    plainSize: plain.size,
    ...(o.resume ? { resume: { record: openFileKey(o.resume.sealedKey, o.dek, o.fileId), uploadUrl: o.resume.uploadUrl } } : {}),
    chunkSize: o.chunkSize,
    ...(o.onUploadUrl ? { onUploadUrl: o.onUploadUrl } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.retryDelays ? { retryDelays: o.retryDelays } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const sealed = sealFileDescription({ name: o.file.name, type: o.file.type || 'application/octet-stream', ...(o.caption ? { caption: o.caption } : {}), sha256: done.sha256 }, o.dek, o.fileId);
  return {
    fileId: o.fileId,
    attachBody: { ...sealed, ...(o.keyEpoch !== undefined ? { keyEpoch: o.keyEpoch } : {}) },
    removed: plain.removed,
    strip: plain.strip,
    uploadUrl: done.uploadUrl,
    size: done.size,
  };
}
