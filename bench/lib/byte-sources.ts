/** Bytes for the evidence-file benchmarks: a buffer handed out as a file's stream, and a large input made as it is read. */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export const MiB = 1024 * 1024;

/**
 * A Web stream over `bytes` in pieces of `piece` bytes (views, never copies), as a browser's
 * `File.stream()` or a Node.js file read hands a file out (64 KiB pieces).
 */
export function webStreamOf(bytes: Uint8Array, piece = 64 * 1024): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + piece));
      at += piece;
    },
  });
}

/**
 * `total` bytes made while they are read, a megabyte at a time: one random megabyte, each copy
 * numbered in its first 8 bytes so no two are equal. Only the piece being read is ever in
 * memory, so a 1 GiB input costs the generating process nothing.
 */
export function generatedStream(total: number): Readable {
  const pool = randomBytes(MiB);
  let made = 0;
  let n = 0n;
  return Readable.from(
    (function* () {
      while (made < total) {
        const piece = Buffer.from(pool.subarray(0, Math.min(MiB, total - made)));
        if (piece.length >= 8) piece.writeBigUInt64BE(n++, 0);
        made += piece.length;
        yield piece;
      }
    })(),
    { objectMode: false },
  );
}
