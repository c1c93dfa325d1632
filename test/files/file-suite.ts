/**
 * Evidence files through the API, the same for every store (files-disk.test.ts, files-s3.test.ts):
 * a defender uploads a photo to their case with the SDK (tus, encrypted in format 2), attaches it
 * with its sealed name and caption, and the officer who holds the case downloads and opens it;
 * the server kept the ciphertext, its size and its hash only. A byte flipped in the store is
 * caught on the way out (the download is cut short, the client's check fails, the read is
 * audited as denied), and neither the name, the caption nor the content is anywhere in clear.
 * With the workers running, an upload left unfinished past the policy is swept and a retention
 * purge erases a closed case's files: in both cases nothing of them is left in the store, neither
 * in what it lists nor in the files it keeps on this machine (the disk store's directory, the
 * local S3 server's: objects, `.info` / `.part` side objects and multipart parts alike).
 */
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Test } from 'tap';
import { fileStorePath } from '../../src/lib/paths.js';
import { openDownload } from '../../src/sdk/client/file-download.js';
import { openFileDescription, openFileKey } from '../../src/sdk/client/file-upload.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { policiesWith } from '../helpers/policies.js';
import { findLeaks } from '../helpers/leaks.js';
import { waitFor } from '../helpers/wait-for.js';
import { startS3Server, type LocalS3 } from '../helpers/s3-server.js';
import { act, buildWorld, caseKeyOf, caseRow, reauth, type Actor, type StagedCase } from '../helpers/world.js';
import { attach, download, evidenceBytes, fileAudits, filesUnder, listen, partialUpload, s3rverFilesOf, sha256Hex, startFileWorkers, streamOf, upload, uploadAttached as uploadAndAttach, type FileWorkers, type Uploader } from './file-kit.js';

export type StoreKind = 'disk' | 's3';

