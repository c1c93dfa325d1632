/**
 * The audit log is append-only in the database itself, for every role short of disabling the
 * triggers: here even the owner role (what the migrations run as) is refused. The application
 * role has no such privileges to begin with (test/audit/db-roles.test.ts).
 */
import t, { type Test } from 'tap';
import postgres from 'postgres';
import { createTestDatabase } from '../helpers/db.js';

const db = await createTestDatabase();
const owner = postgres(db.ownerUrl, { max: 1, onnotice: () => undefined });
const app = postgres(db.url, { max: 1, onnotice: () => undefined });
t.teardown(async () => {
  await owner.end();
  await app.end();
  await db.drop();
});

for (let i = 0; i < 3; i++) {
  await app`select audit_record(now(), 'system', 'system', 'x.test', 'audit', null, 'allowed', null, ${`req-${i}`})`;
}
await app`select audit_chain_pending()`;
const before = await owner`select seq, actor, hash from audit_log order by seq`;
const [headBefore] = await owner`select seq, hash from audit_head`;

async function refused(t: Test, what: string, run: () => Promise<unknown>) {
  const err = await run().then(
    () => null,
    (e: unknown) => e as { code?: string; message?: string },
  );
  t.ok(err, `${what} is refused`);
  t.equal(err?.code, '42501', `${what}: insufficient_privilege`);
  t.match(err?.message ?? '', /append-only/, `${what}: says why`);
}

t.test('UPDATE, DELETE and TRUNCATE of audit_events are refused, even to the owner', async (t) => {
  await refused(t, 'UPDATE', () => owner`update audit_events set actor = 'u:someone-else' where id = 2`);
  await refused(t, 'DELETE', () => owner`delete from audit_events where id = 3`);
  await refused(t, 'TRUNCATE', () => owner`truncate audit_events cascade`);
  t.same(await owner`select seq, actor, hash from audit_log order by seq`, before, 'nothing changed');
});

t.test('a place in the chain cannot be changed or removed', async (t) => {
  await refused(t, 'UPDATE chain', () => owner`update audit_chain set hash = ${'1'.repeat(64)} where seq = 1`);
  await refused(t, 'DELETE chain', () => owner`delete from audit_chain where seq = 3`);
  await refused(t, 'TRUNCATE chain', () => owner`truncate audit_chain`);
  t.same(await owner`select seq, actor, hash from audit_log order by seq`, before, 'nothing changed');
});

t.test('the head row cannot be removed', async (t) => {
  await refused(t, 'DELETE head', () => owner`delete from audit_head`);
  await refused(t, 'TRUNCATE head', () => owner`truncate audit_head`);
  t.same(await owner`select seq, hash from audit_head`, [headBefore]);
});

t.test('stored checkpoints cannot be changed', async (t) => {
  const [h] = await owner`select seq, hash from audit_head`;
  await app`insert into audit_checkpoints (seq, hash, signature, signed_at) values (${h!.seq}, ${h!.hash}, ${'A'.repeat(86)}, now())`;
  await refused(t, 'UPDATE checkpoint', () => owner`update audit_checkpoints set hash = ${'1'.repeat(64)}`);
  await refused(t, 'DELETE checkpoint', () => owner`delete from audit_checkpoints`);
  await refused(t, 'TRUNCATE checkpoint', () => owner`truncate audit_checkpoints`);
  t.equal((await owner`select count(*)::int as n from audit_checkpoints`)[0]!.n, 1);
});
