/**
 * Triage as the procedure says: the pool, acknowledgement, admit / decline / request information
 * (the triage clock stops while the defender answers), urgency, closing and reopening. Every
 * step goes through HTTP as the role that takes it; the deadlines follow policies/deadlines.yaml.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, reauth, type Actor } from '../helpers/world.js';
import { deriveReceiptKeys, prepareFiling, ready, toB64u, type FilingMetadata } from '../../src/sdk/index.js';

await ready();
// Friday 20 March 2026 in Bamako (Korité, a holiday): working-day deadlines cross weekends and 26 March.
const T = await buildTestApp(t, { now: '2026-03-20T08:00:00.000Z' });
const { dep, officers: { awa, ibrahim } } = await buildWorld(T, { officers: ['awa', 'ibrahim'] });
const intakeKey = (await T.app.inject({ method: 'GET', url: '/v1/keys/intake' })).json();
const metadata: FilingMetadata = { region: 'segou', defenderCategory: 'lawyer', gender: 'male', disability: 'none', threatTypes: ['judicial_harassment'], claimedUrgent: false, preferredLanguage: 'fr', contactChannel: 'signal', filedFor: 'self' };

async function fileCase(overrides: Partial<FilingMetadata> = {}) {
  const f = prepareFiling({ intakeKey, pinnedKeyId: dep.mechanismKeyId, metadata: { ...metadata, ...overrides }, secrets: { identity: 'x', contact: 'y', narrative: 'z' } });
  const r = await T.app.inject({ method: 'POST', url: '/v1/cases', payload: f.body });
  if (r.statusCode !== 201) throw new Error(r.body);
  return f;
}
/** Moves the test clock (forward only: a TOTP code is never accepted twice) and logs everyone in again. */
async function at(iso: string) {
  T.clock.set(iso);
  for (const p of [awa, ibrahim, dep.supervisor, dep.admin] as Actor[]) await reauth(T, p);
}
const act = (who: { auth(): Record<string, string> } | Record<string, string>, caseId: string, step: string, body: object = {}) =>
  T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/${step}`, headers: 'auth' in who ? (who as { auth(): Record<string, string> }).auth() : (who as Record<string, string>), payload: body });
const deadlines = async (caseId: string) =>
  (await T.database.sql`select rule, state, due_at, remaining_ms from deadlines where case_id = ${caseId} order by started_at, rule`).map((d) => ({ rule: d.rule, state: d.state, due: new Date(d.due_at as string).toISOString() }));
const stateOf = async (caseId: string) => (await T.database.sql`select state, assignee_id, urgent, close_reason, decline_reason from cases where id = ${caseId}`)[0]!;

t.test('an officer takes a case from the pool; triage runs 5 working days', async (t) => {
  await at('2026-03-20T10:00:00.000Z');
  const f = await fileCase();
  const id = f.body.caseId;
  const ack = await act(awa, id, 'acknowledge');
  t.equal(ack.statusCode, 200, ack.body);
  t.equal(ack.json().state, 'triage');
  t.equal(ack.json().assigneeId, awa.id, 'the officer took it for themself');
  const d = await deadlines(id);
  t.match(d.find((x) => x.rule === 'acknowledge'), { state: 'settled' });
  // Friday 20 March + 5 working days, 26 March a holiday: due Monday 30 March, end of day.
  t.match(d.find((x) => x.rule === 'triage'), { state: 'open', due: '2026-03-30T23:59:59.000Z' });
  t.equal((await act(awa, id, 'acknowledge')).statusCode, 404, 'for officers, the case has left the pool');
  const again = await act(dep.supervisor, id, 'acknowledge', { assigneeId: ibrahim.id });
  t.equal(again.json().code, 'invalid_transition', 'a case is acknowledged once');
  // The refusal rolls back the whole command: its audit trail is one denial, not an allowed decision and a denial.
  const requestId = again.json().instance.replace('urn:egide:request:', '');
  const trail = await T.database.sql`select outcome, reason from audit_events where request_id = ${requestId}`;
  t.same(trail.map((r) => r.outcome), ['denied'], 'one audit event: denied');
  t.match(trail[0]!.reason, /cannot acknowledge a case in state triage/);
});

t.test("another officer cannot triage a case that is not theirs, and cannot see it leave the pool", async (t) => {
  await at('2026-03-20T10:30:00.000Z');
  const f = await fileCase();
  const id = f.body.caseId;
  t.equal((await act(awa, id, 'acknowledge')).statusCode, 200);
  const r = await act(ibrahim, id, 'admit');
  t.equal(r.statusCode, 404, 'out of scope: not found');
  t.equal((await T.app.inject({ method: 'GET', url: `/v1/cases/${id}`, headers: ibrahim.auth() })).statusCode, 404);
  t.equal((await stateOf(id)).state, 'triage', 'nothing changed');
  const denied = await T.database.sql`select reason from audit_events where action = 'case.triage' and case_id = ${id} and outcome = 'denied'`;
  t.equal(denied.length, 1, 'the refusal is audited');
});

t.test('asking the defender for information stops the triage clock until they answer', async (t) => {
  await at('2026-03-20T11:00:00.000Z');
  const f = await fileCase();
  const id = f.body.caseId;
  await act(awa, id, 'acknowledge');
  t.equal((await act(awa, id, 'request-info', {})).statusCode, 400, 'a reason is required');
  await at('2026-03-23T09:00:00.000Z'); // Monday
  const asked = T.clock.now().getTime();
  const r = await act(awa, id, 'request-info', { reason: 'date of the last threat missing' });
  t.equal(r.statusCode, 200, r.body);
  let d = await deadlines(id);
  t.match(d.find((x) => x.rule === 'triage'), { state: 'paused' });
  t.match(d.find((x) => x.rule === 'info_reply'), { state: 'open', due: new Date(asked + 14 * 86_400_000).toISOString() });
  // The defender answers with the receipt, ten days later.
  const keys = deriveReceiptKeys(f.receipt, intakeKey.receiptSalt);
  await at('2026-04-02T12:00:00.000Z'); // Thursday
  const answered = T.clock.now().getTime();
  const login = (await T.app.inject({ method: 'POST', url: '/v1/auth/receipt', payload: { authKey: toB64u(keys.authKey) } })).json();
  const answer = await act({ authorization: `Bearer ${login.accessToken}` }, id, 'provide-info');
  t.equal(answer.statusCode, 200, answer.body);
  d = await deadlines(id);
  t.match(d.find((x) => x.rule === 'info_reply'), { state: 'settled' });
  // Paused on Monday 23 with 4 working days left (24, 25, 27, 30 March; 26 March is a holiday):
  // from Thursday 2 April, the 3rd, 7th, 8th and 9th (6 April, Easter Monday, is a holiday).
  t.match(d.find((x) => x.rule === 'triage'), { state: 'open' });
  t.equal(d.find((x) => x.rule === 'triage')!.due, '2026-04-09T23:59:59.000Z');
  t.equal((await act(awa, id, 'admit')).statusCode, 200);
  d = await deadlines(id);
  t.match(d.find((x) => x.rule === 'triage'), { state: 'settled' });
  t.match(d.find((x) => x.rule === 'assessment'), { state: 'open', due: new Date(answered + 10 * 86_400_000).toISOString() }, 'admitted when answered: 10 days for the assessment');
});

t.test('declining closes the case with its reason and stops every deadline', async (t) => {
  const f = await fileCase();
  const id = f.body.caseId;
  await act(awa, id, 'acknowledge');
  const reason = 'not a human rights defender under Law 2018-003';
  const missing = await act(awa, id, 'decline', { reason });
  t.equal(missing.statusCode, 400, 'a decline without its code is refused');
  t.match(missing.json(), { code: 'validation_failed' });
  const unknown = await act(awa, id, 'decline', { reason, declineReason: 'not_stated' });
  t.equal(unknown.statusCode, 400, 'not_stated is kept for cases declined before the codes: nobody chooses it');
  t.match(await stateOf(id), { state: 'triage', decline_reason: null }, 'nothing written by the refusals');
  const r = await act(awa, id, 'decline', { reason, declineReason: 'not_a_defender' });
  t.equal(r.statusCode, 200);
  t.equal(r.json().declineReason, 'not_a_defender', 'the staff view carries the code');
  t.match(await stateOf(id), { state: 'closed', close_reason: 'declined', decline_reason: 'not_a_defender' });
  const live = (await deadlines(id)).filter((d) => d.state === 'open' || d.state === 'paused');
  t.same(live.map((d) => d.rule), ['retention'], 'only retention runs on a closed case (purge after a supervisor confirms)');
  t.equal((await act(awa, id, 'admit')).json().code, 'invalid_transition');
  t.equal((await act(awa, id, 'reopen', { reason: 'new incident' })).statusCode, 403, 'only a supervisor reopens');
  const re = await act(dep.supervisor, id, 'reopen', { reason: 'new incident reported by phone' });
  t.equal(re.statusCode, 200);
  t.match(await stateOf(id), { state: 'triage', close_reason: null, decline_reason: null }, 'a reopened case is no longer declined');
  const timeline = await T.database.sql`select action, from_state, to_state, reason from case_timeline where case_id = ${id} order by id`;
  t.same(timeline.map((e) => e.action), ['filed', 'acknowledge', 'decline', 'reopen']);
  t.equal(timeline[2]!.reason, 'not a human rights defender under Law 2018-003');
});

t.test('a supervisor assigns an officer; urgency is confirmed or lifted with a reason', async (t) => {
  const f = await fileCase({ claimedUrgent: true });
  const id = f.body.caseId;
  t.equal((await act(dep.supervisor, id, 'acknowledge', {})).statusCode, 400, 'a supervisor must name the officer');
  t.equal((await act(dep.supervisor, id, 'acknowledge', { assigneeId: dep.admin.id })).statusCode, 400, 'only an active officer can be assigned');
  const r = await act(dep.supervisor, id, 'acknowledge', { assigneeId: ibrahim.id });
  t.equal(r.json().assigneeId, ibrahim.id);
  const triage = (await deadlines(id)).find((d) => d.rule === 'triage')!;
  t.equal(new Date(triage.due).getTime() - T.clock.now().getTime(), 3 * 3600_000, 'urgent triage: 3 hours');
  t.equal((await act(awa, id, 'urgency', { urgent: false, reason: 'x' })).statusCode, 400, 'the reason must say something');
  t.equal((await act(awa, id, 'urgency', { urgent: false, reason: 'threat dates from 2019' })).statusCode, 404, 'not her case');
  const lift = await act(ibrahim, id, 'urgency', { urgent: false, reason: 'threat dates from 2019' });
  t.equal(lift.statusCode, 200);
  t.equal(lift.json().urgent, false);
  t.equal(lift.json().urgentClaimed, true, 'the claim stays on record');
});

t.test('closing needs a known reason; partners and admins take no step', async (t) => {
  const f = await fileCase();
  const id = f.body.caseId;
  await act(awa, id, 'acknowledge');
  t.equal((await act(awa, id, 'close', { reason: 'duplicate of another case' })).statusCode, 400, 'closeReason is required');
  t.equal((await act(awa, id, 'close', { reason: 'duplicate', closeReason: 'bored' })).statusCode, 400);
  t.equal((await act(dep.admin, id, 'close', { reason: 'duplicate case', closeReason: 'duplicate' })).statusCode, 403);
  const ok = await act(awa, id, 'close', { reason: 'duplicate of 2026-00001', closeReason: 'duplicate' });
  t.equal(ok.statusCode, 200);
  t.equal(ok.json().closeReason, 'duplicate');
});
