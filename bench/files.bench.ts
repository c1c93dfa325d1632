/**
 * Evidence files, three quality bars:
 *
 * 1. Upload: a 100 MiB file encrypted on the fly by the SDK (uploadFile: files format 2, tus,
 *    4 MiB PATCHes as policies/files.yaml sets them) at no less than half the throughput of the
 *    same upload without encryption. Baseline, interleaved in the same run: tus-js-client alone
 *    sending encryptedFileSize(100 MiB) random bytes (the only sizes the route accepts) with
 *    the same chunk size, to the same route of the same server process and the same disk store.
 *    Both rates are of the 100 MiB file. The uploads run in a client process of their own
 *    (lib/upload-client.ts), the API in another, as a phone and a server would.
 * 2. Client-side encryption: createFileEncryptor over 128 MiB fed in 64 KiB pieces (as a file is
 *    read), against bare libsodium secretstream push over the same padded bytes in 64 KiB chunks,
 *    with the same key and header: both make the very same ciphertext (checked first).
 * 3. Server memory: the API in its own process receives a 1 GiB upload (made while it is read,
 *    never whole in memory); its RSS (/proc/<pid>/status VmRSS) must stay flat, under 100 MiB
 *    above what the same process holds idle just before.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sodium from 'libsodium-wrappers-sumo';
import { createFileEncryptor, encryptedFileSize, FILE_CHUNK_BYTES, generateFileKey } from '../src/sdk/crypto/file-stream.js';
import { paddedLength } from '../src/sdk/crypto/padding.js';
import { ready, toB64u } from '../src/sdk/index.js';
import { loadFilePolicy } from '../src/files/file-policy.js';
import { policiesPath } from '../src/lib/paths.js';
import { bootstrap, fileCase } from '../test/helpers/world.js';
import { MiB, webStreamOf } from './lib/byte-sources.js';
import { rssOf, sampleRss, type RssSample } from './lib/process-memory.js';
import { defineBenchmark, row, type BenchContext } from './lib/report.js';
import { benchService, median } from './lib/service.js';
import { launchUploadClient, type UploadClient, type UploadRequest } from './lib/upload-client.js';
import { nowMs } from './lib/stats.js';

const UPLOAD_BYTES = 100 * MiB;
const UPLOAD_ROUNDS = Number(process.env.BENCH_FILE_ROUNDS ?? 3);
const ENCRYPT_BYTES = 128 * MiB;
const ENCRYPT_ROUNDS = Number(process.env.BENCH_FILE_ROUNDS ?? 3);
/** 1 GiB of plaintext less one byte: format 2 then pads by that byte only, so the upload is 1 GiB and its 17-byte tags. */
const BIG_PLAIN_BYTES = 1024 * MiB - 1;
const RSS_EVERY_MS = 50;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mibPerSecond = (bytes: number, ms: number) => bytes / MiB / (ms / 1000);
const inMiB = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;

/**
 * The baseline of the encryption rate: libsodium's secretstream on the padded plaintext in 64 KiB
 * chunks, the last one FINAL, with nothing around it (no streams, no copies, no hash). The state
 * comes from the header as createFileEncryptor's does when given one, so the output is the SDK's.
 */
function bareEncrypt(plain: Uint8Array, key: Uint8Array, header: Uint8Array, out: (c: Uint8Array) => void): void {
  const s = sodium;
  const state = s.crypto_secretstream_xchacha20poly1305_init_pull(header, key);
  out(header);
  const padded = paddedLength(plain.length);
  const zeros = new Uint8Array(FILE_CHUNK_BYTES);
  for (let at = 0; at < padded; at += FILE_CHUNK_BYTES) {
    const end = Math.min(at + FILE_CHUNK_BYTES, padded);
    let block: Uint8Array;
    if (end <= plain.length) block = plain.subarray(at, end);
    else if (at > plain.length) block = zeros.subarray(0, end - at);
    else {
      block = new Uint8Array(end - at);
      block.set(plain.subarray(at));
      block[plain.length - at] = 0x80;
    }
    const tag = end === padded ? s.crypto_secretstream_xchacha20poly1305_TAG_FINAL : s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    out(s.crypto_secretstream_xchacha20poly1305_push(state, block, null, tag));
  }
}

/** The SDK's encryption of `plain`, read to the end (each ciphertext piece to `out`), plaintext hash included. */
async function sdkEncrypt(plain: Uint8Array, key: Uint8Array, header: Uint8Array, out: (c: Uint8Array) => void): Promise<void> {
  const enc = createFileEncryptor(key, { header });
  const reader = webStreamOf(plain).pipeThrough(enc.transform).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    out(value);
  }
  enc.plaintextSha256();
}

