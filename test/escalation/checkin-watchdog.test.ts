/**
 * The check-in watchdog and alerts: a defender at high risk in protection checks in
 * every 24 h, with 2 h of grace; a check-in in time settles the running deadline and opens the
 * next, so nothing escalates; a missed one escalates at once to level 1 (no reminder: the
 * defender cannot be "reminded" safely), to the case's supervisor or every supervisor, once. An
 * alert skips the ladder: the officer and every supervisor have it in their inbox on the first
 * relay pass. The clock is injected; the test runs the relay, the step processor and the
 * reconciler itself, as workers/worker.ts wires them (one relay for both modules).
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { createQueueConnection } from '../../src/queues/registry.js';
import { stepJobId } from '../../src/escalation/step-times.js';
import { createEscalationParts } from '../../workers/escalation.js';
import { deadlineStepProcessor } from '../../workers/deadline-steps.js';
import { startNotificationDelivery } from '../../workers/notification-delivery.js';
import { REDIS_URL, buildTestApp } from '../helpers/app.js';
import { buildWorld, reauth, type Actor, act, admitCase, caseKeyOf, caseRow, fileCase, headersOf, type Caller } from '../helpers/world.js';
import { assessmentFieldAd, caseReportNoteAd, ready, sealField } from '../../src/sdk/index.js';

await ready();
const H = 3_600_000;
const T = await buildTestApp(t, { now: '2026-06-01T08:00:00.000Z' });
const { dep, officers: { awa, moussa }, supervisors: { fatou } } = await buildWorld(T, { officers: ['awa', 'moussa'], supervisors: ['fatou'] });
const MARK = `MARQUEUR-${randomUUID()}`;
const kase = await fileCase(T, dep, { secrets: { identity: `Aminata ${MARK}`, contact: `+223 ${MARK}`, narrative: `Menaces ${MARK}` } });
const caseId = kase.caseId;
await admitCase(T, dep, awa, caseId);
const dek = await caseKeyOf(T, awa, caseId);
const sql = T.database.sql;

const log = pino({ level: 'silent' });
const connection = createQueueConnection(REDIS_URL, 'worker');
const parts = createEscalationParts({ container: T.app.container, connection, log });
const processor = deadlineStepProcessor({ escalation: parts.escalation, log });
// The notification topics on the same relay as `deadline.opened`: one `tick` relays both.
const delivery = await startNotificationDelivery({ container: T.app.container, connection, log, relay: parts.relay, intervalMs: 60_000 });
t.teardown(async () => {
  await delivery.close();
  await parts.relay.close();
  await parts.queue.close();
  connection.disconnect();
});

const post = (who: Caller, url: string, payload: object) => T.app.inject({ method: 'POST', url, headers: headersOf(who), payload });
const must = async (p: ReturnType<typeof post>, status = 200) => {
  const r = await p;
  if (r.statusCode !== status) throw new Error(`${r.statusCode} ${r.body}`);
  return r.json();
};
const staff: Actor[] = [dep.admin, dep.supervisor, awa, moussa, fatou];
/** Moves the test clock; the defender logs in again (tokens last minutes of the test clock). */
async function advance(ms: number) {
  T.clock.advance(ms);
  await kase.defender.relogin();
}

type DeadlineRow = { id: string; state: string; started_at: Date; due_at: Date; urgent: boolean };
const checkins = async () => (await sql`select id, state, started_at, due_at, urgent from deadlines where case_id = ${caseId} and rule = 'checkin' order by started_at, id`) as unknown as DeadlineRow[];
const stepsOfCase = async () => sql`select s.deadline_id, s.step, s.recipients, s.due_at, s.fired_at from deadline_steps s join deadlines d on d.id = s.deadline_id where d.case_id = ${caseId} and d.rule = 'checkin' order by s.fired_at, s.step`;
const stepNotes = async () => sql`select payload from outbox where topic = 'deadline.step' and payload->>'caseId' = ${caseId} and payload->>'rule' = 'checkin' order by id`;
const inbox = async (who: Caller) => (await T.app.inject({ method: 'GET', url: '/v1/notifications', headers: headersOf(who) })).json().items as Array<Record<string, unknown>>;
const jobOf = async (d: DeadlineRow, step: 'reminder' | 'level1' | 'level2') => parts.queue.getJob(stepJobId(d.id, step, new Date(d.due_at)));
const supervisors = [dep.supervisor.id, fatou.id].sort();

/** A version rated high: T 4 x V 3 / C 2 = 6 (as test/cases/protection.test.ts). */
function assessment() {
  const id = randomUUID();
  return {
    id,
    threats: [{ kind: 'declared', source: 'armed_group', canBeCarriedOut: 'yes', imminent: false, rating: 4 }],
    vulnerability: { factors: ['exposed_location'], rating: 3 },
    capacity: { factors: ['support_network'], rating: 2 },
    sealed: { 'threats.0.facts': sealField(`Des hommes armés au domicile ${MARK}`, dek, assessmentFieldAd(id, 'threats.0.facts')) },
  };
}

