/**
 * The restore drill: a deployment with cases in every state, evidence files, open deadlines and
 * signed audit checkpoints is backed up with `egide backup`, destroyed (database dropped, Redis
 * prefix flushed, evidence directory deleted), and restored with `egide restore` into another
 * database, another evidence directory, another policies directory and another Redis prefix.
 * The service started there proves it is the same deployment: the audit chain verifies from
 * genesis and against the last signed checkpoint (under the public key the backup kept), every
 * case opens with the staff's keys, every file's ciphertext has its recorded SHA-256 and
 * decrypts, and the deadlines resume: the reconciler fires at once every step that fell due
 * while the service was down, and a second pass fires none again. Then every holder of the
 * mechanism key is gone: a new supervisor rebuilds it from 3 of the 5 Shamir share codes made
 * before the disaster, and the cases open again. The clocks are injected: the downtime is two days.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { pino } from 'pino';
import postgres from 'postgres';
import type { Config } from '../../src/config/config.js';
import { loadServerKeys } from '../../src/lib/server-keys.js';
import { stepTimes } from '../../src/escalation/step-times.js';
import type { DeadlineRule } from '../../src/deadlines/deadline-policy.js';
import { createQueueConnection } from '../../src/queues/registry.js';
import { caseFieldAd, combineShareCodes, openField, openSecret, sealKeyringEntry, splitPrivateKey, toB64u, verifyCheckpoint, type SealedField } from '../../src/sdk/index.js';
import { openFileDescription } from '../../src/sdk/client/file-upload.js';
import { createEscalationParts } from '../../workers/escalation.js';
import { buildTestApp, deleteRedisPrefix, REDIS_URL, type TestApp } from '../helpers/app.js';
import { createEmptyDatabase, PG_BASE } from '../helpers/db.js';
import { egide } from './backup-kit.js';
import { assignCaseSupervisor, buildWorld, caseKeyOf, enrolActor, reauth, requestAs, type Actor, type CaseStage, type StagedCase } from '../helpers/world.js';
import { download, evidenceBytes, listen, sha256Hex, upload, uploadAttached } from '../files/file-kit.js';

const H = 3_600_000;
const T0 = '2026-03-02T08:00:00.000Z';
const STAGES: CaseStage[] = ['received', 'triage', 'info_requested', 'declined', 'assessment', 'assessed', 'decision', 'protection', 'reassessed'];

const work = await mkdtemp(join(tmpdir(), 'egide-drill-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const backupDir = join(work, 'backup');
const top = t;
/** The manifest hash `egide backup` printed, as the operator keeps it. */
let hashKept = '';

// ---------------------------------------------------------------------------------------------
// The deployment before the disaster
// ---------------------------------------------------------------------------------------------
const A = await buildTestApp(t, { now: T0 });
const world = await buildWorld(A, { officers: ['awa'] as const });
const { admin, supervisor } = world;
const officer = world.officers.awa;
const originA = await listen(A);
const cases: StagedCase[] = [];
for (const stage of STAGES) cases.push(await world.caseAt(stage));
// The supervisor is part of every case (the first holder of the mechanism key opens them all).
for (const c of cases) await assignCaseSupervisor(A, c.caseId, supervisor);

/** Evidence: two files attached (one by a defender, one by the officer), one received and not yet attached. */
const files: Array<{ caseId: string; fileId: string; bytes: Uint8Array; cipherSha256: string; plainSha256: string }> = [];
for (const [c, who] of [
  [cases[1]!, 'defender'],
  [cases[6]!, 'officer'],
] as const) {
  const bytes = evidenceBytes(120_000, 'DRILL-EVIDENCE');
  const uploader = who === 'defender' ? { token: () => (c.defender.auth().authorization ?? '').slice(7), dek: c.dek } : { token: () => officer.auth().authorization.slice(7), dek: c.dek };
  const headers = who === 'defender' ? c.defender.auth() : officer.auth();
  const { fileId, up } = await uploadAttached(A, originA, uploader, headers, c.caseId, bytes, { name: `piece-${who}.jpg` });
  files.push({ caseId: c.caseId, fileId, bytes, cipherSha256: '', plainSha256: up.sha256 });
}
const receivedOnly = cases[2]!;
const receivedId = randomUUID();
await upload(originA, { token: () => (receivedOnly.defender.auth().authorization ?? '').slice(7), dek: receivedOnly.dek }, receivedOnly.caseId, receivedId, evidenceBytes(50_000, 'DRILL-RECEIVED'));

