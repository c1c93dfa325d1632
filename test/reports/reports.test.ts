/**
 * Incidents, check-ins and alerts (workflow.md, "Cross-cutting"): the defender records them with
 * the receipt session, or the assigned officer on their behalf; the note is sealed under the case
 * key and bound to its kind and id. An incident tells the officer at once and, on a case in
 * protection, starts a reassessment; a check-in moves the check-in deadline on (by risk level,
 * plus grace); an alert goes to the officer and every supervisor at once, in any state.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, measureAt, refreshIfStale, act, admitCase, caseKeyOf, caseRow, fileCase, headersOf, type Caller, type FiledCase } from '../helpers/world.js';
import { assessmentFieldAd, caseReportNoteAd, openField, ready, sealField } from '../../src/sdk/index.js';

type Kind = 'incident' | 'checkin' | 'alert';
const PATHS: Record<Kind, string> = { incident: 'incidents', checkin: 'checkins', alert: 'alerts' };
const HOUR = 3_600_000;

await ready();
const T = await buildTestApp(t, { now: '2026-06-01T08:00:00.000Z' });
const { dep, officers: { awa, moussa }, supervisors: { fatou, parti: gone } } = await buildWorld(T, { officers: ['awa', 'moussa'], supervisors: ['fatou', 'parti'] });
const disabled = await T.app.inject({ method: 'POST', url: `/v1/users/${gone.id}/disable`, headers: dep.admin.auth(), payload: { reason: 'left the mechanism' } });
if (disabled.statusCode !== 200) throw new Error(`disable failed: ${disabled.body}`);
const activeSupervisors = [dep.supervisor.id, fatou.id].sort();

const MARK = `MARQUEUR-${randomUUID()}`;

// The followed case: admitted, assessed (high risk), completed, and put in protection by a first
// measure's approval, all through the API.
const main = await fileCase(T, dep);
await admitCase(T, dep, awa, main.caseId);
const awaDek = await caseKeyOf(T, awa, main.caseId);
const assessment = (id: string, threat: object, V: number, C: number) => ({
  id,
  threats: [{ kind: 'declared', source: 'armed_group', canBeCarriedOut: 'yes', imminent: false, rating: 4, ...threat }],
  vulnerability: { factors: ['exposed_location'], rating: V },
  capacity: { factors: ['support_network'], rating: C },
  sealed: { 'threats.0.facts': sealField(`faits ${MARK}`, awaDek, assessmentFieldAd(id, 'threats.0.facts')) },
});
const v1 = await T.app.inject({ method: 'POST', url: `/v1/cases/${main.caseId}/assessments`, headers: awa.auth(), payload: assessment(randomUUID(), {}, 3, 2) });
if (v1.json().level !== 'high') throw new Error(`assessment failed: ${v1.body}`);
if ((await act(T, awa, main.caseId, 'complete-assessment')).statusCode !== 200) throw new Error('complete-assessment failed');
await measureAt(T, { ...main, dek: awaDek }, { officer: awa, supervisor: dep.supervisor }, 'approved');

// A second case, filed but nobody has taken it yet.
const other = await fileCase(T, dep);

const note = (kind: Kind, id: string, dek: Uint8Array, text: string) => sealField(text, dek, caseReportNoteAd(kind, id));
const report = (who: Caller, c: FiledCase, kind: Kind, payload: object) => T.app.inject({ method: 'POST', url: `/v1/cases/${c.caseId}/${PATHS[kind]}`, headers: headersOf(who), payload });
const reports = (who: Caller, c: FiledCase, query = '') => T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/reports${query}`, headers: headersOf(who) });
const checkinDeadlines = async (caseId: string) =>
  (await T.database.sql`select state, started_at, due_at, settled_at from deadlines where case_id = ${caseId} and rule = 'checkin' order by started_at`).map((d) => ({
    state: d.state as string,
    started: new Date(d.started_at as string).toISOString(),
    due: new Date(d.due_at as string).toISOString(),
    settled: d.settled_at ? new Date(d.settled_at as string).toISOString() : null,
  }));
const outbox = async (topic: string) => (await T.database.sql`select payload from outbox where topic = ${topic} order by id`).map((r) => r.payload as Record<string, unknown>);
const counts = async () => (await T.database.sql`select (select count(*)::int from case_reports) as reports, (select count(*)::int from outbox) as outbox, (select count(*)::int from deadlines) as deadlines, (select count(*)::int from case_timeline) as timeline`)[0]!;
/** Moves the test clock; tokens last 15 minutes of it, so every client refreshes or logs in again. */
async function later(ms: number) {
  T.clock.advance(ms);
  for (const a of [awa, moussa, dep.supervisor, dep.admin]) await refreshIfStale(T, a);
  await main.defender.relogin();
  await other.defender.relogin();
}

