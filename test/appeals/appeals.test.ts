/**
 * Appeals (workflow.md "Appeal", Mexico's law arts. 57-58): the defender appeals a decline, a
 * no-measures decision, a rejected or lifted measure within 30 days, with grounds sealed under the
 * case key; a supervisor other than the one who decided rules; an upheld appeal undoes the
 * decision, a dismissed one changes nothing but the record. The server, not the defender, says
 * which decision it was, when and by whom.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { measureAt, assessToDecision, bootstrap, enrolActor, refreshIfStale, type Actor, act, caseKeyOf, caseRow, fileCase, headersOf, type Caller, type FiledCase } from '../helpers/world.js';
import { appealGroundsAd, openField, ready, sealField } from '../../src/sdk/index.js';

await ready();
// Monday 6 April 2026, Bamako.
const T = await buildTestApp(t, { now: '2026-04-06T08:00:00.000Z' });
const dep = await bootstrap(T);
const supA = dep.supervisor;
const supB = await enrolActor(T, dep.admin, { username: 'supervisor-binta', role: 'supervisor', orgId: dep.mechanismId });
const awa = await enrolActor(T, dep.admin, { username: 'officer-awa', role: 'officer', orgId: dep.mechanismId });
const moussa = await enrolActor(T, dep.admin, { username: 'officer-moussa', role: 'officer', orgId: dep.mechanismId });
const org = await T.app.inject({ method: 'POST', url: '/v1/orgs', headers: dep.admin.auth(), payload: { name: 'Avocats Sans Frontières' } });
const partner = await enrolActor(T, dep.admin, { username: 'partner-asf', role: 'partner', orgId: org.json().id });
const MARK = `MARQUEUR-${randomUUID()}`;
const DAY = 86_400_000;
/** A timestamp column as the raw driver returns it (text), in ms. */
const ms = (v: unknown) => new Date(String(v)).getTime();

const must = async (p: Promise<{ statusCode: number; body: string }>, status = 200) => {
  const r = await p;
  if (r.statusCode !== status) throw new Error(`expected ${status}, got ${r.statusCode} ${r.body}`);
  return r;
};
const fileAppeal = (f: FiledCase, body: { subject: string; subjectId?: string; grounds?: string | false; id?: string }, who: Caller = f.defender) => {
  const id = body.id ?? randomUUID();
  const grounds = body.grounds === false ? undefined : (body.grounds ?? sealField({ text: `Je suis bien défenseure. ${MARK}` }, f.defender.dek, appealGroundsAd(id)));
  return T.app.inject({ method: 'POST', url: `/v1/cases/${f.caseId}/appeals`, headers: headersOf(who), payload: { id, subject: body.subject, ...(body.subjectId ? { subjectId: body.subjectId } : {}), ...(grounds ? { grounds } : {}) } });
};
const decide = (who: Caller, appealId: string, outcome: 'upheld' | 'dismissed', reason = 'Examen du recours par la sous-commission.') =>
  T.app.inject({ method: 'POST', url: `/v1/appeals/${appealId}/decision`, headers: headersOf(who), payload: { outcome, reason } });
