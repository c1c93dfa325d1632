/**
 * Encrypted attachments (crypto_secretstream in 64 KiB chunks, through Web Streams): any input
 * piece size round-trips; truncation, reordering, alteration, trailing data and a wrong key are
 * refused with a CryptoError, never silently returned as a shorter or different file.
 */
import { randomFillSync } from 'node:crypto';
import t from 'tap';
import {
  FILE_CHUNK_BYTES,
  collect,
  decryptFile,
  encryptBlob,
  encryptFile,
  encryptedFileSize,
  generateFileKey,
  ready,
  type CryptoErrorCode,
} from '../../src/sdk/index.js';

await ready();

const refusal = (code: CryptoErrorCode) => ({ name: 'CryptoError', code: new RegExp(`^${code}$`) });

const HEADER = 24;
const OVERHEAD = 17;
const CT_CHUNK = FILE_CHUNK_BYTES + OVERHEAD;

/** A stream that hands out `data` in pieces of `size` bytes (the last one shorter). */
function piecesOf(data: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= data.length) return controller.close();
      controller.enqueue(data.slice(offset, offset + size));
      offset += size;
    },
  });
}

const encrypt = (data: Uint8Array, key: Uint8Array, piece = 1000) => collect(piecesOf(data, piece).pipeThrough(encryptFile(key)));
const decrypt = (data: Uint8Array, key: Uint8Array, piece = 777) => collect(piecesOf(data, piece).pipeThrough(decryptFile(key)));
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

/** [start, end) of each ciphertext chunk after the header. */
function chunkBounds(ct: Uint8Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let start = HEADER; start < ct.length; start += CT_CHUNK) out.push([start, Math.min(start + CT_CHUNK, ct.length)]);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

const key = generateFileKey();

// Test data only: libsodium's randombytes_buf fetches entropy a word at a time (about 1 s for 300 KiB).
const randomBytes = (n: number) => randomFillSync(new Uint8Array(n));

t.test('round trip of edge sizes, fed in odd-sized pieces', async (t) => {
  const sizes = [0, 1, FILE_CHUNK_BYTES - 1, FILE_CHUNK_BYTES, FILE_CHUNK_BYTES + 1, 3 * FILE_CHUNK_BYTES, 300 * 1024 + 7];
  for (const size of sizes) {
    const plain = randomBytes(size);
    for (const [inPiece, outPiece] of [[1000, 777], [100 * 1024, 100 * 1024 + 3]] as const) {
      const ct = await encrypt(plain, key, inPiece);
      t.equal(ct.length, encryptedFileSize(size), `${size} bytes in ${inPiece}-byte pieces: encryptedFileSize`);
      const back = await decrypt(ct, key, outPiece);
      t.ok(sameBytes(back, plain), `${size} bytes in ${inPiece}-byte pieces: decrypts to the same bytes (read in ${outPiece}-byte pieces)`);
    }
  }
});

t.test('encryptedFileSize: header plus one tag per 64 KiB chunk, at least one chunk', async (t) => {
  t.equal(encryptedFileSize(0), HEADER + OVERHEAD);
  t.equal(encryptedFileSize(1), HEADER + 1 + OVERHEAD);
  t.equal(encryptedFileSize(FILE_CHUNK_BYTES), HEADER + FILE_CHUNK_BYTES + OVERHEAD);
  t.equal(encryptedFileSize(FILE_CHUNK_BYTES + 1), HEADER + FILE_CHUNK_BYTES + 1 + 2 * OVERHEAD);
  t.equal(encryptedFileSize(10 * FILE_CHUNK_BYTES), HEADER + 10 * CT_CHUNK);
});

t.test('each encryption is different (fresh header), so a reused file key does not repeat', async (t) => {
  const plain = randomBytes(5000);
  const a = await encrypt(plain, key);
  const b = await encrypt(plain, key);
  t.notOk(sameBytes(a.subarray(0, HEADER), b.subarray(0, HEADER)), 'headers differ');
  t.notOk(sameBytes(a, b), 'ciphertexts differ');
});

t.test('encryptBlob: a browser File or Blob encrypts the same way', async (t) => {
  const plain = randomBytes(FILE_CHUNK_BYTES + 4242);
  const ct = await collect(encryptBlob(new Blob([plain]), key));
  t.equal(ct.length, encryptedFileSize(plain.length));
  t.ok(sameBytes(await decrypt(ct, key), plain));
});

t.test('plaintext is released chunk by chunk, before the input ends', async (t) => {
  // Constant memory: neither direction may wait for the whole file.
  const plain = randomBytes(3 * FILE_CHUNK_BYTES + 10);
  const ct = await encrypt(plain, key);

  const enc = encryptFile(key);
  const encWriter = enc.writable.getWriter();
  const encReader = enc.readable.getReader();
  void encWriter.write(plain.slice(0, 2 * FILE_CHUNK_BYTES + 1));
  t.equal((await encReader.read()).value?.length, HEADER, 'the header comes first');
  t.equal((await encReader.read()).value?.length, CT_CHUNK, 'a full chunk comes out while the input is still open');

  const dec = decryptFile(key);
  const decWriter = dec.writable.getWriter();
  const decReader = dec.readable.getReader();
  void decWriter.write(ct.slice(0, HEADER + 2 * CT_CHUNK));
  const first = await decReader.read();
  t.ok(first.value && sameBytes(first.value, plain.subarray(0, FILE_CHUNK_BYTES)), 'the first chunk decrypts while the input is still open');
  await encWriter.abort();
  await decWriter.abort();
});