t.test('protection at high risk starts a check-in due 24 h + 2 h later, whose first step is level 1', async (t) => {
  await must(post(awa, `/v1/cases/${caseId}/assessments`, assessment()), 201);
  await must(act(T, awa, caseId, 'complete-assessment'));
  T.clock.advance(60_000);
  const measureId = randomUUID();
  await must(post(awa, `/v1/cases/${caseId}/measures`, { id: measureId, code: 'security_training', implementer: 'cndh' }), 201);
  await must(post(kase.defender, `/v1/measures/${measureId}/consent`, { decision: 'consent' }));
  await must(post(dep.supervisor, `/v1/measures/${measureId}/decision`, { decision: 'approve', reason: 'Menaces établies, mesure proportionnée.' }));
  const c = await caseRow(T, caseId);
  t.equal(c.state, 'protection');
  t.equal(c.risk_level, 'high');
  t.equal(c.supervisor_id, null, 'no named supervisor: level 1 goes to every supervisor');

  const rows = await checkins();
  t.equal(rows.length, 1, 'one check-in deadline');
  const first = rows[0]!;
  t.equal(first.state, 'open');
  t.equal(new Date(first.due_at).getTime(), T.clock.now().getTime() + 26 * H, 'due 24 h + 2 h grace after protection started');

  await delivery.tick();
  t.notOk(await jobOf(first, 'reminder'), 'no reminder job: a missed check-in starts at level 1');
  const level1 = await jobOf(first, 'level1');
  t.equal(level1?.delay, 26 * H, 'level 1 delayed until the due time');
  t.ok(await jobOf(first, 'level2'), 'level 2 scheduled too');
});

t.test('a check-in before the due time settles it and opens the next: nothing escalates', async (t) => {
  const [first] = await checkins();
  t.equal(first?.state, 'open', 'the check-in protection started');
  await advance(20 * H);
  const id = randomUUID();
  const r = await post(kase.defender, `/v1/cases/${caseId}/checkins`, { id, code: 'ok', note: sealField(`Tout va bien ${MARK}`, kase.defender.dek, caseReportNoteAd('checkin', id)) });
  t.equal(r.statusCode, 201, 'the defender checks in');
  const rows = await checkins();
  t.equal(rows.length, 2);
  t.match(rows[0], { id: first!.id, state: 'settled' });
  const second = rows[1]!;
  t.equal(second.state, 'open');
  t.equal(new Date(second.due_at).getTime(), T.clock.now().getTime() + 26 * H, 'the next one is due 26 h after the check-in');

  await delivery.tick();
  t.ok(await jobOf(second, 'level1'), "the next check-in's level 1 is scheduled");
  // Past the first deadline's due time, its (stale) job and the reconciler do nothing.
  await advance(7 * H);
  const stale = await jobOf(first!, 'level1');
  t.ok(stale, 'the old job is still in Redis');
  t.match(await processor(stale!), { outcome: 'not_open', fired: [] }, 'the worker re-reads the row: settled, nothing to do');
  await parts.reconciler.reconcile();
  t.same(await stepsOfCase(), [], 'no step recorded');
  t.same(await stepNotes(), [], 'no escalation notification');
  t.equal((await sql`select count(*)::int as n from case_timeline where case_id = ${caseId} and action like 'deadline.%'`)[0]!.n, 0, 'no escalation on the timeline');
});

