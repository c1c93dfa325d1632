import t from 'tap';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Upload } from '@tus/server';
import type { EvidenceStore, EvidenceStoreConfig } from '../../src/files/stores/evidence-store.js';
import { createEvidenceStore } from '../../src/files/stores/create-evidence-store.js';
import { startS3Server } from '../helpers/s3-server.js';

const MiB = 1024 * 1024;
const SIZE = 12 * MiB + 7;

function bytes(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) b.writeUInt32LE((i * 2654435761) >>> 0, i <= size - 4 ? i : size - 4);
  return b;
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Streams `data` in 64 KiB chunks, then fails after `cutAfter` bytes as a dropped connection does. */
function feed(data: Buffer, cutAfter = Infinity): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= cutAfter) {
        this.destroy(new Error('connection reset'));
        return;
      }
      if (sent >= data.length) {
        this.push(null);
        return;
      }
      const n = Math.min(64 * 1024, data.length - sent, cutAfter - sent);
      this.push(data.subarray(sent, sent + n));
      sent += n;
    },
  });
}

/** 200 MiB generated on the fly, never held whole. */
function generated(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(MiB, total - sent);
      this.push(Buffer.alloc(n, sent / MiB));
      sent += n;
    },
  });
}

const kinds = ['disk', 's3'] as const;

for (const kind of kinds) {
  t.test(`${kind} evidence store`, async (t) => {
    let config: EvidenceStoreConfig;
    let diskDir: string | undefined;
    if (kind === 'disk') {
      diskDir = path.join(await mkdtemp(path.join(tmpdir(), 'egide-evidence-')), 'store');
      const parent = path.dirname(diskDir);
      t.teardown(() => rm(parent, { recursive: true, force: true }));
      config = { kind: 'disk', directory: diskDir };
    } else {
      const s3 = await startS3Server();
      t.teardown(() => s3.close());
      config = { kind: 's3', ...s3, prefix: 'evidence/', partSize: 5 * MiB };
    }
    const store: EvidenceStore = createEvidenceStore(config);
    await store.start();
    t.teardown(() => store.close());
    const ds = store.datastore;

    await t.test('an upload cut midway resumes and reads back whole', async (t) => {
      const id = randomUUID();
      const data = bytes(SIZE);
      await ds.create(new Upload({ id, size: SIZE, offset: 0, metadata: {} }));
      if (diskDir) {
        t.equal((await stat(path.join(diskDir, 'partial', id))).mode & 0o777, 0o600, 'partial file is private');
        t.equal((await stat(path.join(diskDir, 'partial', `${id}.json`))).mode & 0o777, 0o600, 'side file is private');
        t.equal((await stat(diskDir)).mode & 0o777, 0o700, 'directory is private');
      }

      let offset = await ds.write(feed(data.subarray(0, 3 * MiB)), id, 0);
      t.equal(offset, 3 * MiB);
      t.equal((await ds.getUpload(id)).offset, 3 * MiB, 'HEAD tells the offset reached');

      await t.rejects(ds.write(feed(data.subarray(offset, offset + 7 * MiB), 6 * MiB), id, offset), 'a cut connection fails the write');
      const resumed = await ds.getUpload(id);
      t.ok(resumed.offset >= 3 * MiB && resumed.offset <= 9 * MiB, `resume offset ${resumed.offset} lies within what was sent`);
      t.equal(resumed.size, SIZE);
      t.same(resumed.metadata ?? {}, {}, 'no metadata kept');
      offset = resumed.offset;

      offset = await ds.write(feed(data.subarray(offset, offset + 4 * MiB)), id, offset);
      offset = await ds.write(feed(data.subarray(offset)), id, offset);
      t.equal(offset, SIZE);
      t.equal(await store.size(id), kind === 's3' ? SIZE : null, 'only S3 completes by itself at the last write');

      await store.complete(id);
      await store.complete(id); // a retried completion is harmless
      const head = await ds.getUpload(id);
      t.equal(head.offset, SIZE, 'HEAD after completion answers offset = length');
      t.equal(head.size, SIZE);

      t.equal(sha256(await readAll(await store.open(id))), sha256(data), 'the stored bytes are the uploaded bytes');
      const range = { start: 5 * MiB - 3, end: 5 * MiB + 10 };
      t.same(await readAll(await store.open(id, range)), data.subarray(range.start, range.end + 1), 'a range read');
      t.equal(await store.size(id), SIZE);
      t.equal(await store.size(randomUUID()), null);
      await t.rejects(store.open(randomUUID()), { name: 'EvidenceFileMissingError' });

      t.ok((await store.list()).length > 0);
      await store.remove(id);
      t.same(await store.list(), [], 'nothing left after removal');
      t.equal(await store.size(id), null);
      await t.rejects(ds.getUpload(id));
      await store.remove(id);
      await store.remove(randomUUID());
      if (diskDir) {
        t.same((await readdir(diskDir)).sort(), ['files', 'partial']);
        t.same(await readdir(path.join(diskDir, 'files')), []);
        t.same(await readdir(path.join(diskDir, 'partial')), []);
      }
    });

    await t.test('removing an upload in progress leaves nothing', async (t) => {
      const id = randomUUID();
      await ds.create(new Upload({ id, size: SIZE, offset: 0, metadata: {} }));
      await ds.write(feed(bytes(6 * MiB)), id, 0); // S3: one full part plus a `.part` tail
      t.ok((await store.list()).length > 0);
      await store.remove(id);
      t.same(await store.list(), []);
      await t.rejects(ds.getUpload(id));
      await t.rejects(ds.getUpload('../etc/passwd'), 'an id that is not a UUID is unknown');
    });

    await t.test('a 200 MiB upload streams through in bounded memory', async (t) => {
      const id = randomUUID();
      const total = 200 * MiB;
      await ds.create(new Upload({ id, size: total, offset: 0, metadata: {} }));
      global.gc?.();
      const base = process.memoryUsage().rss;
      let peak = base;
      const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 20);
      const started = Date.now();
      try {
        t.equal(await ds.write(generated(total), id, 0), total);
        await store.complete(id);
      } finally {
        clearInterval(timer);
      }
      peak = Math.max(peak, process.memoryUsage().rss);
      t.comment(`${kind}: 200 MiB in ${Date.now() - started} ms, RSS growth ${((peak - base) / MiB).toFixed(1)} MiB`);
      t.ok(peak - base < 64 * MiB, `RSS growth ${((peak - base) / MiB).toFixed(1)} MiB stays under 64 MiB`);
      t.equal(await store.size(id), total);
      await store.remove(id);
      t.same(await store.list(), []);
    });
  });
}
