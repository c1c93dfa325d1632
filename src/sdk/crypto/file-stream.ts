import { CryptoError } from './errors.js';
import { assertKeySize } from './encoding.js';
import { na, randomBytes } from './sodium.js';

/** Plaintext chunk size of encrypted files. */
export const FILE_CHUNK_BYTES = 64 * 1024;
export const FILE_KEY_BYTES = 32;
const HEADER_BYTES = 24;
const CHUNK_OVERHEAD = 17; // crypto_secretstream_xchacha20poly1305_ABYTES

/** A fresh per-file key; it travels as a sealed field of the case, never alone. */
export function generateFileKey(): Uint8Array {
  return randomBytes(FILE_KEY_BYTES);
}

/** Ciphertext size of a file of `plainBytes` (header + one tag per chunk; an empty file is one empty final chunk). */
export function encryptedFileSize(plainBytes: number): number {
  const chunks = Math.max(1, Math.ceil(plainBytes / FILE_CHUNK_BYTES));
  return HEADER_BYTES + plainBytes + chunks * CHUNK_OVERHEAD;
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
  /** Calls `emit` for every full block that is known not to be the last one. */
  push(data: Uint8Array, emit: (block: Uint8Array) => void): void {
    let offset = 0;
    while (offset < data.length) {
      if (this.len === this.size) {
        emit(this.buf);
        this.buf = new Uint8Array(this.size);
        this.len = 0;
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
 * Encrypts a byte stream with crypto_secretstream_xchacha20poly1305: a 24-byte header, then
 * chunks of 64 KiB plaintext (+17 bytes), the last one tagged FINAL so truncation is detected.
 * Works on Web Streams, which Node.js and browsers share: `blob.stream().pipeThrough(encryptFile(key))`.
 */
export function encryptFile(key: Uint8Array): TransformStream<Uint8Array, Uint8Array> {
  assertKeySize(key, FILE_KEY_BYTES, 'file key');
  const s = na();
  const blocker = new Blocker(FILE_CHUNK_BYTES);
  const { state, header } = s.crypto_secretstream_xchacha20poly1305_init_push(key);
  const tagMessage = s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
  return new TransformStream({
    start(controller) {
      controller.enqueue(header);
    },
    transform(chunk, controller) {
      blocker.push(chunk, (block) => {
        controller.enqueue(s.crypto_secretstream_xchacha20poly1305_push(state, block, null, tagMessage));
        block.fill(0);
      });
    },
    flush(controller) {
      const last = blocker.rest();
      controller.enqueue(s.crypto_secretstream_xchacha20poly1305_push(state, last, null, s.crypto_secretstream_xchacha20poly1305_TAG_FINAL));
      last.fill(0);
    },
  });
}

/** Decrypts what `encryptFile` made; errors with `bad_stream` on truncation, reordering or trailing data. */
export function decryptFile(key: Uint8Array): TransformStream<Uint8Array, Uint8Array> {
  assertKeySize(key, FILE_KEY_BYTES, 'file key');
  const s = na();
  const headerBlocker = new Blocker(HEADER_BYTES);
  const blocker = new Blocker(FILE_CHUNK_BYTES + CHUNK_OVERHEAD);
  let state: ReturnType<typeof s.crypto_secretstream_xchacha20poly1305_init_pull> | null = null;
  let finished = false;

  const open = (block: Uint8Array, mustBeFinal: boolean, controller: TransformStreamDefaultController<Uint8Array>) => {
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
    controller.enqueue(out.message);
  };

  return new TransformStream({
    transform(chunk, controller) {
      let data = chunk;
      if (!state) {
        const need = HEADER_BYTES - headerBlocker.rest().length;
        headerBlocker.push(data.subarray(0, need), () => undefined);
        data = data.subarray(need);
        if (headerBlocker.rest().length < HEADER_BYTES) return;
        state = s.crypto_secretstream_xchacha20poly1305_init_pull(headerBlocker.rest(), key);
      }
      blocker.push(data, (block) => open(block, false, controller));
    },
    flush(controller) {
      if (!state) throw new CryptoError('bad_stream', 'encrypted file is shorter than its header');
      const last = blocker.rest();
      if (last.length === 0 && finished) return;
      if (last.length < CHUNK_OVERHEAD) throw new CryptoError('bad_stream', 'encrypted file is truncated (no final chunk)');
      open(last, true, controller);
    },
  });
}

/** Browser convenience: an encrypted stream of a `Blob`/`File` (a phone upload). */
export function encryptBlob(blob: Blob, key: Uint8Array): ReadableStream<Uint8Array> {
  return (blob.stream() as ReadableStream<Uint8Array>).pipeThrough(encryptFile(key));
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