t.test('the defender checks in; the deadline is due by the risk level plus 2 h of grace', async (t) => {
  // The approval that started protection opened the first check-in deadline.
  const opened = await checkinDeadlines(main.caseId);
  t.equal(opened.length, 1);
  t.equal(opened[0]!.state, 'open');
  const id = randomUUID();
  const r = await report(main.defender, main, 'checkin', { id, code: 'ok', note: note('checkin', id, main.defender.dek, `Tout va bien. ${MARK}`) });
  t.equal(r.statusCode, 201, r.body);
  t.match(r.json(), { id, kind: 'checkin', code: 'ok', reportedBy: `d:${main.caseId}`, caseState: 'protection' });
  const start = T.clock.now().getTime();
  t.same(await checkinDeadlines(main.caseId), [
    { ...opened[0]!, state: 'settled', settled: new Date(start).toISOString() },
    { state: 'open', started: new Date(start).toISOString(), due: new Date(start + 26 * HOUR).toISOString(), settled: null },
  ], 'high risk: 24 h + 2 h');
  const seen = (await T.app.inject({ method: 'GET', url: `/v1/cases/${main.caseId}`, headers: main.defender.auth() })).json();
  t.ok(seen.deadlines.some((d: { rule: string }) => d.rule === 'checkin'), 'the defender sees when the next check-in is due');
});

t.test('the officer checks in on the defender’s behalf: the previous deadline is settled, the next opens', async (t) => {
  const earlier = (await checkinDeadlines(main.caseId)).filter((d) => d.state !== 'open');
  const first = (await checkinDeadlines(main.caseId)).find((d) => d.state === 'open')!;
  await later(5 * HOUR);
  const now = T.clock.now().getTime();
  const id = randomUUID();
  const r = await report(awa, main, 'checkin', { id, code: 'need_contact', note: note('checkin', id, awaDek, `Appel reçu, veut être rappelée. ${MARK}`) });
  t.equal(r.statusCode, 201, r.body);
  t.equal(r.json().reportedBy, `u:${awa.id}`);
  t.same(await checkinDeadlines(main.caseId), [
    ...earlier,
    { ...first, state: 'settled', settled: new Date(now).toISOString() },
    { state: 'open', started: new Date(now).toISOString(), due: new Date(now + 26 * HOUR).toISOString(), settled: null },
  ]);
  t.same((await outbox('checkin.need_contact')).at(-1), { caseId: main.caseId, reference: main.reference, reportId: id, recipients: [awa.id] }, 'the officer is asked to call back');
  const noCode = randomUUID();
  const r2 = await report(main.defender, main, 'checkin', { id: noCode });
  t.equal(r2.json().code, 'ok', 'a check-in without a code says "I am safe"');
  t.equal((await checkinDeadlines(main.caseId)).filter((d) => d.state === 'open').length, 1, 'one check-in deadline runs at a time');
});

