/**
 * The load per officer (GET /v1/staff/load): a supervisor sees every active officer's open cases
 * by state, how many are urgent and how many overdue (by the injected clock), and the cases
 * assigned to nobody; a disabled officer still holding open cases stays listed. Other roles are
 * refused with 403, and the refusal is audited.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, reauth } from '../helpers/world.js';

t.setTimeout(300_000);
const T = await buildTestApp(t, { now: '2026-06-01T09:00:00.000Z' });
const w = await buildWorld(T, { officers: ['a', 'b', 'c'] });
const { a, b, c } = w.officers;
const sup = w.supervisor;
const sql = T.database.sql;

await w.caseAt('triage', { officer: a, metadata: { claimedUrgent: true } });
await w.caseAt('assessment', { officer: a });
await w.caseAt('declined', { officer: a });
await w.caseAt('assessment', { officer: b });
await w.caseAt('received');

type Load = { items: Array<{ userId: string; username: string; status: string; open: number; urgent: number; overdue: number; byState: Record<string, number> }>; unassigned: number };
const load = async (): Promise<Load> => {
  const res = await T.app.inject({ method: 'GET', url: '/v1/staff/load', headers: sup.auth() });
  t.equal(res.statusCode, 200, res.body);
  return res.json() as Load;
};
const of = (l: Load, id: string) => l.items.find((i) => i.userId === id);

t.test('a supervisor sees the open cases of each officer by state, urgent and overdue', async (t) => {
  const l = await load();
  t.match(of(l, a.id), { username: a.username, status: 'active', open: 2, urgent: 1, overdue: 0, byState: { triage: 1, assessment: 1 } }, 'a closed case is not counted');
  t.match(of(l, b.id), { open: 1, byState: { assessment: 1 } });
  t.match(of(l, c.id), { open: 0, byState: {} }, 'an officer without cases is listed, to be given some');
  t.notOk(of(l, sup.id), 'a supervisor holding no case is not an officer to balance');
  t.equal(l.unassigned, 1, 'the intake pool');
  // Weeks later, every open deadline is past due.
  T.clock.advance(40 * 86_400_000);
  await reauth(T, sup);
  const later = await load();
  t.equal(of(later, a.id)!.overdue, 2, 'both open cases of the officer are overdue');
  t.equal(of(later, b.id)!.overdue, 1);
});

t.test('an officer who left with open cases stays listed, marked disabled', async (t) => {
  await sql`update users set status = 'disabled', disabled_at = now() where id = ${b.id}`;
  const l = await load();
  t.match(of(l, b.id), { status: 'disabled', open: 1 });
  await sql`update users set status = 'active', disabled_at = null where id = ${b.id}`;
});

t.test('other roles are refused with 403, audited', async (t) => {
  for (const who of [a, w.admin]) {
    await reauth(T, who);
    const res = await T.app.inject({ method: 'GET', url: '/v1/staff/load', headers: who.auth() });
    t.equal(res.statusCode, 403, `${who.role}: ${res.body}`);
    const [row] = await sql`select outcome from audit_events where action = 'staff.load' and actor = ${`u:${who.id}`} order by id desc limit 1`;
    t.equal(row?.outcome, 'denied', `${who.role}: the refusal is audited`);
  }
  const [allowed] = await sql`select outcome from audit_events where action = 'staff.load' and actor = ${`u:${sup.id}`} limit 1`;
  t.equal(allowed?.outcome, 'allowed', "the supervisor's read is audited");
});