/** Reads a stream to its end: the error it ended with, or null when it ended. */
async function drain(stream: ReadableStream<Uint8Array>): Promise<Error | null> {
  const reader = stream.getReader();
  try {
    while (!(await reader.read()).done);
    return null;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** Uploads left unfinished this long are swept (short: the test clock gets there at once). */
const STALE_AFTER_SECONDS = 120;
/**
 * An unfinished upload that leaves every kind of bytes in an S3 store: 9 MiB sent of a 12 MiB file
 * (more than @tus/s3-store's 8 MiB part) are a stored multipart part and a 1 MiB `.part` object,
 * besides the `.info` object; on disk, a partial file and its `.json`.
 */
const UNFINISHED = { plainSize: 12 * 1024 * 1024, sent: 9 * 1024 * 1024 };

/** The app on `store` with the workers running: for s3, a local S3 server of the test's own (removed at teardown). */
async function appOn(t: Test, store: StoreKind): Promise<{ T: TestApp; s3: LocalS3 | null; workers: FileWorkers }> {
  const POLICIES_DIR = policiesWith(t, {
    'files.yaml': (doc) => {
      // Files up to 100 kB are checked whole before a download; larger ones as they stream (both paths tested).
      doc.verifyBeforeDownloadBytes = 100_000;
      doc.staleUploadAfterSeconds = STALE_AFTER_SECONDS;
    },
  });
  // Registered first: tap runs teardowns in order, the workers stop before the app and the S3 server they use.
  let workers: FileWorkers | undefined;
  t.teardown(() => workers?.close());
  const env = { POLICIES_DIR, FILE_SWEEP_INTERVAL_SECONDS: '1' };
  let s3: LocalS3 | null = null;
  let T: TestApp;
  if (store === 'disk') T = await buildTestApp(t, { env });
  else {
    s3 = await startS3Server();
    const server = s3;
    // Registered before the server's: the app (which holds the S3 client) goes first.
    T = await buildTestApp(t, {
      env: { ...env, FILE_STORE: 's3', S3_ENDPOINT: server.endpoint, S3_REGION: server.region, S3_BUCKET: server.bucket, S3_ACCESS_KEY_ID: server.accessKeyId, S3_SECRET_ACCESS_KEY: server.secretAccessKey, S3_FORCE_PATH_STYLE: 'true' },
    });
    t.teardown(() => server.close());
  }
  workers = await startFileWorkers(T);
  return { T, s3, workers };
}

export async function fileSuite(t: Test, store: StoreKind): Promise<void> {
  const { T, s3, workers } = await appOn(t, store);
  const { dep, officers, caseAt } = await buildWorld(T, { officers: ['ana', 'bo'] });
  const origin = await listen(T);
  const sql = T.database.sql;
  const MARK = {
    content: `CONTENU-${randomUUID()}`,
    name: `NOM-${randomUUID()}`,
    caption: `LEGENDE-${randomUUID()}`,
  };
  /** Where the store keeps its files on this machine: the disk store's directory, or the local S3's. */
  const storeDir = s3 ? s3.dir : fileStorePath(T.config);

  /** The file of the store that holds `fileId`'s complete ciphertext (disk: files/<id>; s3rver: the object's data file). */
  async function storedCiphertext(fileId: string): Promise<string> {
    const all = await filesUnder(storeDir);
    const matches = s3 ? all.filter((f) => path.basename(f) === `${fileId}._S3rver_object`) : all.filter((f) => f === path.join('files', fileId));
    if (matches.length !== 1) throw new Error(`expected one stored file for the id, found ${matches.length} among ${all.length}`);
    return path.join(storeDir, matches[0]!);
  }

  const evidenceStore = T.app.container.evidenceStore;
  const asDefender = (c: StagedCase): Uploader => ({ token: () => (c.defender.auth().authorization ?? '').slice(7), dek: c.defender.dek });
  const asStaff = (a: Actor, dek: Uint8Array): Uploader => ({ token: () => (a.auth().authorization ?? '').slice(7), dek });

  /** Uploads and attaches a file as the case's defender. */
  async function uploadAttached(c: StagedCase, size: number, d: { name: string; caption?: string }) {
    const bytes = evidenceBytes(size, MARK.content);
    return { bytes, ...(await uploadAndAttach(T, origin, asDefender(c), c.defender.auth(), c.caseId, bytes, d)) };
  }

  /**
   * What the store still holds of `id`: the keys it lists (the bucket's objects, the disk store's
   * paths) and the files on this machine that belong to it (the disk store's files by name; for
   * s3rver, its objects' files and the parts of a multipart upload still open for the id).
   */
  async function holdings(id: string): Promise<{ keys: string[]; files: string[] }> {
    const keys = (await evidenceStore.list()).filter((k) => k.includes(id));
    const files = s3 ? await s3rverFilesOf(storeDir, id) : (await filesUnder(storeDir)).filter((f) => f.includes(id));
    return { keys, files };
  }
  /** Waits until the store holds nothing of any of `ids` (the workers erase after the outbox row commits). */
  async function erased(ids: readonly string[]): Promise<void> {
    await waitFor(async () => {
      let left = 0;
      for (const id of ids) {
        const h = await holdings(id);
        left += h.keys.length + h.files.length;
      }
      return left === 0;
    }, { what: 'their bytes erased' });
  }
  /** Checks that an unfinished upload left every kind of bytes the store keeps for one (so that their removal means something). */
  async function checkUnfinishedHoldings(t: Test, id: string): Promise<void> {
    const { keys, files } = await holdings(id);
    if (s3) {
      t.same(keys.map((k) => k.slice(k.indexOf(id) + id.length)).sort(), ['.info', '.part'], 'in the bucket: its .info and .part side objects');
      t.ok(files.some((f) => /_S3rver_uploads[\\/][^\\/]+[\\/]\d+$/.test(f)), `in the S3 server's directory: a stored multipart part (${files.length} files)`);
    } else {
      t.same(files, [path.join('partial', id), path.join('partial', `${id}.json`)], 'on disk: the partial file and its upload record');
    }
  }
  const fileRow = async (id: string) => (await sql`select * from case_files where id = ${id}`)[0];

  await t.test('a defender uploads, attaches, and the assigned officer downloads the same bytes', async (t) => {
    const c = await caseAt('triage', { officer: officers.ana });
    const bytes = evidenceBytes(3 * 1024 * 1024 + 123, MARK.content);
    const fileId = randomUUID();
    const defender = { token: () => (c.defender.auth().authorization ?? '').slice(7), dek: c.defender.dek };
    const up = await upload(origin, defender, c.caseId, fileId, bytes);
    t.equal(up.sha256, sha256Hex(bytes), 'the SDK hashed the plaintext');
    const attached = await attach(T, c.defender.auth(), c.caseId, fileId, c.defender.dek, { name: `${MARK.name}.jpg`, type: 'image/jpeg', caption: `Légende ${MARK.caption}`, sha256: up.sha256 });
    t.equal(attached.statusCode, 200, attached.body);
    t.equal(attached.json().state, 'available');
    const dek = await caseKeyOf(T, officers.ana, c.caseId);
    const list = await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files`, headers: officers.ana.auth() });
    t.equal(list.statusCode, 200, list.body);
    const file = list.json().items[0]!;
    t.equal(file.id, fileId);
    t.equal(file.size, up.size);
    t.same(openFileDescription(file.sealed, dek, fileId), { name: `${MARK.name}.jpg`, type: 'image/jpeg', caption: `Légende ${MARK.caption}`, sha256: up.sha256 }, 'the officer reads its sealed description');
    const got = await download(origin, officers.ana.auth(), c.caseId, fileId, dek, file.sealed.key, file.ciphertextSha256, up.sha256);
    t.equal(got.status, 200);
    t.equal(sha256Hex(got.plain), sha256Hex(bytes), 'the officer opens the same bytes');
    t.equal(got.cipherSha256, file.ciphertextSha256, 'the ciphertext is what the server hashed on arrival');
    t.equal(got.reprDigest, `sha-256=:${Buffer.from(file.ciphertextSha256, 'hex').toString('base64')}:`);
    t.equal(sha256Hex(await readFile(await storedCiphertext(fileId))), file.ciphertextSha256, `the ${store} store holds that ciphertext`);
    t.equal((await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files`, headers: officers.bo.auth() })).statusCode, 404, 'an officer not on the case: not found');
    const timeline = await sql`select action from case_timeline where case_id = ${c.caseId} and action = 'file.added'`;
    t.equal(timeline.length, 1, 'the timeline says a file was added');
  });

  await t.test('a byte flipped in the store: the download is cut short, the client check fails, the read is audited as denied', async (t) => {
    const c = await caseAt('triage', { officer: officers.ana });
    const { fileId } = await uploadAttached(c, 200_000, { name: `${MARK.name}-2.jpg` });
    const [row] = await sql`select ciphertext_sha256, size, sealed from case_files where id = ${fileId}`;
    const stored = await storedCiphertext(fileId);
    const bytes = await readFile(stored);
    bytes[100_000] = bytes[100_000]! ^ 0x01;
    await writeFile(stored, bytes);

    const dek = await caseKeyOf(T, officers.ana, c.caseId);
    const res = await fetch(`${origin}/v1/cases/${c.caseId}/files/${fileId}/content`, { headers: officers.ana.auth() });
    t.equal(res.status, 200, 'the answer starts before the whole file is hashed');
    const parts: Uint8Array[] = [];
    const reader = res.body!.getReader();
    const cut = await (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return false;
          parts.push(value);
        }
      } catch {
        return true;
      }
    })();
    const received = Buffer.concat(parts);
    t.ok(cut, 'the response ends in an error, not as a complete body');
    t.ok(received.length < Number(row!.size), `fewer bytes than the file's ${row!.size} arrive (${received.length})`);
    // What a client does with what it got: the check against the hash taken on arrival fails.
    const record = openFileKey((row!.sealed as Record<string, string>).key!, dek, fileId);
    const cutError = await drain(openDownload(streamOf(received), record, { ciphertextSha256: row!.ciphertext_sha256 as string }).plaintext);
    // The flipped byte breaks its chunk's authentication before the hash is compared at the end.
    const refusal = { name: /^(CryptoError|FileCheckError)$/, code: /^(decrypt_failed|truncated|ciphertext_changed)$/ };
    t.ok(cutError, `the SDK refuses what arrived (${cutError?.name}: ${(cutError as { code?: string } | null)?.code})`);
    t.match(cutError, refusal);
    // The whole altered file, had it arrived, is refused too.
    const wholeError = await drain(openDownload(streamOf(bytes), record, { ciphertextSha256: row!.ciphertext_sha256 as string }).plaintext);
    t.ok(wholeError, `the SDK refuses the whole altered file (${wholeError?.name}: ${(wholeError as { code?: string } | null)?.code})`);
    t.match(wholeError, refusal);

    // Recorded when the stream ends (after the answer began), so it may land a moment later.
    const [denied] = await waitFor(async () => {
      const rows = await sql`select actor, outcome, reason from audit_events where action = 'file.read' and resource = ${`file:${fileId}`} and outcome = 'denied'`;
      return rows.length > 0 ? rows : null;
    }, { what: 'the denied read in the audit log' });
    t.match(denied, { actor: `u:${officers.ana.id}`, outcome: 'denied' }, 'the read is audited as denied');
    t.match(denied?.reason, new RegExp(`^stored ciphertext altered: sha256 ${sha256Hex(bytes)}, ${bytes.length} bytes; expected ${row!.ciphertext_sha256}`));
    t.ok(T.logs.some((l) => l.includes('no longer matches the hash')), 'and logged');
  });

  await t.test('a small file altered in the store is refused whole, before any byte is sent', async (t) => {
    const c = await caseAt('triage', { officer: officers.ana });
    const { fileId } = await uploadAttached(c, 40_000, { name: `${MARK.name}-4.jpg` });
    const stored = await storedCiphertext(fileId);
    const bytes = await readFile(stored);
    bytes[20_000] = bytes[20_000]! ^ 0x80;
    await writeFile(stored, bytes);
    const res = await fetch(`${origin}/v1/cases/${c.caseId}/files/${fileId}/content`, { headers: officers.ana.auth() });
    t.equal(res.status, 500, 'no 200: the file was hashed before the answer began');
    t.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    t.equal(((await res.json()) as { code: string }).code, 'file_corrupted', 'a stable code the client shows as an altered file');
    const denied = await sql`select outcome, reason from audit_events where action = 'file.read' and resource = ${`file:${fileId}`} and outcome = 'denied'`;
    t.equal(denied.length, 1, 'the refusal is audited once');
    t.match(denied[0]?.reason, /^stored ciphertext altered/);
  });

  await t.test('no name, caption or content in clear: not in the database, logs, Redis, the store keys or the stored files', async (t) => {
    const c = await caseAt('triage', { officer: officers.ana });
    const { fileId } = await uploadAttached(c, 100_000, { name: `${MARK.name}-3.jpg`, caption: `Légende ${MARK.caption}` });
    const leaks = await findLeaks(T, MARK);
    t.same(leaks, [], 'nothing in the database, the logs or Redis');
    const keys = await T.app.container.evidenceStore.list();
    t.ok(keys.some((k) => k.includes(fileId)), `the store lists the file by its id (${keys.length} keys)`);
    t.same(Object.entries(MARK).filter(([, v]) => keys.some((k) => k.includes(v))).map(([k]) => k), [], 'no marker in a store key');
    const names = await filesUnder(storeDir);
    t.ok(names.length >= keys.length, `the store's directory holds ${names.length} files`);
    t.same(Object.entries(MARK).filter(([, v]) => names.some((n) => n.includes(v))).map(([k]) => k), [], 'no marker in a file name under the store');
    const inFiles: string[] = [];
    for (const n of names) {
      const text = (await readFile(path.join(storeDir, n))).toString('latin1');
      for (const [k, v] of Object.entries(MARK)) if (text.includes(v)) inFiles.push(`${k} in ${n}`);
    }
    t.same(inFiles, [], 'no marker in the bytes the store holds (ciphertext, side files)');
  });

  await t.test('uploads left unfinished past the policy are swept: rows and bytes gone, audited; an attached file stays', async (t) => {
    const c = await caseAt('triage', { officer: officers.ana });
    const partial = randomUUID();
    await partialUpload(origin, asDefender(c), c.caseId, partial, UNFINISHED.plainSize, UNFINISHED.sent);
    const received = randomUUID();
    await upload(origin, asDefender(c), c.caseId, received, evidenceBytes(120_000, MARK.content));
    const attached = await uploadAttached(c, 150_000, { name: `${MARK.name}-5.jpg` });
    t.equal((await fileRow(partial))!.state, 'uploading');
    t.equal((await fileRow(received))!.state, 'received');
    await checkUnfinishedHoldings(t, partial);
    t.ok((await holdings(received)).keys.length > 0, 'the received upload has bytes in the store');

    // Not yet stale: a sweep (every second) leaves them.
    T.clock.advance((STALE_AFTER_SECONDS - 60) * 1000);
    await workers.sweepsAfterNow();
    t.ok(await fileRow(partial), 'younger than the policy: kept');
    t.ok(await fileRow(received), 'both');

    T.clock.advance(120_000);
    await waitFor(async () => !(await fileRow(partial)) && !(await fileRow(received)), { what: 'the stale rows swept' });
    await erased([partial, received]);
    t.pass(`rows and bytes of both are gone: nothing listed by the ${store} store, nothing of them in ${s3 ? "the S3 server's" : 'its'} directory`);
    t.ok(await fileRow(attached.fileId), 'the attached file stays');
    t.ok((await holdings(attached.fileId)).keys.length > 0, 'with its bytes');

    for (const [id, state] of [[partial, 'uploading'], [received, 'received']] as const) {
      const expired = await fileAudits(T, id, 'file.expire');
      t.equal(expired.length, 1, `${state}: one sweep event`);
      t.match(expired[0], { actor: 'system', outcome: 'allowed', case_id: c.caseId });
      t.match(expired[0]?.reason, new RegExp(`^upload left ${state} since .*, past ${STALE_AFTER_SECONDS} s: removed$`));
      const erasure = await waitFor(async () => {
        const rows = await fileAudits(T, id, 'file.erase');
        return rows.length > 0 ? rows : null;
      }, { what: 'the erase audited' });
      t.equal(erasure.length, 1, `${state}: its bytes' erasure audited once`);
      t.match(erasure[0], { actor: 'system', outcome: 'allowed', case_id: c.caseId, reason: /^stale: / });
    }
    const outbox = await sql`select payload, dispatched_at from outbox where topic = 'file.erase' and payload->>'caseId' = ${c.caseId}`;
    t.equal(outbox.length, 1, "one outbox 'file.erase' for the case");
    t.same(outbox[0]!.payload, { caseId: c.caseId, fileIds: [partial, received], why: 'stale' });
    t.not(outbox[0]!.dispatched_at, null, 'handled');
    await c.defender.relogin();
    const list = await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files`, headers: c.defender.auth() });
    t.same(list.json().items.map((i: { id: string }) => i.id), [attached.fileId], 'the uploader no longer sees the swept uploads');
  });

  // Last: the clock moves ten years on.
  await t.test('a retention purge of a closed case takes its files and unfinished upload: rows gone, nothing left in the store, audited', async (t) => {
    for (const a of [officers.ana, dep.supervisor]) await reauth(T, a);
    const c = await caseAt('assessment', { officer: officers.ana });
    const fromDefender = await uploadAttached(c, 150_000, { name: `${MARK.name}-6.jpg`, caption: `Légende ${MARK.caption}` });
    const dek = await caseKeyOf(T, officers.ana, c.caseId);
    const fromOfficer = await uploadAndAttach(T, origin, asStaff(officers.ana, dek), officers.ana.auth(), c.caseId, evidenceBytes(150_000, MARK.content), { name: `${MARK.name}-7.pdf`, type: 'application/pdf' });
    const unfinished = randomUUID();
    await partialUpload(origin, asDefender(c), c.caseId, unfinished, UNFINISHED.plainSize, UNFINISHED.sent);
    const ids = [fromDefender.fileId, fromOfficer.fileId, unfinished].sort();
    for (const id of [fromDefender.fileId, fromOfficer.fileId]) t.ok((await holdings(id)).files.length > 0, `an attached file is stored (${store})`);
    await checkUnfinishedHoldings(t, unfinished);
    const closed = await act(T, officers.ana, c.caseId, 'close', { reason: 'risque disparu', closeReason: 'risk_ceased' });
    t.equal(closed.statusCode, 200, closed.body);

    // Ten years on, the unfinished upload is long stale too: the sweep is held so that the purge is what removes it.
    const resumeSweeps = await workers.holdSweeps();
    t.teardown(resumeSweeps);
    // Ten years and a day after closing, the retention is due.
    const closedAt = new Date((await caseRow(T, c.caseId)).closed_at);
    T.clock.set(new Date(Date.UTC(closedAt.getUTCFullYear() + 10, closedAt.getUTCMonth(), closedAt.getUTCDate() + 1, closedAt.getUTCHours())).toISOString());
    await reauth(T, dep.supervisor);
    const purged = await T.app.inject({ method: 'POST', url: `/v1/cases/${c.caseId}/purge`, headers: dep.supervisor.auth(), payload: { reason: 'fin de la conservation' } });
    t.equal(purged.statusCode, 200, purged.body);
    t.equal((await sql`select count(*)::int as n from case_files where case_id = ${c.caseId}`)[0]!.n, 0, 'the rows went with the purge');
    const [tl] = await sql`select reason from case_timeline where case_id = ${c.caseId} and action = 'case.purged'`;
    t.match(tl?.reason, /\(erased: .*file 3.*\)$/, 'the timeline counts the files, the unfinished upload included');

    await erased(ids);
    t.same(
      (await evidenceStore.list()).filter((k) => ids.some((id) => k.includes(id))),
      [],
      `the ${store} store lists nothing of the three`,
    );
    t.pass(`and nothing of them is left in ${s3 ? "the S3 server's directory (objects, side objects, multipart parts)" : "the store's directory"}`);
    for (const id of ids) {
      const erasure = await waitFor(async () => {
        const rows = await fileAudits(T, id, 'file.erase');
        return rows.length > 0 ? rows : null;
      }, { what: 'the erase audited' });
      t.equal(erasure.length, 1, 'the erasure audited once');
      t.match(erasure[0], { actor: 'system', outcome: 'allowed', case_id: c.caseId, reason: /^purge: / });
      t.same(await fileAudits(T, id, 'file.expire'), [], 'by the purge, not the sweep');
    }
    const [outbox] = await sql`select payload, dispatched_at from outbox where topic = 'file.erase' and payload->>'caseId' = ${c.caseId}`;
    t.same(outbox?.payload, { caseId: c.caseId, fileIds: ids, why: 'purge' });
    t.not(outbox?.dispatched_at, null, 'handled');
    await reauth(T, officers.ana);
    const r = await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files/${fromDefender.fileId}/content`, headers: officers.ana.auth() });
    t.equal(r.statusCode, 404, 'nothing to download');
  });
}
