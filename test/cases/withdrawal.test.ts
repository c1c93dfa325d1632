/**
 * The defender withdraws consent (workflow.md "Withdrawal"): at any time, open measures and
 * referrals stop, open appeals close, and the case closes as consent_withdrawn, in one
 * transaction; every open deadline is cancelled and retention starts; the officer is told.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, caseAt, measureAt, partnerOrg, referralAt, act, caseRow, fileCase, headersOf, type Caller } from '../helpers/world.js';
import { appealGroundsAd, ready, sealField } from '../../src/sdk/index.js';

await ready();
const T = await buildTestApp(t, { now: '2026-05-04T09:00:00.000Z' });
const { dep, officers: { awa, moussa } } = await buildWorld(T, { officers: ['awa', 'moussa'] });
const org = await partnerOrg(T, dep.admin, { name: 'Front Line Defenders', username: 'partner-fld' });
const partner = org.member;
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

t.test('the defender withdraws: measures and referrals stop, the appeal closes, the case closes, every deadline stops', async (t) => {
  // In protection, with a measure active, one proposed, one rejected, a referral sent and one declined.
  const f = await caseAt(T, dep, 'decision', { officer: awa });
  const roles = { officer: awa, supervisor: dep.supervisor };
  const active = await measureAt(T, f, roles, 'active');
  const proposed = await measureAt(T, f, roles, 'proposed');
  const rejected = await measureAt(T, f, roles, 'rejected');
  const sent = await referralAt(T, f, { officer: awa, org }, 'sent');
  const declined = await referralAt(T, f, { officer: awa, org }, 'declined');
  const appealId = randomUUID();
  const appeal = await T.app.inject({ method: 'POST', url: `/v1/cases/${f.caseId}/appeals`, headers: f.defender.auth(), payload: { id: appealId, subject: 'measure_rejected', subjectId: rejected, grounds: sealField({ text: 'x' }, f.defender.dek, appealGroundsAd(appealId)) } });
  t.equal(appeal.statusCode, 201, appeal.body);
  const running = await liveDeadlines(f.caseId);
  t.ok(['appeal', 'checkin', 'review', 'referral_response'].every((rule) => running.includes(rule)), `deadlines running before: ${running.join(', ')}`);

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
  t.same(refs, { [sent]: { state: 'withdrawn', packet: null }, [declined]: { state: 'declined', packet: null } }, 'the open referral is withdrawn and its packet deleted; the declined one as it was');
  t.equal((await sql`select count(*)::int as n from referral_envelopes where referral_id = ${sent}`)[0]!.n, 0, "the partner's access ended");
  t.match((await sql`select state, decided_by from appeals where id = ${appealId}`)[0], { state: 'dismissed', decided_by: null }, 'the open appeal is closed, by nobody');

  t.same(await liveDeadlines(f.caseId), ['retention'], 'every open deadline stopped; retention runs');
  const cancelled = (await sql`select rule from deadlines where case_id = ${f.caseId} and state = 'cancelled' order by rule`).map((d) => d.rule as string);
  t.same(cancelled, ['appeal', 'checkin'], 'the case’s own deadlines (appeal, check-in) are cancelled; those of the stopped measures and referral end with them');
  const last = (await sql`select actor, action, from_state, to_state, reason from case_timeline where case_id = ${f.caseId} order by id desc limit 1`)[0];
  t.match(last, { actor: `d:${f.caseId}`, action: 'withdraw', from_state: 'protection', to_state: 'closed', reason: 'Je ne souhaite plus être suivie.' });
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
