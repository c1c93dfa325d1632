/**
 * A period of the audit log exported and verified alone: GET /v1/audit/checkpoints widens the
 * period to the stored checkpoints that enclose its events (the head signed and stored when none
 * reaches its end), GET /v1/audit/export?afterSeq&toSeq serves exactly the chain between them,
 * and the SDK's RangeVerifier accepts it with the published key. Ranges that cannot be verified
 * (reversed, not on checkpoints, mixed with filters, empty) are refused with their codes, each
 * refusal audited once, like every read of the log.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { RangeVerifier, verifyCheckpoint, type ChainedAuditEvent } from '../../src/sdk/index.js';
import { loadServerKeys } from '../../src/lib/server-keys.js';
import { systemContext } from '../../src/access/principal.js';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, refreshIfStale, type Actor } from '../helpers/world.js';

const T = await buildTestApp(t);
const { app } = T;
const audit = app.container.services.audit;
const dep = await bootstrap(T);
const sup = dep.supervisor;
const officer = await enrolActor(T, dep.admin, { username: 'officer-awa', role: 'officer', orgId: dep.mechanismId });
const keys = await loadServerKeys(T.config);
const caseId = randomUUID();

/** `n` events a minute apart, each its own request. */
async function record(n: number, label: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    T.clock.advance(60_000);
    await audit.record(systemContext(`req-${label}-${i}`), { action: 'case.read', resource: `case:${caseId}`, caseId, outcome: 'allowed' });
  }
}

await record(5, 'before');
const cpA = (await audit.checkpoint())!;
T.clock.advance(3_600_000);
const p0 = T.clock.now();
await record(6, 'inside');
const p1 = T.clock.now();
T.clock.advance(3_600_000);
await record(3, 'between');
const cpB = (await audit.checkpoint())!;
T.clock.advance(3_600_000);
const p2 = T.clock.now();
await record(4, 'after');
for (const a of [sup, officer]) await refreshIfStale(T, a);

const sql = T.database.sql;
const get = (url: string, who: Actor = sup) => app.inject({ method: 'GET', url, headers: who.auth() });
const seqOf = async (requestId: string) => Number((await sql`select seq from audit_log where request_id = ${requestId}`)[0]!.seq);
const eventsOf = async (requestId: string) => sql<Array<{ action: string; outcome: string; reason: string | null }>>`select action, outcome, reason from audit_events where request_id = ${requestId} order by id`;
const requestIdOf = (body: string) => String((JSON.parse(body) as { instance?: string }).instance ?? '').replace('urn:egide:request:', '');
/** The supervisor's latest read of the log (a success answer names no request: its event is the newest of theirs). */
const lastRead = async () => sql<Array<{ action: string; outcome: string; reason: string | null }>>`select action, outcome, reason from audit_events where actor = ${`u:${sup.id}`} order by id desc limit 1`;
const checkpointCount = async () => Number((await sql`select count(*)::int as n from audit_checkpoints`)[0]!.n);
const verifyLines = (range: { start: { seq: number; hash: string; signature: string } | null; end: { seq: number; hash: string; signature: string } }, body: string) => {
  const v = new RangeVerifier(range, keys.audit.publicKey);
  for (const line of body.split('\n')) if (!v.push(line)) break;
  return v.result();
};