t.test('a missed check-in: nothing within the grace, then level 1 to every supervisor, once', async (t) => {
  const second = (await checkins()).find((d) => d.state === 'open')!;
  t.ok(second, 'the check-in opened by the last one');
  // 24 h after the check-in plus a minute: late, but within the 2 h grace.
  await advance(24 * H + 60_000 - 7 * H);
  await parts.reconciler.reconcile();
  const early = await jobOf(second, 'level1');
  t.match(await processor(early!), { outcome: 'not_due' }, 'within the grace, the job does nothing');
  t.same(await stepsOfCase(), [], 'nothing fires within the grace');

  // Past 24 h + 2 h grace.
  await advance(2 * H);
  const job = await jobOf(second, 'level1');
  t.same(await processor(job!), { outcome: 'fired', fired: ['level1'] }, 'level 1 first: no reminder fired before it');
  // A retried job, a second worker and the reconciler record nothing more.
  const again = await Promise.all([processor(job!), processor(job!), parts.reconciler.reconcile()]);
  t.match(again.slice(0, 2), [{ outcome: 'already' }, { outcome: 'already' }]);
  const steps = await stepsOfCase();
  t.equal(steps.length, 1, 'one step');
  t.match(steps[0], { deadline_id: second.id, step: 'level1' });
  t.same([...(steps[0]!.recipients as string[])].sort(), supervisors, 'every supervisor (the case names none)');
  t.equal(new Date(steps[0]!.due_at as string).getTime(), new Date(second.due_at).getTime(), 'the step is due at the check-in due time');
  const [d] = await sql`select state, level_reached from deadlines where id = ${second.id}`;
  t.same(d, { state: 'open', level_reached: 1 }, 'still open (only a check-in settles it), at level 1');

  const notes = await stepNotes();
  t.equal(notes.length, 1, 'one notification');
  t.match(notes[0]!.payload, { caseId, reference: kase.reference, rule: 'checkin', step: 'level1', level: 1, markForHead: false, dueAt: new Date(second.due_at).toISOString() });
  const timeline = await sql`select actor, action, reason from case_timeline where case_id = ${caseId} and action like 'deadline.%'`;
  t.same(timeline.map((x) => [x.actor, x.action, x.reason]), [['system', 'deadline.escalated', 'checkin: level 1']]);
  const audit = await sql`select actor, role, action, resource from audit_events where case_id = ${caseId} and action like 'deadline.%'`;
  t.same(audit.map((a) => [a.actor, a.role, a.action, a.resource]), [['system', 'system', 'deadline.escalated', `deadline:${second.id}`]]);

  await delivery.tick();
  for (const a of staff) await reauth(T, a);
  for (const who of [dep.supervisor, fatou]) {
    const items = (await inbox(who)).filter((n) => n.topic === 'deadline.step');
    t.equal(items.length, 1, 'each supervisor has the escalation in their inbox, once');
    t.match(items[0], { caseId, reference: kase.reference, payload: { rule: 'checkin', step: 'level1' } });
  }
  t.equal((await inbox(awa)).filter((n) => n.topic === 'deadline.step').length, 0, 'level 1 is for the supervisors');
  t.equal((await inbox(moussa)).length, 0, 'an officer not on the case hears nothing');
});

t.test('an alert reaches the officer and every supervisor at once, nobody else', async (t) => {
  const before = await Promise.all([awa, dep.supervisor, fatou].map(async (who) => (await inbox(who)).length));
  const id = randomUUID();
  const at = T.clock.now().toISOString();
  const r = await post(kase.defender, `/v1/cases/${caseId}/alerts`, { id, note: sealField(`Ils sont là ${MARK}`, kase.defender.dek, caseReportNoteAd('alert', id)) });
  t.equal(r.statusCode, 201, 'the defender raises an alert');
  t.equal((await sql`select count(*)::int as n from deadlines where case_id = ${caseId} and started_at = ${at}::timestamptz`)[0]!.n, 0, 'no deadline and no ladder: an alert is not waited on');
  const [row] = await sql`select payload from outbox where topic = 'alert.raised' and payload->>'reportId' = ${id}`;
  t.same([...((row!.payload as { recipients: string[] }).recipients)].sort(), [awa.id, ...supervisors].sort(), 'addressed to the officer and every supervisor');

  // One relay pass, the clock unmoved.
  await delivery.tick();
  for (const [i, who] of [awa, dep.supervisor, fatou].entries()) {
    const items = await inbox(who);
    t.equal(items.length, before[i]! + 1, 'one new notification');
    t.match(items.find((n) => n.topic === 'alert.raised'), { caseId, reference: kase.reference, readAt: null, payload: { reportId: id } });
  }
  t.equal((await inbox(moussa)).length, 0, 'an officer not on the case gets nothing');
  t.equal((await inbox(dep.admin)).length, 0, 'nor does the admin');
  await delivery.tick();
  t.equal((await sql`select count(*)::int as n from notifications where topic = 'alert.raised'`)[0]!.n, 3, 'a second pass adds nothing');
});

t.test('nothing sealed reaches the steps, notifications, outbox, timeline or audit', async (t) => {
  const like = `%${MARK}%`;
  const [leaks] = await sql`select
      (select count(*)::int from outbox where payload::text like ${like}) as outbox,
      (select count(*)::int from notifications where row_to_json(notifications)::text like ${like}) as notifications,
      (select count(*)::int from deadline_steps where row_to_json(deadline_steps)::text like ${like}) as steps,
      (select count(*)::int from case_timeline where row_to_json(case_timeline)::text like ${like}) as timeline,
      (select count(*)::int from audit_events where row_to_json(audit_events)::text like ${like}) as audit,
      (select count(*)::int from case_reports where row_to_json(case_reports)::text like ${like}) as reports`;
  t.same(leaks, { outbox: 0, notifications: 0, steps: 0, timeline: 0, audit: 0, reports: 0 });
});