async function encryptionRate(ctx: BenchContext) {
  const key = generateFileKey();
  const { header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
  // Same work or no baseline: both must make the same ciphertext (an odd size, padding across chunks).
  const probe = new Uint8Array(randomBytes(MiB + 12_345));
  const digest = async (run: (out: (c: Uint8Array) => void) => void | Promise<void>) => {
    const h = createHash('sha256');
    await run((c) => h.update(c));
    return h.digest('hex');
  };
  if ((await digest((out) => sdkEncrypt(probe, key, header, out))) !== (await digest((out) => bareEncrypt(probe, key, header, out)))) {
    throw new Error('the SDK and the bare secretstream loop do not make the same ciphertext');
  }

  const plain = new Uint8Array(randomBytes(ENCRYPT_BYTES));
  const expected = encryptedFileSize(ENCRYPT_BYTES);
  const sdkMs: number[] = [];
  const bareMs: number[] = [];
  const time = async (what: 'sdk' | 'bare') => {
    let bytes = 0;
    const count = (c: Uint8Array) => void (bytes += c.length);
    ctx.gc();
    const t0 = nowMs();
    if (what === 'sdk') await sdkEncrypt(plain, key, header, count);
    else bareEncrypt(plain, key, header, count);
    const ms = nowMs() - t0;
    if (bytes !== expected) throw new Error(`${what} encryption made ${bytes} bytes, not ${expected}`);
    (what === 'sdk' ? sdkMs : bareMs).push(ms);
  };
  ctx.log(`client encryption: ${ENCRYPT_ROUNDS} interleaved rounds over ${ENCRYPT_BYTES / MiB} MiB`);
  for (let r = 0; r < ENCRYPT_ROUNDS; r++) {
    for (const what of r % 2 === 0 ? (['bare', 'sdk'] as const) : (['sdk', 'bare'] as const)) await time(what);
  }
  return { sdkMs, bareMs, paddedBytes: paddedLength(ENCRYPT_BYTES), ciphertextBytes: expected };
}

export default defineBenchmark({
  title: 'evidence files: 100 MiB encrypted tus upload vs raw, client encryption vs bare secretstream, server RSS during a 1 GiB upload',
  async run(ctx) {
    await ready();
    await sodium.ready;
    const enc = await encryptionRate(ctx);

    const storeDir = mkdtempSync(path.join(tmpdir(), 'egide-bench-files-'));
    const svc = await benchService({ env: { FILE_STORE_DIR: storeDir } });
    let client: UploadClient | null = null;
    try {
      const uploader = (client = await launchUploadClient());
      const local = await svc.start();
      const t = { app: local.app, clock: svc.clock, config: svc.config } as never;
      const dep = await bootstrap(t);
      const filed = await fileCase(t, dep);
      const caseId = filed.caseId;
      const dek = filed.defender.dek;
      const token = (filed.defender.auth().authorization ?? '').replace(/^Bearer /, '');
      const chunkSize = loadFilePolicy(policiesPath(svc.config)).uploadChunkBytes;
      const sql = local.app.database.sql;

      /** What the server recorded of an upload; then its bytes and row are removed (the store stays small). */
      const settle = async (origin: string, fileId: string, size: number, sha256: string | null) => {
        const [f] = await sql`select state, size, ciphertext_sha256 from case_files where id = ${fileId}`;
        if (!f || f.state !== 'received' || Number(f.size) !== size) throw new Error(`upload ${fileId} not received whole: ${JSON.stringify(f)}`);
        if (sha256 !== null && f.ciphertext_sha256 !== sha256) throw new Error('the server hashed other bytes than were sent');
        const res = await fetch(`${origin}/v1/uploads/${fileId}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' } });
        if (res.status !== 204) throw new Error(`removing upload ${fileId}: ${res.status} ${await res.text()}`);
      };
      const upload = async (origin: string, kind: UploadRequest['kind'], bytes: number, onProgress?: (sent: number) => void) => {
        const fileId = randomUUID();
        const r = await uploader.upload({ kind, origin, token, caseId, fileId, dek: toB64u(dek), bytes, chunkSize }, onProgress);
        const wire = kind === 'encrypted' ? encryptedFileSize(bytes) : bytes;
        if (r.size !== wire) throw new Error(`${kind} upload sent ${r.size} bytes, not ${wire}`);
        await settle(origin, fileId, wire, r.sha256);
        return r.ms;
      };

      // 1. Encrypted upload vs raw upload, same route, same server process, same store.
      const server = await svc.spawn();
      const wire = encryptedFileSize(UPLOAD_BYTES);
      ctx.log('upload: warming up (4 MiB each way)');
      await upload(server.url, 'encrypted', 4 * MiB);
      await upload(server.url, 'raw', encryptedFileSize(4 * MiB));
      const encMs: number[] = [];
      const rawMs: number[] = [];
      for (let r = 0; r < UPLOAD_ROUNDS; r++) {
        for (const what of r % 2 === 0 ? (['raw', 'encrypted'] as const) : (['encrypted', 'raw'] as const)) {
          ctx.log(`upload round ${r + 1}/${UPLOAD_ROUNDS}: ${what}, ${UPLOAD_BYTES / MiB} MiB`);
          if (what === 'raw') rawMs.push(await upload(server.url, 'raw', wire));
          else encMs.push(await upload(server.url, 'encrypted', UPLOAD_BYTES));
        }
      }

      // 3. Server RSS during a 1 GiB upload, in a fresh server process warmed by one small upload.
      const big = await svc.spawn();
      await upload(big.url, 'raw', encryptedFileSize(MiB));
      await sleep(500);
      const bigWire = encryptedFileSize(BIG_PLAIN_BYTES);
      ctx.log(`server RSS: idle for 1 s, then a ${inMiB(bigWire)} MiB upload`);
      const idleSampler = sampleRss(big.pid, 100);
      await sleep(1000);
      const idleSamples = await idleSampler.stop();
      const idle = median(idleSamples.map((s) => s.bytes));
      let sent = 0;
      const during = sampleRss(big.pid, RSS_EVERY_MS, () => sent);
      const bigMs = await upload(big.url, 'generated', bigWire, (s) => (sent = s));
      const samples = await during.stop();
      await sleep(500);
      const after = await rssOf(big.pid);
      const peak = Math.max(...samples.map((s) => s.bytes));
      const at = (share: number): RssSample => samples.find((s) => s.mark >= share * bigWire) ?? samples[samples.length - 1]!;

      const encRate = median(encMs.map((ms) => mibPerSecond(UPLOAD_BYTES, ms)));
      const rawRate = median(rawMs.map((ms) => mibPerSecond(UPLOAD_BYTES, ms)));
      const sdkRate = median(enc.sdkMs.map((ms) => mibPerSecond(ENCRYPT_BYTES, ms)));
      const bareRate = median(enc.bareMs.map((ms) => mibPerSecond(ENCRYPT_BYTES, ms)));
      const rates = (ms: number[], bytes: number) => ms.map((m) => mibPerSecond(bytes, m).toFixed(0)).join(', ');
      return {
        rows: [
          row({
            figure: `encrypted upload, 100 MiB through tus (SDK uploadFile in Node, plaintext SHA-256 by Node, ${chunkSize / MiB} MiB PATCHes, disk store), median`,
            value: encRate,
            unit: 'MiB/s',
            baseline: { value: rawRate, label: `tus-js-client sending ${inMiB(wire)} MiB of random bytes unencrypted, same route, server process and store` },
            target: { on: 'ratio', op: '>=', limit: 0.5 },
          }),
          row({
            figure: `client encryption, createFileEncryptor over ${ENCRYPT_BYTES / MiB} MiB in 64 KiB pieces, median`,
            value: sdkRate,
            unit: 'MiB/s',
            baseline: { value: bareRate, label: 'bare libsodium secretstream push over the same padded bytes, 64 KiB chunks, same key and header' },
          }),
          row({
            figure: `server RSS during a ${inMiB(bigWire)} MiB upload, peak (API in its own process)`,
            value: peak / MiB,
            unit: 'MiB',
            baseline: { value: idle / MiB, label: 'RSS of the same server process idle just before (median of 1 s)' },
            target: { on: 'above', op: '<', limit: 100 },
          }),
        ],
        notes: [
          `upload: ${UPLOAD_ROUNDS} rounds each, interleaved; encrypted ${rates(encMs, UPLOAD_BYTES)} MiB/s, raw ${rates(rawMs, UPLOAD_BYTES)} MiB/s (of the 100 MiB file; ${inMiB(wire)} MiB on the wire either way); every upload checked received whole (raw: server hash = sent bytes' hash)`,
          `encryption: ${ENCRYPT_ROUNDS} rounds each, interleaved; SDK ${rates(enc.sdkMs, ENCRYPT_BYTES)} MiB/s, bare ${rates(enc.bareMs, ENCRYPT_BYTES)} MiB/s (of the ${ENCRYPT_BYTES / MiB} MiB plaintext; ${inMiB(enc.paddedBytes)} MiB padded, encrypted by both); the SDK also hashes the plaintext (SHA-256) and copies each piece into its chunk buffer`,
          `server RSS: idle ${inMiB(idle)} MiB, peak ${inMiB(peak)} MiB (+${inMiB(peak - idle)}), at 25/50/75/100% of the upload ${[0.25, 0.5, 0.75, 1].map((s) => inMiB(at(s).bytes)).join(' / ')} MiB, 0.5 s after ${inMiB(after)} MiB; ${samples.length} samples every ${RSS_EVERY_MS} ms; upload ${mibPerSecond(bigWire, bigMs).toFixed(0)} MiB/s raw tus (input generated as it was read)`,
        ],
        details: {
          uploadMs: { encrypted: encMs, raw: rawMs },
          encryptMs: { sdk: enc.sdkMs, bare: enc.bareMs },
          rss: { idleBytes: idle, peakBytes: peak, afterBytes: after, uploadBytes: bigWire, uploadMs: bigMs, samples: samples.map((s) => ({ ms: Math.round(s.at), rssMiB: inMiB(s.bytes), sentMiB: inMiB(s.mark) })) },
          chunkSize,
        },
      };
    } finally {
      await client?.close();
      await svc.close();
      rmSync(storeDir, { recursive: true, force: true });
    }
  },
});
