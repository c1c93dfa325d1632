/**
 * Encrypted attachments (crypto_secretstream in 64 KiB chunks, through Web Streams): formats 1
 * (exact size) and 2 (padded as a sealed field is) round-trip for any input piece size;
 * truncation, reordering, alteration, trailing data, a wrong key and a padding that is not the
 * one canonical padding are refused with a CryptoError, never returned as a different file.
 * Also: the resume rule (same key + header + plaintext = same bytes), the key-less size check a
 * server makes, the streamed SHA-256s, and the sealed record of a file's key.
 */
import { createHash, randomFillSync } from 'node:crypto';
import sodium from 'libsodium-wrappers-sumo';
import t from 'tap';
import {
  FILE_CHUNK_BYTES,
  FILE_HEADER_BYTES,
  collect,
  createFileDecryptor,
  createFileEncryptor,
  createSha256Tap,
  decodeFileKey,
  decryptFile,
  encodeFileKey,
  encryptBlob,
  encryptFile,
  encryptedFileSize,
  fileFieldAd,
  generateFileKey,
  isEncryptedFileSize,
  pad,
  paddedLength,
  ready,
  toB64u,
  type CryptoErrorCode,
  type FileFormat,
} from '../../src/sdk/index.js';

await ready();
await sodium.ready;

const refusal = (code: CryptoErrorCode) => ({ name: 'CryptoError', code: new RegExp(`^${code}$`) });

const HEADER = 24;
const OVERHEAD = 17;
const CT_CHUNK = FILE_CHUNK_BYTES + OVERHEAD;
const KiB = 1024;
const MiB = 1024 * KiB;

/** A small seeded PRNG for piece sizes, so a failure can be replayed. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** A stream that hands out `data` in pieces of `size` bytes, or of random sizes (1 to 200 KiB) for a seed. */
function piecesOf(data: Uint8Array, size: number | { seed: number }): ReadableStream<Uint8Array> {
  const next = typeof size === 'number' ? () => size : ((r) => () => 1 + Math.floor(r() * (r() < 0.5 ? 100 : 200 * KiB)))(prng(size.seed));
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= data.length) return controller.close();
      const n = next();
      controller.enqueue(data.slice(offset, offset + n));
      offset += n;
    },
  });
}

const encrypt = (data: Uint8Array, key: Uint8Array, piece: number | { seed: number } = 1000, format?: FileFormat) =>
  collect(piecesOf(data, piece).pipeThrough(encryptFile(key, format ? { format } : {})));
const decrypt = (data: Uint8Array, key: Uint8Array, piece: number | { seed: number } = 777, format?: FileFormat) =>
  collect(piecesOf(data, piece).pipeThrough(decryptFile(key, format ? { format } : {})));
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;
const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());

/** [start, end) of each ciphertext chunk after the header. */
function chunkBounds(ct: Uint8Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let start = HEADER; start < ct.length; start += CT_CHUNK) out.push([start, Math.min(start + CT_CHUNK, ct.length)]);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** A stream made by hand with raw libsodium calls: each plaintext piece one chunk, the last FINAL. */
function rawStream(key: Uint8Array, pieces: Uint8Array[]): Uint8Array {
  const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
  const chunks = pieces.map((p, i) =>
    sodium.crypto_secretstream_xchacha20poly1305_push(state, p, null, i === pieces.length - 1 ? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL : sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE),
  );
  return concat(header, ...chunks);
}

/** A plaintext stream cut into 64 KiB pieces (the last one shorter), as the encryptor cuts it. */
function inChunks(stream: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i += FILE_CHUNK_BYTES) out.push(stream.subarray(i, i + FILE_CHUNK_BYTES));
  return out.length ? out : [new Uint8Array(0)];
}

const key = generateFileKey();

// Test data only: libsodium's randombytes_buf fetches entropy a word at a time (about 1 s for 300 KiB).
const randomBytes = (n: number) => randomFillSync(new Uint8Array(n));