t.test('a closed period is widened to the stored checkpoints around it, and its range verifies', async (t) => {
  const before = await checkpointCount();
  const r = await get(`/v1/audit/checkpoints?from=${p0.toISOString()}&to=${p1.toISOString()}`);
  t.equal(r.statusCode, 200, r.body);
  const body = r.json();
  t.same(body.period, { firstSeq: await seqOf('req-inside-0'), lastSeq: await seqOf('req-inside-5') }, 'the first and last events of the period');
  t.same({ seq: body.start.seq, hash: body.start.hash, signature: body.start.signature }, cpA, 'starts at the checkpoint before the period');
  t.same({ seq: body.end.seq, hash: body.end.hash, signature: body.end.signature }, cpB, 'ends at the checkpoint after it');
  t.match(body.start.signedAt, /^\d{4}-\d\d-\d\dT/);
  t.equal(body.signingPublicKey, keys.audit.publicKey);
  t.ok(verifyCheckpoint(body.start, keys.audit.publicKey) && verifyCheckpoint(body.end, keys.audit.publicKey), 'both signed by the deployment key');
  t.equal(await checkpointCount(), before, 'nothing new stored: both ends existed');
  t.same(await lastRead(), [{ action: 'audit.read', outcome: 'allowed', reason: `checkpoints for seq ${body.period.firstSeq}-${body.period.lastSeq}` }], 'the read is audited, with the seqs');

  const exp = await get(`/v1/audit/export?afterSeq=${cpA.seq}&toSeq=${cpB.seq}`);
  t.equal(exp.statusCode, 200);
  t.match(exp.headers['content-type'], /^application\/x-ndjson/);
  const lines = exp.body.trimEnd().split('\n').map((l) => JSON.parse(l) as ChainedAuditEvent);
  t.same(lines.map((e) => e.seq), Array.from({ length: cpB.seq - cpA.seq }, (_, i) => cpA.seq + 1 + i), 'exactly the events after the start up to the end, its own read not among them');
  t.match(verifyLines(body, exp.body), { ok: true, count: cpB.seq - cpA.seq, from: { seq: cpA.seq, hash: cpA.hash }, head: { seq: cpB.seq, hash: cpB.hash } }, 'the SDK verifies it');
  t.same(await lastRead(), [{ action: 'audit.read', outcome: 'allowed', reason: `export seq ${cpA.seq + 1}-${cpB.seq}` }], 'the export is audited, with its range');

  const again = await get(`/v1/audit/export?afterSeq=${cpA.seq}&toSeq=${cpB.seq}`);
  t.equal(again.body, exp.body, 'the same range later is the same bytes');
});

t.test('a period reaching the present ends at the head, signed and stored as a checkpoint', async (t) => {
  const before = await checkpointCount();
  T.clock.advance(60_000);
  const asked = T.clock.now();
  const r = await get(`/v1/audit/checkpoints?from=${p2.toISOString()}`);
  T.clock.advance(60_000);
  t.equal(r.statusCode, 200, r.body);
  const body = r.json();
  t.equal(body.period.firstSeq, await seqOf('req-after-0'));
  t.same({ seq: body.start.seq, hash: body.start.hash }, { seq: cpB.seq, hash: cpB.hash }, 'starts at the latest checkpoint before it');
  const [head] = await sql`select seq, hash from audit_head`;
  t.same({ seq: body.end.seq, hash: body.end.hash }, { seq: Number(head!.seq), hash: head!.hash }, 'ends at the head');
  t.ok(body.end.seq > body.period.lastSeq, 'the head includes this read');
  t.equal(await checkpointCount(), before + 1, 'stored');
  const [stored] = await sql`select hash, signature from audit_checkpoints where seq = ${body.end.seq}`;
  t.same(stored, { hash: body.end.hash, signature: body.end.signature }, 'as it was served');

  const exp = await get(`/v1/audit/export?afterSeq=${body.start.seq}&toSeq=${body.end.seq}`);
  t.equal(exp.statusCode, 200);
  t.match(verifyLines(body, exp.body), { ok: true, head: { seq: body.end.seq } });

  // Later, the same period (up to when it was asked) finds that checkpoint again rather than a new head.
  const later = (await get(`/v1/audit/checkpoints?from=${p2.toISOString()}&to=${asked.toISOString()}`)).json();
  t.same([later.period.lastSeq, later.end.seq], [body.end.seq, body.end.seq], 'the stored head ends the period again: the same range, the same file');
});

t.test('a period from the beginning starts at genesis', async (t) => {
  const r = await get(`/v1/audit/checkpoints?to=${p0.toISOString()}`);
  t.equal(r.statusCode, 200, r.body);
  const body = r.json();
  t.equal(body.start, null, 'no checkpoint before the first event: genesis');
  t.equal(body.period.firstSeq, 1);
  t.equal(body.end.seq, cpA.seq);
  const exp = await get(`/v1/audit/export?afterSeq=0&toSeq=${cpA.seq}`);
  t.equal(exp.statusCode, 200);
  t.match(verifyLines(body, exp.body), { ok: true, count: cpA.seq, from: { seq: 0 } });
});

