/**
 * Evidence files through the API, the same for every store (files-disk.test.ts, files-s3.test.ts):
 * a defender uploads a photo to their case with the SDK (tus, encrypted in format 2), attaches it
 * with its sealed name and caption, and the officer who holds the case downloads and opens it;
 * the server kept the ciphertext, its size and its hash only. A byte flipped in the store is
 * caught on the way out (the download is cut short, the client's check fails, the read is
 * audited as denied), and neither the name, the caption nor the content is anywhere in clear.
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
import { buildWorld, caseKeyOf } from '../helpers/world.js';
import { attach, download, evidenceBytes, filesUnder, listen, sha256Hex, streamOf, upload } from './file-kit.js';

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

/** The app on `store`: for s3, a local S3 server of the test's own (removed at teardown). */
async function appOn(t: Test, store: StoreKind): Promise<{ T: TestApp; s3: LocalS3 | null }> {
  // Files up to 100 kB are checked whole before a download; larger ones as they stream (both paths tested).
  const POLICIES_DIR = policiesWith(t, { 'files.yaml': (doc) => void (doc.verifyBeforeDownloadBytes = 100_000) });
  if (store === 'disk') return { T: await buildTestApp(t, { env: { POLICIES_DIR } }), s3: null };
  const s3 = await startS3Server();
  // Registered first: tap runs teardowns in order, the app (which holds the S3 client) goes before the server.
  const T = await buildTestApp(t, {
    env: { POLICIES_DIR, FILE_STORE: 's3', S3_ENDPOINT: s3.endpoint, S3_REGION: s3.region, S3_BUCKET: s3.bucket, S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey, S3_FORCE_PATH_STYLE: 'true' },
  });
  t.teardown(() => s3.close());
  return { T, s3 };
}

export async function fileSuite(t: Test, store: StoreKind): Promise<void> {
  const { T, s3 } = await appOn(t, store);
  const { officers, caseAt } = await buildWorld(T, { officers: ['ana', 'bo'] });
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

  async function uploadAttached(c: Awaited<ReturnType<typeof caseAt>>, size: number, d: { name: string; caption?: string }) {
    const bytes = evidenceBytes(size, MARK.content);
    const fileId = randomUUID();
    const defender = { token: () => (c.defender.auth().authorization ?? '').slice(7), dek: c.defender.dek };
    const up = await upload(origin, defender, c.caseId, fileId, bytes);
    const attached = await attach(T, c.defender.auth(), c.caseId, fileId, c.defender.dek, { name: d.name, type: 'image/jpeg', ...(d.caption ? { caption: d.caption } : {}), sha256: up.sha256 });
    if (attached.statusCode !== 200) throw new Error(`attach: ${attached.statusCode} ${attached.body}`);
    return { bytes, fileId, up };
  }

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
}
