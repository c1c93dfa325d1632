/**
 * Opening a downloaded evidence file: the ciphertext as it arrives is hashed (SHA-256, compared
 * with the hash the server took when the file was received) and decrypted (its chunks
 * authenticated one by one, the padding stripped), and the plaintext hashed (compared with the
 * hash the uploader sealed). Whatever consumes the plaintext sees the stream ERROR instead of
 * end if any check fails, so a writer that only commits on a clean end (the File System Access
 * API's writable, a Blob assembled at the end) never keeps an altered file.
 */
import { createFileDecryptor, createSha256Tap } from '../crypto/file-stream.js';
import { toHex } from '../crypto/encoding.js';
import type { FileKeyRecord } from '../crypto/file-key.js';

/** Why a download was refused at its end. */
export type FileCheckFailure = 'ciphertext_changed' | 'plaintext_changed';

export class FileCheckError extends Error {
  override readonly name = 'FileCheckError';
  constructor(readonly code: FileCheckFailure) {
    super(code === 'ciphertext_changed' ? 'the file is not the one the server received: its stored bytes changed' : 'the file opened but is not the one its uploader sealed the hash of');
  }
}

export interface DownloadExpectations {
  /** hex SHA-256 of the ciphertext, as the server recorded it on arrival */
  ciphertextSha256: string;
  /** hex SHA-256 of the plaintext, opened from the file's sealed `sha256` (absent: not checked) */
  plaintextSha256?: string;
}

/** The plaintext of a downloaded file, checked as described above; `bytes()` tells how many came out. */
export function openDownload(ciphertext: ReadableStream<Uint8Array>, record: FileKeyRecord, expect: DownloadExpectations): { plaintext: ReadableStream<Uint8Array>; bytes(): number } {
  const cipherTap = createSha256Tap();
  const decryptor = createFileDecryptor(record.key, { format: record.format });
  const verdict = new TransformStream<Uint8Array, Uint8Array>({
    flush() {
      if (toHex(cipherTap.digest()) !== expect.ciphertextSha256) throw new FileCheckError('ciphertext_changed');
      if (expect.plaintextSha256 !== undefined && toHex(decryptor.plaintextSha256()) !== expect.plaintextSha256) throw new FileCheckError('plaintext_changed');
    },
  });
  return { plaintext: ciphertext.pipeThrough(cipherTap.transform).pipeThrough(decryptor.transform).pipeThrough(verdict), bytes: () => decryptor.plaintextBytes() };
}