t.test('ranges that cannot be verified are refused with their code, each refusal audited once', async (t) => {
  // Another supervisor: exports are rate-limited per user (policies/limits.yaml).
  const sup2 = await enrolActor(T, dep.admin, { username: 'sup-ines', role: 'supervisor', orgId: dep.mechanismId });
  const get = (url: string) => app.inject({ method: 'GET', url, headers: sup2.auth() });
  const cases: Array<[string, number, string, RegExp?]> = [
    [`/v1/audit/checkpoints?from=${p1.toISOString()}&to=${p0.toISOString()}`, 400, 'audit_range_reversed'],
    [`/v1/audit/checkpoints?from=2001-01-01T00:00:00.000Z&to=2001-02-01T00:00:00.000Z`, 404, 'audit_period_empty'],
    [`/v1/audit/checkpoints?from=${new Date(T.clock.now().getTime() + 86_400_000).toISOString()}`, 404, 'audit_period_empty'],
    [`/v1/audit/export?afterSeq=${cpB.seq}&toSeq=${cpA.seq}`, 400, 'audit_range_reversed'],
    [`/v1/audit/export?afterSeq=${cpA.seq}&toSeq=${cpA.seq}`, 400, 'audit_range_reversed'],
    [`/v1/audit/export?afterSeq=${cpA.seq + 1}&toSeq=${cpB.seq}`, 400, 'audit_range_unaligned', /afterSeq/],
    [`/v1/audit/export?afterSeq=${cpA.seq}&toSeq=${cpB.seq - 1}`, 400, 'audit_range_unaligned', /toSeq/],
    [`/v1/audit/export?afterSeq=0&toSeq=${cpB.seq + 1}`, 400, 'audit_range_unaligned'],
    [`/v1/audit/export?afterSeq=${cpA.seq}&toSeq=${cpB.seq}&actor=system`, 400, 'validation_failed', /\/querystring\/actor/],
    [`/v1/audit/export?afterSeq=${cpA.seq}&toSeq=${cpB.seq}&from=${p0.toISOString()}`, 400, 'validation_failed', /\/querystring\/from/],
    [`/v1/audit/export?afterSeq=${cpA.seq}`, 400, 'validation_failed', /\/querystring\/toSeq/],
    [`/v1/audit/export?toSeq=${cpB.seq}`, 400, 'validation_failed', /\/querystring\/afterSeq/],
  ];
  for (const [url, status, code, detail] of cases) {
    const r = await get(url);
    t.equal(r.statusCode, status, `${url}: ${r.body}`);
    const problem = r.json();
    t.equal(problem.code, code, url);
    t.match(r.headers['content-type'], /^application\/problem\+json/);
    if (detail) t.match(JSON.stringify(problem), detail, `${url}: says which`);
    const events = await eventsOf(requestIdOf(r.body));
    t.equal(events.length, 1, `${url}: one event`);
    t.match(events[0], { action: 'audit.read', outcome: 'denied', reason: new RegExp(`^${code}`) });
  }
  for (const q of ['afterSeq=-1&toSeq=3', 'afterSeq=x&toSeq=3', 'from=yesterday']) {
    t.equal((await get(`/v1/audit/${q.startsWith('from') ? 'checkpoints' : 'export'}?${q}`)).statusCode, 400, `${q}: refused by the schema`);
  }
});

t.test('only supervisors get checkpoints; the others are refused by the policy first, and audited', async (t) => {
  const r = await get(`/v1/audit/checkpoints?from=${p1.toISOString()}&to=${p0.toISOString()}`, officer);
  t.equal(r.statusCode, 403, 'the policy speaks before the range is judged');
  t.equal(r.json().code, 'forbidden');
  t.match(await eventsOf(requestIdOf(r.body)), [{ action: 'audit.read', outcome: 'denied', reason: /^forbidden/ }]);
  const e = await get(`/v1/audit/export?afterSeq=${cpA.seq}&toSeq=${cpB.seq}`, officer);
  t.equal(e.statusCode, 403);
  t.equal((await app.inject({ method: 'GET', url: '/v1/audit/checkpoints' })).statusCode, 401);
});
