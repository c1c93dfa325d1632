/**
 * A tus upload of bytes as they are, with tus-js-client and nothing else: the baseline an
 * encrypted upload is measured against, through the same API route and store. The route takes
 * only sizes a format-2 file can have, so callers send `encryptedFileSize(L)` bytes.
 */
import type { Readable } from 'node:stream';
import { Upload } from 'tus-js-client';

export interface RawTusUpload {
  /** `<origin>/v1/uploads` */
  endpoint: string;
  token: string;
  /** the route's tus metadata (caseId, fileId, a sealed key record) */
  metadata: Record<string, string>;
  /** a Buffer, or a stream of exactly `size` bytes */
  body: Buffer | Readable;
  size: number;
  chunkSize: number;
  onProgress?(sent: number): void;
}

/** Resolves with the upload URL once the server holds every byte. */
export function rawTusUpload(o: RawTusUpload): Promise<string> {
  return new Promise((resolve, reject) => {
    // tus-js-client's Node build reads a Readable too (with a finite chunkSize); its types name only Buffer.
    const upload = new Upload(o.body as Buffer, {
      endpoint: o.endpoint,
      uploadSize: o.size,
      chunkSize: o.chunkSize,
      retryDelays: [],
      metadata: o.metadata,
      headers: { Authorization: `Bearer ${o.token}` },
      storeFingerprintForResuming: false,
      ...(o.onProgress ? { onProgress: (sent: number) => o.onProgress!(sent) } : {}),
      onError: reject,
      onSuccess: () => resolve(upload.url!),
    });
    upload.start();
  });
}
