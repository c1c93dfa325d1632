/**
 * The chain is computed by a database trigger (drizzle/0001_audit_chain_triggers.sql) while the
 * SDK verifies it: both must give the hashes of the scheme v1 vectors, byte for byte.
 */
import t from 'tap';
import postgres from 'postgres';
import { GENESIS_HASH, ready, verifyChain, type ChainedAuditEvent } from '../../src/sdk/index.js';
import { createTestDatabase } from '../helpers/db.js';
import { vectors } from '../helpers/vectors.js';

await ready();
const db = await createTestDatabase();
const sql = postgres(db.url, { max: 1, onnotice: () => undefined });
t.teardown(async () => {
  await sql.end();
  await db.drop();
});

const entries = vectors.auditChain.entries;

t.test('a fresh database starts at the genesis head', async (t) => {
  const [head] = await sql`select seq, hash from audit_head where id = 1`;
  t.equal(Number(head!.seq), 0);
  t.equal(head!.hash, vectors.auditChain.genesis);
  t.equal(head!.hash, GENESIS_HASH);
});

t.test('inserting the vector events gives the vector hashes, seqs and head', async (t) => {
  t.ok(entries.length >= 3, 'the vectors hold several events (nulls, non-ASCII, denial)');
  for (const { event, hash } of entries) {
    // seq and hash are given wrong on purpose: the trigger must assign both.
    const [row] = await sql`
      insert into audit_events (seq, at, actor, role, action, resource, case_id, outcome, reason, request_id, hash)
      values (${9999 + event.seq}, ${event.at}, ${event.actor}, ${event.role}, ${event.action}, ${event.resource}, ${event.caseId}, ${event.outcome}, ${event.reason}, ${event.requestId}, ${'f'.repeat(64)})
      returning seq, hash, at`;
    t.equal(Number(row!.seq), event.seq, `seq ${event.seq} assigned by the trigger`);
    t.equal(row!.hash, hash, `hash of seq ${event.seq} equals the vector`);
    t.equal((row!.at as Date).toISOString(), event.at);
  }
  const [head] = await sql`select seq, hash from audit_head where id = 1`;
  const last = entries[entries.length - 1]!;
  t.equal(Number(head!.seq), last.event.seq);
  t.equal(head!.hash, last.hash);
});

t.test('the rows read back verify with the SDK', async (t) => {
  const rows = await sql`select seq, at, actor, role, action, resource, case_id, outcome, reason, request_id, hash from audit_events order by seq`;
  const events: ChainedAuditEvent[] = rows.map((r) => ({
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
  t.same(verifyChain(events), { ok: true, count: entries.length, head: { seq: entries.length, hash: entries[entries.length - 1]!.hash } });
});

t.test('sub-millisecond times are truncated to the millisecond before hashing', async (t) => {
  const [row] = await sql`
    insert into audit_events (at, actor, role, action, resource, case_id, outcome, reason, request_id)
    values ('2026-03-04T10:00:00.123456Z', 'system', 'system', 'x.test', 'audit', null, 'allowed', null, 'req-x')
    returning seq, hash, at`;
  t.equal((row!.at as Date).toISOString(), '2026-03-04T10:00:00.123Z');
  const prev = entries[entries.length - 1]!.hash;
  const check = verifyChain(
    [{ seq: Number(row!.seq), at: '2026-03-04T10:00:00.123Z', actor: 'system', role: 'system', action: 'x.test', resource: 'audit', caseId: null, outcome: 'allowed', reason: null, requestId: 'req-x', hash: row!.hash }],
    { seq: Number(row!.seq) - 1, hash: prev },
  );
  t.ok(check.ok, 'the SDK agrees on the truncated time');
});
