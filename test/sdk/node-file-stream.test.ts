/**
 * The Node adapter (src/sdk/node/file-stream.ts): files and Node streams go through the same
 * Web-Streams transforms as in the browser, in constant memory, and a file that fails to decrypt
 * never leaves plaintext (partial or whole) at the destination path.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import t from 'tap';
import { FILE_CHUNK_BYTES, collect, decryptFile, encryptFile, encryptedFileSize, generateFileKey, ready, type CryptoErrorCode } from '../../src/sdk/index.js';
import { decryptFileStream, encryptFileStream } from '../../src/sdk/node/file-stream.js';

await ready();

const refusal = (code: CryptoErrorCode) => ({ name: 'CryptoError', code: new RegExp(`^${code}$`) });
const randomBytes = (n: number) => randomFillSync(new Uint8Array(n));
const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());

const dir = await mkdtemp(join(tmpdir(), 'egide-file-stream-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const key = generateFileKey();

/** A Writable that keeps what it receives. */
function sink(): { writable: Writable; bytes: () => Uint8Array } {
  const parts: Buffer[] = [];
  return { writable: new Writable({ write: (chunk: Buffer, _enc, cb) => (parts.push(chunk), cb()) }), bytes: () => new Uint8Array(Buffer.concat(parts)) };
}

t.test('a temp file encrypts to another file and back to the same bytes', async (t) => {
  const plain = randomBytes(300 * 1024 + 123);
  const [src, enc, out] = ['plain.bin', 'plain.bin.enc', 'plain.out'].map((f) => join(dir, f)) as [string, string, string];
  await writeFile(src, plain);

  const e = await encryptFileStream(src, enc, key);
  t.same(e, { bytesIn: plain.length, bytesOut: encryptedFileSize(plain.length), plaintextSha256: sha256(plain) });
  t.equal((await stat(enc)).size, encryptedFileSize(plain.length), 'the file on disk has the expected size');
  t.equal((await stat(enc)).mode & 0o777, 0o600, 'created readable by its owner only');

  const d = await decryptFileStream(enc, out, key);
  t.same(d, { bytesIn: encryptedFileSize(plain.length), bytesOut: plain.length, plaintextSha256: sha256(plain) });
  t.ok(Buffer.from(plain).equals(await readFile(out)), 'the decrypted file equals the original');
  t.equal((await stat(out)).mode & 0o777, 0o600);

  // The adapter writes the same format as the browser transform reads, and the reverse.
  const viaWeb = await collect(new Blob([await readFile(enc)]).stream().pipeThrough(decryptFile(key)));
  t.ok(Buffer.from(plain).equals(viaWeb), 'the Web transform decrypts what the adapter wrote');
});

t.test('the format option goes through: format 1 (exact size) and format 2 (padded, the default)', async (t) => {
  const plain = randomBytes(FILE_CHUNK_BYTES + 5);
  for (const format of [1, 2] as const) {
    const [src, enc, out] = [`f${format}.bin`, `f${format}.enc`, `f${format}.out`].map((f) => join(dir, f)) as [string, string, string];
    await writeFile(src, plain);
    const e = await encryptFileStream(src, enc, key, { format });
    t.equal((await stat(enc)).size, encryptedFileSize(plain.length, format), `format ${format}: size on disk`);
    t.same(e.plaintextSha256, sha256(plain));
    const d = await decryptFileStream(enc, out, key, { format });
    t.same(d.plaintextSha256, sha256(plain));
    t.ok(Buffer.from(plain).equals(await readFile(out)), `format ${format}: round trip`);
    // The Web transform reads the adapter's file in the same format.
    t.ok(Buffer.from(plain).equals(await collect(new Blob([await readFile(enc)]).stream().pipeThrough(decryptFile(key, { format })))), `format ${format}: the Web transform reads it`);
  }
  t.not(encryptedFileSize(plain.length, 1), encryptedFileSize(plain.length, 2));

  // A format-1 file read as format 2 is refused, and leaves nothing at the destination.
  const out = join(dir, 'wrong-format.out');
  await t.rejects(decryptFileStream(join(dir, 'f1.enc'), out, key), refusal('bad_padding'));
  await t.rejects(stat(out), { code: 'ENOENT' });
});

t.test('an empty file round-trips', async (t) => {
  const [src, enc, out] = ['empty', 'empty.enc', 'empty.out'].map((f) => join(dir, f)) as [string, string, string];
  await writeFile(src, new Uint8Array(0));
  await encryptFileStream(src, enc, key);
  t.equal((await stat(enc)).size, encryptedFileSize(0));
  const d = await decryptFileStream(enc, out, key);
  t.equal((await stat(out)).size, 0);
  t.same(d.plaintextSha256, sha256(new Uint8Array(0)));
});