t.test('the note opens with the case key, bound to its kind and id', async (t) => {
  for (const [who, dek] of [
    [main.defender, main.defender.dek],
    [awa, awaDek],
  ] as const) {
    const list = await reports(who, main, '?kind=checkin');
    t.equal(list.statusCode, 200, list.body);
    const items = list.json().items as Array<{ id: string; kind: Kind; note: string | null; reportedBy: string; at: string }>;
    t.equal(items.length, 3);
    t.ok(items[0]!.at >= items[2]!.at, 'newest first');
    const withNote = items.filter((i) => i.note !== null);
    t.same(withNote.map((i) => openField(i.note!, dek, caseReportNoteAd(i.kind, i.id))).sort(), [`Appel reçu, veut être rappelée. ${MARK}`, `Tout va bien. ${MARK}`]);
  }
  // A supervisor outside the case (docs/break-glass.md) sees the check-ins, not their notes.
  const outside = (await reports(dep.supervisor, main, '?kind=checkin')).json().items as Array<{ note: string | null; sealedWithheld?: boolean }>;
  t.equal(outside.length, 3);
  t.same(outside.map((i) => i.note), [null, null, null]);
  t.equal(outside.filter((i) => i.sealedWithheld).length, 2, 'the two notes are withheld, and said to be');
  const staffView = (await reports(awa, main, '?kind=checkin')).json().items;
  t.ok(staffView.some((i: { reportedBy: string }) => i.reportedBy === `u:${awa.id}`), 'staff see who recorded it');
  t.notOk((await reports(main.defender, main)).json().items.some((i: { reportedBy: string }) => i.reportedBy.startsWith('u:')), 'the defender does not see staff ids');
  const [item] = (await reports(awa, main, '?kind=checkin')).json().items.filter((i: { note: string | null }) => i.note);
  t.throws(() => openField(item.note, awaDek, caseReportNoteAd('checkin', randomUUID())), { code: 'decrypt_failed' }, 'moved to another report, it does not open');
  t.throws(() => openField(item.note, awaDek, caseReportNoteAd('alert', item.id)), { code: 'decrypt_failed' }, 'nor passed off as another kind');
  t.equal((await reports(awa, main, '?kind=nothing')).statusCode, 400);
});

t.test('an alert goes to the assigned officer and every active supervisor at once', async (t) => {
  const before = (await outbox('alert.raised')).length;
  const id = randomUUID();
  const r = await report(main.defender, main, 'alert', { id, note: note('alert', id, main.defender.dek, `Ils sont devant la porte. ${MARK}`) });
  t.equal(r.statusCode, 201, r.body);
  const raised = await outbox('alert.raised');
  t.equal(raised.length, before + 1);
  const payload = raised.at(-1)!;
  t.same(Object.keys(payload).sort(), ['caseId', 'recipients', 'reference', 'reportId']);
  t.match(payload, { caseId: main.caseId, reference: main.reference, reportId: id });
  t.same((payload.recipients as string[]).slice().sort(), [awa.id, ...activeSupervisors].sort(), 'officer and supervisors, not the disabled one');
  t.notOk((payload.recipients as string[]).includes(gone.id));
  const timeline = await T.database.sql`select actor from case_timeline where case_id = ${main.caseId} and action = 'alert.raised'`;
  t.same(timeline.map((e) => e.actor), [`d:${main.caseId}`], 'on the timeline');
  const audited = await T.database.sql`select count(*)::int as n from audit_events where case_id = ${main.caseId} and action = 'alert.create' and outcome = 'allowed'`;
  t.equal(audited[0]!.n, 1, 'and in the audit log');
  const withCode = await report(main.defender, main, 'alert', { id: randomUUID(), code: 'death_threat' });
  t.equal(withCode.statusCode, 400, 'an alert has no code');
});