const EDGE_SIZES = [0, 1, 63, 64, 1023, 1024, FILE_CHUNK_BYTES - 1, FILE_CHUNK_BYTES, FILE_CHUNK_BYTES + 1, 2 * FILE_CHUNK_BYTES + 1, MiB, MiB + 1, 3 * MiB + 12345];

t.test('round trip of edge sizes in both formats, fed in pieces of random sizes, with the SHA-256 of the plaintext', async (t) => {
  for (const format of [1, 2] as const) {
    for (const [i, size] of EDGE_SIZES.entries()) {
      const plain = randomBytes(size);
      const enc = createFileEncryptor(key, { format });
      const ct = await collect(piecesOf(plain, { seed: 17 * i + format }).pipeThrough(enc.transform));
      t.equal(ct.length, encryptedFileSize(size, format), `format ${format}, ${size} bytes: encryptedFileSize`);
      t.ok(sameBytes(ct.subarray(0, HEADER), enc.header), `format ${format}, ${size} bytes: the stream starts with the header`);
      t.equal(enc.plaintextBytes(), size);
      t.ok(sameBytes(enc.plaintextSha256(), sha256(plain)), `format ${format}, ${size} bytes: the encryptor's SHA-256 is node:crypto's`);
      if (format === 2) t.equal(isEncryptedFileSize(ct.length), true, `format 2, ${size} bytes: a padded size`);

      const dec = createFileDecryptor(key, { format });
      const back = await collect(piecesOf(ct, { seed: 31 * i + format }).pipeThrough(dec.transform));
      t.ok(sameBytes(back, plain), `format ${format}, ${size} bytes: decrypts to the same bytes`);
      t.equal(dec.plaintextBytes(), size);
      t.ok(sameBytes(dec.plaintextSha256(), sha256(plain)), `format ${format}, ${size} bytes: the decryptor's SHA-256 is node:crypto's`);
    }
  }
});

t.test('format 2: padding that spans whole chunks is made and stripped chunk by chunk', async (t) => {
  // 8 MiB pads by a block of 512 KiB: 0x80 then 524,287 zeros, eight whole chunks of padding.
  const size = 8 * MiB;
  t.equal(paddedLength(size) - size, 512 * KiB);
  const plain = randomBytes(size);
  const pieces: number[] = [];
  const ct = await collect(
    piecesOf(plain, 256 * KiB)
      .pipeThrough(encryptFile(key))
      .pipeThrough(new TransformStream({ transform: (c, ctl) => (pieces.push(c.length), ctl.enqueue(c)) })),
  );
  t.equal(ct.length, encryptedFileSize(size));
  t.equal(ct.length, HEADER + 136 * CT_CHUNK, '128 chunks of data and 8 of padding');
  t.ok(Math.max(...pieces) <= CT_CHUNK, 'the encryptor hands out one chunk at a time, padding included');

  const out: number[] = [];
  const back = await collect(
    piecesOf(ct, 1 * MiB + 3)
      .pipeThrough(decryptFile(key))
      .pipeThrough(new TransformStream({ transform: (c, ctl) => (out.push(c.length), ctl.enqueue(c)) })),
  );
  t.ok(sameBytes(back, plain));
  t.ok(Math.max(...out) <= FILE_CHUNK_BYTES, 'the decryptor releases at most a chunk at a time');
});

