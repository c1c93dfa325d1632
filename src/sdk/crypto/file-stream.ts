import { CryptoError } from './errors.js';
import { assertKeySize } from './encoding.js';
import { isPaddedLength, paddedLength } from './padding.js';
import { na, randomBytes, type Sodium } from './sodium.js';

/** Plaintext chunk size of encrypted files. */
export const FILE_CHUNK_BYTES = 64 * 1024;
export const FILE_KEY_BYTES = 32;
/** Size of the secretstream header that starts every encrypted file. */
export const FILE_HEADER_BYTES = 24;
const CHUNK_OVERHEAD = 17; // crypto_secretstream_xchacha20poly1305_ABYTES
const CT_CHUNK_BYTES = FILE_CHUNK_BYTES + CHUNK_OVERHEAD;

/**
 * Format 1: the plaintext as it is, so the ciphertext shows the exact size of the file (read only).
 * Format 2: the plaintext followed by `0x80` and zeros up to the padded length of a sealed field
 * of the same length (padding.ts), so a server learns only a size bucket.
 */
export type FileFormat = 1 | 2;

type StreamState = ReturnType<Sodium['crypto_secretstream_xchacha20poly1305_init_pull']>;
type HashState = ReturnType<Sodium['crypto_hash_sha256_init']>;

/** A fresh per-file key; it travels sealed in the case (file-key.ts), never alone. */
export function generateFileKey(): Uint8Array {
  return randomBytes(FILE_KEY_BYTES);
}

function assertFormat(format: unknown): asserts format is FileFormat {
  if (format !== 1 && format !== 2) throw new CryptoError('bad_format', 'a file format is 1 or 2');
}

function chunksOf(streamBytes: number): number {
  return Math.max(1, Math.ceil(streamBytes / FILE_CHUNK_BYTES));
}

/**
 * Ciphertext size of a file of `plainBytes`: the header, the stream (the plaintext, padded in
 * format 2) and one 17-byte tag per 64 KiB chunk of it (an empty format-1 file is one empty chunk).
 */
export function encryptedFileSize(plainBytes: number, format: FileFormat = 2): number {
  assertFormat(format);
  if (!Number.isSafeInteger(plainBytes) || plainBytes < 0) throw new CryptoError('bad_length', 'a file size is a non-negative integer');
  const streamBytes = format === 2 ? paddedLength(plainBytes) : plainBytes;
  return FILE_HEADER_BYTES + streamBytes + chunksOf(streamBytes) * CHUNK_OVERHEAD;
}

/**
 * Whether `ciphertextBytes` is exactly the size of some format-2 file: what a server checks,
 * without a key, before it accepts an upload (an unpadded file would show its exact size).
 * The stream of P padded bytes takes n = ceil(P / 65536) chunks, so size - 24 = P + 17n with
 * 65553(n - 1) < size - 24 <= 65553n: n is fixed by the size, and then P is.
 */
export function isEncryptedFileSize(ciphertextBytes: number): boolean {
  if (!Number.isSafeInteger(ciphertextBytes)) return false;
  const body = ciphertextBytes - FILE_HEADER_BYTES;
  if (body <= CHUNK_OVERHEAD) return false;
  const chunks = Math.ceil(body / CT_CHUNK_BYTES);
  const padded = body - chunks * CHUNK_OVERHEAD;
  return chunksOf(padded) === chunks && isPaddedLength(padded);
}

/**
 * Collects incoming pieces of any size into fixed-size blocks. The last block is held back
 * until the input ends, because only then do we know it is the final one.
 */
