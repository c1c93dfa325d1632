/**
 * A rewrite done behind the triggers' back (a superuser with replication role, as an attacker
 * with database access would) is caught by POST /v1/audit/verify, which names the first bad seq.
 */
import t from 'tap';
import postgres from 'postgres';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap } from '../helpers/world.js';

const T = await buildTestApp(t);
const { app } = T;
const dep = await bootstrap(T);
for (let i = 0; i < 5; i++) await app.inject({ method: 'GET', url: '/v1/audit/events?limit=1', headers: dep.supervisor.auth() });

const verify = async () => {
  const r = await app.inject({ method: 'POST', url: '/v1/audit/verify', headers: dep.supervisor.auth() });
  if (r.statusCode !== 200) throw new Error(`verify ${r.statusCode} ${r.body}`);
  return r.json();
};

t.test('an intact chain verifies', async (t) => {
  const body = await verify();
  t.equal(body.ok, true);
  t.equal(body.headMatches, true);
  t.ok(body.count > 5);
  t.notOk('firstBadSeq' in body);
});

t.test('an actor rewritten with triggers disabled is caught at its seq', async (t) => {
  const [target] = await T.database.sql`select seq, event_id, actor from audit_log where action = 'audit.read' order by seq limit 1 offset 2`;
  const seq = Number(target!.seq);
  const attacker = postgres(T.db.adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await attacker`set session_replication_role = replica`;
    const changed = await attacker`update audit_events set actor = 'u:00000000-0000-0000-0000-000000000000' where id = ${target!.event_id}`;
    t.equal(changed.count, 1, 'the superuser could change the row');
  } finally {
    await attacker.end();
  }
  const body = await verify();
  t.equal(body.ok, false);
  t.equal(body.firstBadSeq, seq, 'names the rewritten event');
  t.match(body.reason, new RegExp(`seq ${seq}`));
  t.equal(body.headMatches, false);
  t.equal(body.count, seq - 1, 'everything before it verified');
  t.notOk('head' in body);
});

t.test('deleting the newest event behind the triggers leaves the head row unmatched', async (t) => {
  const attacker = postgres(T.db.adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await attacker`set session_replication_role = replica`;
    const [h] = await attacker`select seq from audit_head`;
    await attacker`delete from audit_chain where seq = ${h!.seq}`;
  } finally {
    await attacker.end();
  }
  const body = await verify();
  t.equal(body.ok, false, 'still failing at the first rewritten event');
  t.equal(body.headMatches, false);
});
