/**
 * The audit log holds against the application itself. The API and the workers connect as the
 * application role (as the test app does, like production): it may append to the audit log and
 * read it, and nothing else: every way a compromised process could rewrite history is refused
 * by PostgreSQL. A row changed by the owner role (who alone could disable the triggers) is
 * caught by verify, in the service and offline.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { applicationRoleProblems } from '../../src/db/roles.js';
import type { CliIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap } from '../helpers/world.js';
import { APP_ROLE, OWNER_ROLE } from '../helpers/db.js';

const T = await buildTestApp(t);
const dep = await bootstrap(T);
const sup = dep.supervisor;
const connect = (url: string) => postgres(url, { max: 1, onnotice: () => undefined });
const app = connect(T.db.url);
const owner = connect(T.db.ownerUrl);
const superuser = connect(T.db.adminUrl);
t.teardown(async () => {
  await Promise.all([app.end(), owner.end(), superuser.end()]);
});

// Some history: audited reads and a change, chained and checkpointed by the service itself.
for (let i = 0; i < 4; i++) await T.app.inject({ method: 'GET', url: '/v1/me', headers: sup.auth() });
await T.app.container.services.audit.chain();

const snapshot = async () => ({
  log: await superuser`select seq, event_id, actor, hash from audit_log order by seq`,
  head: await superuser`select seq, hash from audit_head`,
  checkpoints: await superuser`select seq, hash, signature from audit_checkpoints order by seq`,
});

async function refused(t: Test, what: string, run: () => Promise<unknown>) {
  const err = await run().then(
    () => null,
    (e: unknown) => e as { code?: string; message?: string },
  );
  t.ok(err, `${what}: refused`);
  t.equal(err?.code, '42501', `${what}: insufficient_privilege (${err?.message ?? 'no error'})`);
}

t.test('the app connects as the application role: no superuser, no BYPASSRLS, owns nothing', async (t) => {
  const [me] = await T.database.sql`select current_user as name, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles where rolname = current_user`;
  t.same(me, { name: APP_ROLE, rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false }, 'the pool of the app under test');
  const [owned] = await app`
    select (select count(*)::int from pg_class where pg_has_role(${APP_ROLE}, relowner, 'MEMBER'))
         + (select count(*)::int from pg_proc where pg_has_role(${APP_ROLE}, proowner, 'MEMBER'))
         + (select count(*)::int from pg_namespace where pg_has_role(${APP_ROLE}, nspowner, 'MEMBER'))
         + (select count(*)::int from pg_database where datname = current_database() and pg_has_role(${APP_ROLE}, datdba, 'MEMBER')) as n`;
  t.equal(owned!.n, 0, 'owns no table, view, sequence, function, schema, nor the database, not even through a role it is a member of');
  const [tables] = await superuser`select count(*)::int as n from pg_class c join pg_namespace s on s.oid = c.relnamespace where s.nspname = 'public' and c.relkind = 'r' and pg_get_userbyid(c.relowner) <> ${OWNER_ROLE}`;
  t.equal(tables!.n, 0, 'every table belongs to the owner role');
  t.same(await applicationRoleProblems(app), [], 'the start check finds nothing wrong with it');
  t.match((await applicationRoleProblems(owner)).join('\n'), /owns \(or may act as the owner of\) /, 'the owner role would be refused as the application role');
  t.match((await applicationRoleProblems(superuser)).join('\n'), /is a superuser/, 'and so would a superuser');
});

t.test('as the application role, nothing in the audit log can be changed, removed or bypassed', async (t) => {
  const before = await snapshot();
  const [ev] = await app`select event_id, seq from audit_log order by seq limit 1 offset 1`;
  const id = ev!.event_id as string;
  for (const [what, run] of [
    ['UPDATE audit_events', () => app`update audit_events set actor = 'system' where id = ${id}`],
    ['DELETE audit_events', () => app`delete from audit_events where id = ${id}`],
    ['TRUNCATE audit_events', () => app`truncate audit_events cascade`],
    ['UPDATE audit_chain', () => app`update audit_chain set hash = ${'1'.repeat(64)} where seq = 1`],
    ['DELETE audit_chain', () => app`delete from audit_chain where seq = 1`],
    ['TRUNCATE audit_chain', () => app`truncate audit_chain`],
    ['INSERT audit_chain', () => app`insert into audit_chain (seq, event_id, hash) values (999999, ${id}, ${'1'.repeat(64)})`],
    ['UPDATE audit_head', () => app`update audit_head set seq = 0, hash = ${'0'.repeat(64)}`],
    ['DELETE audit_head', () => app`delete from audit_head`],
    ['TRUNCATE audit_head', () => app`truncate audit_head`],
    ['UPDATE audit_checkpoints', () => app`update audit_checkpoints set hash = ${'1'.repeat(64)}`],
    ['DELETE audit_checkpoints', () => app`delete from audit_checkpoints`],
    ['TRUNCATE audit_checkpoints', () => app`truncate audit_checkpoints`],
    ['DELETE audit_pending', () => app`delete from audit_pending`],
    ['TRUNCATE audit_pending', () => app`truncate audit_pending`],
    ['ALTER TABLE audit_events DISABLE TRIGGER', () => app`alter table audit_events disable trigger audit_events_no_update_delete`],
    ['ALTER TABLE audit_chain DISABLE TRIGGER ALL', () => app`alter table audit_chain disable trigger all`],
    ['DROP TRIGGER', () => app`drop trigger audit_events_no_truncate on audit_events`],
    ['CREATE TRIGGER on audit_chain', () => app`create trigger x before insert on audit_chain for each row execute function audit_append_only()`],
    ['SET session_replication_role = replica', () => app`set session_replication_role = replica`],
    ['SET ROLE to the owner', () => app.unsafe(`set role ${OWNER_ROLE}`)],
    ['replacing the chainer', () => app`create or replace function audit_chain_pending(batch integer default 5000) returns integer language sql as 'select 0'`],
    ['a function of its own in public', () => app`create function public.audit_canonical_x() returns int language sql as 'select 1'`],
    ['moving the events\' identity', () => app`select setval(pg_get_serial_sequence('public.audit_events', 'id'), 1)`],
  ] as const) {
    await refused(t, what, run);
  }
  // The guard variable of old: setting it now unlocks nothing.
  await app`select set_config('egide.audit_chaining', 'on', false)`;
  await refused(t, 'UPDATE audit_head with the old guard variable set', () => app`update audit_head set seq = 0`);
  t.same(await snapshot(), before, 'the log, the head and the checkpoints are as they were');
});

t.test('the chain is appended by a SECURITY DEFINER function of the owner, with a fixed search_path', async (t) => {
  const [fn] = await superuser`
    select p.prosecdef, pg_get_userbyid(p.proowner) as owner, p.proconfig, has_function_privilege('public', p.oid, 'EXECUTE') as public_execute
    from pg_proc p where p.proname = 'audit_chain_pending'`;
  t.same(fn, { prosecdef: true, owner: OWNER_ROLE, proconfig: ['search_path=pg_catalog, pg_temp'], public_execute: false });
  const [guard] = await superuser`select count(*)::int as n from pg_proc where prosrc like '%audit_chaining%'`;
  t.equal(guard!.n, 0, 'no function reads the guard variable any more');

  // Temporary tables named like ours do not stand in for them while the chainer runs as the owner.
  await app`select public.audit_record(now(), 'system', 'system', 'x.shadow', 'audit', null, 'allowed', null, 'req-shadow')`;
  await app.begin(async (tx) => {
    await tx`create temp table audit_head (id int, seq bigint, hash text) on commit drop`;
    await tx`insert into audit_head values (1, 424242, ${'f'.repeat(64)})`;
    await tx`create temp table audit_pending (event_id bigint) on commit drop`;
    await tx`set local search_path = pg_temp, public`;
    const [r] = await tx`select public.audit_chain_pending() as n`;
    t.ok(Number(r!.n) >= 1, 'the event was chained');
  });
  const [last] = await superuser`select seq, action from audit_log order by seq desc limit 1`;
  t.equal(last!.action, 'x.shadow', 'into the real chain');
  const [head] = await superuser`select seq from audit_head`;
  t.equal(Number(head!.seq), Number(last!.seq), 'and the real head moved with it');
  t.equal((await T.app.container.services.audit.verify()).ok, true, 'the chain verifies');
});

t.test('an event queued again after it was chained is dropped, not chained twice, and does not count toward a batch', async (t) => {
  await T.app.container.services.audit.chain();
  const [chained] = await superuser`select event_id from audit_chain order by seq desc limit 1`;
  // A requeue racing a chainer: the chained event is back in the queue, with a new event behind it.
  await superuser`insert into audit_pending (event_id) values (${chained!.event_id})`;
  await app`select public.audit_record(now(), 'system', 'system', 'x.after_requeue', 'audit', null, 'allowed', null, 'req-requeue')`;
  const [r] = await app`select public.audit_chain_pending(1) as n`;
  t.equal(Number(r!.n), 1, 'a batch of one chains the new event, the stale entry aside');
  const [dup] = await superuser`select count(*)::int as n from audit_chain where event_id = ${chained!.event_id}`;
  t.equal(dup!.n, 1, 'the requeued event keeps its one place in the chain');
  const [left] = await superuser`select count(*)::int as n from audit_pending`;
  t.equal(left!.n, 0, 'the queue is empty');
  const [last] = await superuser`select action from audit_log order by seq desc limit 1`;
  t.equal(last!.action, 'x.after_requeue');
  t.equal((await T.app.container.services.audit.verify()).ok, true, 'the chain verifies');
});

t.test('the whole audit flow works as the application role: write, chain, checkpoint, verify', async (t) => {
  const before = Number((await app`select seq from audit_head`)[0]!.seq);
  const r = await T.app.inject({ method: 'GET', url: '/v1/me', headers: sup.auth() });
  t.equal(r.statusCode, 200, 'an audited read');
  t.ok((await T.app.container.services.audit.chain()) >= 1, 'chained by the service, connected as the application role');
  const cp = await T.app.container.services.audit.checkpoint();
  t.ok(cp && cp.seq > before, 'a checkpoint is stored');
  const verify = await T.app.inject({ method: 'POST', url: '/v1/audit/verify', headers: sup.auth() });
  t.equal(verify.statusCode, 200);
  t.match(verify.json(), { ok: true, headMatches: true, checkpoints: 1 });
});

t.test('a row changed by the owner role (who can disable the triggers) is caught by verify', async (t) => {
  const [target] = await superuser`select seq, event_id from audit_log where action = 'account.read' order by seq limit 1`;
  const seq = Number(target!.seq);
  await owner.begin(async (tx) => {
    await tx`alter table audit_events disable trigger audit_events_no_update_delete`;
    const changed = await tx`update audit_events set actor = 'system', role = 'system' where id = ${target!.event_id}`;
    t.equal(changed.count, 1, 'the owner could change the row');
    await tx`alter table audit_events enable trigger audit_events_no_update_delete`;
  });

  const verify = await T.app.inject({ method: 'POST', url: '/v1/audit/verify', headers: sup.auth() });
  t.equal(verify.statusCode, 200);
  t.match(verify.json(), { ok: false, firstBadSeq: seq, headMatches: false }, 'the service names the changed event');

  // Offline, with the CLI, on an export taken after the change.
  const dir = mkdtempSync(join(tmpdir(), 'egide-audit-roles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const exported = await T.app.inject({ method: 'GET', url: '/v1/audit/export', headers: sup.auth() });
  t.equal(exported.statusCode, 200);
  const file = join(dir, 'audit.ndjson');
  writeFileSync(file, exported.body);
  let out = '';
  const io: CliIo = { env: {}, stdin: process.stdin, stdout: { write: (s: string) => (out += s) }, stderr: { write: () => undefined } };
  t.equal(await main(['audit', 'verify', file], io), 1, 'egide audit verify fails');
  t.match(out, new RegExp(`FAILED: .*seq ${seq}`), 'at the changed event');
});