class Blocker {
  private buf: Uint8Array;
  private len = 0;
  constructor(private readonly size: number) {
    this.buf = new Uint8Array(size);
  }
  /** Yields every full block that is known not to be the last one (each a fresh buffer). */
  *push(data: Uint8Array): Generator<Uint8Array> {
    let offset = 0;
    while (offset < data.length) {
      if (this.len === this.size) {
        const full = this.buf;
        this.buf = new Uint8Array(this.size);
        this.len = 0;
        yield full;
      }
      const n = Math.min(this.size - this.len, data.length - offset);
      this.buf.set(data.subarray(offset, offset + n), this.len);
      this.len += n;
      offset += n;
    }
  }
  /** The held-back last block (possibly empty). */
  rest(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/**
 * A transform whose output is made on demand: each input piece, and the end of the input, gives a
 * generator of output pieces, and the next piece is made only when the reader asks for it. So
 * what one input piece or the end produces (the padding of a 1 GiB file is 64 MiB; a long run of
 * zeros a reader held back) never sits whole in a queue: memory stays at a chunk or two, and the
 * reader's backpressure reaches the writer. A TransformStream cannot do this: its flush() has no
 * way to wait for the reader, so it would enqueue all the padding at once.
 */
function pulledTransform(first: Uint8Array | null, step: (piece: Uint8Array) => Iterator<Uint8Array>, end: () => Iterator<Uint8Array>): TransformStream<Uint8Array, Uint8Array> {
  const input = new TransformStream<Uint8Array, Uint8Array>();
  const reader = input.readable.getReader();
  let pending: Iterator<Uint8Array> | null = first ? [first][Symbol.iterator]() : null;
  let ended = false;
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          if (pending) {
            const next = pending.next();
            if (!next.done) return controller.enqueue(next.value);
            pending = null;
          }
          if (ended) return controller.close();
          const { done, value } = await reader.read();
          if (done) {
            ended = true;
            pending = end();
          } else {
            pending = step(value);
          }
        }
      } catch (err) {
        // Fail the writing side too, so whoever pipes into this transform stops.
        void reader.cancel(err).catch(() => undefined);
        throw err;
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { writable: input.writable, readable };
}

/**
 * An incremental SHA-256 (update, then digest once). libsodium's is the default everywhere; a
 * platform with a faster one (Node's OpenSSL) may pass it in: hashing the plaintext is as costly
 * as encrypting it, and on a fast link it is what bounds the upload.
 */
export interface Sha256Engine {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

function sodiumSha256(s: Sodium): Sha256Engine {
  const state: HashState = s.crypto_hash_sha256_init();
  return {
    update: (data) => s.crypto_hash_sha256_update(state, data),
    digest: () => s.crypto_hash_sha256_final(state),
  };
}

/** An incremental SHA-256, read once the stream it follows has ended. */
class StreamHash {
  private engine: Sha256Engine | null;
  private result: Uint8Array | null = null;
  constructor(engine: Sha256Engine) {
    this.engine = engine;
  }
  update(data: Uint8Array): void {
    if (this.engine !== null && data.length > 0) this.engine.update(data);
  }
  finish(): void {
    if (this.engine === null) return;
    this.result = this.engine.digest();
    this.engine = null;
  }
  digest(what: string): Uint8Array {
    if (!this.result) throw new CryptoError('bad_stream', `${what} is known only once the stream has ended`);
    return this.result.slice();
  }
}

/** A run of zeros in pieces of at most a chunk: padding is never allocated whole (1 GiB pads by up to 64 MiB). */
function* zeroRun(count: number, fresh: boolean): Generator<Uint8Array> {
  const shared = fresh ? null : new Uint8Array(Math.min(count, FILE_CHUNK_BYTES));
  for (let left = count; left > 0; left -= FILE_CHUNK_BYTES) {
    const n = Math.min(left, FILE_CHUNK_BYTES);
    yield shared ? shared.subarray(0, n) : new Uint8Array(n);
  }
}

export interface FileEncryptorOptions {
  /** 2 (padded, the default) or 1 (exact size; kept for tests and old readers). */
  format?: FileFormat;
  /**
   * The header of an earlier encryption of the SAME plaintext under the same key, to resume its
   * upload (after a page reload): the output is then byte for byte the earlier ciphertext.
   *
   * Why this works: `init_push` draws a random header and derives the state from it exactly as
   * `init_pull(header, key)` does (k = HChaCha20(key, header[0..16]), counter = 1,
   * inonce = header[16..24]); `push` takes either state. Each chunk's nonce is (counter, inonce),
   * and after each chunk the first 8 bytes of its MAC are XORed into inonce, so chunk i's nonce
   * depends on the key, the header and the MACs of chunks 1..i-1, and on nothing random.
   *
   * Why it is safe only for the same bytes: the same plaintext gives the same ciphertext, so the
   * server learns nothing new. A DIFFERENT plaintext is not safe: its first chunk that differs
   * is encrypted under the very (key, nonce) of the earlier attempt's chunk at that position
   * (the chunks before it were equal, so were their MACs): the same keystream on two plaintexts
   * and the same one-time Poly1305 key on two messages, if the server holds both versions of that
   * chunk. Only the chunks after it get fresh nonces (the differing MAC changes the chain), and
   * only they would fail to open if spliced with the earlier prefix. So the caller resumes only
   * when it knows the plaintext is unchanged (the same file, same size and modification time),
   * and otherwise starts over with a new header (or a new file key).
   */
  header?: Uint8Array;
  /** The SHA-256 of the plaintext (libsodium's unless given: see Sha256Engine). */
  sha256?: () => Sha256Engine;
}

export interface FileEncryptor {
  /** The 24-byte secretstream header; the ciphertext stream starts with it. Keep it to resume. */
  header: Uint8Array;
  /** Plaintext in, ciphertext (header first) out. */
  transform: TransformStream<Uint8Array, Uint8Array>;
  /** SHA-256 of the plaintext (without padding), once the stream has ended; `bad_stream` before. */
  plaintextSha256(): Uint8Array;
  /** Plaintext bytes read so far (the file's size once the stream has ended). */
  plaintextBytes(): number;
}

/**
 * Encrypts a byte stream with crypto_secretstream_xchacha20poly1305: a 24-byte header, then
 * chunks of 64 KiB of plaintext (+17 bytes), the last one tagged FINAL so truncation is detected.
 * In format 2 the plaintext is followed by `0x80` and zeros up to `paddedLength(L)`, made and
 * encrypted chunk by chunk at the end. Works on Web Streams, which Node.js and browsers share.
 */
export function createFileEncryptor(key: Uint8Array, options: FileEncryptorOptions = {}): FileEncryptor {
  assertKeySize(key, FILE_KEY_BYTES, 'file key');
  const format = options.format ?? 2;
  assertFormat(format);
  const s = na();
  let state: StreamState;
  let header: Uint8Array;
  if (options.header !== undefined) {
    if (!(options.header instanceof Uint8Array) || options.header.length !== FILE_HEADER_BYTES) {
      throw new CryptoError('bad_length', `a file header is ${FILE_HEADER_BYTES} bytes`);
    }
    header = options.header.slice();
    // The very state init_push would have made with this header (see FileEncryptorOptions.header).
    state = s.crypto_secretstream_xchacha20poly1305_init_pull(header, key);
  } else {
    ({ state, header } = s.crypto_secretstream_xchacha20poly1305_init_push(key));
  }
  const blocker = new Blocker(FILE_CHUNK_BYTES);
  const hash = new StreamHash(options.sha256?.() ?? sodiumSha256(s));
  let bytes = 0;
  const TAG_MESSAGE = s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;

  const seal = function* (blocks: Iterable<Uint8Array>): Generator<Uint8Array> {
    for (const block of blocks) {
      yield s.crypto_secretstream_xchacha20poly1305_push(state, block, null, TAG_MESSAGE);
      block.fill(0);
    }
  };
  const step = function* (piece: Uint8Array): Generator<Uint8Array> {
    hash.update(piece);
    bytes += piece.length;
    yield* seal(blocker.push(piece));
  };
  const end = function* (): Generator<Uint8Array> {
    hash.finish();
    if (format === 2) {
      // The padding goes through the same blocker, so it fills the last data chunk and then as
      // many whole chunks as it needs; the blocker holds back the last one for FINAL.
      yield* seal(blocker.push(Uint8Array.of(0x80)));
      for (const zeros of zeroRun(paddedLength(bytes) - bytes - 1, false)) yield* seal(blocker.push(zeros));
    }
    const last = blocker.rest();
    yield s.crypto_secretstream_xchacha20poly1305_push(state, last, null, s.crypto_secretstream_xchacha20poly1305_TAG_FINAL);
    last.fill(0);
  };
  const transform = pulledTransform(header.slice(), step, end);
  return { header: header.slice(), transform, plaintextSha256: () => hash.digest('the plaintext SHA-256'), plaintextBytes: () => bytes };
}

/**
 * Strips format-2 padding from a stream of authenticated plaintext in constant memory. A trailing
 * run of zeros, and the `0x80` just before it, may be padding or may be data: they are held back
 * as a count and a flag (never as bytes) and released as soon as a non-zero byte follows them.
 */
class StreamUnpadder {
  private marker = false; // a 0x80 is held back, before the `zeros` zeros
  private zeros = 0;
  private released = 0;

