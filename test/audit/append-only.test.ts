/** The audit log is append-only in the database itself, whoever connects (short of disabling triggers). */
import t, { type Test } from 'tap';
import postgres from 'postgres';
import { createTestDatabase } from '../helpers/db.js';

const db = await createTestDatabase();
const sql = postgres(db.url, { max: 1, onnotice: () => undefined });
t.teardown(async () => {
  await sql.end();
  await db.drop();
});

for (let i = 0; i < 3; i++) {
  await sql`select audit_record(now(), 'system', 'system', 'x.test', 'audit', null, 'allowed', null, ${`req-${i}`})`;
}
await sql`select audit_chain_pending()`;
const before = await sql`select seq, actor, hash from audit_log order by seq`;
const [headBefore] = await sql`select seq, hash from audit_head`;

async function refused(t: Test, what: string, run: () => Promise<unknown>) {
  const err = await run().then(
    () => null,
    (e: unknown) => e as { code?: string; message?: string },
  );
  t.ok(err, `${what} is refused`);
  t.equal(err?.code, '42501', `${what}: insufficient_privilege`);
  t.match(err?.message ?? '', /append-only|only through audit_chain_pending/, `${what}: says why`);
}

t.test('UPDATE, DELETE and TRUNCATE of audit_events are refused', async (t) => {
  await refused(t, 'UPDATE', () => sql`update audit_events set actor = 'u:someone-else' where id = 2`);
  await refused(t, 'DELETE', () => sql`delete from audit_events where id = 3`);
  await refused(t, 'TRUNCATE', () => sql`truncate audit_events cascade`);
  t.same(await sql`select seq, actor, hash from audit_log order by seq`, before, 'nothing changed');
});

t.test('the chain cannot be changed, nor written except by the chainer', async (t) => {
  await refused(t, 'UPDATE chain', () => sql`update audit_chain set hash = ${'1'.repeat(64)} where seq = 1`);
  await refused(t, 'DELETE chain', () => sql`delete from audit_chain where seq = 3`);
  await refused(t, 'TRUNCATE chain', () => sql`truncate audit_chain`);
  await refused(t, 'INSERT chain', () => sql`insert into audit_chain (seq, event_id, hash) values (99, 1, ${'1'.repeat(64)})`);
  await sql`select audit_record(now(), 'system', 'system', 'x.test', 'audit', null, 'allowed', null, 'req-q')`;
  await refused(t, 'DELETE pending', () => sql`delete from audit_pending`);
  t.same(await sql`select seq, actor, hash from audit_log order by seq`, before, 'nothing changed');
});

t.test('the head cannot be moved or emptied except by appending', async (t) => {
  await refused(t, 'UPDATE head', () => sql`update audit_head set seq = 1, hash = ${'0'.repeat(64)}`);
  await refused(t, 'DELETE head', () => sql`delete from audit_head`);
  await refused(t, 'TRUNCATE head', () => sql`truncate audit_head`);
  t.same(await sql`select seq, hash from audit_head`, [headBefore]);
});

t.test('stored checkpoints cannot be changed', async (t) => {
  const [h] = await sql`select seq, hash from audit_head`;
  await sql`insert into audit_checkpoints (seq, hash, signature, signed_at) values (${h!.seq}, ${h!.hash}, ${'A'.repeat(86)}, now())`;
  await refused(t, 'UPDATE checkpoint', () => sql`update audit_checkpoints set hash = ${'1'.repeat(64)}`);
  await refused(t, 'DELETE checkpoint', () => sql`delete from audit_checkpoints`);
  t.equal((await sql`select count(*)::int as n from audit_checkpoints`)[0]!.n, 1);
});