t.test('format 2: data that looks like padding (0x80, runs of zeros, across chunks) comes back exactly', async (t) => {
  const zeros = (n: number) => new Uint8Array(n);
  const samples: Record<string, Uint8Array> = {
    'one 0x80': Uint8Array.of(0x80),
    'one zero': zeros(1),
    'ends with 0x80': concat(randomBytes(1000), Uint8Array.of(0x80)),
    'ends with 0x80 and zeros': concat(randomBytes(1000), Uint8Array.of(0x80), zeros(23)),
    'all zeros, three chunks and a bit': zeros(3 * FILE_CHUNK_BYTES + 5),
    'zeros across chunk boundaries, then data': concat(randomBytes(100), Uint8Array.of(0x80), zeros(2 * FILE_CHUNK_BYTES), Uint8Array.of(0x80, 1)),
    '0x80 at a chunk boundary, then zeros to the end': concat(randomBytes(FILE_CHUNK_BYTES - 1), Uint8Array.of(0x80), zeros(FILE_CHUNK_BYTES + 7)),
    'a full chunk of 0x80 and zeros': concat(Uint8Array.of(0x80), zeros(FILE_CHUNK_BYTES - 1)),
  };
  for (const [label, plain] of Object.entries(samples)) {
    const ct = await encrypt(plain, key, { seed: plain.length });
    t.equal(ct.length, encryptedFileSize(plain.length), `${label}: size`);
    const dec = createFileDecryptor(key);
    t.ok(sameBytes(await collect(piecesOf(ct, { seed: 5 }).pipeThrough(dec.transform)), plain), `${label}: round trip`);
    t.ok(sameBytes(dec.plaintextSha256(), sha256(plain)), `${label}: SHA-256`);
  }
});

t.test('format 2: a padding that is not the one of the plaintext length is refused', async (t) => {
  const m = randomBytes(100);
  m[99] = 7;
  const zeros = (n: number) => new Uint8Array(n);
  const canonical = pad(m); // 128 bytes
  t.ok(sameBytes(await decrypt(rawStream(key, [canonical]), key), m), 'the hand-made canonical stream opens');

  const big = randomBytes(MiB + 1); // pads by 65,535 bytes: 0x80 and zeros to the end of the 17th chunk
  big[big.length - 1] = 9;
  t.ok(sameBytes(await decrypt(rawStream(key, inChunks(pad(big))), key), big), 'the hand-made multi-chunk stream opens');

  const bad: Record<string, Uint8Array[]> = {
    'no marker (zeros only)': [concat(m, zeros(28))],
    'no padding at all': [m],
    'an extra block of zeros': [concat(canonical, zeros(64))],
    'a non-zero byte after the marker': [concat(m, Uint8Array.of(0x80, 1), zeros(26))],
    'padded to a length that is not a multiple of the block': [concat(m, Uint8Array.of(0x80), zeros(20))],
    'a marker that is not 0x80': [concat(m, Uint8Array.of(0x81), zeros(27))],
    'the padding of a longer plaintext (block 64, not 4 KiB) across chunks': inChunks(concat(big, Uint8Array.of(0x80), zeros(62))),
    'an extra chunk of zeros after a canonical multi-chunk padding': [...inChunks(pad(big)), zeros(FILE_CHUNK_BYTES)],
  };
  for (const [label, pieces] of Object.entries(bad)) {
    await t.rejects(decrypt(rawStream(key, pieces), key), refusal('bad_padding'), label);
  }
  // A format-1 file read as format 2 does not pass for a padded one.
  await t.rejects(decrypt(await encrypt(m, key, 1000, 1), key), refusal('bad_padding'), 'a format-1 file read as format 2');
  await t.rejects(decrypt(await encrypt(new Uint8Array(0), key, 1000, 1), key), refusal('bad_stream'), 'an empty format-1 file read as format 2 (an empty chunk)');
  // The one encoding also fixes the chunking: an empty FINAL chunk after the padding is refused.
  await t.rejects(decrypt(rawStream(key, [pad(randomBytes(65535)), new Uint8Array(0)]), key), refusal('bad_stream'), 'an empty final chunk after a full one');
});

