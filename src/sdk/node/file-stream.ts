/**
 * Node-only adapters for encrypted attachments: the same `encryptFile` / `decryptFile` Web-Streams
 * transforms the browser uses, driven from a Node `Readable` or a file path into a Node `Writable`
 * or a file path. Memory stays constant whatever the file size: data moves in pieces through
 * `stream/promises` pipeline, whose backpressure reaches back to the source.
 *
 * Kept out of `../index.ts` because it imports `node:` modules and the SDK entry must load in a
 * browser unchanged.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ReadableStream } from 'node:stream/web';
import { createFileDecryptor, createFileEncryptor, type FileFormat } from '../crypto/file-stream.js';
import type { Sha256Engine } from '../crypto/file-stream.js';

/** A file path, or a Readable that yields bytes (Buffers or Uint8Arrays, not strings). */
export type FileSource = string | Readable;
/** A file path, or a Writable that accepts bytes. */
export type FileDestination = string | Writable;

export interface FileStreamOptions {
  /** Aborts the copy; the returned promise rejects and a destination path is not created. */
  signal?: AbortSignal;
  /** The file format: 2 (padded, the default) or 1 (exact size, read only in practice). */
  format?: FileFormat;
}

export interface FileStreamResult {
  /** Bytes read from the source. */
  bytesIn: number;
  /** Bytes written to the destination (for encryption: `encryptedFileSize(bytesIn, format)`). */
  bytesOut: number;
  /** SHA-256 of the plaintext (without padding): of the source when encrypting, of the output when decrypting. */
  plaintextSha256: Uint8Array;
}

/**
 * Encrypts `source` into `destination` under a 32-byte file key, in format 2 (padded) unless
 * `options.format` says 1. A destination path is created
 * with mode 0600 and appears only once complete (written beside it, then renamed).
 */
export function encryptFileStream(source: FileSource, destination: FileDestination, key: Uint8Array, options: FileStreamOptions = {}): Promise<FileStreamResult> {
  const encryptor = createFileEncryptor(key, options.format === undefined ? {} : { format: options.format });
  return run(source, destination, encryptor.transform, options, encryptor.plaintextSha256);
}

/**
 * Decrypts what `encryptFileStream` (or `encryptFile` in a browser) made, in the format the file
 * was written in (`options.format`, 2 by default). Rejects with a CryptoError ('decrypt_failed',
 * 'bad_stream', 'bad_padding') on a wrong key, tampering, truncation or a padding not the file's.
 *
 * Plaintext is released chunk by chunk as each chunk authenticates, so on rejection a Writable
 * destination may already hold a verified prefix: the caller must discard it. A destination path
 * is safe: it is only created once the whole file has verified, and the partial output is removed.
 */
export function decryptFileStream(source: FileSource, destination: FileDestination, key: Uint8Array, options: FileStreamOptions = {}): Promise<FileStreamResult> {
  const decryptor = createFileDecryptor(key, options.format === undefined ? {} : { format: options.format });
  return run(source, destination, decryptor.transform, options, decryptor.plaintextSha256);
}

async function run(
  source: FileSource,
  destination: FileDestination,
  transform: TransformStream<Uint8Array, Uint8Array>,
  options: FileStreamOptions,
  plaintextSha256: () => Uint8Array,
): Promise<FileStreamResult> {
  const counts = { bytesIn: 0, bytesOut: 0 };
  const input = typeof source === 'string' ? createReadStream(source) : source;

  // Pulled lazily by ReadableStream.from, so the source is read only as fast as the sink drains.
  async function* bytesOf(chunks: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks) {
      if (!(chunk instanceof Uint8Array)) throw new TypeError('file source must yield bytes, not strings or objects');
      counts.bytesIn += chunk.length;
      yield chunk;
    }
  }
  async function* through(chunks: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
    for await (const chunk of ReadableStream.from(bytesOf(chunks)).pipeThrough(transform)) {
      counts.bytesOut += chunk.length;
      yield chunk;
    }
  }
  const pipelineOptions = options.signal ? { signal: options.signal } : {};

  if (typeof destination !== 'string') {
    await pipeline(input, through, destination, pipelineOptions);
    return { ...counts, plaintextSha256: plaintextSha256() };
  }

  // Written beside the target so the rename stays on one file system (atomic): the target path
  // never holds a partial or unverified file.
  const partial = `${destination}.${randomBytes(6).toString('hex')}.partial`;
  try {
    await pipeline(input, through, createWriteStream(partial, { flags: 'wx', mode: 0o600 }), pipelineOptions);
    await rename(partial, destination);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  return { ...counts, plaintextSha256: plaintextSha256() };
}

/** Node's SHA-256 (OpenSSL) for the SDK's file streams: several times libsodium's WebAssembly one. */
export function nodeSha256(): Sha256Engine {
  const hash = createHash('sha256');
  return { update: (data) => void hash.update(data), digest: () => new Uint8Array(hash.digest()) };
}
