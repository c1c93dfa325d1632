/**
 * Uploads as a phone on a poor network makes them, and the limits around them: a connection cut
 * at 80% resumes where it stopped (after a "reload": only the upload URL was kept, the key comes
 * back sealed from the server), and every refusal (too large, too many, too much in a day, not
 * padded, a name in the clear, someone else's upload, another case) leaves nothing behind.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { buildTestApp } from '../helpers/app.js';
import { policiesWith } from '../helpers/policies.js';
import { buildWorld, caseKeyOf, reauth } from '../helpers/world.js';
import { encryptedFileSize, sealField, fileFieldAd } from '../../src/sdk/index.js';
import { newFileKey, openFileKey, sealFileKey } from '../../src/sdk/client/file-upload.js';
import { attach, download, evidenceBytes, listen, sha256Hex, startCountingProxy, tusCreate, upload } from './file-kit.js';

const MiB = 1024 * 1024;
const POLICIES = policiesWith(t, {
  'files.yaml': (doc) => {
    doc.maxFileBytes = encryptedFileSize(9 * MiB);
    doc.maxFilesPerCase = 4;
    doc.maxBytesPerCasePerDay = 3 * encryptedFileSize(MiB) + 1000;
  },
});
const T = await buildTestApp(t, { env: { POLICIES_DIR: POLICIES } });
const { officers, caseAt } = await buildWorld(T, { officers: ['ana', 'bo'] });
const origin = await listen(T);
const port = (T.app.server.address() as AddressInfo).port;
const store = T.app.container.evidenceStore;
const tokenOf = (h: { authorization?: string }) => () => (h.authorization ?? '').slice(7);

t.test('an upload cut at 80% resumes where it stopped, after a reload, with the key sealed on the server', async (t) => {
  const c = await caseAt('triage', { officer: officers.ana });
  const bytes = evidenceBytes(2.5 * MiB, `COUPURE-${randomUUID()}`);
  const size = encryptedFileSize(bytes.length);
  const fileId = randomUUID();
  const phone = { token: tokenOf(c.defender.auth()), dek: c.defender.dek };
  const flaky = await startCountingProxy(port, Math.floor(size * 0.8));
  let kept = '';
  const failed = await upload(flaky.origin, phone, c.caseId, fileId, bytes, { chunkSize: 256 * 1024, onUploadUrl: (url) => (kept = url) }).then(
    () => null,
    (err: unknown) => err,
  );
  t.ok(failed, 'the network drops at 80%');
  await flaky.close();
  t.match(kept, new RegExp(`/v1/uploads/${fileId}$`), 'the page kept the upload URL (and nothing else)');
  const head = await T.app.inject({ method: 'HEAD', url: `/v1/uploads/${fileId}`, headers: { ...c.defender.auth(), 'tus-resumable': '1.0.0' } });
  t.equal(head.statusCode, 200);
  const offset = Number(head.headers['upload-offset']);
  t.ok(offset >= size * 0.6 && offset < size, `the server holds most of it (${offset} of ${size})`);

  // The reload: the page lists the case's files, finds its own unfinished upload, opens its key.
  const listed = (await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files`, headers: c.defender.auth() })).json();
  const mine = listed.items.find((f: { id: string }) => f.id === fileId);
  t.equal(mine?.state, 'uploading', 'its own unfinished upload is listed to the uploader');
  const record = openFileKey(mine.sealed.key, c.defender.dek, fileId);
  const steady = await startCountingProxy(port);
  const resumed = await upload(steady.origin, phone, c.caseId, fileId, bytes, { chunkSize: 256 * 1024, resume: { record, uploadUrl: `${steady.origin}/v1/uploads/${fileId}` } });
  await steady.close();
  t.ok(steady.sent() < (size - offset) + 64 * 1024, `only the rest was sent again (${steady.sent()} bytes for ${size - offset} missing)`);
  t.equal(resumed.sha256, sha256Hex(bytes));
  t.equal((await attach(T, c.defender.auth(), c.caseId, fileId, c.defender.dek, { name: 'photo.jpg', type: 'image/jpeg', sha256: resumed.sha256 })).statusCode, 200);
  const file = (await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files`, headers: officers.ana.auth() })).json().items[0];
  const got = await download(origin, officers.ana.auth(), c.caseId, fileId, await caseKeyOf(T, officers.ana, c.caseId), file.sealed.key, file.ciphertextSha256, resumed.sha256);
  t.equal(sha256Hex(got.plain), sha256Hex(bytes), 'the resumed file is whole');
  t.equal(got.cipherSha256, file.ciphertextSha256, 'and its hash, taken as the bytes arrived over two connections, is that of the stored ciphertext');
});

t.test('limits and bindings: refused before any byte is kept', async (t) => {
  const c = await caseAt('triage', { officer: officers.ana });
  const other = await caseAt('triage', { officer: officers.ana });
  const d = c.defender;
  const keyFor = (fileId: string) => sealFileKey(newFileKey(), d.dek, fileId);
  const meta = (fileId: string, extra: Record<string, string> = {}) => ({ caseId: c.caseId, fileId, key: keyFor(fileId), ...extra });
  const rows = async () => (await T.database.sql`select count(*)::int as n from case_files where case_id = ${c.caseId}`)[0]!.n as number;
  const before = (await store.list()).length;

  const big = await tusCreate(T, d.auth(), meta(randomUUID()), encryptedFileSize(10 * MiB));
  t.equal(big.statusCode, 413);
  t.equal(big.json().code, 'file_too_large');
  const odd = await tusCreate(T, d.auth(), meta(randomUUID()), encryptedFileSize(1000) + 1);
  t.equal(odd.statusCode, 400, 'a size that is not that of a padded file');
  t.equal(odd.json().errors[0].field, '/headers/upload-length');
  const named = await tusCreate(T, d.auth(), meta(randomUUID(), { filename: 'carte-identite.jpg' }), encryptedFileSize(1000));
  t.equal(named.statusCode, 400, 'a name in the clear is refused, not stored');
  t.equal(named.json().errors[0].field, '/headers/upload-metadata/filename');
  const plainKey = await tusCreate(T, d.auth(), { caseId: c.caseId, fileId: randomUUID(), key: 'la-cle-en-clair' }, encryptedFileSize(1000));
  t.equal(plainKey.statusCode, 400, 'a key that is not sealed');
  t.equal(await rows(), 0, 'no row for any refusal');
  t.equal((await store.list()).length, before, 'no byte in the store');

  // Three files of 1 MiB fill the day; a fourth waits for tomorrow.
  const phone = { token: tokenOf(d.auth()), dek: d.dek };
  for (let i = 0; i < 3; i++) {
    const id = randomUUID();
    const up = await upload(origin, phone, c.caseId, id, evidenceBytes(MiB, 'x'));
    t.equal((await attach(T, d.auth(), c.caseId, id, d.dek, { name: `n${i}`, type: 'image/png', sha256: up.sha256 })).statusCode, 200);
  }
  const day = await tusCreate(T, d.auth(), meta(randomUUID()), encryptedFileSize(MiB));
  t.equal(day.statusCode, 413);
  t.equal(day.json().code, 'file_quota_exceeded');
  T.clock.advance(24 * 3600_000);
  await d.relogin();
  for (const o of [officers.ana, officers.bo]) await reauth(T, o);
  await other.defender.relogin();
  const fourth = randomUUID();
  t.equal((await tusCreate(T, d.auth(), meta(fourth), encryptedFileSize(1000))).statusCode, 201, 'the next day it is accepted');
  const fifth = await tusCreate(T, d.auth(), meta(randomUUID()), encryptedFileSize(1000));
  t.equal(fifth.statusCode, 413, 'a fifth file is one too many for the case');
  t.equal(fifth.json().code, 'file_count_exceeded');

  // The fourth upload is the defender's alone, on this case alone.
  const tus = { 'tus-resumable': '1.0.0' };
  t.equal((await T.app.inject({ method: 'HEAD', url: `/v1/uploads/${fourth}`, headers: { ...officers.ana.auth(), ...tus } })).statusCode, 404, 'the assigned officer cannot touch the defender upload');
  t.equal((await T.app.inject({ method: 'PATCH', url: `/v1/uploads/${fourth}`, headers: { ...other.defender.auth(), ...tus, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, payload: Buffer.alloc(10) })).statusCode, 404, 'nor another defender');
  t.equal((await T.app.inject({ method: 'DELETE', url: `/v1/uploads/${fourth}`, headers: { ...other.defender.auth(), ...tus } })).statusCode, 404);
  const elsewhere = await T.app.inject({ method: 'PUT', url: `/v1/cases/${other.caseId}/files/${fourth}`, headers: d.auth(), payload: { name: sealField('x', d.dek, fileFieldAd(fourth, 'name')), type: sealField('x', d.dek, fileFieldAd(fourth, 'type')), sha256: sealField('x', d.dek, fileFieldAd(fourth, 'sha256')) } });
  t.equal(elsewhere.statusCode, 404, 'an upload is not attached to another case');
  const toOther = await tusCreate(T, d.auth(), { caseId: other.caseId, fileId: randomUUID(), key: keyFor(randomUUID()) }, encryptedFileSize(1000));
  t.equal(toOther.statusCode, 404, "a defender uploads to their own case only");
  t.equal((await tusCreate(T, officers.bo.auth(), meta(randomUUID()), encryptedFileSize(1000))).statusCode, 404, 'an officer not on the case');
  const abandon = await T.app.inject({ method: 'DELETE', url: `/v1/uploads/${fourth}`, headers: { ...d.auth(), ...tus } });
  t.equal(abandon.statusCode, 204, 'the uploader abandons it');
  t.equal((await T.database.sql`select count(*)::int as n from case_files where id = ${fourth}`)[0]!.n, 0, 'its row is gone');
  t.notOk((await store.list()).some((k) => k.includes(fourth)), 'and its bytes');
});