t.test('encryptedFileSize: header plus one tag per 64 KiB chunk of the (padded) stream', async (t) => {
  t.equal(encryptedFileSize(0, 1), HEADER + OVERHEAD);
  t.equal(encryptedFileSize(1, 1), HEADER + 1 + OVERHEAD);
  t.equal(encryptedFileSize(FILE_CHUNK_BYTES, 1), HEADER + FILE_CHUNK_BYTES + OVERHEAD);
  t.equal(encryptedFileSize(FILE_CHUNK_BYTES + 1, 1), HEADER + FILE_CHUNK_BYTES + 1 + 2 * OVERHEAD);
  t.equal(encryptedFileSize(10 * FILE_CHUNK_BYTES, 1), HEADER + 10 * CT_CHUNK);

  t.equal(encryptedFileSize(0), HEADER + 64 + OVERHEAD, 'format 2 is the default; an empty file pads to 64 bytes');
  t.equal(encryptedFileSize(63), HEADER + 64 + OVERHEAD);
  t.equal(encryptedFileSize(64), HEADER + 128 + OVERHEAD);
  t.equal(encryptedFileSize(65535), HEADER + 65536 + OVERHEAD, 'one full chunk');
  t.equal(encryptedFileSize(65536), HEADER + 69632 + 2 * OVERHEAD);
  t.equal(encryptedFileSize(MiB), HEADER + 17 * CT_CHUNK, '1 MiB pads by a whole chunk');
  t.equal(encryptedFileSize(GiB()), HEADER + (GiB() + 64 * MiB) + ((GiB() + 64 * MiB) / FILE_CHUNK_BYTES) * OVERHEAD, '1 GiB pads by 64 MiB');
  t.throws(() => encryptedFileSize(-1), refusal('bad_length'));
  t.throws(() => encryptedFileSize(1.5), refusal('bad_length'));
  t.throws(() => encryptedFileSize(1, 3 as FileFormat), refusal('bad_format'));
});

function GiB(): number {
  return 1024 * MiB;
}

t.test('isEncryptedFileSize: exactly the sizes of format-2 files', async (t) => {
  // Both directions for every size up to 300 KiB of plaintext.
  const limit = 300 * KiB;
  const sizes = new Set<number>();
  for (let l = 0; l <= limit; l += 1) sizes.add(encryptedFileSize(l));
  const max = encryptedFileSize(limit);
  let mismatches = 0;
  let valid = 0;
  for (let s = -2; s <= max; s += 1) {
    const expected = sizes.has(s);
    if (isEncryptedFileSize(s) !== expected) mismatches += 1;
    if (expected) valid += 1;
  }
  t.equal(mismatches, 0, `every size up to ${max} agrees with encryptedFileSize`);
  t.ok(valid > 100, `${valid} valid sizes`);

  // Beyond: around every power of two and chunk multiple up to 4 GiB, the size of a file is
  // accepted and its neighbours are not.
  let checked = 0;
  for (let p = 10; p <= 32; p += 1) {
    for (const base of [2 ** p, 2 ** p + FILE_CHUNK_BYTES, 2 ** p - FILE_CHUNK_BYTES]) {
      for (let d = -3; d <= 3; d += 1) {
        const size = encryptedFileSize(Math.max(0, base + d));
        t.equal(isEncryptedFileSize(size), true);
        t.equal(isEncryptedFileSize(size + 1), false);
        t.equal(isEncryptedFileSize(size - 1), false);
        checked += 1;
      }
    }
  }
  t.ok(checked > 400);
  t.equal(isEncryptedFileSize(encryptedFileSize(100, 1)), false, 'an unpadded file of 100 bytes');
  for (const odd of [NaN, Infinity, 1.5, -100, 0, 24, 41]) t.equal(isEncryptedFileSize(odd), false, String(odd));
});

t.test('resume: the same key, header and plaintext give the same ciphertext, byte for byte', async (t) => {
  for (const format of [1, 2] as const) {
    for (const size of [0, 1000, FILE_CHUNK_BYTES, 3 * FILE_CHUNK_BYTES + 7, MiB, MiB + 1]) {
      const plain = randomBytes(size);
      const first = createFileEncryptor(key, { format });
      const a = await collect(piecesOf(plain, 10 * KiB).pipeThrough(first.transform));
      const again = createFileEncryptor(key, { format, header: first.header });
      t.ok(sameBytes(again.header, first.header));
      const b = await collect(piecesOf(plain, { seed: size + 1 }).pipeThrough(again.transform));
      t.ok(sameBytes(a, b), `format ${format}, ${size} bytes: identical ciphertext`);
      t.ok(sameBytes(await decrypt(b, key, 4096, format), plain), `format ${format}, ${size} bytes: and it opens`);
    }
  }
  t.throws(() => createFileEncryptor(key, { header: new Uint8Array(23) }), refusal('bad_length'), 'a header of another size');
});

