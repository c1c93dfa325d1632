/**
 * The chain is computed in the database (drizzle/0001_audit_chain.sql) while the SDK verifies
 * it: both must give the hashes of the scheme v1 vectors, byte for byte. An event gets its place
 * once its transaction has committed, exactly once, whoever runs the chainer.
 */
import t from 'tap';
import postgres from 'postgres';
import { GENESIS_HASH, ready, verifyChain, type ChainedAuditEvent } from '../../src/sdk/index.js';
import { createTestDatabase } from '../helpers/db.js';
import { vectors } from '../helpers/vectors.js';

await ready();
const db = await createTestDatabase();
const sql = postgres(db.url, { max: 4, onnotice: () => undefined });
t.teardown(async () => {
  await sql.end();
  await db.drop();
});

const entries = vectors.auditChain.entries;
const chain = async () => Number((await sql`select audit_chain_pending() as n`)[0]!.n);
const insert = (e: { at: string; actor: string; role: string; action: string; resource: string; caseId: string | null; outcome: string; reason: string | null; requestId: string }, q: postgres.Sql | postgres.TransactionSql = sql) =>
  q`select audit_record(${e.at}, ${e.actor}, ${e.role}, ${e.action}, ${e.resource}, ${e.caseId}, ${e.outcome}, ${e.reason}, ${e.requestId}) as id`;
const log = async (): Promise<ChainedAuditEvent[]> =>
  (await sql`select seq, at, actor, role, action, resource, case_id, outcome, reason, request_id, hash from audit_log order by seq`).map((r) => ({
    seq: Number(r.seq),
    at: (r.at as Date).toISOString(),
    actor: r.actor,
    role: r.role,
    action: r.action,
    resource: r.resource,
    caseId: r.case_id,
    outcome: r.outcome,
    reason: r.reason,
    requestId: r.request_id,
    hash: r.hash,
  }));

t.test('a fresh database starts at the genesis head', async (t) => {
  const [head] = await sql`select seq, hash from audit_head where id = 1`;
  t.equal(Number(head!.seq), 0);
  t.equal(head!.hash, vectors.auditChain.genesis);
  t.equal(head!.hash, GENESIS_HASH);
});

t.test('the vector events, once chained, have the vector seqs and hashes', async (t) => {
  t.ok(entries.length >= 3, 'the vectors hold several events (nulls, non-ASCII, denial)');
  for (const { event } of entries) await insert(event);
  t.equal((await log()).length, 0, 'nothing is chained before the chainer runs');
  t.equal(await chain(), entries.length);
  const rows = await log();
  for (const [i, { event, hash }] of entries.entries()) {
    t.equal(rows[i]!.seq, event.seq, `seq ${event.seq}`);
    t.equal(rows[i]!.hash, hash, `hash of seq ${event.seq} equals the vector`);
    t.equal(rows[i]!.at, event.at);
  }
  const [head] = await sql`select seq, hash from audit_head where id = 1`;
  const last = entries[entries.length - 1]!;
  t.same({ seq: Number(head!.seq), hash: head!.hash }, { seq: last.event.seq, hash: last.hash });
  t.same(verifyChain(rows), { ok: true, count: entries.length, head: { seq: entries.length, hash: last.hash } }, 'the SDK verifies what the database chained');
  t.equal(await chain(), 0, 'chaining again does nothing');
});

t.test('sub-millisecond times are truncated to the millisecond before hashing', async (t) => {
  await insert({ at: '2026-03-04T10:00:00.123456Z', actor: 'system', role: 'system', action: 'x.test', resource: 'audit', caseId: null, outcome: 'allowed', reason: null, requestId: 'req-x' });
  await chain();
  const rows = await log();
  const last = rows[rows.length - 1]!;
  t.equal(last.at, '2026-03-04T10:00:00.123Z');
  t.ok(verifyChain([last], { seq: last.seq - 1, hash: rows[rows.length - 2]!.hash }).ok, 'the SDK agrees on the truncated time');
});

t.test('an event is chained once its transaction commits; a rolled-back one never appears', async (t) => {
  const base = (await log()).length;
  const ev = (id: string) => ({ at: new Date().toISOString(), actor: 'system', role: 'system', action: 'x.order', resource: id, caseId: null, outcome: 'allowed', reason: null, requestId: id });
  let releaseOld!: () => void;
  const oldDone = new Promise<void>((r) => (releaseOld = r));
  let oldStarted!: () => void;
  const started = new Promise<void>((r) => (oldStarted = r));
  // An older transaction writes first and stays open...
  const old = sql.begin(async (tx) => {
    await insert(ev('old'), tx);
    oldStarted();
    await oldDone;
  });
  await started;
  // ...while a newer one commits.
  await insert(ev('new'));
  await sql.begin(async (tx) => {
    await insert(ev('rolled-back'), tx);
    await tx`select 1/0`;
  }).catch(() => undefined);
  t.equal(await chain(), 1, 'the committed event is chained; the open transaction\'s is not visible yet');
  releaseOld();
  await old;
  t.equal(await chain(), 1, 'the older transaction\'s event once it commits');
  const rows = (await log()).slice(base);
  t.same(rows.map((r) => r.resource), ['new', 'old'], 'both chained in commit order, the rolled-back one absent');
  t.same(rows.map((r) => r.seq), [base + 1, base + 2], 'gapless');
});

t.test('chainers running at once never fork the chain', async (t) => {
  for (let i = 0; i < 200; i++) await insert({ at: new Date().toISOString(), actor: 'system', role: 'system', action: 'x.race', resource: `r${i}`, caseId: null, outcome: 'allowed', reason: null, requestId: `race-${i}` });
  const results = await Promise.all([chain(), chain(), chain(), chain()]);
  t.equal(results.reduce((a, b) => a + b, 0), 200, 'every event chained exactly once');
  const rows = await log();
  t.same(rows.map((r) => r.seq), rows.map((_, i) => i + 1), 'seq is gapless');
  t.ok(verifyChain(rows).ok, 'one chain');
});