t.test('an incident on a case in protection tells the officer and starts a reassessment', async (t) => {
  await later(HOUR);
  const bad = await report(main.defender, main, 'incident', { id: randomUUID(), code: 'alien_abduction' });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().code, 'validation_failed');
  const id = randomUUID();
  const r = await report(main.defender, main, 'incident', { id, code: 'physical_attack', note: note('incident', id, main.defender.dek, `Agressée au marché. ${MARK}`) });
  t.equal(r.statusCode, 201, r.body);
  t.equal(r.json().caseState, 'assessment');
  t.equal((await caseRow(T, main.caseId)).state, 'assessment');
  const timeline = await T.database.sql`select action, from_state, to_state, actor from case_timeline where case_id = ${main.caseId} order by id desc limit 2`;
  t.same(timeline.map((e) => [e.action, e.from_state, e.to_state]).reverse(), [
    ['incident.reported', 'protection', 'protection'],
    ['reassess', 'protection', 'assessment'],
  ]);
  const assessmentDeadline = await T.database.sql`select started_at from deadlines where case_id = ${main.caseId} and rule = 'assessment' and state = 'open'`;
  t.equal(assessmentDeadline.length, 1, 'the assessment deadline runs again');
  t.equal(new Date(assessmentDeadline[0]!.started_at as string).toISOString(), T.clock.now().toISOString());
  t.same((await outbox('incident.reported')).at(-1), { caseId: main.caseId, reference: main.reference, reportId: id, code: 'physical_attack', reassessment: true, recipients: [awa.id] }, 'the assigned officer is told at once');
  const complete = await act(T, awa, main.caseId, 'complete-assessment');
  t.equal(complete.json().code, 'assessment_required', 'a new version is needed');
});

t.test('during the reassessment the check-in schedule keeps running, at the new level', async (t) => {
  await later(HOUR);
  const v2 = await T.app.inject({ method: 'POST', url: `/v1/cases/${main.caseId}/assessments`, headers: awa.auth(), payload: assessment(randomUUID(), { rating: 5, imminent: true }, 3, 2) });
  t.equal(v2.json().level, 'extreme', v2.body);
  const now = T.clock.now().getTime();
  const r = await report(main.defender, main, 'checkin', { id: randomUUID() });
  t.equal(r.statusCode, 201, r.body);
  const open = (await checkinDeadlines(main.caseId)).filter((d) => d.state === 'open');
  t.same(open, [{ state: 'open', started: new Date(now).toISOString(), due: new Date(now + 14 * HOUR).toISOString(), settled: null }], 'extreme risk: 12 h + 2 h');
});

t.test('on a case nobody holds yet, an incident goes to every supervisor; check-ins wait for protection', async (t) => {
  const id = randomUUID();
  const r = await report(other.defender, other, 'incident', { id, code: 'surveillance' });
  t.equal(r.statusCode, 201, r.body);
  t.equal(r.json().caseState, 'received', 'no reassessment outside protection');
  t.same(((await outbox('incident.reported')).at(-1)!.recipients as string[]).slice().sort(), activeSupervisors);
  const before = await counts();
  const c = await report(other.defender, other, 'checkin', { id: randomUUID() });
  t.equal(c.statusCode, 409);
  t.equal(c.json().code, 'invalid_transition');
  t.same(await counts(), before, 'nothing written');
  const denied = await T.database.sql`select reason from audit_events where case_id = ${other.caseId} and action = 'checkin.create' and outcome = 'denied'`;
  t.match(denied[0]?.reason, /protection/, 'the refusal is audited with its rule');
});

t.test('who may report and read', async (t) => {
  const before = await counts();
  const foreign = await report(other.defender, main, 'incident', { id: randomUUID() });
  t.equal(foreign.statusCode, 404, "another defender's token: not found");
  t.equal(foreign.json().code, 'not_found');
  t.equal((await report(other.defender, main, 'alert', { id: randomUUID() })).statusCode, 404);
  t.equal((await reports(other.defender, main)).statusCode, 404);
  t.equal((await report(moussa, main, 'incident', { id: randomUUID() })).statusCode, 404, 'another officer: not found');
  t.equal((await report(moussa, main, 'alert', { id: randomUUID() })).statusCode, 404);
  t.equal((await reports(moussa, main)).statusCode, 404);
  const sup = await report(dep.supervisor, main, 'checkin', { id: randomUUID() });
  t.equal(sup.statusCode, 403, 'a supervisor does not check in for the defender');
  t.equal(sup.json().code, 'forbidden');
  t.equal((await reports(dep.admin, main)).statusCode, 403, 'an admin reads no report');
  t.equal((await report(dep.admin, main, 'alert', { id: randomUUID() })).statusCode, 403);
  t.same(await counts(), before, 'nothing written');
  const denied = await T.database.sql`select count(*)::int as n from audit_events where case_id = ${main.caseId} and outcome = 'denied'`;
  t.ok(denied[0]!.n >= 6, 'the out-of-scope refusals are audited against the case');
});