const listAppeals = (who: Caller, caseId: string) => T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/appeals`, headers: headersOf(who) });
/** The case row without the columns a trigger derives from its deadlines. */
const caseState = async (caseId: string) => {
  const { next_due_at: _a, next_due_rule: _b, ...rest } = await caseRow(T, caseId);
  return rest;
};
const appealRow = async (id: string) => (await T.database.sql`select * from appeals where id = ${id}`)[0];
const deadlinesOf = async (caseId: string) => T.database.sql`select rule, state, subject_id, started_at, due_at from deadlines where case_id = ${caseId} order by started_at, rule`;
const timelineOf = async (caseId: string) => T.database.sql`select actor, action, from_state, to_state, reason from case_timeline where case_id = ${caseId} order by id`;

/** A case an officer took and declined at triage (or a supervisor, assigning the officer first). */
async function declinedCase(by: Actor = awa): Promise<FiledCase> {
  const f = await fileCase(T, dep);
  await must(by === awa ? act(T, awa, f.caseId, 'acknowledge') : act(T, by, f.caseId, 'acknowledge', { assigneeId: awa.id }));
  await must(act(T, by, f.caseId, 'decline', { reason: 'Hors mandat: pas une activité de défense des droits.', declineReason: 'unrelated_to_defence_work' }));
  return f;
}

/** A case admitted, assessed (an assessment version recorded) and in decision. */
async function caseInDecision(): Promise<FiledCase> {
  const f = await fileCase(T, dep);
  // (the officer needs no case key here: nothing sealed is read on this path)
  await must(act(T, awa, f.caseId, 'acknowledge'));
  await must(act(T, awa, f.caseId, 'admit'));
  await assessToDecision(T, awa, f.caseId, null, { V: 1, C: 5 });
  return f;
}

/** A measure taken to `status` through the API: proposed by Awa, consented by the defender, decided by supervisor A (an approval puts the case in protection). */
const measureOf = (f: FiledCase, status: 'proposed' | 'rejected' | 'lifted') => measureAt(T, { ...f, dek: null }, { officer: awa, supervisor: supA }, status, { code: 'communication_equipment' });

t.test('an officer declines; the defender appeals with sealed grounds; a supervisor opens them and upholds: back to triage', async (t) => {
  const f = await declinedCase();
  const closed = await caseRow(T, f.caseId);
  T.clock.advance(5 * 60_000); // the defender appeals a little later: the decision time is the closing's
  const id = randomUUID();
  const r = await fileAppeal(f, { id, subject: 'decline' });
  t.equal(r.statusCode, 201, r.body);
  t.match(r.json(), { id, caseId: f.caseId, subject: 'decline', subjectId: null, state: 'filed', decisionAt: new Date(String(closed.closed_at)).toISOString() });
  t.notOk('deciderId' in r.json(), 'the defender is not told who decided');
  const row = await appealRow(id);
  t.equal(row!.decider_id, awa.id, 'the server found the decider: the officer who declined');
  const filedDeadlines = await deadlinesOf(f.caseId);
  t.match(filedDeadlines.find((d) => d.rule === 'retention'), { state: 'open' }, 'retention of the closed case runs on');
  const appealDeadline = filedDeadlines.find((d) => d.rule === 'appeal')!;
  t.match(appealDeadline, { state: 'open', subject_id: id }, 'the appeal deadline is about this appeal');
  t.equal(ms(appealDeadline.due_at) - ms(appealDeadline.started_at), 15 * DAY, 'ruled within 15 days (art. 58)');
  t.equal((await T.database.sql`select count(*)::int as n from outbox where topic = 'appeal.filed' and payload->>'appealId' = ${id} and payload->>'notify' = 'supervisors'`)[0]!.n, 1, 'the supervisors are told');

  // The supervisor's client opens the grounds with the case key; the officer sees the appeal too.
  const seen = await listAppeals(supA, f.caseId);
  t.equal(seen.statusCode, 200);
  const [a] = seen.json().items;
  t.equal(a.deciderId, awa.id, 'staff see who decided');
  t.same(openField(a.grounds, await caseKeyOf(T, supA, f.caseId), appealGroundsAd(id)), { text: `Je suis bien défenseure. ${MARK}` });
  t.throws(() => openField(a.grounds, f.defender.dek, appealGroundsAd(randomUUID())), { code: 'decrypt_failed' }, 'bound to this appeal');
  t.equal((await listAppeals(awa, f.caseId)).json().items.length, 1, 'the assigned officer sees it');
  const mine = (await listAppeals(f.defender, f.caseId)).json().items;
  t.equal(mine.length, 1);
  t.notOk('deciderId' in mine[0] || 'decidedBy' in mine[0], 'no staff ids for the defender');

  t.equal((await decide(awa, id, 'upheld')).statusCode, 403, 'an officer does not rule on appeals');
  const up = await decide(supA, id, 'upheld', "Les menaces visent son travail de journaliste: c'est dans le mandat.");
  t.equal(up.statusCode, 200, up.body);
  t.match(up.json(), { state: 'upheld', decidedBy: supA.id, caseState: 'triage', effect: 'reopen_to_triage' });
  t.match(await caseRow(T, f.caseId), { state: 'triage', closed_at: null, close_reason: null, assignee_id: awa.id });
  const tl = await timelineOf(f.caseId);
  t.match(tl.slice(-2), [
    { actor: `d:${f.caseId}`, action: 'appeal_filed', from_state: 'closed', to_state: 'closed', reason: 'decline' },
    { actor: `u:${supA.id}`, action: 'appeal_upheld', from_state: 'closed', to_state: 'triage', reason: "Les menaces visent son travail de journaliste: c'est dans le mandat." },
  ]);
  const d = await deadlinesOf(f.caseId);
  t.match(d.find((x) => x.rule === 'appeal'), { state: 'settled' }, 'the appeal deadline is met');
  t.match(d.find((x) => x.rule === 'retention'), { state: 'settled' }, 'retention stops: the case is open again');
  t.equal((await T.database.sql`select count(*)::int as n from outbox where topic = 'appeal.decided' and payload->>'appealId' = ${id} and payload->>'notify' = 'defender'`)[0]!.n, 1, 'the defender is told');
  t.equal((await T.database.sql`select count(*)::int as n from audit_events where action = 'appeal.decide' and outcome = 'allowed' and case_id = ${f.caseId}`)[0]!.n, 1, 'audited');
  const again = await decide(supB, id, 'dismissed');
  t.equal(again.statusCode, 409);
  t.equal(again.json().code, 'invalid_transition', 'an appeal is decided once');
  t.equal((await appealRow(id))!.state, 'upheld');
});

t.test('the supervisor who declined may not rule: 409 separation_of_duties; another dismisses, and nothing else changes', async (t) => {
  const f = await declinedCase(supA);
  const id = randomUUID();
  t.equal((await fileAppeal(f, { id, subject: 'decline' })).statusCode, 201);
  t.equal((await appealRow(id))!.decider_id, supA.id);
  const before = { case: await caseState(f.caseId), timeline: (await timelineOf(f.caseId)).length, deadlines: await deadlinesOf(f.caseId) };
  const own = await decide(supA, id, 'upheld');
  t.equal(own.statusCode, 409);
  t.equal(own.json().code, 'separation_of_duties');
  t.equal((await appealRow(id))!.state, 'filed', 'still open');
  t.same(await caseState(f.caseId), before.case, 'the case did not move');
  t.equal((await T.database.sql`select count(*)::int as n from audit_events where action = 'appeal.decide' and outcome = 'denied' and resource = ${`appeal:${id}`} and actor = ${`u:${supA.id}`}`)[0]!.n, 1, 'the refusal is audited');

  T.clock.advance(60_000);
  const r = await decide(supB, id, 'dismissed', 'Le refus est fondé: hors mandat.');
  t.equal(r.statusCode, 200, r.body);
  t.match(r.json(), { state: 'dismissed', decidedBy: supB.id, caseState: 'closed', effect: null });
  t.same(await caseState(f.caseId), before.case, 'dismissed: the case is as it was (closed, declined, same times)');
  const after = await deadlinesOf(f.caseId);
  t.same(after.filter((d) => d.rule !== 'appeal'), before.deadlines.filter((d) => d.rule !== 'appeal'), 'retention and the rest untouched');
  t.match(after.find((d) => d.rule === 'appeal'), { state: 'settled' });
  const tl = await timelineOf(f.caseId);
  t.equal(tl.length, before.timeline + 1);
  t.match(tl.at(-1), { actor: `u:${supB.id}`, action: 'appeal_dismissed', from_state: 'closed', to_state: 'closed' });
  const mine = (await listAppeals(f.defender, f.caseId)).json().items[0];
  t.match(mine, { state: 'dismissed', reason: 'Le refus est fondé: hors mandat.' }, 'the defender reads the outcome and its reason');
});

t.test('one open appeal per decision; a reused id is refused; bad grounds are refused; nothing is written', async (t) => {
  const f = await declinedCase();
  const id = randomUUID();
  t.equal((await fileAppeal(f, { id, subject: 'decline' })).statusCode, 201);
  const count = async () => (await T.database.sql`select count(*)::int as n from appeals where case_id = ${f.caseId}`)[0]!.n;
  const second = await fileAppeal(f, { subject: 'decline' });
  t.equal(second.statusCode, 409);
  t.equal(second.json().code, 'already_exists');
  const reused = await fileAppeal(f, { id, subject: 'decline' });
  t.equal(reused.json().code, 'already_exists', 'the same id again');
  const plain = await fileAppeal(f, { subject: 'decline', grounds: 'v1.en-clair.pas-chiffre' });
  t.equal(plain.statusCode, 400);
  t.equal(plain.json().code, 'validation_failed');
  t.equal((await fileAppeal(f, { subject: 'no_measures' })).json().code, 'invalid_transition', 'no no-measures decision on this case');
  t.equal((await fileAppeal(f, { subject: 'measure_rejected' })).statusCode, 400, 'a measure appeal names the measure');
  t.equal((await fileAppeal(f, { subject: 'decline', grounds: false, subjectId: randomUUID() })).statusCode, 400, 'a case decision takes no subjectId');
  t.equal(await count(), 1);
  t.equal((await T.database.sql`select count(*)::int as n from deadlines where case_id = ${f.caseId} and rule = 'appeal'`)[0]!.n, 1, 'one appeal deadline');
  t.equal((await T.database.sql`select count(*)::int as n from audit_events where action = 'appeal.file' and outcome = 'denied' and case_id = ${f.caseId}`)[0]!.n, 3, 'refusals after access was granted are audited as denied');
});

t.test('an appeal of a no-measures decision, upheld: back to decision, the decision deadline starts again', async (t) => {
  const f = await caseInDecision();
  await must(act(T, supA, f.caseId, 'decide-no-measures', { reason: 'Risque faible, pas de mesure.' }));
  const id = randomUUID();
  t.equal((await fileAppeal(f, { id, subject: 'no_measures', grounds: false })).statusCode, 201, 'grounds are optional');
  t.equal((await appealRow(id))!.decider_id, supA.id);
  t.equal((await decide(supA, id, 'upheld')).json().code, 'separation_of_duties');
  T.clock.advance(60_000);
  const r = await decide(supB, id, 'upheld', 'La menace est récente: réexaminer le plan.');
  t.equal(r.statusCode, 200, r.body);
  t.match(await caseRow(T, f.caseId), { state: 'decision', closed_at: null, close_reason: null });
  const d = await deadlinesOf(f.caseId);
  t.same(d.filter((x) => x.rule === 'decision').map((x) => x.state), ['settled', 'open'], 'settled by the decision, then running again');
  t.match(d.find((x) => x.rule === 'retention'), { state: 'settled' });
});

t.test('an appeal of a rejected measure: the supervisor who rejected it may not rule; upheld, it awaits a new approval', async (t) => {
  const f = await caseInDecision();
  const measureId = await measureOf(f, 'rejected');
  const other = await measureOf(f, 'proposed');
  t.equal((await fileAppeal(f, { subject: 'measure_rejected', subjectId: other })).json().code, 'invalid_transition', 'a measure still proposed was not rejected');
  const unknown = await fileAppeal(f, { subject: 'measure_rejected', subjectId: randomUUID() });
  t.equal(unknown.statusCode, 404);
  const id = randomUUID();
  const r = await fileAppeal(f, { id, subject: 'measure_rejected', subjectId: measureId });
  t.equal(r.statusCode, 201, r.body);
  t.match(await appealRow(id), { decider_id: supA.id, subject_id: measureId });
  t.equal((await fileAppeal(f, { subject: 'measure_rejected', subjectId: measureId })).json().code, 'already_exists', 'one open appeal per measure');
  t.equal((await decide(supA, id, 'upheld')).json().code, 'separation_of_duties');
  t.match((await T.database.sql`select status from measures where id = ${measureId}`)[0], { status: 'rejected' }, 'unchanged by the refusal');
  const up = await decide(supB, id, 'upheld', 'Le budget existe: nouvelle décision.');
  t.equal(up.statusCode, 200, up.body);
  t.match(up.json(), { caseState: 'decision', effect: 'measure_to_consented' });
  t.match((await T.database.sql`select status, decided_by, decided_at from measures where id = ${measureId}`)[0], { status: 'consented', decided_by: null, decided_at: null });
  t.match((await T.database.sql`select status from measures where id = ${other}`)[0], { status: 'proposed' }, 'other measures untouched');
  t.ok((await deadlinesOf(f.caseId)).some((d) => d.rule === 'approval' && d.state === 'open' && d.subject_id === measureId), 'the approval deadline of the measure runs again');
  t.equal((await T.database.sql`select count(*)::int as n from outbox where topic = 'appeal.upheld' and payload->>'appealId' = ${id} and payload->>'assigneeId' = ${awa.id}`)[0]!.n, 1, 'the officer is told');
});

t.test('an appeal of a lifted measure, upheld: the measure is active again until its end date', async (t) => {
  const f = await caseInDecision();
  const measureId = await measureOf(f, 'lifted');
  const id = randomUUID();
  t.equal((await fileAppeal(f, { id, subject: 'measure_lifted', subjectId: measureId })).statusCode, 201);
  t.equal((await appealRow(id))!.decider_id, awa.id, 'the officer who lifted it');
  const r = await decide(supA, id, 'upheld', 'La menace persiste.');
  t.equal(r.statusCode, 200, r.body);
  const m = (await T.database.sql`select status, ended_at, ended_by, ends_at from measures where id = ${measureId}`)[0]!;
  t.match(m, { status: 'active', ended_at: null, ended_by: null });
  const review = (await deadlinesOf(f.caseId)).find((d) => d.rule === 'review' && d.subject_id === measureId);
  t.equal(review && ms(review.due_at), ms(m.ends_at), 'reviewed by its end date');
});

t.test('who may file, decide and read', async (t) => {
  for (const p of [partner, dep.admin, awa, supA, supB, moussa]) await refreshIfStale(T, p);
  const f = await declinedCase();
  const other = await fileCase(T, dep);
  for (const who of [awa, supA, partner, dep.admin]) {
    const r = await fileAppeal(f, { subject: 'decline' }, who);
    t.equal(r.statusCode, 403, `${who.username} does not file appeals`);
    t.equal(r.json().code, 'forbidden');
  }
  const foreign = await fileAppeal(f, { subject: 'decline' }, other.defender);
  t.equal(foreign.statusCode, 404, "another defender's case is not found");
  const id = randomUUID();
  t.equal((await fileAppeal(f, { id, subject: 'decline' })).statusCode, 201);
  t.equal((await listAppeals(moussa, f.caseId)).statusCode, 404, 'an officer not assigned');
  t.equal((await listAppeals(other.defender, f.caseId)).statusCode, 404, 'another defender');
  for (const who of [partner, dep.admin]) t.equal((await listAppeals(who, f.caseId)).statusCode, 403);
  for (const who of [f.defender, awa, partner, dep.admin]) t.equal((await decide(who, id, 'upheld')).statusCode, 403, 'only supervisors rule');
  t.equal((await decide(supB, randomUUID(), 'upheld')).statusCode, 404, 'no such appeal');
  t.equal((await appealRow(id))!.state, 'filed');
});

t.test('after 30 days the decision can no longer be appealed', async (t) => {
  const early = await declinedCase();
  const late = await declinedCase();
  const closedAt = ms((await caseRow(T, late.caseId)).closed_at);
  T.clock.set(new Date(closedAt + 30 * DAY - 10 * 60_000).toISOString());
  await early.defender.relogin();
  t.equal((await fileAppeal(early, { subject: 'decline' })).statusCode, 201, 'day 30: still in time');
  T.clock.set(new Date(closedAt + 30 * DAY + 60_000).toISOString());
  await late.defender.relogin();
  const r = await fileAppeal(late, { subject: 'decline' });
  t.equal(r.statusCode, 409);
  t.equal(r.json().code, 'appeal_window_closed');
  t.equal((await T.database.sql`select count(*)::int as n from appeals where case_id = ${late.caseId}`)[0]!.n, 0, 'nothing written');
  t.equal((await T.database.sql`select count(*)::int as n from audit_events where action = 'appeal.file' and outcome = 'denied' and case_id = ${late.caseId}`)[0]!.n, 1, 'audited as denied');
});

t.test('the grounds never reach the database, the logs or Redis in the clear', async (t) => {
  const [row] = await T.database.sql`select count(*)::int as n from appeals where grounds is not null`;
  t.ok(row!.n > 3, 'sealed grounds were stored');
  const tables = ['appeals', 'case_timeline', 'outbox', 'audit_events', 'deadlines', 'measures', 'cases'];
  for (const table of tables) {
    const [hit] = await T.database.sql`select count(*)::int as n from ${T.database.sql(table)} x where x::text like ${`%${MARK}%`}`;
    t.equal(hit!.n, 0, table);
  }
  t.notOk(T.logs.join('\n').includes(MARK), 'logs');
  const keys = await T.redis.keys(`${T.config.REDIS_PREFIX}:*`);
  const values = await Promise.all(keys.map(async (k) => JSON.stringify(await T.redis.dump(k))));
  t.notOk(values.join('').includes(MARK), 'redis');
});
