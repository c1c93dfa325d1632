/**
 * A 200 MiB file goes up and comes back down with memory flat: the SDK encrypts and sends it one
 * tus chunk at a time, the API streams each PATCH to the store and hashes it on the way, and the
 * download is streamed through the hash check and the decryption. The client and the server run
 * in this one process, so its resident memory bounds both.
 */
import t from 'tap';
import { createCipheriv, createHash, randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, caseKeyOf } from '../helpers/world.js';
import { openFileKey } from '../../src/sdk/client/file-upload.js';
import { openDownload } from '../../src/sdk/client/file-download.js';
import { attach, listen, upload } from './file-kit.js';

const MiB = 1024 * 1024;
const SIZE = 200 * MiB;
const T = await buildTestApp(t);
const { officers, caseAt } = await buildWorld(T, { officers: ['ana'] });
const origin = await listen(T);

/** SIZE bytes made on the fly (an AES-CTR keystream: fast, never all in memory), the same on every pass. */
function generated(): ReadableStream<Uint8Array> {
  const keystream = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(256 * 1024);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= SIZE) return controller.close();
      const n = Math.min(zeros.length, SIZE - at);
      controller.enqueue(new Uint8Array(keystream.update(zeros.subarray(0, n))));
      at += n;
    },
  });
}

async function sha256Of(stream: ReadableStream<Uint8Array>): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of stream) h.update(chunk);
  return h.digest('hex');
}

/** Runs `work` while sampling the resident set; answers how far it rose above where it started. */
async function peakGrowth(work: () => Promise<void>): Promise<number> {
  globalThis.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage().rss) - base;
}

t.test('200 MiB up and down with memory flat', async (t) => {
  const c = await caseAt('triage', { officer: officers.ana });
  const fileId = randomUUID();
  const expected = await sha256Of(generated());
  let sha = '';
  const up = await peakGrowth(async () => {
    const result = await upload(origin, { token: () => (c.defender.auth().authorization ?? '').slice(7), dek: c.defender.dek }, c.caseId, fileId, new Uint8Array(0), { plaintext: generated, plainSize: SIZE, chunkSize: 8 * MiB });
    sha = result.sha256;
  });
  t.equal(sha, expected, 'the SDK hashed the 200 MiB it sent');
  t.ok(up < 100 * MiB, `uploading 200 MiB raised memory by ${(up / MiB).toFixed(1)} MiB (client and server together)`);
  t.equal((await attach(T, c.defender.auth(), c.caseId, fileId, c.defender.dek, { name: 'video.mp4', type: 'video/mp4', sha256: sha })).statusCode, 200);

  const file = (await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files`, headers: officers.ana.auth() })).json().items[0];
  const record = openFileKey(file.sealed.key, await caseKeyOf(T, officers.ana, c.caseId), fileId);
  let got = '';
  const down = await peakGrowth(async () => {
    const res = await fetch(`${origin}/v1/cases/${c.caseId}/files/${fileId}/content`, { headers: officers.ana.auth() });
    got = await sha256Of(openDownload(res.body!, record, { ciphertextSha256: file.ciphertextSha256, plaintextSha256: sha }).plaintext);
  });
  t.equal(got, expected, 'the officer opened the same 200 MiB');
  t.ok(down < 100 * MiB, `downloading raised memory by ${(down / MiB).toFixed(1)} MiB`);
});