t.test('resume with a different plaintext reuses the nonce of its first differing chunk: why callers must not', async (t) => {
  // This pins down the limit documented on FileEncryptorOptions.header: chunk i's nonce depends
  // only on the header and the MACs of chunks 1..i-1.
  const a = randomBytes(3 * FILE_CHUNK_BYTES + 100);
  const b = a.slice();
  b[FILE_CHUNK_BYTES + 10]! ^= 0xff; // the second chunk differs
  const first = createFileEncryptor(key, { format: 1 });
  const ctA = await collect(piecesOf(a, 9000).pipeThrough(first.transform));
  const ctB = await collect(piecesOf(b, 9000).pipeThrough(createFileEncryptor(key, { format: 1, header: first.header }).transform));
  const [c1, c2, c3] = chunkBounds(ctA) as [[number, number], [number, number], [number, number]];
  t.ok(sameBytes(ctA.subarray(...c1), ctB.subarray(...c1)), 'the equal first chunk is equal');
  // Same key and nonce on the second chunk: its ciphertexts XOR to the plaintexts' XOR (a two-time pad).
  const xorCt = ctA.subarray(c2[0] + 1, c2[1] - 16).map((x, i) => x ^ ctB[c2[0] + 1 + i]!);
  const xorPt = a.subarray(FILE_CHUNK_BYTES, 2 * FILE_CHUNK_BYTES).map((x, i) => x ^ b[FILE_CHUNK_BYTES + i]!);
  t.ok(sameBytes(xorCt, xorPt), 'the first differing chunk reuses the keystream');
  // After it the nonce chain has absorbed a different MAC: fresh nonces, and a splice fails.
  const xor3 = ctA.subarray(c3[0] + 1, c3[0] + 1001).map((x, i) => x ^ ctB[c3[0] + 1 + i]!);
  t.notOk(xor3.every((x) => x === 0), 'the next chunk (equal plaintext) is encrypted under another nonce');
  await t.rejects(decrypt(concat(ctA.subarray(0, c3[0]), ctB.subarray(c3[0])), key, 777, 1), refusal('decrypt_failed'), 'a spliced stream does not open');
});

t.test('each fresh encryption is different (fresh header), so a reused file key does not repeat', async (t) => {
  const plain = randomBytes(5000);
  const a = await encrypt(plain, key);
  const b = await encrypt(plain, key);
  t.notOk(sameBytes(a.subarray(0, HEADER), b.subarray(0, HEADER)), 'headers differ');
  t.notOk(sameBytes(a, b), 'ciphertexts differ');
});

t.test('the SHA-256s are known only once the stream has ended', async (t) => {
  const enc = createFileEncryptor(key);
  t.throws(() => enc.plaintextSha256(), refusal('bad_stream'), 'encryptor, before');
  const dec = createFileDecryptor(key);
  t.throws(() => dec.plaintextSha256(), refusal('bad_stream'), 'decryptor, before');
  const tap = createSha256Tap();
  t.throws(() => tap.digest(), refusal('bad_stream'), 'tap, before');

  // The tap hashes what goes through and passes it on unchanged (a browser hashing a download).
  const plain = randomBytes(2 * FILE_CHUNK_BYTES + 99);
  const ct = await encrypt(plain, key);
  const tap2 = createSha256Tap();
  const back = await collect(piecesOf(ct, 5000).pipeThrough(tap2.transform).pipeThrough(decryptFile(key)));
  t.ok(sameBytes(back, plain));
  t.ok(sameBytes(tap2.digest(), sha256(ct)), 'the tap gives the SHA-256 of the ciphertext');
  const empty = createSha256Tap();
  await collect(piecesOf(new Uint8Array(0), 1).pipeThrough(empty.transform));
  t.ok(sameBytes(empty.digest(), sha256(new Uint8Array(0))), 'the SHA-256 of nothing');

  // A stream that fails gives no hash.
  const bad = createFileDecryptor(key);
  await t.rejects(collect(piecesOf(ct.subarray(0, ct.length - 1), 5000).pipeThrough(bad.transform)), refusal('decrypt_failed'));
  t.throws(() => bad.plaintextSha256(), refusal('bad_stream'), 'no hash of a file that did not open');
});