// The offline split of the mechanism key, made and recorded before the disaster.
const split = await splitPrivateKey(world.dep.mechanismKey.privateKey, 3, 5);
const recorded = await requestAs(A)(supervisor, 'POST', '/v1/custody/backups', { keyId: world.dep.mechanismKeyId, threshold: 3, shares: 5, custodians: ['Aminata', 'Moussa', 'Fatoumata', 'Ibrahim', 'Awa'] });
if (recorded.statusCode !== 201) throw new Error(`custody backup: ${recorded.statusCode} ${recorded.body}`);

// A signed checkpoint, then more history after it (the chain's head is past the last checkpoint).
const checkpoint = await A.app.container.services.audit.checkpoint();
if (!checkpoint) throw new Error('no checkpoint was signed');
await requestAs(A)(officer, 'GET', `/v1/cases/${cases[4]!.caseId}`);
const openBefore = await A.database.sql<Array<{ id: string; rule: string; started_at: string; due_at: string; urgent: boolean }>>`select id, rule, started_at, due_at, urgent from deadlines where state = 'open' order by id`;
const stepsBefore = ((await A.database.sql<Array<{ n: number }>>`select count(*)::int as n from deadline_steps`)[0]!).n;
const fileRowsBefore = [...(await A.database.sql<Array<{ id: string; state: string; sha: string | null }>>`select id::text, state, ciphertext_sha256 as sha from case_files order by id`)];
for (const f of files) f.cipherSha256 = fileRowsBefore.find((r) => r.id === f.fileId)!.sha!;

// Where it will be restored: an empty database, evidence directory and policies directory.
const target = await createEmptyDatabase(t);
const storeB = join(work, 'store-b');
const policiesB = join(work, 'policies-b');
/** What the operator kept apart: the .env secrets; the rest of the configuration is the new place's. */
const kept = { JWT_SIGNING_KEY: A.config.JWT_SIGNING_KEY, AUDIT_SIGNING_KEY: A.config.AUDIT_SIGNING_KEY, SERVER_SECRET: A.config.SERVER_SECRET, METRICS_TOKEN: A.config.METRICS_TOKEN };
const configB = { ...A.config, ...kept, DATABASE_URL: target.url, DATABASE_OWNER_URL: target.ownerUrl, FILE_STORE_DIR: storeB, POLICIES_DIR: policiesB } as Config;
let B: TestApp;
/** Two days down: every step that fell due meanwhile is overdue when the service comes back. */
const DOWN_UNTIL = new Date(Date.parse(T0) + 50 * H).toISOString();

await t.test('egide backup fails on a damaged or incomplete store, naming the files', async (t) => {
  const config = { ...A.config, DATABASE_OWNER_URL: A.db.ownerUrl };
  const stored = join(A.config.FILE_STORE_DIR, 'files', files[0]!.fileId);
  const original = await readFile(stored);
  const flipped = Buffer.from(original);
  flipped[7] = flipped[7]! ^ 1;
  await writeFile(stored, flipped);
  const damaged = await egide(['backup', join(work, 'damaged')], config);
  await writeFile(stored, original);
  t.equal(damaged.code, 1);
  t.match(damaged.err, new RegExp(`differ from the SHA-256 recorded when they arrived: the live store is damaged \\(${files[0]!.fileId}\\)`));
  await rename(stored, `${stored}.away`);
  const missing = await egide(['backup', join(work, 'missing')], config);
  await rename(`${stored}.away`, stored);
  t.equal(missing.code, 1);
  t.match(missing.err, new RegExp(`1 evidence files the database names are not in the disk store .*${files[0]!.fileId}`));
});

