/**
 * The defender withdraws consent (workflow.md "Withdrawal"): at any time, open measures and
 * referrals stop, open appeals close, and the case closes as consent_withdrawn, in one
 * transaction; every open deadline is cancelled and retention starts; the officer is told.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, act, caseRow, fileCase, headersOf, type Caller } from '../helpers/world.js';
import { appealGroundsAd, ready, sealField } from '../../src/sdk/index.js';

await ready();
const T = await buildTestApp(t, { now: '2026-05-04T09:00:00.000Z' });
const dep = await bootstrap(T);
const awa = await enrolActor(T, dep.admin, { username: 'officer-awa', role: 'officer', orgId: dep.mechanismId });
const moussa = await enrolActor(T, dep.admin, { username: 'officer-moussa', role: 'officer', orgId: dep.mechanismId });
const org = (await T.app.inject({ method: 'POST', url: '/v1/orgs', headers: dep.admin.auth(), payload: { name: 'Front Line Defenders' } })).json();
const partner = await enrolActor(T, dep.admin, { username: 'partner-fld', role: 'partner', orgId: org.id });
const DAY = 86_400_000;
const sql = T.database.sql;

const must = async (p: Promise<{ statusCode: number; body: string }>) => {
  const r = await p;
  if (r.statusCode !== 200) throw new Error(`${r.statusCode} ${r.body}`);
  return r;
};
const withdraw = (who: Caller, caseId: string, body: object = {}) => T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/withdraw`, headers: headersOf(who), payload: body });
const liveDeadlines = async (caseId: string) => (await sql`select rule from deadlines where case_id = ${caseId} and state in ('open', 'paused') order by rule`).map((d) => d.rule as string);
const counts = async (caseId: string) => ({
  timeline: (await sql`select count(*)::int as n from case_timeline where case_id = ${caseId}`)[0]!.n,
  outbox: (await sql`select count(*)::int as n from outbox where payload->>'caseId' = ${caseId}`)[0]!.n,
  deadlines: (await sql`select state, count(*)::int as n from deadlines where case_id = ${caseId} group by state order by state`).map((r) => `${r.state}:${r.n}`).join(','),
});

/** Rows as the measures and referrals modules leave them (inserted directly: this test is about stopping them). */
async function insertMeasure(caseId: string, status: 'proposed' | 'active' | 'rejected') {
  const id = randomUUID();
  const at = new Date(T.clock.now().getTime() - DAY).toISOString();
  await sql`insert into measures (id, case_id, code, category, implementer, status, proposed_by, proposed_at, decided_by, decided_at, starts_at, ends_at, updated_at)
    values (${id}, ${caseId}, 'security_training', 'prevention', 'cndh', ${status}, ${awa.id}, ${at}, ${status === 'proposed' ? null : dep.supervisor.id}, ${status === 'proposed' ? null : at},
      ${status === 'active' ? at : null}, ${status === 'active' ? new Date(T.clock.now().getTime() + 90 * DAY).toISOString() : null}, ${at})`;
  if (status === 'active') await sql`insert into deadlines (id, case_id, rule, subject_id, urgent, started_at, due_at) values (${randomUUID()}, ${caseId}, 'review', ${id}, false, ${at}, ${new Date(T.clock.now().getTime() + 90 * DAY).toISOString()})`;
  return id;
}
async function insertReferral(caseId: string, state: 'sent' | 'declined') {
  const id = randomUUID();
  const at = new Date(T.clock.now().getTime() - DAY).toISOString();
  await sql`insert into referrals (id, case_id, org_id, fields, purpose, state, consent_basis, consent_by, consent_at, packet, created_by, created_at, sent_at, updated_at)
    values (${id}, ${caseId}, ${org.id}, '{narrative}', 'legal_support', ${state}, 'defender', ${`d:${caseId}`}, ${at}, ${JSON.stringify({ narrative: 'v1.bm9uY2U.Y2lwaGVy' })}::jsonb, ${awa.id}, ${at}, ${at}, ${at})`;
  await sql`insert into referral_envelopes (referral_id, key_id, envelope, recipient_type, recipient_id, created_at) values (${id}, ${`k${id.slice(0, 21)}`}, 'v1.ZW52ZWxvcGU', 'org', ${org.id}, ${at})`;
  return id;
}

