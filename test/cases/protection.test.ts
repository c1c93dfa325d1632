/**
 * A case in protection, as the procedure runs it: the defender starts checking in when measures
 * are in place, a reassessment may conclude that the measures in place still fit (the case goes
 * back to protection without a new measure, decided by a supervisor), and closing a case ends
 * whatever it still has open.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { act, assessmentBody, buildWorld, caseRow, expectStatus, headersOf, type Caller } from '../helpers/world.js';

const T = await buildTestApp(t, { now: '2026-06-01T08:00:00.000Z' });
const w = await buildWorld(T, { officers: ['awa'] });
const { dep } = w;
const awa = w.officers.awa;
const kase = await w.caseAt('assessment');
const { caseId, dek } = kase;

const post = (who: Caller, url: string, payload: object) => T.app.inject({ method: 'POST', url, headers: headersOf(who), payload });
const must = (p: ReturnType<typeof post>, status = 200) => expectStatus(p, status);
/** A version rated high: T 4 x V 3 / C 2 = 6. */
const assessment = () => assessmentBody(dek);
async function assessAndComplete() {
  await must(post(awa, `/v1/cases/${caseId}/assessments`, assessment()), 201);
  await must(act(T, awa, caseId, 'complete-assessment'));
}
async function proposeAndApprove(code: string) {
  const id = randomUUID();
  await must(post(awa, `/v1/cases/${caseId}/measures`, { id, code, implementer: 'cndh' }), 201);
  await must(post(kase.defender, `/v1/measures/${id}/consent`, { decision: 'consent' }));
  await must(post(dep.supervisor, `/v1/measures/${id}/decision`, { decision: 'approve', reason: 'Menaces établies, mesure proportionnée.' }));
  return id;
}
const deadlines = async () => (await T.database.sql`select rule, state, due_at, started_at from deadlines where case_id = ${caseId} order by started_at, rule`).map((d) => ({ rule: d.rule as string, state: d.state as string, due: new Date(d.due_at as string).toISOString(), started: new Date(d.started_at as string).toISOString() }));
const open = async () => (await deadlines()).filter((d) => d.state === 'open' || d.state === 'paused').map((d) => d.rule).sort();

t.test('once the first measure is approved, a defender at high risk starts checking in', async (t) => {
  await assessAndComplete();
  T.clock.advance(60_000);
  await proposeAndApprove('security_training');
  const c = await caseRow(T, caseId);
  t.equal(c.state, 'protection');
  t.equal(c.risk_level, 'high');
  const now = T.clock.now().getTime();
  const checkin = (await deadlines()).find((d) => d.rule === 'checkin');
  // high: every 24 h, plus the 2 h grace.
  t.match(checkin, { state: 'open', due: new Date(now + 26 * 3_600_000).toISOString() }, 'the first check-in is due 24 h + 2 h after protection starts');
  t.notOk((await open()).includes('decision'), 'the decision deadline is settled by the approval');
});

t.test('after a reassessment, a supervisor may keep the measures in place and protection goes on', async (t) => {
  T.clock.advance(60_000);
  await must(act(T, awa, caseId, 'reassess', { reason: 'Nouvel incident signalé' }));
  await assessAndComplete();
  t.equal((await caseRow(T, caseId)).state, 'decision');
  const byOfficer = await act(T, awa, caseId, 'continue-protection', { reason: 'Les mesures en place restent adaptées' });
  t.equal(byOfficer.statusCode, 403, 'deciding is for supervisors');
  const bySupervisor = await act(T, dep.supervisor, caseId, 'continue-protection', { reason: 'Les mesures en place restent adaptées' });
  t.equal(bySupervisor.statusCode, 200, bySupervisor.body);
  t.equal(bySupervisor.json().state, 'protection');
  t.notOk((await open()).includes('decision'), 'the decision deadline is settled');
  const entry = (await T.database.sql`select actor, action, from_state, to_state, reason from case_timeline where case_id = ${caseId} order by id desc limit 1`)[0]!;
  t.match(entry, { actor: `u:${dep.supervisor.id}`, action: 'continue_protection', from_state: 'decision', to_state: 'protection', reason: 'Les mesures en place restent adaptées' });
});

t.test('without a measure in place, protection cannot simply go on', async (t) => {
  T.clock.advance(60_000);
  const measures = (await expectStatus<{ items: Array<{ id: string; code: string; status: string }> }>(T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/measures`, headers: awa.auth() }))).items;
  const inPlace = measures.filter((m) => m.status === 'approved');
  t.equal(inPlace.length, 1, 'the measure approved above is the one in place');
  await must(post(awa, `/v1/measures/${inPlace[0]!.id}/lift`, { reason: 'Formation terminée' }));
  await must(act(T, awa, caseId, 'reassess', { reason: 'Revue périodique' }));
  await assessAndComplete();
  const before = await caseRow(T, caseId);
  const r = await act(T, dep.supervisor, caseId, 'continue-protection', { reason: 'Rien à changer' });
  t.equal(r.statusCode, 409);
  t.equal(r.json().code, 'invalid_transition');
  t.match(r.json().detail, /no measure is in place/);
  t.same(await caseRow(T, caseId), before, 'nothing changed');
  const denied = await T.database.sql`select reason from audit_events where case_id = ${caseId} and action = 'case.decide' and outcome = 'denied'`;
  t.equal(denied.length, 1, 'the refusal is audited with its rule');
});

t.test('closing a case ends what it still has open: measures, and every deadline but retention', async (t) => {
  T.clock.advance(60_000);
  const proposed = randomUUID();
  await must(post(awa, `/v1/cases/${caseId}/measures`, { id: proposed, code: 'digital_security_support', implementer: 'cndh' }), 201);
  t.ok((await open()).includes('consent'), 'the proposal waits for consent');
  const closed = await act(T, dep.supervisor, caseId, 'close', { reason: 'Le défenseur a quitté la zone à risque', closeReason: 'risk_ceased' });
  t.equal(closed.statusCode, 200, closed.body);
  const m = (await T.database.sql`select status, end_reason from measures where id = ${proposed}`)[0]!;
  t.not(m.status, 'proposed', 'the open proposal ended');
  t.match(m.end_reason, /risk_ceased/);
  t.same(await open(), ['retention'], 'only retention runs');
});
