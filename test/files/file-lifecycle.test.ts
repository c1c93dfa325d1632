/**
 * The life of an evidence file on the server, with the files module's worker part running (its
 * queue, its sweep every second, its outbox handlers): without a time-stamp authority a received
 * file is only acknowledged; an upload left unfinished past the policy is swept, row and bytes,
 * audited; a re-key on revocation re-seals the file's key and description while the stored
 * ciphertext stays as it is; a retention purge takes the rows and has the bytes erased, audited.
 */
import t from 'tap';
import { createHash, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { fileStorePath } from '../../src/lib/paths.js';
import { openFileDescription, openFileKey } from '../../src/sdk/client/file-upload.js';
import { fromB64u, openRekeyDek, pinnedPublicKey, prepareRekey, type RekeyBundle, type RekeyRecipient } from '../../src/sdk/index.js';
import { createQueue } from '../../src/queues/registry.js';
import { QUEUE } from '../../workers/file-upkeep.js';
import { startWorkers } from '../../workers/worker.js';
import { buildTestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/wait-for.js';
import { act, assignCaseSupervisor, buildWorld, caseKeyOf, caseRow, grantCaseKey, reauth, type Actor, type StagedCase } from '../helpers/world.js';
import { attach, download, evidenceBytes, filesUnder, listen, partialUpload, sha256Hex, upload } from './file-kit.js';

const T = await buildTestApp(t, { env: { FILE_SWEEP_INTERVAL_SECONDS: '1' } });
const sql = T.database.sql;
const { dep, officers, caseAt } = await buildWorld(T, { officers: ['ana', 'bo'] });
const origin = await listen(T);
const store = T.app.container.evidenceStore;
const storeDir = fileStorePath(T.config);
const policy = T.app.container.policies.files;
// The workers (every module's part, the files module's among them), in this process, on the app's container (its clock is the test's).
const workers = await startWorkers({ config: T.config, container: T.app.container, clock: T.clock, logger: pino({ level: 'silent' }) });
t.teardown(() => workers.close());
const MARK = `PREUVE-${randomUUID()}`;
const queue = createQueue(QUEUE, { connection: T.redis, config: T.config });
t.teardown(() => queue.close());
/** Waits until two more sweeps completed (so one started after whatever the caller just did). */
async function sweepsAfterNow(): Promise<void> {
  const done = async () => (await queue.getJobCounts('completed')).completed ?? 0;
  const start = await done();
  await waitFor(async () => (await done()) >= start + 2, { what: 'two more sweeps', timeoutMs: 15_000 });
}

const asDefender = (c: StagedCase) => ({ token: () => (c.defender.auth().authorization ?? '').slice(7), dek: c.defender.dek });
const asStaff = (a: Actor, dek: Uint8Array) => ({ token: () => (a.auth().authorization ?? '').slice(7), dek });

/** Uploads and attaches a file as `who`; its id, plaintext and upload result. */
async function addFile(c: StagedCase, who: { token(): string; dek: Uint8Array }, headers: () => Record<string, string>, size = 150_000) {
  const bytes = evidenceBytes(size, MARK);
  const fileId = randomUUID();
  const up = await upload(origin, who, c.caseId, fileId, bytes);
  const r = await attach(T, headers(), c.caseId, fileId, who.dek, { name: `${MARK}.jpg`, type: 'image/jpeg', caption: `Légende ${MARK}`, sha256: up.sha256 });
  if (r.statusCode !== 200) throw new Error(`attach: ${r.statusCode} ${r.body}`);
  return { fileId, bytes, up };
}

const fileRow = async (id: string) => (await sql`select * from case_files where id = ${id}`)[0];
/** Whether the store still holds anything of `id`: its keys, and the disk store's files by name. */
const stored = async (id: string) => ({ keys: (await store.list()).filter((k) => k.includes(id)), files: (await filesUnder(storeDir)).filter((f) => f.includes(id)) });
const audits = async (id: string, action: string) => sql`select actor, role, outcome, reason, case_id from audit_events where resource = ${`file:${id}`} and action = ${action} order by id`;
const storedSha256 = async (id: string) => {
  const hash = createHash('sha256');
  for await (const chunk of await store.open(id)) hash.update(chunk as Buffer);
  return hash.digest('hex');
};

t.test('without a time-stamp authority a received file is acknowledged: no job, no token', async (t) => {
  const c = await caseAt('triage', { officer: officers.ana });
  const { fileId } = await addFile(c, asDefender(c), () => c.defender.auth());
  const [row] = await waitFor(async () => {
    const rows = await sql`select dispatched_at from outbox where topic = 'file.received' and payload->>'fileId' = ${fileId} and dispatched_at is not null`;
    return rows.length > 0 ? rows : null;
  }, { what: 'the file.received row dispatched' });
  t.ok(row, "the worker's relay handled the file.received row");
  t.equal(await queue.getJob(`timestamp-${fileId}`), undefined, 'no time-stamp job');
  t.equal((await fileRow(fileId))!.timestamp_token, null);
  t.equal((await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files/${fileId}/timestamp`, headers: c.defender.auth() })).statusCode, 404);
});

t.test('uploads left unfinished past the policy are swept: rows and bytes gone, audited; an attached file stays', async (t) => {
  const c = await caseAt('triage', { officer: officers.ana });
  const partial = randomUUID();
  await partialUpload(origin, asDefender(c), c.caseId, partial, 300_000, 100_000);
  const received = randomUUID();
  await upload(origin, asDefender(c), c.caseId, received, evidenceBytes(120_000, MARK));
  const attached = await addFile(c, asDefender(c), () => c.defender.auth());
  t.equal((await fileRow(partial))!.state, 'uploading');
  t.equal((await fileRow(received))!.state, 'received');
  t.ok((await stored(partial)).keys.length > 0, 'the partial upload has bytes in the store');
  t.ok((await stored(received)).keys.length > 0, 'the received one too');

  // Not yet stale: a sweep (every second) leaves them.
  T.clock.advance((policy.staleUploadAfterSeconds - 60) * 1000);
  await sweepsAfterNow();
  t.ok(await fileRow(partial), 'younger than the policy: kept');
  t.ok(await fileRow(received), 'both');

  T.clock.advance(120_000);
  await waitFor(async () => !(await fileRow(partial)) && !(await fileRow(received)), { what: 'the stale rows swept' });
  await waitFor(async () => {
    const [a, b] = [await stored(partial), await stored(received)];
    return a.keys.length + a.files.length + b.keys.length + b.files.length === 0;
  }, { what: 'their bytes erased' });
  t.pass('rows and bytes of both are gone, in the store listing and the directory tree');
  t.ok(await fileRow(attached.fileId), 'the attached file stays');
  t.ok((await stored(attached.fileId)).keys.length > 0, 'with its bytes');

  for (const [id, state] of [[partial, 'uploading'], [received, 'received']] as const) {
    const expired = await audits(id, 'file.expire');
    t.equal(expired.length, 1, `${state}: one sweep event`);
    t.match(expired[0], { actor: 'system', outcome: 'allowed', case_id: c.caseId });
    t.match(expired[0]?.reason, new RegExp(`^upload left ${state} since .*, past ${policy.staleUploadAfterSeconds} s: removed$`));
    const erased = await waitFor(async () => {
      const rows = await audits(id, 'file.erase');
      return rows.length > 0 ? rows : null;
    }, { what: 'the erase audited' });
    t.equal(erased.length, 1, `${state}: its bytes' erasure audited once`);
    t.match(erased[0], { actor: 'system', outcome: 'allowed', case_id: c.caseId, reason: /^stale: / });
  }
  const outbox = await sql`select payload, dispatched_at from outbox where topic = 'file.erase' and payload->>'caseId' = ${c.caseId}`;
  t.equal(outbox.length, 1, "one outbox 'file.erase' for the case");
  t.same(outbox[0]!.payload, { caseId: c.caseId, fileIds: [partial, received], why: 'stale' });
  t.not(outbox[0]!.dispatched_at, null, 'handled');
  await c.defender.relogin();
  const list = await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files`, headers: c.defender.auth() });
  t.same(list.json().items.map((i: { id: string }) => i.id), [attached.fileId], 'the uploader no longer sees the swept uploads');
});

t.test('a re-key on revocation re-seals the file key and description; the stored ciphertext is unchanged', async (t) => {
  for (const a of [officers.ana, officers.bo, dep.supervisor]) await reauth(T, a);
  const c = await caseAt('assessment', { officer: officers.ana });
  await assignCaseSupervisor(T, c.caseId, dep.supervisor);
  await grantCaseKey(T, dep.supervisor, c.caseId, officers.bo);
  const { fileId, bytes, up } = await addFile(c, asDefender(c), () => c.defender.auth());
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

t.test('a retention purge takes the rows and has the bytes erased, audited', async (t) => {
  for (const a of [officers.ana, dep.supervisor]) await reauth(T, a);
  const c = await caseAt('assessment', { officer: officers.ana });
  const fromDefender = await addFile(c, asDefender(c), () => c.defender.auth());
  const dek = await caseKeyOf(T, officers.ana, c.caseId);
  const fromOfficer = await addFile(c, asStaff(officers.ana, dek), () => officers.ana.auth());
  const ids = [fromDefender.fileId, fromOfficer.fileId].sort();
  for (const id of ids) t.ok((await stored(id)).files.length > 0, 'stored on disk');
  const closed = await act(T, officers.ana, c.caseId, 'close', { reason: 'risque disparu', closeReason: 'risk_ceased' });
  t.equal(closed.statusCode, 200, closed.body);

  // Ten years and a day after closing, the retention is due.
  const closedAt = new Date((await caseRow(T, c.caseId)).closed_at);
  T.clock.set(new Date(Date.UTC(closedAt.getUTCFullYear() + 10, closedAt.getUTCMonth(), closedAt.getUTCDate() + 1, closedAt.getUTCHours())).toISOString());
  await reauth(T, dep.supervisor);
  const purged = await T.app.inject({ method: 'POST', url: `/v1/cases/${c.caseId}/purge`, headers: dep.supervisor.auth(), payload: { reason: 'fin de la conservation' } });
  t.equal(purged.statusCode, 200, purged.body);
  t.equal((await sql`select count(*)::int as n from case_files where case_id = ${c.caseId}`)[0]!.n, 0, 'the rows went with the purge');
  const [tl] = await sql`select reason from case_timeline where case_id = ${c.caseId} and action = 'case.purged'`;
  t.match(tl?.reason, /\(erased: .*file 2.*\)$/, 'the timeline counts the files');

  await waitFor(async () => {
    let left = 0;
    for (const id of ids) {
      const s = await stored(id);
      left += s.keys.length + s.files.length;
    }
    return left === 0;
  }, { what: "the purged files' bytes erased" });
  t.pass('no key of the store and no file under its directory names either file');
  for (const id of ids) {
    const erased = await waitFor(async () => {
      const rows = await audits(id, 'file.erase');
      return rows.length > 0 ? rows : null;
    }, { what: 'the erase audited' });
    t.equal(erased.length, 1);
    t.match(erased[0], { actor: 'system', outcome: 'allowed', case_id: c.caseId, reason: /^purge: / });
  }
  const [outbox] = await sql`select payload, dispatched_at from outbox where topic = 'file.erase' and payload->>'caseId' = ${c.caseId}`;
  t.same(outbox?.payload, { caseId: c.caseId, fileIds: ids, why: 'purge' });
  t.not(outbox?.dispatched_at, null);
  await reauth(T, officers.ana);
  const r = await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files/${ids[0]}/content`, headers: officers.ana.auth() });
  t.equal(r.statusCode, 404, 'nothing to download');
});