  /** Yields the bytes of `data`, and those held back before it, that are known to be data. */
  *push(data: Uint8Array): Generator<Uint8Array> {
    let last = data.length - 1;
    while (last >= 0 && data[last] === 0) last -= 1;
    if (last < 0) {
      this.zeros += data.length;
      return;
    }
    // A non-zero byte follows what was held back: it was data after all.
    const heldZeros = this.zeros;
    const heldMarker = this.marker;
    this.marker = data[last] === 0x80;
    this.zeros = data.length - last - 1;
    if (heldMarker) yield this.out(Uint8Array.of(0x80));
    for (const zeros of zeroRun(heldZeros, true)) yield this.out(zeros);
    const keep = this.marker ? last : last + 1;
    if (keep > 0) yield this.out(data.subarray(0, keep));
  }

  /** At the end of the stream: the held-back bytes must be the one padding of the released length. */
  finish(): void {
    if (!this.marker) throw new CryptoError('bad_padding', 'encrypted file opened but its padding has no 0x80 marker after the trailing zeros');
    const total = this.released + 1 + this.zeros;
    if (paddedLength(this.released) !== total) {
      throw new CryptoError('bad_padding', `encrypted file opened but is padded to ${total} bytes, not the ${paddedLength(this.released)} that ${this.released} bytes take`);
    }
  }

