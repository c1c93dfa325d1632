import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, reauth, act, admitCase, caseRow, fileCase } from '../helpers/world.js';

/**
 * A hold on a purge: a supervisor holds the purge of a closed case with a reason (a procedure
 * under way). The case's retention clock stops: it leaves the list of what is due (and appears
 * in the list of held cases), a purge is refused as not due, and the hold is on the timeline and
 * in the audit log. Released, the clock runs again for what it had left (due at once here) and
 * the purge goes through. Only supervisors hold; a hold needs a closed case with a running retention period.
 */
t.setTimeout(300_000);
const T = await buildTestApp(t, { now: '2026-03-02T08:00:00.000Z' });
const dep = await bootstrap(T);
const sql = T.database.sql;
const officer = await enrolActor(T, dep.admin, { username: 'awa', role: 'officer', orgId: dep.mechanismId });

async function closedCase() {
  const c = await fileCase(T, dep);
  await admitCase(T, dep, officer, c.caseId);
  const closed = await act(T, officer, c.caseId, 'close', { reason: 'risque disparu après deux ans', closeReason: 'risk_ceased' });
  if (closed.statusCode !== 200) throw new Error(`close: ${closed.statusCode} ${closed.body}`);
  return c;
}
const held = await closedCase();
const other = await closedCase();
const open = await fileCase(T, dep);

type Who = { auth(): Record<string, string> };
const hold = (who: Who, caseId: string, reason = 'Procédure judiciaire en cours : conserver le dossier') =>
  T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/retention-hold`, headers: who.auth(), payload: { reason } });
const release = (who: Who, caseId: string, reason = 'Procédure close : la conservation reprend') =>
  T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/retention-hold/release`, headers: who.auth(), payload: { reason } });
const list = async (q = '') => {
  const r = await T.app.inject({ method: 'GET', url: `/v1/retention${q}`, headers: dep.supervisor.auth() });
  if (r.statusCode !== 200) throw new Error(`list: ${r.statusCode} ${r.body}`);
  return (r.json().items as Array<{ caseId: string; heldAt?: string }>);
};
const purge = (caseId: string) => T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/purge`, headers: dep.supervisor.auth(), payload: { reason: 'fin de la conservation décennale' } });
const retentionOf = async (caseId: string) => (await sql`select state, due_at, paused_at from deadlines where case_id = ${caseId} and rule = 'retention'`)[0]!;

t.test('ten years on, a supervisor holds one due case: not listed as due, listed as held, not purged', async (t) => {
  T.clock.set('2036-03-03T09:00:00.000Z');
  for (const a of [dep.supervisor, dep.admin, officer]) await reauth(T, a);
  t.same((await list()).map((i) => i.caseId).sort(), [held.caseId, other.caseId].sort(), 'both are due');

  for (const who of [officer, dep.admin]) {
    const r = await hold(who, held.caseId);
    t.equal(r.statusCode, 403, `${who.role} may not hold a purge`);
    t.equal(r.json().code, 'forbidden');
  }
  const r = await hold(dep.supervisor, held.caseId);
  t.equal(r.statusCode, 200, r.body);
  t.match(r.json(), { caseId: held.caseId, reference: held.reference, held: true, at: T.clock.now().toISOString() });
  t.equal((await retentionOf(held.caseId)).state, 'paused', 'the retention clock stopped');

  t.same((await list()).map((i) => i.caseId), [other.caseId], 'the held case is no longer due');
  const heldList = await list('?held=true');
  t.same(heldList.map((i) => i.caseId), [held.caseId], 'it is listed as held');
  t.equal(heldList[0]!.heldAt, T.clock.now().toISOString(), 'with the time of the hold');

  const p = await purge(held.caseId);
  t.equal(p.statusCode, 409, 'a held case is not purged');
  t.equal(p.json().code, 'retention_not_due');
  t.equal((await caseRow(T, held.caseId)).purged_at, null);

  const again = await hold(dep.supervisor, held.caseId);
  t.equal(again.statusCode, 409, 'held once');
  t.equal(again.json().code, 'invalid_transition');

  const [entry] = await sql`select action, reason, actor from case_timeline where case_id = ${held.caseId} order by id desc limit 1`;
  t.same(entry, { action: 'retention.held', reason: 'Procédure judiciaire en cours : conserver le dossier', actor: `u:${dep.supervisor.id}` }, 'the hold is on the timeline');
  const events = await sql`select outcome, reason from audit_events where case_id = ${held.caseId} and action = 'retention.hold' order by id`;
  t.same(events.map((e) => e.outcome), ['allowed', 'denied'], 'the hold and the second attempt audited on the case');
  t.match(events.find((e) => e.outcome === 'allowed')?.reason, /^hold: Procédure judiciaire/, 'the allowed hold with its reason');
});

t.test('a hold needs a closed case with a running retention period', async (t) => {
  const r = await hold(dep.supervisor, open.caseId);
  t.equal(r.statusCode, 409);
  t.equal(r.json().code, 'invalid_transition');
  const missing = await hold(dep.supervisor, '7d1c3a52-4c1e-4b43-9f0e-1c5f2b9a8e11');
  t.equal(missing.statusCode, 404);
  const notHeld = await release(dep.supervisor, other.caseId);
  t.equal(notHeld.statusCode, 409, 'nothing to release');
  t.equal(notHeld.json().code, 'invalid_transition');
  const short = await hold(dep.supervisor, other.caseId, '  ');
  t.equal(short.statusCode, 400, 'a reason is required');
});

t.test('released, the case is due again and the purge goes through', async (t) => {
  T.clock.advance(60_000);
  const r = await release(dep.supervisor, held.caseId);
  t.equal(r.statusCode, 200, r.body);
  t.match(r.json(), { held: false });
  const d = await retentionOf(held.caseId);
  t.equal(d.state, 'open', 'the clock runs again');
  t.ok(new Date(d.due_at as string).getTime() <= T.clock.now().getTime(), 'due at once: it was due when held');
  t.same((await list('?held=true')), [], 'no longer held');
  t.ok((await list()).some((i) => i.caseId === held.caseId), 'due again');
  const [entry] = await sql`select action, reason from case_timeline where case_id = ${held.caseId} order by id desc limit 1`;
  t.same(entry, { action: 'retention.released', reason: 'Procédure close : la conservation reprend' });
  const p = await purge(held.caseId);
  t.equal(p.statusCode, 200, p.body);
  t.ok((await caseRow(T, held.caseId)).purged_at, 'purged');
  const after = await hold(dep.supervisor, held.caseId);
  t.equal(after.statusCode, 409, 'a purged case is not held');
});