t.test('Node Readable to Node Writable, in odd-sized pieces', async (t) => {
  const plain = randomBytes(2 * FILE_CHUNK_BYTES + 999);
  const pieces = (data: Uint8Array, size: number) => Readable.from((function* () { for (let i = 0; i < data.length; i += size) yield Buffer.from(data.subarray(i, i + size)); })());
  const enc = sink();
  await encryptFileStream(pieces(plain, 1000), enc.writable, key);
  const ct = enc.bytes();
  t.equal(ct.length, encryptedFileSize(plain.length));
  const dec = sink();
  await decryptFileStream(pieces(ct, 100 * 1024 + 1), dec.writable, key);
  t.ok(Buffer.from(plain).equals(dec.bytes()));
  // And what the browser transform wrote, the adapter reads.
  const webCt = await collect(new Blob([plain]).stream().pipeThrough(encryptFile(key)));
  const dec2 = sink();
  await decryptFileStream(Readable.from([Buffer.from(webCt)]), dec2.writable, key);
  t.ok(Buffer.from(plain).equals(dec2.bytes()), 'the adapter decrypts what the Web transform wrote');
});

t.test('a tampered, truncated or wrongly keyed file leaves no plaintext at the destination', async (t) => {
  const plain = randomBytes(3 * FILE_CHUNK_BYTES + 10);
  const enc = join(dir, 'victim.enc');
  await encryptFileStream(Readable.from([Buffer.from(plain)]), enc, key);
  const ct = await readFile(enc);

  const tampered = Buffer.from(ct);
  tampered[tampered.length - 5]! ^= 1;
  const cases: Array<[string, Buffer, Uint8Array, CryptoErrorCode]> = [
    ['a byte altered in the last chunk', tampered, key, 'decrypt_failed'],
    ['the last chunk dropped', ct.subarray(0, 24 + 3 * (FILE_CHUNK_BYTES + 17)), key, 'bad_stream'],
    ['a wrong key', ct, generateFileKey(), 'decrypt_failed'],
  ];
  for (const [label, bytes, k, code] of cases) {
    const src = join(dir, 'bad.enc');
    const out = join(dir, 'bad.out');
    await writeFile(src, bytes);
    await t.rejects(decryptFileStream(src, out, k), refusal(code), label);
    await t.rejects(stat(out), { code: 'ENOENT' }, `${label}: no output file, although earlier chunks had verified`);
  }
  t.same((await readdir(dir)).filter((f) => f.includes('.partial')), [], 'no partial files left behind');

  const existing = join(dir, 'existing.out');
  await writeFile(existing, 'previous content');
  await t.rejects(decryptFileStream(Readable.from([tampered]), existing, key), refusal('decrypt_failed'));
  t.equal(await readFile(existing, 'utf8'), 'previous content', 'an existing destination is left as it was');
});

t.test('a missing source rejects and creates nothing', async (t) => {
  const out = join(dir, 'never.enc');
  await t.rejects(encryptFileStream(join(dir, 'does-not-exist'), out, key), { code: 'ENOENT' });
  await t.rejects(stat(out), { code: 'ENOENT' });
});

t.test('a source that yields text is refused rather than encrypted as UTF-8', async (t) => {
  const dest = sink();
  await t.rejects(encryptFileStream(Readable.from(['not bytes']), dest.writable, key), { name: 'TypeError' });
});

t.test('constant memory: the source is read no faster than the destination drains', async (t) => {
  // 32 MiB through a slow sink: if the adapter buffered the file, the source would run ahead
  // by megabytes; with backpressure it stays within a few chunks of buffering.
  const total = 32 * 1024 * 1024;
  const piece = new Uint8Array(64 * 1024).fill(7);
  let produced = 0;
  let consumed = 0;
  let maxAhead = 0;
  const source = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (produced >= total) return void this.push(null);
      produced += piece.length;
      this.push(piece);
    },
  });
  const slow = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb) {
      consumed += chunk.length;
      maxAhead = Math.max(maxAhead, produced - consumed);
      setImmediate(cb);
    },
  });
  const result = await encryptFileStream(source, slow, key);
  t.equal(result.bytesIn, total);
  t.equal(consumed, encryptedFileSize(total));
  t.ok(maxAhead < 2 * 1024 * 1024, `the source ran at most ${maxAhead} bytes ahead of the sink`);
});

t.test('an abort signal stops the copy and leaves no destination file', async (t) => {
  const controller = new AbortController();
  let produced = 0;
  const endless = new Readable({
    read() {
      produced += FILE_CHUNK_BYTES;
      if (produced > 4 * FILE_CHUNK_BYTES) controller.abort();
      this.push(new Uint8Array(FILE_CHUNK_BYTES));
    },
  });
  const out = join(dir, 'aborted.enc');
  await t.rejects(encryptFileStream(endless, out, key, { signal: controller.signal }), { name: 'AbortError' });
  await t.rejects(stat(out), { code: 'ENOENT' });
  t.same((await readdir(dir)).filter((f) => f.includes('.partial')), [], 'no partial file left behind');
});