t.test('bad reports are refused and nothing is written', async (t) => {
  const before = await counts();
  const plain = await report(main.defender, main, 'incident', { id: randomUUID(), note: 'v1.bonjour.en-clair' });
  t.equal(plain.statusCode, 400);
  t.equal(plain.json().errors[0].field, '/body/note');
  t.equal((await report(main.defender, main, 'incident', { id: randomUUID(), note: `en clair ${MARK}` })).statusCode, 400);
  t.equal((await report(main.defender, main, 'checkin', { id: randomUUID(), code: 'fine' })).statusCode, 400);
  t.same(await counts(), before);
  const id = randomUUID();
  t.equal((await report(main.defender, main, 'checkin', { id })).statusCode, 201);
  const after = await counts();
  const dup = await report(main.defender, main, 'incident', { id, code: 'harassment' });
  t.equal(dup.statusCode, 409);
  t.equal(dup.json().code, 'already_exists', 'an id is used once (it is in the AD)');
  t.same(await counts(), after);
});

t.test('a closed case takes no incident or check-in, but an alert always gets through', async (t) => {
  // Moussa takes the second case and declines it: closed.
  t.equal((await act(T, moussa, other.caseId, 'acknowledge')).statusCode, 200);
  t.equal((await act(T, moussa, other.caseId, 'decline', { reason: 'hors mandat', declineReason: 'outside_mandate' })).statusCode, 200);
  const before = await counts();
  const incident = await report(other.defender, other, 'incident', { id: randomUUID() });
  t.equal(incident.statusCode, 409);
  t.equal(incident.json().code, 'invalid_transition');
  t.equal((await report(other.defender, other, 'checkin', { id: randomUUID() })).json().code, 'invalid_transition');
  t.same(await counts(), before, 'nothing written');
  const id = randomUUID();
  const alert = await report(other.defender, other, 'alert', { id, note: note('alert', id, other.defender.dek, `Au secours. ${MARK}`) });
  t.equal(alert.statusCode, 201, alert.body);
  t.same(((await outbox('alert.raised')).at(-1)!.recipients as string[]).slice().sort(), [moussa.id, ...activeSupervisors].sort());
  const mine = (await reports(other.defender, other, '?kind=alert')).json().items;
  t.equal(openField(mine[0].note, other.defender.dek, caseReportNoteAd('alert', mine[0].id)), `Au secours. ${MARK}`, 'the defender reads their own');
});

t.test('no plaintext marker in the database, the outbox, the logs or Redis', async (t) => {
  const dump = (await T.database.sql`
    select coalesce((select string_agg(x::text, '|') from case_reports x), '') ||
           coalesce((select string_agg(x::text, '|') from outbox x), '') ||
           coalesce((select string_agg(x::text, '|') from case_timeline x), '') ||
           coalesce((select string_agg(x::text, '|') from deadlines x), '') ||
           coalesce((select string_agg(x::text, '|') from audit_events x), '') as s`)[0]!.s as string;
  t.ok(dump.includes('alert.raised') && dump.includes('v2.'), 'the rows are there (sealed notes in format 2)');
  t.notOk(dump.includes(MARK), 'database and outbox');
  t.notOk(T.logs.join('\n').includes(MARK), 'logs');
  const keys = await T.redis.keys(`${T.config.REDIS_PREFIX}:*`);
  const values = await Promise.all(keys.map(async (k) => JSON.stringify(await T.redis.dump(k))));
  t.notOk(values.join('').includes(MARK), 'redis');
});