t.test('encryptBlob: a browser File or Blob encrypts the same way', async (t) => {
  const plain = randomBytes(FILE_CHUNK_BYTES + 4242);
  const ct = await collect(encryptBlob(new Blob([plain]), key));
  t.equal(ct.length, encryptedFileSize(plain.length));
  t.ok(sameBytes(await decrypt(ct, key), plain));
  const ct1 = await collect(encryptBlob(new Blob([plain]), key, { format: 1 }));
  t.equal(ct1.length, encryptedFileSize(plain.length, 1));
  t.ok(sameBytes(await decrypt(ct1, key, 777, 1), plain));
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

for (const format of [1, 2] as const) {
  // The layouts below are those of format 1; in format 2 the same plaintexts pad into the same chunk counts.
  t.test(`format ${format}: truncation is refused`, async (t) => {
    const plain = randomBytes(3 * FILE_CHUNK_BYTES + 1000);
    const ct = await encrypt(plain, key, 1000, format);
    const bounds = chunkBounds(ct);
    t.equal(bounds.length, 4);
    const [, , [c3Start], [c4Start]] = bounds as [[number, number], [number, number], [number, number], [number, number]];

    await t.rejects(decrypt(ct.subarray(0, c4Start), key, 777, format), refusal('bad_stream'), 'last chunk dropped');
    await t.rejects(decrypt(ct.subarray(0, c3Start), key, 777, format), refusal('bad_stream'), 'last two chunks dropped');
    await t.rejects(decrypt(ct.subarray(0, HEADER + CT_CHUNK), key, 777, format), refusal('bad_stream'), 'only the first chunk kept');
    await t.rejects(decrypt(ct.subarray(0, ct.length - 1), key, 777, format), refusal('decrypt_failed'), 'one byte cut from the end');
    await t.rejects(decrypt(ct.subarray(0, ct.length - 500), key, 777, format), refusal('decrypt_failed'), '500 bytes cut from the end');
    await t.rejects(decrypt(ct.subarray(0, c4Start - 1), key, 777, format), refusal('decrypt_failed'), 'cut one byte before a chunk boundary');
    await t.rejects(decrypt(ct.subarray(0, c4Start + 10), key, 777, format), refusal('bad_stream'), 'a last piece shorter than a tag');
    await t.rejects(decrypt(ct.subarray(0, HEADER), key, 777, format), refusal('bad_stream'), 'header only');
    await t.rejects(decrypt(ct.subarray(0, 10), key, 777, format), refusal('bad_stream'), 'part of the header');
    await t.rejects(decrypt(new Uint8Array(0), key, 777, format), refusal('bad_stream'), 'nothing at all');

    // A file whose last chunk is full-size: dropping it leaves a full chunk that is not final.
    const even = await encrypt(randomBytes(format === 1 ? 2 * FILE_CHUNK_BYTES : 2 * FILE_CHUNK_BYTES - 4096), key, 1000, format);
    t.equal(even.length, HEADER + 2 * CT_CHUNK);
    await t.rejects(decrypt(even.subarray(0, HEADER + CT_CHUNK), key, 777, format), refusal('bad_stream'), 'full-size last chunk dropped');
  });

  t.test(`format ${format}: an altered byte anywhere is refused`, async (t) => {
    const plain = randomBytes(2 * FILE_CHUNK_BYTES + 300);
    const ct = await encrypt(plain, key, 1000, format);
    const positions = { 'header': 5, 'first chunk': HEADER + 100, 'second chunk tag': HEADER + CT_CHUNK, 'last chunk': ct.length - 200, 'last byte': ct.length - 1 };
    for (const [label, pos] of Object.entries(positions)) {
      const bad = ct.slice();
      bad[pos]! ^= 0x01;
      await t.rejects(decrypt(bad, key, 777, format), refusal('decrypt_failed'), label);
    }
  });

  t.test(`format ${format}: reordered or repeated chunks are refused`, async (t) => {
    const plain = randomBytes(3 * FILE_CHUNK_BYTES + 50);
    const ct = await encrypt(plain, key, 1000, format);
    const [c1, c2, c3, c4] = chunkBounds(ct).map(([s, e]) => ct.subarray(s, e)) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const header = ct.subarray(0, HEADER);
    t.ok(sameBytes(concat(header, c1, c2, c3, c4), ct), 'the chunks reassemble the file');
    await t.rejects(decrypt(concat(header, c2, c1, c3, c4), key, 777, format), refusal('decrypt_failed'), 'first two chunks swapped');
    await t.rejects(decrypt(concat(header, c1, c3, c2, c4), key, 777, format), refusal('decrypt_failed'), 'middle chunks swapped');
    await t.rejects(decrypt(concat(header, c1, c1, c3, c4), key, 777, format), refusal('decrypt_failed'), 'a chunk repeated');
    await t.rejects(decrypt(concat(header, c1, c3, c4), key, 777, format), refusal('decrypt_failed'), 'a middle chunk dropped');

    // Chunks of another file under the same key do not fit into this one.
    const other = await encrypt(randomBytes(3 * FILE_CHUNK_BYTES + 50), key, 1000, format);
    const o2 = other.subarray(HEADER + CT_CHUNK, HEADER + 2 * CT_CHUNK);
    await t.rejects(decrypt(concat(header, c1, o2, c3, c4), key, 777, format), refusal('decrypt_failed'), 'a chunk from another file');
  });

  t.test(`format ${format}: data after the final chunk is refused`, async (t) => {
    // With a full-size final chunk the end of the file is known: anything after it is bad_stream.
    const even = await encrypt(randomBytes(format === 1 ? 2 * FILE_CHUNK_BYTES : 2 * FILE_CHUNK_BYTES - 4096), key, 1000, format);
    const [, last] = chunkBounds(even) as [[number, number], [number, number]];
    t.equal(last[1] - last[0], CT_CHUNK);
    await t.rejects(decrypt(concat(even, new Uint8Array([0])), key, 777, format), refusal('bad_stream'), 'one byte after the final chunk');
    await t.rejects(decrypt(concat(even, even.subarray(last[0], last[1])), key, 777, format), refusal('bad_stream'), 'the final chunk repeated');
    await t.rejects(decrypt(concat(even, await encrypt(randomBytes(100), key, 1000, format)), key, 777, format), refusal('bad_stream'), 'another encrypted file appended');

    // A short final chunk has no length field: bytes appended to it make it a longer chunk whose
    // tag no longer verifies, so this is decrypt_failed rather than bad_stream.
    const short = await encrypt(randomBytes(1000), key, 1000, format);
    await t.rejects(decrypt(concat(short, new Uint8Array(5)), key, 777, format), refusal('decrypt_failed'), 'bytes after a short final chunk');
  });

  t.test(`format ${format}: a wrong key is refused`, async (t) => {
    const ct = await encrypt(randomBytes(FILE_CHUNK_BYTES + 1), key, 1000, format);
    await t.rejects(decrypt(ct, generateFileKey(), 777, format), refusal('decrypt_failed'));
    const empty = await encrypt(new Uint8Array(0), key, 1000, format);
    await t.rejects(decrypt(empty, generateFileKey(), 777, format), refusal('decrypt_failed'), 'even for an empty file');
  });
}

t.test('options are checked', async (t) => {
  t.throws(() => createFileEncryptor(key, { format: 3 as FileFormat }), refusal('bad_format'));
  t.throws(() => createFileDecryptor(key, { format: 0 as FileFormat }), refusal('bad_format'));
  t.throws(() => createFileEncryptor(new Uint8Array(31)), refusal('bad_key_size'));
  t.throws(() => createFileDecryptor(new Uint8Array(33)), refusal('bad_key_size'));
});

t.test('the sealed record of a file key: one canonical JSON text, read strictly', async (t) => {
  const k = new Uint8Array(32).map((_, i) => i);
  const h = new Uint8Array(24).map((_, i) => 100 + i);
  const text = encodeFileKey({ format: 2, key: k, header: h });
  t.equal(text, `{"v":1,"format":2,"key":"${toB64u(k)}","header":"${toB64u(h)}"}`);
  t.equal(text, '{"v":1,"format":2,"key":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8","header":"ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7"}');
  const back = decodeFileKey(text);
  t.equal(back.format, 2);
  t.ok(sameBytes(back.key, k) && sameBytes(back.header, h));
  t.equal(decodeFileKey(encodeFileKey({ format: 1, key: k, header: h })).format, 1);

  const kb = toB64u(k);
  const hb = toB64u(h);
  const bad: Record<string, string> = {
    'not JSON': 'nope',
    'an array': '[1]',
    'null': 'null',
    'a JSON string': JSON.stringify(text),
    'version 2': `{"v":2,"format":2,"key":"${kb}","header":"${hb}"}`,
    'version as a string': `{"v":"1","format":2,"key":"${kb}","header":"${hb}"}`,
    'format 3': `{"v":1,"format":3,"key":"${kb}","header":"${hb}"}`,
    'no header': `{"v":1,"format":2,"key":"${kb}"}`,
    'an extra member': `{"v":1,"format":2,"key":"${kb}","header":"${hb}","name":"x"}`,
    'a 31-byte key': `{"v":1,"format":2,"key":"${toB64u(k.subarray(1))}","header":"${hb}"}`,
    'a 25-byte header': `{"v":1,"format":2,"key":"${kb}","header":"${toB64u(new Uint8Array(25))}"}`,
    'padded base64': `{"v":1,"format":2,"key":"${kb}=","header":"${hb}"}`,
    'standard base64 alphabet': `{"v":1,"format":2,"key":"${kb}","header":"${hb.replace('Z', '+')}"}`,
    'another member order': `{"format":2,"v":1,"key":"${kb}","header":"${hb}"}`,
    'spaces': `{"v": 1,"format":2,"key":"${kb}","header":"${hb}"}`,
    'a duplicate member': `{"v":1,"v":1,"format":2,"key":"${kb}","header":"${hb}"}`,
  };
  for (const [label, value] of Object.entries(bad)) t.throws(() => decodeFileKey(value), refusal('bad_file_key'), label);
  t.throws(() => decodeFileKey(42 as unknown as string), refusal('bad_file_key'), 'not a string');
  t.throws(() => encodeFileKey({ format: 2, key: k.subarray(1), header: h }), refusal('bad_file_key'), 'encoding a short key');
  t.throws(() => encodeFileKey({ format: 2, key: k, header: h.subarray(1) }), refusal('bad_file_key'), 'encoding a short header');
  t.throws(() => encodeFileKey({ format: 0 as FileFormat, key: k, header: h }), refusal('bad_file_key'), 'encoding format 0');

  t.equal(FILE_HEADER_BYTES, 24);
  t.equal(fileFieldAd('0193a5c4-7e21-7c3e-9a51-6f0b2d1e4a77', 'key'), 'egide/v1/file/0193a5c4-7e21-7c3e-9a51-6f0b2d1e4a77/key');
  t.equal(fileFieldAd('f1', 'sha256'), 'egide/v1/file/f1/sha256');
  t.throws(() => fileFieldAd('a/b', 'name'), refusal('bad_associated_data'));
});