t.test('truncation is refused', async (t) => {
  const plain = randomBytes(3 * FILE_CHUNK_BYTES + 1000);
  const ct = await encrypt(plain, key);
  const bounds = chunkBounds(ct);
  t.equal(bounds.length, 4);
  const [, , [c3Start], [c4Start]] = bounds as [[number, number], [number, number], [number, number], [number, number]];

  await t.rejects(decrypt(ct.subarray(0, c4Start), key), refusal('bad_stream'), 'last chunk dropped');
  await t.rejects(decrypt(ct.subarray(0, c3Start), key), refusal('bad_stream'), 'last two chunks dropped');
  await t.rejects(decrypt(ct.subarray(0, HEADER + CT_CHUNK), key), refusal('bad_stream'), 'only the first chunk kept');
  await t.rejects(decrypt(ct.subarray(0, ct.length - 1), key), refusal('decrypt_failed'), 'one byte cut from the end');
  await t.rejects(decrypt(ct.subarray(0, ct.length - 500), key), refusal('decrypt_failed'), '500 bytes cut from the end');
  await t.rejects(decrypt(ct.subarray(0, c4Start - 1), key), refusal('decrypt_failed'), 'cut one byte before a chunk boundary');
  await t.rejects(decrypt(ct.subarray(0, c4Start + 10), key), refusal('bad_stream'), 'a last piece shorter than a tag');
  await t.rejects(decrypt(ct.subarray(0, HEADER), key), refusal('bad_stream'), 'header only');
  await t.rejects(decrypt(ct.subarray(0, 10), key), refusal('bad_stream'), 'part of the header');
  await t.rejects(decrypt(new Uint8Array(0), key), refusal('bad_stream'), 'nothing at all');

  // A file whose last chunk is full-size: dropping it leaves a full chunk that is not final.
  const even = await encrypt(randomBytes(2 * FILE_CHUNK_BYTES), key);
  t.equal(chunkBounds(even).length, 2);
  await t.rejects(decrypt(even.subarray(0, HEADER + CT_CHUNK), key), refusal('bad_stream'), 'full-size last chunk dropped');
});

t.test('an altered byte anywhere is refused', async (t) => {
  const plain = randomBytes(2 * FILE_CHUNK_BYTES + 300);
  const ct = await encrypt(plain, key);
  const positions = { 'header': 5, 'first chunk': HEADER + 100, 'second chunk tag': HEADER + CT_CHUNK, 'last chunk': ct.length - 200, 'last byte': ct.length - 1 };
  for (const [label, pos] of Object.entries(positions)) {
    const bad = ct.slice();
    bad[pos]! ^= 0x01;
    await t.rejects(decrypt(bad, key), refusal('decrypt_failed'), label);
  }
});

t.test('reordered or repeated chunks are refused', async (t) => {
  const plain = randomBytes(3 * FILE_CHUNK_BYTES + 50);
  const ct = await encrypt(plain, key);
  const [c1, c2, c3, c4] = chunkBounds(ct).map(([s, e]) => ct.subarray(s, e)) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const header = ct.subarray(0, HEADER);
  t.ok(sameBytes(concat(header, c1, c2, c3, c4), ct), 'the chunks reassemble the file');
  await t.rejects(decrypt(concat(header, c2, c1, c3, c4), key), refusal('decrypt_failed'), 'first two chunks swapped');
  await t.rejects(decrypt(concat(header, c1, c3, c2, c4), key), refusal('decrypt_failed'), 'middle chunks swapped');
  await t.rejects(decrypt(concat(header, c1, c1, c3, c4), key), refusal('decrypt_failed'), 'a chunk repeated');
  await t.rejects(decrypt(concat(header, c1, c3, c4), key), refusal('decrypt_failed'), 'a middle chunk dropped');

  // Chunks of another file under the same key do not fit into this one.
  const other = await encrypt(randomBytes(3 * FILE_CHUNK_BYTES + 50), key);
  const o2 = other.subarray(HEADER + CT_CHUNK, HEADER + 2 * CT_CHUNK);
  await t.rejects(decrypt(concat(header, c1, o2, c3, c4), key), refusal('decrypt_failed'), 'a chunk from another file');
});

t.test('data after the final chunk is refused', async (t) => {
  // With a full-size final chunk the end of the file is known: anything after it is bad_stream.
  const even = await encrypt(randomBytes(2 * FILE_CHUNK_BYTES), key);
  const [, last] = chunkBounds(even) as [[number, number], [number, number]];
  await t.rejects(decrypt(concat(even, new Uint8Array([0])), key), refusal('bad_stream'), 'one byte after the final chunk');
  await t.rejects(decrypt(concat(even, even.subarray(last[0], last[1])), key), refusal('bad_stream'), 'the final chunk repeated');
  await t.rejects(decrypt(concat(even, await encrypt(randomBytes(100), key)), key), refusal('bad_stream'), 'another encrypted file appended');

  // A short final chunk has no length field: bytes appended to it make it a longer chunk whose
  // tag no longer verifies, so this is decrypt_failed rather than bad_stream.
  const short = await encrypt(randomBytes(1000), key);
  await t.rejects(decrypt(concat(short, new Uint8Array(5)), key), refusal('decrypt_failed'), 'bytes after a short final chunk');
});

t.test('a wrong key is refused', async (t) => {
  const ct = await encrypt(randomBytes(FILE_CHUNK_BYTES + 1), key);
  await t.rejects(decrypt(ct, generateFileKey()), refusal('decrypt_failed'));
  const empty = await encrypt(new Uint8Array(0), key);
  await t.rejects(decrypt(empty, generateFileKey()), refusal('decrypt_failed'), 'even for an empty file');
});