await t.test('egide backup writes the snapshot, its manifest and what to keep apart, and no secret', async (t) => {
  const config = { ...A.config, DATABASE_OWNER_URL: A.db.ownerUrl };
  const r = await egide(['backup', backupDir], config);
  t.equal(r.code, 0, r.err);
  const manifestSha256 = /manifest SHA-256: ([0-9a-f]{64})/.exec(r.out)?.[1];
  t.ok(manifestSha256, 'the manifest hash is printed, to keep apart');
  const manifest = JSON.parse(await readFile(join(backupDir, 'manifest.json'), 'utf8'));
  t.equal(createHash('sha256').update(await readFile(join(backupDir, 'manifest.json'))).digest('hex'), manifestSha256);
  t.equal(manifest.database.cases, STAGES.length);
  const states = (await A.database.sql<Array<{ state: string }>>`select distinct state from cases order by state`).map((r) => r.state);
  t.same(states, ['assessment', 'closed', 'decision', 'info_requested', 'protection', 'received', 'triage'], 'cases in every state of the workflow');
  t.ok(manifest.database.latestCheckpoint.seq >= checkpoint.seq);
  t.ok(manifest.database.signedHead.seq > checkpoint.seq, 'the head, past the last stored checkpoint, is signed at backup time');
  t.ok(verifyCheckpoint(manifest.database.signedHead, (await loadServerKeys(A.config)).audit.publicKey), 'by the checkpoint key');
  t.ok(manifest.database.migrations.applied > 0 && manifest.database.migrations.lastTag, 'the migration level');
  t.equal(manifest.store.files, 3, 'the two attached files and the received one');
  t.same(manifest.store.missing, []);
  const paths = manifest.files.map((f: { path: string }) => f.path);
  for (const f of files) t.ok(paths.includes(`files/${f.fileId}`));
  t.ok(paths.includes(`files/${receivedId}`));
  t.ok(paths.includes('database.dump') && paths.includes('keys/public-keys.json') && paths.includes('KEEP-APART.md') && paths.includes('policies/custody.yaml'));
  for (const f of files) t.equal(manifest.files.find((e: { path: string }) => e.path === `files/${f.fileId}`).sha256, f.cipherSha256, 'an evidence file is the ciphertext the client sent');
  const keys = JSON.parse(await readFile(join(backupDir, 'keys/public-keys.json'), 'utf8'));
  t.equal(keys.organisations.find((k: { kind: string }) => k.kind === 'mechanism').keyId, world.dep.mechanismKeyId);
  // Not one of the secrets is in any file of the backup (the dump holds TOTP secrets sealed, not these).
  const secrets = [A.config.AUDIT_SIGNING_KEY, A.config.JWT_SIGNING_KEY, A.config.SERVER_SECRET, A.config.METRICS_TOKEN];
  const leaks: string[] = [];
  for (const p of paths) {
    const body = await readFile(join(backupDir, p));
    if (secrets.some((s) => body.includes(s))) leaks.push(p);
  }
  t.same(leaks, [], 'no file of the backup holds a server secret');
  t.match(await readFile(join(backupDir, 'KEEP-APART.md'), 'utf8'), /AUDIT_SIGNING_KEY[\s\S]*Shamir shares/);
  hashKept = manifestSha256!;
});

// ---------------------------------------------------------------------------------------------
// The disaster
// ---------------------------------------------------------------------------------------------
await t.test('the deployment is destroyed: database, Redis prefix and evidence store', async (t) => {
  await A.app.close();
  await A.database.close();
  await A.db.drop();
  await deleteRedisPrefix(A.config.REDIS_PREFIX);
  await rm(A.config.FILE_STORE_DIR, { recursive: true, force: true });
  const admin = postgres(`${PG_BASE}/postgres`, { max: 1, onnotice: () => undefined });
  t.equal((await admin`select 1 from pg_database where datname = ${A.db.name}`).length, 0, 'the database is gone');
  await admin.end();
});

// ---------------------------------------------------------------------------------------------
// Restored elsewhere
// ---------------------------------------------------------------------------------------------