  private out(bytes: Uint8Array): Uint8Array {
    this.released += bytes.length;
    return bytes;
  }
}

export interface FileDecryptorOptions {
  /** The format the file was written in (from its sealed key record, file-key.ts); 2 by default. */
  format?: FileFormat;
  /** The SHA-256 of the plaintext (libsodium's unless given: see Sha256Engine). */
  sha256?: () => Sha256Engine;
}

export interface FileDecryptor {
  /** Ciphertext in (header first), plaintext out, released chunk by chunk as each authenticates. */
  transform: TransformStream<Uint8Array, Uint8Array>;
  /** SHA-256 of the plaintext (padding removed), once the stream has ended; `bad_stream` before. */
  plaintextSha256(): Uint8Array;
  /** Plaintext bytes released so far. */
  plaintextBytes(): number;
}

/**
 * Decrypts what `createFileEncryptor` made. Errors with `bad_stream` on truncation or trailing
 * data, `decrypt_failed` on a wrong key or an altered or reordered chunk, and in format 2
 * `bad_padding` when the padding is not exactly the one of the plaintext's length.
 */
export function createFileDecryptor(key: Uint8Array, options: FileDecryptorOptions = {}): FileDecryptor {
  assertKeySize(key, FILE_KEY_BYTES, 'file key');
  const format = options.format ?? 2;
  assertFormat(format);
  const s = na();
  const header = new Uint8Array(FILE_HEADER_BYTES);
  let headerBytes = 0;
  const blocker = new Blocker(CT_CHUNK_BYTES);
  const hash = new StreamHash(options.sha256?.() ?? sodiumSha256(s));
  let state: StreamState | null = null;
  let finished = false;
  let bytes = 0;
  const unpadder = format === 2 ? new StreamUnpadder() : null;

  const release = (plain: Uint8Array): Uint8Array => {
    hash.update(plain);
    bytes += plain.length;
    return plain;
  };

  const open = function* (block: Uint8Array, mustBeFinal: boolean): Generator<Uint8Array> {
    if (finished) throw new CryptoError('bad_stream', 'encrypted file has data after its final chunk');
    if (!state) throw new CryptoError('bad_stream', 'encrypted file is shorter than its header');
    let out: { message: Uint8Array; tag: number } | false;
    try {
      out = s.crypto_secretstream_xchacha20poly1305_pull(state, block, null);
    } catch {
      out = false;
    }
    if (!out) throw new CryptoError('decrypt_failed', 'encrypted file chunk did not open: wrong key, altered or reordered chunk');
    const isFinal = out.tag === s.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    if (mustBeFinal && !isFinal) throw new CryptoError('bad_stream', 'encrypted file is truncated (no final chunk)');
    if (isFinal) finished = true;
    if (!unpadder) return yield release(out.message);
    // A padded stream is never empty, so no chunk of it is: an empty chunk is another encoding.
    if (out.message.length === 0) throw new CryptoError('bad_stream', 'a padded encrypted file has an empty chunk');
    for (const plain of unpadder.push(out.message)) yield release(plain);
  };

  const step = function* (piece: Uint8Array): Generator<Uint8Array> {
    let data = piece;
    if (!state) {
      const take = Math.min(FILE_HEADER_BYTES - headerBytes, data.length);
      header.set(data.subarray(0, take), headerBytes);
      headerBytes += take;
      data = data.subarray(take);
      if (headerBytes < FILE_HEADER_BYTES) return;
      state = s.crypto_secretstream_xchacha20poly1305_init_pull(header, key);
    }
    for (const block of blocker.push(data)) yield* open(block, false);
  };

  const end = function* (): Generator<Uint8Array> {
    if (!state) throw new CryptoError('bad_stream', 'encrypted file is shorter than its header');
    const last = blocker.rest();
    if (!(last.length === 0 && finished)) {
      if (last.length < CHUNK_OVERHEAD) throw new CryptoError('bad_stream', 'encrypted file is truncated (no final chunk)');
      yield* open(last, true);
    }
    unpadder?.finish();
    hash.finish();
  };

  const transform = pulledTransform(null, step, end);
  return { transform, plaintextSha256: () => hash.digest('the plaintext SHA-256'), plaintextBytes: () => bytes };
}

/** `createFileEncryptor(key, options).transform`, for callers that need neither header nor hash. */
export function encryptFile(key: Uint8Array, options: FileEncryptorOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  return createFileEncryptor(key, options).transform;
}

/** `createFileDecryptor(key, options).transform`; format 2 unless told otherwise, as `encryptFile` writes. */
export function decryptFile(key: Uint8Array, options: FileDecryptorOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  return createFileDecryptor(key, options).transform;
}

/** Browser convenience: an encrypted stream (format 2) of a `Blob`/`File` (a phone upload). */
export function encryptBlob(blob: Blob, key: Uint8Array, options: FileEncryptorOptions = {}): ReadableStream<Uint8Array> {
  return (blob.stream() as ReadableStream<Uint8Array>).pipeThrough(encryptFile(key, options));
}

export interface Sha256Tap {
  /** Passes bytes through unchanged, hashing them on the way. */
  transform: TransformStream<Uint8Array, Uint8Array>;
  /** SHA-256 of everything that went through, once the stream has ended; `bad_stream` before. */
  digest(): Uint8Array;
}

/** A pass-through that hashes a stream with libsodium's incremental SHA-256 (e.g. a downloaded ciphertext). */
export function createSha256Tap(): Sha256Tap {
  const hash = new StreamHash(sodiumSha256(na()));
  const transform = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      hash.update(chunk);
      controller.enqueue(chunk);
    },
    flush() {
      hash.finish();
    },
  });
  return { transform, digest: () => hash.digest('the SHA-256') };
}

/** Reads a whole stream into one byte array (for small files and tests). */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    total += value.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
