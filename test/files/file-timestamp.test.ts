/**
 * Time-stamps of evidence files: with TIMESTAMP_AUTHORITY_URL set, the workers have each received
 * file's ciphertext hash stamped by the RFC 3161 authority (a local one made of `openssl ts`) and
 * keep the token, which GET /v1/cases/:caseId/files/:fileId/timestamp serves and `openssl ts
 * -verify` accepts for that hash. An authority that cannot be reached is asked again (backoff);
 * one that refuses is not.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createQueue } from '../../src/queues/registry.js';
import { QUEUE } from '../../workers/file-upkeep.js';
import { startWorkers } from '../../workers/worker.js';
import { buildTestApp } from '../helpers/app.js';
import { startTimestampAuthority } from '../helpers/timestamp-authority.js';
import { waitFor } from '../helpers/wait-for.js';
import { buildWorld, type StagedCase } from '../helpers/world.js';
import { attach, evidenceBytes, listen, upload } from './file-kit.js';

const tsa = await startTimestampAuthority();
t.teardown(() => tsa.close());
const T = await buildTestApp(t, { env: { TIMESTAMP_AUTHORITY_URL: tsa.url } });
const sql = T.database.sql;
const { officers, caseAt } = await buildWorld(T, { officers: ['ana'] });
const origin = await listen(T);
const workers = await startWorkers({ config: T.config, container: T.app.container, clock: T.clock, logger: pino({ level: 'silent' }) });
t.teardown(() => workers.close());
const queue = createQueue(QUEUE, { connection: T.redis, config: T.config });
t.teardown(() => queue.close());
const MARK = `PREUVE-${randomUUID()}`;
const c: StagedCase = await caseAt('triage', { officer: officers.ana });
const defender = { token: () => (c.defender.auth().authorization ?? '').slice(7), dek: c.defender.dek };

const fileRow = async (id: string) => (await sql`select ciphertext_sha256, timestamp_token, timestamped_at from case_files where id = ${id}`)[0]!;
const stampedRow = (id: string) =>
  waitFor(async () => {
    const row = await fileRow(id);
    return row.timestamp_token ? row : null;
  }, { what: 'a stored time-stamp token' });

/** `openssl ts -verify` on a bare TimeStampToken, as a court expert would run it; its verdict line. */
async function opensslVerify(token: Uint8Array, digestHex: string): Promise<string> {
  const file = path.join(tmpdir(), `egide-token-${randomUUID()}.der`);
  await writeFile(file, token);
  try {
    const args = ['ts', '-verify', '-digest', digestHex, '-token_in', '-in', file, '-CAfile', tsa.caFile, '-untrusted', tsa.tsaCertFile];
    return await new Promise((resolve) => execFile('openssl', args, (_err, stdout) => resolve(stdout.trim())));
  } finally {
    await rm(file, { force: true });
  }
}

t.test('an attached file gets a token over its ciphertext hash, served by the API and verified by openssl', async (t) => {
  const fileId = randomUUID();
  const up = await upload(origin, defender, c.caseId, fileId, evidenceBytes(150_000, MARK));
  const attached = await attach(T, c.defender.auth(), c.caseId, fileId, c.defender.dek, { name: `${MARK}.jpg`, type: 'image/jpeg', sha256: up.sha256 });
  t.equal(attached.statusCode, 200, attached.body);
  const row = await stampedRow(fileId);
  const stampedAt = new Date(row.timestamped_at as string);
  t.ok(stampedAt.getTime() > 0, 'timestamped_at is set (the time the authority gave)');
  const res = await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files/${fileId}/timestamp`, headers: officers.ana.auth() });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'application/timestamp-reply');
  t.same(Buffer.from(res.rawPayload), Buffer.from(row.timestamp_token as Uint8Array), 'the API serves the stored token');
  t.equal(await opensslVerify(res.rawPayload, row.ciphertext_sha256 as string), 'Verification: OK', 'openssl verifies it for the ciphertext hash');
  t.not(await opensslVerify(res.rawPayload, 'ab'.repeat(32)), 'Verification: OK', 'and for no other hash');
  const list = await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files`, headers: officers.ana.auth() });
  t.equal(list.json().items[0].timestampedAt, stampedAt.toISOString(), 'the listing says when');
  const audited = await sql`select actor, outcome, reason from audit_events where action = 'file.timestamp' and resource = ${`file:${fileId}`}`;
  t.equal(audited.length, 1, 'stamped once, audited once');
  t.match(audited[0], { actor: 'system', outcome: 'allowed', reason: new RegExp(`^ciphertext sha256 ${row.ciphertext_sha256} time-stamped at `) });
  const job = await queue.getJob(`timestamp-${fileId}`);
  t.same(job?.returnvalue, { outcome: 'stamped', files: 1 });
});

t.test('an authority that refuses is not asked again: the job fails for good, no token', async (t) => {
  tsa.setMode('refuse');
  t.teardown(() => tsa.setMode('ok'));
  const fileId = randomUUID();
  await upload(origin, defender, c.caseId, fileId, evidenceBytes(70_000, MARK));
  const job = await waitFor(async () => {
    const j = await queue.getJob(`timestamp-${fileId}`);
    return j && (await j.getState()) === 'failed' ? j : null;
  }, { what: 'the time-stamp job failed' });
  t.equal(job.attemptsMade, 1, 'one attempt only');
  t.match(job.failedReason, /^tsa_refused: /);
  t.equal((await fileRow(fileId)).timestamp_token, null);
});

t.test('an authority that cannot be reached is asked again with backoff, and the token comes once it answers', async (t) => {
  tsa.setMode('http-500');
  const fileId = randomUUID();
  await upload(origin, defender, c.caseId, fileId, evidenceBytes(70_000, MARK));
  const job = await waitFor(async () => {
    const j = await queue.getJob(`timestamp-${fileId}`);
    return j && j.attemptsMade >= 1 && (await j.getState()) === 'delayed' ? j : null;
  }, { what: 'a failed attempt waiting for its retry' });
  t.match(job.failedReason, /HTTP 500/);
  t.equal((await fileRow(fileId)).timestamp_token, null, 'no token yet');
  tsa.setMode('ok');
  const row = await stampedRow(fileId);
  t.equal(await opensslVerify(row.timestamp_token as Uint8Array, row.ciphertext_sha256 as string), 'Verification: OK');
  const done = await queue.getJob(`timestamp-${fileId}`);
  t.ok((done?.attemptsMade ?? 0) >= 2, `stamped on a later attempt (${done?.attemptsMade})`);
});