await t.test('egide restore checks the hashes and refuses a tampered backup or a database in use', async (t) => {
  // A byte changed in one evidence file: refused before anything is written.
  const victim = join(backupDir, 'files', files[0]!.fileId);
  const original = await readFile(victim);
  const tampered = Buffer.from(original);
  tampered[100] = tampered[100]! ^ 1;
  await writeFile(victim, tampered);
  const refused = await egide(['restore', backupDir], configB);
  t.equal(refused.code, 1);
  t.match(refused.err, /does not match its manifest[\s\S]*files\/[0-9a-f-]+: changed/);
  await writeFile(victim, original);
  const wrongHash = await egide(['restore', backupDir, '--manifest-sha256', 'ab'.repeat(32)], configB);
  t.equal(wrongHash.code, 1);
  t.match(wrongHash.err, /manifest's SHA-256/);
  const owner = postgres(target.ownerUrl, { max: 1, onnotice: () => undefined });
  t.equal((await owner`select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public'`)[0]!.n, 0, 'nothing was written');
  await owner.end();
});

await t.test('egide restore into the empty database and store', async (t) => {
  const r = await egide(['restore', backupDir, '--manifest-sha256', hashKept], configB);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /audit head at seq \d+ \(signed at backup time: found in the restored chain\)/);
  t.match(r.out, /evidence files: 3 into the disk store/);
  t.match(r.out, /policies: copied/);
  t.equal(r.err, '', 'no warning: same secrets, same release');
  t.same((await readdir(policiesB)).sort(), (await readdir(join(backupDir, 'policies'))).sort(), 'the policies in place');
  const again = await egide(['restore', backupDir], configB);
  t.equal(again.code, 1, 'a second restore into the same database is refused');
  t.match(again.err, /restore refused: the database holds \d+ tables/);
  const elsewhere = await createEmptyDatabase(t);
  const intoFullStore = await egide(['restore', backupDir], { ...configB, DATABASE_URL: elsewhere.url, DATABASE_OWNER_URL: elsewhere.ownerUrl, POLICIES_DIR: join(work, 'policies-c') } as Config);
  t.equal(intoFullStore.code, 1, 'and so is one into a store that holds files');
  t.match(intoFullStore.err, /restore refused: the evidence store \(FILE_STORE=disk\) holds 3 objects/);
});

await t.test('the service starts on the restored deployment and the audit chain verifies', async (t) => {
  B = await buildTestApp(top, { db: target, now: DOWN_UNTIL, env: { ...kept, FILE_STORE_DIR: storeB, POLICIES_DIR: policiesB } });
  const v = await B.app.container.services.audit.verify();
  t.ok(v.ok, `the chain verifies from genesis: ${JSON.stringify(v)}`);
  t.ok(v.headMatches, 'and ends at the stored head');
  t.ok(v.checkpoints >= 1, 'every stored checkpoint matched');
  const keys = JSON.parse(await readFile(join(backupDir, 'keys/public-keys.json'), 'utf8'));
  const [last] = await B.database.sql<Array<{ seq: string; hash: string; signature: string }>>`select seq::text, hash, signature from audit_checkpoints order by seq desc limit 1`;
  t.ok(verifyCheckpoint({ seq: Number(last!.seq), hash: last!.hash, signature: last!.signature }, keys.auditSigningPublicKey), 'the last checkpoint verifies under the public key the backup kept');
  const [atCheckpoint] = await B.database.sql<Array<{ hash: string }>>`select hash from audit_log where seq = ${last!.seq}`;
  t.equal(atCheckpoint!.hash, last!.hash, 'the restored chain passes through the signed checkpoint');
  t.equal(Number(last!.seq), checkpoint.seq);
});

await t.test('every case opens with the staff keys, every file has its hash and decrypts', async (t) => {
  for (const who of [admin, supervisor, officer]) await reauth(B, who);
  for (const c of cases) {
    const dek = await caseKeyOf(B, supervisor, c.caseId);
    t.same(dek, c.dek, `the supervisor opens the case in ${STAGES[cases.indexOf(c)]}`);
    if (c.officer) t.same(await caseKeyOf(B, officer, c.caseId), c.dek, 'and its officer');
    const sealed = (await requestAs(B)(supervisor, 'GET', `/v1/cases/${c.caseId}/sealed`)).json() as { fields: Record<string, SealedField> };
    t.equal(openField(sealed.fields.narrative!, dek, caseFieldAd(c.caseId, 'narrative')), c.secrets.narrative, 'its narrative reads as filed');
  }
  const rows = [...(await B.database.sql<Array<{ id: string; state: string; sha: string | null }>>`select id::text, state, ciphertext_sha256 as sha from case_files order by id`)];
  t.same(rows, fileRowsBefore, 'the file rows as they were');
  for (const row of rows.filter((r) => r.sha)) {
    const stream = await B.app.container.evidenceStore.open(row.id);
    const hash = createHash('sha256');
    for await (const chunk of stream) hash.update(chunk as Buffer);
    t.equal(hash.digest('hex'), row.sha, `file ${row.id}: the stored ciphertext has its recorded SHA-256`);
  }
  const originB = await listen(B);
  for (const f of files) {
    const list = (await requestAs(B)(officer, 'GET', `/v1/cases/${f.caseId}/files`)).json() as { items: Array<{ id: string; sealed: Record<string, string>; ciphertextSha256: string }> };
    const file = list.items.find((i) => i.id === f.fileId)!;
    const dek = await caseKeyOf(B, officer, f.caseId);
    t.match(openFileDescription(file.sealed as never, dek, f.fileId), { sha256: f.plainSha256 });
    const got = await download(originB, officer.auth(), f.caseId, f.fileId, dek, file.sealed.key!, f.cipherSha256, f.plainSha256);
    t.equal(got.status, 200);
    t.equal(sha256Hex(got.plain), sha256Hex(f.bytes), 'the bytes decrypt to what was uploaded');
  }
});