t.test('the defender withdraws: measures and referrals stop, the appeal closes, the case closes, every deadline stops', async (t) => {
  const f = await fileCase(T, dep);
  await must(act(T, awa, f.caseId, 'acknowledge'));
  await must(act(T, awa, f.caseId, 'admit'));
  const active = await insertMeasure(f.caseId, 'active');
  const proposed = await insertMeasure(f.caseId, 'proposed');
  const rejected = await insertMeasure(f.caseId, 'rejected');
  const sent = await insertReferral(f.caseId, 'sent');
  const declined = await insertReferral(f.caseId, 'declined');
  const appealId = randomUUID();
  const appeal = await T.app.inject({ method: 'POST', url: `/v1/cases/${f.caseId}/appeals`, headers: f.defender.auth(), payload: { id: appealId, subject: 'measure_rejected', subjectId: rejected, grounds: sealField({ text: 'x' }, f.defender.dek, appealGroundsAd(appealId)) } });
  t.equal(appeal.statusCode, 201, appeal.body);
  t.same(await liveDeadlines(f.caseId), ['appeal', 'assessment', 'review'], 'deadlines running before');

  T.clock.advance(60_000);
  const r = await withdraw(f.defender, f.caseId, { reason: 'Je ne souhaite plus être suivie.' });
  t.equal(r.statusCode, 200, r.body);
  t.match(r.json(), { case: { id: f.caseId, state: 'closed', closeReason: 'consent_withdrawn' }, measuresStopped: 2, referralsWithdrawn: 1, appealsClosed: 1 });
  t.notOk('assigneeId' in r.json().case, 'no staff ids for the defender');
  const c = await caseRow(T, f.caseId);
  t.match(c, { state: 'closed', close_reason: 'consent_withdrawn' });
  t.equal(new Date(String(c.closed_at)).getTime(), T.clock.now().getTime());

  const statuses = Object.fromEntries((await sql`select id, status from measures where case_id = ${f.caseId}`).map((m) => [m.id, m.status]));
  t.same(statuses, { [active]: 'lifted', [proposed]: 'refused', [rejected]: 'rejected' }, 'open measures stopped, the others as they were');
  const refs = Object.fromEntries((await sql`select id, state, packet from referrals where case_id = ${f.caseId}`).map((x) => [x.id, { state: x.state, packet: x.packet === null ? null : 'kept' }]));
  t.same(refs, { [sent]: { state: 'withdrawn', packet: null }, [declined]: { state: 'declined', packet: 'kept' } }, 'the open referral is withdrawn and its packet deleted');
  t.equal((await sql`select count(*)::int as n from referral_envelopes where referral_id = ${sent}`)[0]!.n, 0, "the partner's access ended");
  t.match((await sql`select state, decided_by from appeals where id = ${appealId}`)[0], { state: 'dismissed', decided_by: null }, 'the open appeal is closed, by nobody');

  t.same(await liveDeadlines(f.caseId), ['retention'], 'every open deadline stopped; retention runs');
  t.equal((await sql`select count(*)::int as n from deadlines where case_id = ${f.caseId} and rule in ('assessment', 'appeal') and state = 'cancelled'`)[0]!.n, 2, 'assessment and appeal deadlines cancelled');
  const last = (await sql`select actor, action, from_state, to_state, reason from case_timeline where case_id = ${f.caseId} order by id desc limit 1`)[0];
  t.match(last, { actor: `d:${f.caseId}`, action: 'withdraw', from_state: 'assessment', to_state: 'closed', reason: 'Je ne souhaite plus être suivie.' });
  t.match((await sql`select payload from outbox where topic = 'case.consent_withdrawn' and payload->>'caseId' = ${f.caseId}`)[0]?.payload, { notify: 'assignee', assigneeId: awa.id, reference: f.reference, measuresStopped: 2 }, 'the officer is told');
  t.equal((await sql`select count(*)::int as n from audit_events where action = 'case.withdraw' and outcome = 'allowed' and case_id = ${f.caseId} and actor = ${`d:${f.caseId}`}`)[0]!.n, 1, 'audited');

  // Withdrawing again is refused and changes nothing.
  const before = { counts: await counts(f.caseId), row: await caseRow(T, f.caseId) };
  T.clock.advance(60_000);
  const again = await withdraw(f.defender, f.caseId);
  t.equal(again.statusCode, 409);
  t.equal(again.json().code, 'invalid_transition');
  // A refusal leaves one audit event, the denial: the allowed decision it had recorded is rolled back.
  const trail = await T.database.sql`select outcome from audit_events where request_id = ${again.json().instance.replace('urn:egide:request:', '')}`;
  t.same(trail.map((r) => r.outcome), ['denied'], 'one audit event: denied');
  t.same(await counts(f.caseId), before.counts, 'no timeline, outbox or deadline change');
  t.same(await caseRow(T, f.caseId), before.row);
  t.equal((await sql`select count(*)::int as n from audit_events where action = 'case.withdraw' and outcome = 'denied' and case_id = ${f.caseId}`)[0]!.n, 1, 'the refusal is audited');
});

t.test('a case nobody has taken yet: withdrawn from the pool, the supervisors are told', async (t) => {
  const f = await fileCase(T, dep);
  t.same(await liveDeadlines(f.caseId), ['acknowledge']);
  const r = await withdraw(f.defender, f.caseId);
  t.equal(r.statusCode, 200, r.body);
  t.match(r.json(), { measuresStopped: 0, referralsWithdrawn: 0, appealsClosed: 0 });
  t.same(await liveDeadlines(f.caseId), ['retention']);
  t.match((await sql`select payload from outbox where topic = 'case.consent_withdrawn' and payload->>'caseId' = ${f.caseId}`)[0]?.payload, { notify: 'supervisors', assigneeId: null });
  t.match((await sql`select action, from_state, reason from case_timeline where case_id = ${f.caseId} order by id desc limit 1`)[0], { action: 'withdraw', from_state: 'received', reason: null });
});

t.test('only the defender of the case withdraws', async (t) => {
  const f = await fileCase(T, dep);
  await must(act(T, awa, f.caseId, 'acknowledge'));
  const other = await fileCase(T, dep);
  const before = await counts(f.caseId);
  for (const who of [awa, moussa, dep.supervisor, partner, dep.admin]) {
    const r = await withdraw(who, f.caseId);
    t.equal(r.statusCode, 403, `${who.username}: staff record nothing here (the defender withdraws)`);
    t.equal(r.json().code, 'forbidden');
  }
  const foreign = await withdraw(other.defender, f.caseId);
  t.equal(foreign.statusCode, 404, "another defender's case is not found");
  t.equal((await withdraw(f.defender, randomUUID())).statusCode, 404);
  t.equal((await withdraw(f.defender, f.caseId, { reason: 'x'.repeat(2001) })).statusCode, 400, 'a bounded reason');
  t.match(await caseRow(T, f.caseId), { state: 'triage', close_reason: null }, 'still open');
  t.same(await counts(f.caseId), before, 'nothing written');
});
