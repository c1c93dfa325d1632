/**
 * Backup and restore on an S3 store (FILE_STORE=s3, a local s3rver): the evidence objects are
 * read through the S3 client into the backup, checked against the SHA-256 recorded when they
 * arrived, and put back under another prefix by `egide restore`, which refuses a prefix that
 * holds objects already. The service started on the restored database and prefix serves the
 * files, and a client decrypts them to the bytes it uploaded. The same backup also restores into
 * a disk store: a way to move between the two.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Config } from '../../src/config/config.js';
import { buildTestApp } from '../helpers/app.js';
import { createEmptyDatabase } from '../helpers/db.js';
import { startS3Server } from '../helpers/s3-server.js';
import { buildWorld, caseKeyOf, reauth, requestAs } from '../helpers/world.js';
import { download, evidenceBytes, listen, sha256Hex, uploadAttached } from '../files/file-kit.js';
import { egide } from './backup-kit.js';

const s3 = await startS3Server();
const work = await mkdtemp(join(tmpdir(), 'egide-backup-s3-'));
const s3Env = (prefix: string) => ({ FILE_STORE: 's3', S3_ENDPOINT: s3.endpoint, S3_REGION: s3.region, S3_BUCKET: s3.bucket, S3_PREFIX: prefix, S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey, S3_FORCE_PATH_STYLE: 'true' });
const A = await buildTestApp(t, { env: s3Env('site-a/') });
t.teardown(async () => {
  await s3.close();
  await rm(work, { recursive: true, force: true });
});

const { officers, caseAt } = await buildWorld(A, { officers: ['ana'] as const });
const officer = officers.ana;
const c = await caseAt('assessment');
const originA = await listen(A);
const uploaded: Array<{ fileId: string; bytes: Uint8Array; plain: string }> = [];
for (const size of [90_000, 30_000]) {
  const bytes = evidenceBytes(size, 'S3-DRILL');
  const { fileId, up } = await uploadAttached(A, originA, { token: () => (officer.auth().authorization ?? '').slice(7), dek: c.dek }, officer.auth(), c.caseId, bytes, { name: `piece-${size}.jpg` });
  uploaded.push({ fileId, bytes, plain: up.sha256 });
}
const backupDir = join(work, 'backup');
const kept = { JWT_SIGNING_KEY: A.config.JWT_SIGNING_KEY, AUDIT_SIGNING_KEY: A.config.AUDIT_SIGNING_KEY, SERVER_SECRET: A.config.SERVER_SECRET, METRICS_TOKEN: A.config.METRICS_TOKEN };

await t.test('the backup reads the objects through the S3 client', async (t) => {
  const r = await egide(['backup', backupDir], { ...A.config, DATABASE_OWNER_URL: A.db.ownerUrl } as Config);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /evidence files: 2 \(s3 store\)/);
});

await t.test('restored under another prefix, the service serves the files and they decrypt', async (t) => {
  const target = await createEmptyDatabase(t);
  const config = { ...A.config, ...kept, DATABASE_URL: target.url, DATABASE_OWNER_URL: target.ownerUrl, S3_PREFIX: 'site-b/', POLICIES_DIR: join(work, 'policies-b') } as Config;
  const r = await egide(['restore', backupDir], config);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /evidence files: 2 into the s3 store/);

  // Later than the last one-time code the staff used on the first site (each code is accepted once).
  const B = await buildTestApp(t, { db: target, now: new Date(A.clock.now().getTime() + 3_600_000).toISOString(), env: { ...kept, ...s3Env('site-b/'), POLICIES_DIR: join(work, 'policies-b') } });
  const keys = (await B.app.container.evidenceStore.list()).sort();
  t.same(keys, uploaded.map((u) => `site-b/${u.fileId}`).sort(), 'the objects under the new prefix, and nothing else');
  await reauth(B, officer);
  const originB = await listen(B);
  const dek = await caseKeyOf(B, officer, c.caseId);
  const list = (await requestAs(B)(officer, 'GET', `/v1/cases/${c.caseId}/files`)).json() as { items: Array<{ id: string; sealed: { key: string }; ciphertextSha256: string }> };
  for (const u of uploaded) {
    const file = list.items.find((i) => i.id === u.fileId)!;
    const got = await download(originB, officer.auth(), c.caseId, u.fileId, dek, file.sealed.key, file.ciphertextSha256, u.plain);
    t.equal(got.status, 200);
    t.equal(got.cipherSha256, file.ciphertextSha256, 'the object has its recorded SHA-256');
    t.equal(sha256Hex(got.plain), sha256Hex(u.bytes), 'and decrypts to the uploaded bytes');
  }

  const other = await createEmptyDatabase(t);
  const refused = await egide(['restore', backupDir], { ...config, DATABASE_URL: other.url, DATABASE_OWNER_URL: other.ownerUrl } as Config);
  t.equal(refused.code, 1, 'a prefix that holds objects is refused');
  t.match(refused.err, /the evidence store \(FILE_STORE=s3\) holds 2 objects already/);
});

await t.test('the same backup restores into a disk store', async (t) => {
  const target = await createEmptyDatabase(t);
  const dir = join(work, 'disk-store');
  const config = { ...A.config, ...kept, FILE_STORE: 'disk', FILE_STORE_DIR: dir, DATABASE_URL: target.url, DATABASE_OWNER_URL: target.ownerUrl, POLICIES_DIR: join(work, 'policies-c') } as Config;
  const r = await egide(['restore', backupDir], config);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /evidence files: 2 into the disk store/);
  for (const u of uploaded) {
    const row = (await A.database.sql<Array<{ sha: string }>>`select ciphertext_sha256 as sha from case_files where id = ${u.fileId}`)[0]!;
    t.equal(createHash('sha256').update(await readFile(join(dir, 'files', u.fileId))).digest('hex'), row.sha, 'the file has its recorded SHA-256');
  }
});