await t.test('the deadlines resume: what fell due while down fires at once, and never twice', async (t) => {
  t.equal(stepsBefore, 0, 'nothing had fired before the disaster');
  t.ok(openBefore.length >= 2, 'open deadlines were backed up');
  const connection = createQueueConnection(REDIS_URL, 'worker');
  const parts = createEscalationParts({ container: B.app.container, connection, log: pino({ level: 'silent' }) });
  t.teardown(async () => {
    await parts.relay.close();
    await parts.queue.close();
    connection.disconnect();
  });
  const first = await parts.reconciler.reconcile();
  t.ok(first.fired > 0, 'the reconciler fired the overdue steps at start');
  const now = B.clock.now();
  const fired = await B.database.sql<Array<{ deadline_id: string; step: string }>>`select deadline_id::text, step from deadline_steps order by deadline_id, step`;
  const expected = openBefore
    .flatMap((d) => stepTimes(parts.policy.rules.get(d.rule as DeadlineRule['name'])!, { startedAt: new Date(d.started_at), dueAt: new Date(d.due_at), urgent: d.urgent }).filter((s) => s.at <= now).map((s) => ({ deadline_id: d.id, step: s.step })))
    .sort((a, b) => (a.deadline_id + a.step < b.deadline_id + b.step ? -1 : 1));
  t.same(fired, expected, 'exactly the steps whose time passed while the service was down');
  t.ok(first.enqueued > 0, 'and the jobs of the steps to come are in the new Redis prefix');
  const second = await parts.reconciler.reconcile();
  t.equal(second.fired, 0, 'a second pass fires nothing again');
  const notes = await B.database.sql`select count(*)::int as n from outbox where topic = 'deadline.step'`;
  t.equal(notes[0]!.n, fired.length, 'one notification per step');
});

await t.test('every key holder is gone: 3 of the 5 share codes rebuild the mechanism key and the cases open again', async (t) => {
  // The first supervisor, the only holder, is gone with their password and recovery code: their
  // private key (and so the mechanism key) is lost. The service would not disable them while
  // they are the only holder; a new supervisor holds nothing.
  const leave = () => requestAs(B)(admin, 'POST', `/v1/users/${supervisor.id}/disable`, { reason: 'Départ du mécanisme' });
  t.match((await leave()).json(), { code: 'last_keyholder' }, 'the last holder cannot be disabled');
  const newcomer: Actor = await enrolActor(B, admin, { username: 'supervisor-nouvelle', role: 'supervisor', orgId: world.dep.mechanismId });
  // Made the cases' supervisor (the first one is gone), they still hold no key.
  for (const c of cases) await assignCaseSupervisor(B, c.caseId, newcomer);
  await t.rejects(caseKeyOf(B, newcomer, cases[0]!.caseId), 'before: no envelope opens with their keys');
  const as = requestAs(B);
  const start = await as(newcomer, 'POST', '/v1/custody/restore/challenge', {});
  t.equal(start.statusCode, 200, start.body);
  const { challengeId, challenge, keyId } = start.json();
  const rebuilt = await combineShareCodes([split.codes[1]!, split.codes[4]!, split.codes[3]!], keyId);
  const done = await as(newcomer, 'POST', '/v1/custody/restore', { challengeId, answer: toB64u(openSecret(challenge, rebuilt, 'challenge')), entry: sealKeyringEntry(rebuilt.privateKey, newcomer.keyPair.publicKey).entry });
  t.equal(done.statusCode, 201, done.body);
  for (const c of cases) t.same(await caseKeyOf(B, newcomer, c.caseId), c.dek, 'the case opens through the rebuilt key');
  t.ok((await leave()).statusCode < 300, 'with a holder again, the one who left is disabled');
});
