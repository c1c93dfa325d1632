/**
 * The life of an evidence file on the server beyond what every store shares (file-suite.ts has
 * the stale-upload sweep and the retention purge, on disk and S3), with the workers running:
 * without a time-stamp authority a received file is only acknowledged; a re-key on revocation
 * re-seals the file's key and description while the stored ciphertext stays as it is.
 */
import t from 'tap';
import { createHash, randomUUID } from 'node:crypto';
import { openFileDescription, openFileKey } from '../../src/sdk/client/file-upload.js';
import { fromB64u, openRekeyDek, pinnedPublicKey, prepareRekey, type RekeyBundle, type RekeyRecipient } from '../../src/sdk/index.js';
import { buildTestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/wait-for.js';
import { assignCaseSupervisor, buildWorld, caseKeyOf, grantCaseKey, reauth, type StagedCase } from '../helpers/world.js';
import { download, evidenceBytes, listen, sha256Hex, startFileWorkers, uploadAttached, type Uploader } from './file-kit.js';

const T = await buildTestApp(t);
const sql = T.database.sql;
const { dep, officers, caseAt } = await buildWorld(T, { officers: ['ana', 'bo'] });
const origin = await listen(T);
const store = T.app.container.evidenceStore;
const workers = await startFileWorkers(T);
t.teardown(() => workers.close());
const MARK = `PREUVE-${randomUUID()}`;

const asDefender = (c: StagedCase): Uploader => ({ token: () => (c.defender.auth().authorization ?? '').slice(7), dek: c.defender.dek });

/** Uploads and attaches a file as the case's defender; its id, plaintext and upload result. */
async function addFile(c: StagedCase) {
  const bytes = evidenceBytes(150_000, MARK);
  const { fileId, up } = await uploadAttached(T, origin, asDefender(c), c.defender.auth(), c.caseId, bytes, { name: `${MARK}.jpg`, caption: `Légende ${MARK}` });
  return { fileId, bytes, up };
}

const fileRow = async (id: string) => (await sql`select * from case_files where id = ${id}`)[0];
const storedSha256 = async (id: string) => {
  const hash = createHash('sha256');
  for await (const chunk of await store.open(id)) hash.update(chunk as Buffer);
  return hash.digest('hex');
};

t.test('without a time-stamp authority a received file is acknowledged: no job, no token', async (t) => {
  const c = await caseAt('triage', { officer: officers.ana });
  const { fileId } = await addFile(c);
  const [row] = await waitFor(async () => {
    const rows = await sql`select dispatched_at from outbox where topic = 'file.received' and payload->>'fileId' = ${fileId} and dispatched_at is not null`;
    return rows.length > 0 ? rows : null;
  }, { what: 'the file.received row dispatched' });
  t.ok(row, "the worker's relay handled the file.received row");
  t.equal(await workers.queue.getJob(`timestamp-${fileId}`), undefined, 'no time-stamp job');
  t.equal((await fileRow(fileId))!.timestamp_token, null);
  t.equal((await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files/${fileId}/timestamp`, headers: c.defender.auth() })).statusCode, 404);
});

t.test('a re-key on revocation re-seals the file key and description; the stored ciphertext is unchanged', async (t) => {
  for (const a of [officers.ana, officers.bo, dep.supervisor]) await reauth(T, a);
  const c = await caseAt('assessment', { officer: officers.ana });
  await assignCaseSupervisor(T, c.caseId, dep.supervisor);
  await grantCaseKey(T, dep.supervisor, c.caseId, officers.bo);
  const { fileId, bytes, up } = await addFile(c);
  const before = (await fileRow(fileId))!;
  const cipherBefore = await storedSha256(fileId);
  t.equal(cipherBefore, before.ciphertext_sha256);
  const oldDek = await caseKeyOf(T, officers.ana, c.caseId);

  // The assigned officer's client revokes officer B's envelope and re-keys the case.
  const bundle = (await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/rekey`, headers: officers.ana.auth() })).json() as RekeyBundle;
  t.same([...new Set(bundle.items.filter((i) => i.id === fileId).map((i) => `${i.kind}:${i.field}`))].sort(), ['file:caption', 'file:key', 'file:name', 'file:sha256', 'file:type'], "the bundle carries the file's sealed fields");
  const revoked = bundle.envelopes.find((e) => e.recipientType === 'user' && e.recipientId === officers.bo.id)!;
  const intakeKey = (await T.app.inject({ method: 'GET', url: '/v1/keys/intake' })).json();
  const mechanismPublicKey = pinnedPublicKey(intakeKey.publicKey, dep.mechanismKeyId);
  const recipients: RekeyRecipient[] = bundle.envelopes
    .filter((e) => e.keyId !== revoked.keyId)
    .map((e) => ({ keyId: e.currentKeyId!, publicKey: e.recipientType === 'org' ? mechanismPublicKey : fromB64u(e.publicKey!), recipientType: e.recipientType, recipientId: e.recipientId }));
  const { body, dek: newDek } = prepareRekey({ bundle, oldDek: openRekeyDek(bundle, [officers.ana.keyPair]), revoke: [revoked.keyId], recipients });
  const res = await T.app.inject({ method: 'POST', url: `/v1/cases/${c.caseId}/rekey`, headers: officers.ana.auth(), payload: body });
  t.equal(res.statusCode, 200, res.body);

  const after = (await fileRow(fileId))!;
  const oldSealed = before.sealed as Record<string, string>;
  const newSealed = after.sealed as Record<string, string>;
  t.same(Object.keys(newSealed).sort(), Object.keys(oldSealed).sort(), 'the same sealed fields');
  t.ok(Object.keys(oldSealed).every((f) => newSealed[f] !== oldSealed[f]), 'each one re-sealed');
  t.equal(after.ciphertext_sha256, before.ciphertext_sha256, 'ciphertext_sha256 unchanged');
  t.equal(Number(after.size), Number(before.size));
  t.equal(await storedSha256(fileId), cipherBefore, 'the stored bytes are the same');
  // The remaining readers open it with the new key; the revoked key opens nothing new.
  const dek = await caseKeyOf(T, officers.ana, c.caseId);
  t.same(Buffer.from(dek), Buffer.from(newDek), "the officer's envelope opens the new key");
  t.same(openFileDescription(newSealed, dek, fileId), { name: `${MARK}.jpg`, type: 'image/jpeg', caption: `Légende ${MARK}`, sha256: up.sha256 });
  const got = await download(origin, officers.ana.auth(), c.caseId, fileId, dek, newSealed.key!, before.ciphertext_sha256 as string, up.sha256);
  t.equal(got.status, 200);
  t.equal(sha256Hex(got.plain), sha256Hex(bytes), 'download and decryption with the new key give the file');
  t.throws(() => openFileKey(newSealed.key!, oldDek, fileId), { code: 'decrypt_failed' }, 'the revoked (old) key does not open the new sealed file key');
  t.throws(() => openFileDescription(newSealed, oldDek, fileId), { code: 'decrypt_failed' }, 'nor its description');
  const bo = await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files/${fileId}/content`, headers: officers.bo.auth() });
  t.not(bo.statusCode, 200, `the revoked officer no longer downloads it (${bo.statusCode})`);
});
