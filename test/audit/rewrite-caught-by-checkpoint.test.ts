/**
 * The strongest rewrite an attacker with the database superuser can make: change an old event AND
 * recompute every later hash and the head, so that the chain is consistent again. Only a
 * signed checkpoint taken before the rewrite can tell; verify compares every stored one.
 */
import t from 'tap';
import postgres from 'postgres';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap } from '../helpers/world.js';
import { GENESIS_HASH, chainHash, type AuditEvent } from '../../src/sdk/index.js';

const T = await buildTestApp(t);
const dep = await bootstrap(T);
for (let i = 0; i < 4; i++) await T.app.inject({ method: 'GET', url: '/v1/me', headers: dep.supervisor.auth() });
const verify = async () => (await T.app.inject({ method: 'POST', url: '/v1/audit/verify', headers: dep.supervisor.auth() })).json();

t.test('an intact chain verifies against its checkpoint', async (t) => {
  const cp = await T.app.container.services.audit.checkpoint();
  t.ok(cp, 'a checkpoint was stored');
  const body = await verify();
  t.equal(body.ok, true);
  t.equal(body.checkpoints, 1);
});

t.test('a rewrite with every later hash recomputed is caught by the checkpoint', async (t) => {
  const [cp] = await T.database.sql`select seq, hash from audit_checkpoints order by seq desc limit 1`;
  const attacker = postgres(T.db.adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await attacker`set session_replication_role = replica`;
    const rows = await attacker`select seq, event_id, at, actor, role, action, resource, case_id, outcome, reason, request_id from audit_log order by seq`;
    // Erase who first read the supervisor's account: make it look like the system did.
    const target = rows.find((r) => r.action === 'account.read')!;
    await attacker`update audit_events set actor = 'system', role = 'system' where id = ${target.event_id}`;
    let prev = GENESIS_HASH;
    for (const r of rows) {
      const e: AuditEvent = { seq: Number(r.seq), at: (r.at as Date).toISOString(), actor: r.event_id === target.event_id ? 'system' : r.actor, role: r.event_id === target.event_id ? 'system' : r.role, action: r.action, resource: r.resource, caseId: r.case_id, outcome: r.outcome, reason: r.reason, requestId: r.request_id };
      prev = chainHash(prev, e);
      await attacker`update audit_chain set hash = ${prev} where seq = ${e.seq}`;
    }
    await attacker`update audit_head set hash = ${prev} where id = 1`;
    t.ok(Number(target.seq) <= Number(cp!.seq), 'the rewritten event lies before the checkpoint');
  } finally {
    await attacker.end();
  }
  const body = await verify();
  t.equal(body.ok, false, 'verify fails');
  t.equal(body.firstBadSeq, Number(cp!.seq), 'at the checkpoint that no longer matches');
  t.match(body.reason, /checkpoint/);
  t.equal(body.checkpoints, 0);
});
