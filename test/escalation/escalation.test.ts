import t from 'tap';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import type { DeadlineRule } from '../../src/deadlines/deadline-policy.js';
import { stepJobId, stepTimes } from '../../src/escalation/step-times.js';
import { createQueueConnection } from '../../src/queues/registry.js';
import { createEscalationParts } from '../../workers/escalation.js';
import { deadlineStepProcessor } from '../../workers/deadline-steps.js';
import { REDIS_URL, buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, reauth, act, fileCase, grantCaseKey } from '../helpers/world.js';

/**
 * The escalation engine: the outbox relay turns `deadline.opened` rows into delayed jobs
 * (one per step, deduplicated by job id), the step processor and the reconciler fire reminder,
 * level 1 and level 2 once each and in order (timeline, audit, `deadline.step` notification),
 * nothing fires for a settled, paused or cancelled deadline, and a flushed Redis loses nothing.
 * The clock is injected: the test moves it and runs the processor and the reconciler itself.
 */
const H = 3_600_000;
const T0 = '2026-03-02T08:00:00.000Z';
const T = await buildTestApp(t, { now: T0 });
const dep = await bootstrap(T);
const officer = await enrolActor(T, dep.admin, { username: 'awa', role: 'officer', orgId: dep.mechanismId });
const log = pino({ level: 'silent' });
const connection = createQueueConnection(REDIS_URL, 'worker');
const parts = createEscalationParts({ container: T.app.container, connection, log });
const processor = deadlineStepProcessor({ escalation: parts.escalation, log });
t.teardown(async () => {
  await parts.relay.close();
  await parts.queue.close();
  connection.disconnect();
});

const sql = T.database.sql;
type Row = Record<string, unknown>;
const deadlineOf = async (caseId: string, rule: string) => (await sql`select * from deadlines where case_id = ${caseId} and rule = ${rule} order by started_at desc limit 1`)[0]!;
const stepsOf = async (deadlineId: string) => sql`select step, recipients, fired_at, due_at from deadline_steps where deadline_id = ${deadlineId} order by fired_at, step`;
const notesOf = async (deadlineId: string) => sql`select id, payload from outbox where topic = 'deadline.step' and payload->>'deadlineId' = ${deadlineId} order by id`;
const jobIdsOf = async (d: Row) => {
  const rule = parts.policy.rules.get(d.rule as DeadlineRule['name'])!;
  const dueAt = new Date(d.due_at as string);
  return stepTimes(rule, { startedAt: new Date(d.started_at as string), dueAt, urgent: d.urgent as boolean }).map((s) => ({ ...s, jobId: stepJobId(d.id as string, s.step, dueAt) }));
};
const rule = (name: DeadlineRule['name']) => parts.policy.rules.get(name)!;

t.test('step times follow the ladder of each rule (pure)', async (t) => {
  const start = new Date(T0);
  const at = (ms: number) => new Date(start.getTime() + ms).toISOString();
  const iso = (xs: Array<{ step: string; at: Date }>) => xs.map((x) => [x.step, x.at.toISOString()]);
  // acknowledge, ordinary 48 h: reminder 24 h before (capped), level 2 24 h after (capped)
  t.same(iso(stepTimes(rule('acknowledge'), { startedAt: start, dueAt: new Date(start.getTime() + 48 * H), urgent: false })), [
    ['reminder', at(24 * H)],
    ['level1', at(48 * H)],
    ['level2', at(72 * H)],
  ]);
  // acknowledge, urgent 1 h: half windows, level 2 capped at 1 h for urgent cases
  t.same(iso(stepTimes(rule('acknowledge'), { startedAt: start, dueAt: new Date(start.getTime() + H), urgent: true })), [
    ['reminder', at(H / 2)],
    ['level1', at(H)],
    ['level2', at(1.5 * H)],
  ]);
  // info_reply, 14 days: the defender's reminder at day 7
  t.same(iso(stepTimes(rule('info_reply'), { startedAt: start, dueAt: new Date(start.getTime() + 14 * 24 * H), urgent: false })), [
    ['reminder', at(7 * 24 * H)],
    ['level1', at(14 * 24 * H)],
    ['level2', at(15 * 24 * H)],
  ]);
  // a missed check-in starts at level 1
  t.same(
    iso(stepTimes(rule('checkin'), { startedAt: start, dueAt: new Date(start.getTime() + 14 * H), urgent: false })).map((x) => x[0]),
    ['level1', 'level2'],
  );
  t.equal(stepJobId('d', 'level1', new Date(0)).includes(':'), false, 'no colon in a custom job id');
});

t.test('a filed case: the relay schedules its acknowledge steps; each fires once, in order', async (t) => {
  const c = await fileCase(T, dep);
  const d = await deadlineOf(c.caseId, 'acknowledge');
  t.equal(d.state, 'open');
  t.ok((await parts.relay.relayOnce()) >= 1, 'the relay dispatched the deadline.opened row');
  const [pending] = await sql`select count(*)::int as n from outbox where topic = 'deadline.opened' and dispatched_at is null`;
  t.equal(pending!.n, 0, 'every deadline.opened row is dispatched');
  for (const s of await jobIdsOf(d)) {
    const job = await parts.queue.getJob(s.jobId);
    t.ok(job, `job ${s.step} enqueued`);
    t.equal(job?.delay, s.at.getTime() - T.clock.now().getTime(), `${s.step} delayed until its time`);
    t.same(job?.data, { deadlineId: d.id, step: s.step, dueAt: new Date(d.due_at as string).toISOString() });
  }
  // Before its time a job does nothing (a job run early, by a skewed clock, changes nothing).
  const early = await processor((await parts.queue.getJob((await jobIdsOf(d))[0]!.jobId))!);
  t.equal(early.outcome, 'not_due');
  t.equal((await stepsOf(d.id as string)).length, 0);

  T.clock.advance(24 * H + 1000);
  t.same(await processor((await parts.queue.getJob((await jobIdsOf(d))[0]!.jobId))!), { outcome: 'fired', fired: ['reminder'] });
  T.clock.advance(24 * H);
  t.same(await processor((await parts.queue.getJob((await jobIdsOf(d))[1]!.jobId))!), { outcome: 'fired', fired: ['level1'] });
  T.clock.advance(24 * H);
  const r = await parts.reconciler.reconcile();
  t.ok(r.fired >= 1, 'the reconciler fired the overdue level 2');

  const steps = await stepsOf(d.id as string);
  t.same(steps.map((s) => s.step), ['reminder', 'level1', 'level2'], 'in order, once each');
  t.same(steps[0]!.recipients, [officer.id], 'no officer assigned yet: every active officer gets the reminder');
  t.same(steps[1]!.recipients, [dep.supervisor.id], 'level 1: the supervisors');
  t.same(steps[2]!.recipients, [dep.supervisor.id], 'level 2: every active supervisor');
  const [after] = await sql`select level_reached from deadlines where id = ${d.id}`;
  t.equal(after!.level_reached, 2);

  const notes = await notesOf(d.id as string);
  t.equal(notes.length, 3, 'one notification per step');
  t.match(notes.map((n) => n.payload), [
    { caseId: c.caseId, reference: c.reference, rule: 'acknowledge', step: 'reminder', level: 0, markForHead: false, recipients: [officer.id], dueAt: new Date(d.due_at as string).toISOString() },
    { step: 'level1', level: 1, markForHead: false },
    { step: 'level2', level: 2, markForHead: true },
  ]);
  const timeline = await sql`select actor, action, reason from case_timeline where case_id = ${c.caseId} and action like 'deadline.%' order by id`;
  t.same(timeline.map((x) => [x.actor, x.action, x.reason]), [
    ['system', 'deadline.reminder', 'acknowledge: reminder'],
    ['system', 'deadline.escalated', 'acknowledge: level 1'],
    ['system', 'deadline.escalated', 'acknowledge: level 2'],
  ]);
  const audit = await sql`select actor, role, action, resource, outcome from audit_events where case_id = ${c.caseId} and action like 'deadline.%' order by id`;
  t.same(audit.map((a) => [a.actor, a.role, a.action, a.resource, a.outcome]), [
    ['system', 'system', 'deadline.reminder', `deadline:${d.id}`, 'allowed'],
    ['system', 'system', 'deadline.escalated', `deadline:${d.id}`, 'allowed'],
    ['system', 'system', 'deadline.escalated', `deadline:${d.id}`, 'allowed'],
  ]);
  // Nothing sealed reaches a notification or a step row.
  const leaks = await sql`select count(*)::int as n from outbox where topic = 'deadline.step' and (payload::text like ${'%' + c.secrets.identity + '%'} or payload::text like ${'%' + c.secrets.narrative + '%'})`;
  t.equal(leaks[0]!.n, 0);
});

t.test('the same step raced by workers, a retried job and a re-enqueued job fires once', async (t) => {
  const c = await fileCase(T, dep);
  const d = await deadlineOf(c.caseId, 'acknowledge');
  await parts.relay.relayOnce();
  const jobs = await jobIdsOf(d);
  const counts = async () => parts.queue.getJobCounts('delayed', 'waiting');
  const before = await counts();
  // The relay crashed after enqueueing but before marking its rows: they are handed again.
  await sql`update outbox set dispatched_at = null where topic = 'deadline.opened' and payload->>'deadlineId' = ${d.id as string}`;
  await parts.relay.relayOnce();
  await parts.reconciler.reconcile();
  t.same(await counts(), before, 'the same job ids: no new job');

  T.clock.advance(48 * H + 1000);
  const job = async (i: number) => (await parts.queue.getJob(jobs[i]!.jobId))!;
  const [reconciled, ...results] = await Promise.all([
    parts.reconciler.reconcile(),
    parts.escalation.fire(d.id as string, 'level1'),
    parts.escalation.fire(d.id as string, 'level1'),
    parts.escalation.fire(d.id as string, 'reminder'),
    processor(await job(0)),
    processor(await job(1)),
    processor(await job(1)),
  ]);
  const fired = results.flatMap((r) => r.fired);
  t.equal(fired.length + reconciled.fired, 2, 'two steps fired in all, whoever won each');
  t.equal(new Set(fired).size, fired.length, 'no step fired by two callers');
  t.same((await stepsOf(d.id as string)).map((s) => s.step), ['level1', 'reminder'], 'one row per step (same instant, listed by name)');
  t.same((await notesOf(d.id as string)).map((n) => (n.payload as Row).step), ['reminder', 'level1'], 'one notification each, reminder first');
  // A retried job, once more: nothing new.
  t.same(await processor(await job(1)), { outcome: 'already', fired: [] });
  t.equal((await notesOf(d.id as string)).length, 2);
  const [tl] = await sql`select count(*)::int as n from case_timeline where case_id = ${c.caseId} and action like 'deadline.%'`;
  t.equal(tl!.n, 2);
});

t.test('settled, paused and cancelled deadlines fire nothing; a closed case stops', async (t) => {
  await reauth(T, officer);
  await reauth(T, dep.supervisor);
  const paused = await fileCase(T, dep);
  const closed = await fileCase(T, dep);
  for (const c of [paused, closed]) {
    const r = await act(T, officer, c.caseId, 'acknowledge');
    t.equal(r.statusCode, 200, r.body);
    await grantCaseKey(T, dep.supervisor, c.caseId, officer);
  }
  t.equal((await act(T, officer, paused.caseId, 'request-info', { reason: 'date of the last threat missing' })).statusCode, 200);
  t.equal((await act(T, officer, closed.caseId, 'close', { reason: 'duplicate of another case', closeReason: 'duplicate' })).statusCode, 200);
  const ack = await deadlineOf(paused.caseId, 'acknowledge');
  const triage = await deadlineOf(paused.caseId, 'triage');
  const info = await deadlineOf(paused.caseId, 'info_reply');
  const cancelled = await deadlineOf(closed.caseId, 'triage');
  t.same([ack.state, triage.state, info.state, cancelled.state], ['settled', 'paused', 'open', 'cancelled']);
  await parts.relay.relayOnce();

  T.clock.advance(30 * 24 * H);
  await parts.reconciler.reconcile();
  for (const d of [ack, triage, cancelled]) {
    t.equal((await stepsOf(d.id as string)).length, 0, `${d.rule} (${d.state}) fired nothing`);
    t.equal((await notesOf(d.id as string)).length, 0);
    for (const step of ['reminder', 'level1', 'level2'] as const) t.equal((await parts.escalation.fire(d.id as string, step)).outcome, 'not_open');
  }
  const [tl] = await sql`select count(*)::int as n from case_timeline where case_id = ${closed.caseId} and action like 'deadline.%'`;
  t.equal(tl!.n, 0, 'the closed case has no reminder or escalation');
  const infoSteps = await stepsOf(info.id as string);
  t.same(infoSteps.map((s) => s.step), ['level1', 'level2', 'reminder'], 'the open info_reply deadline went up the whole ladder (one pass, listed by name)');
  t.same((await notesOf(info.id as string)).map((n) => [(n.payload as Row).step, (n.payload as Row).recipients]), [
    ['reminder', ['defender']],
    ['level1', [dep.supervisor.id]],
    ['level2', [dep.supervisor.id]],
  ]);
});

t.test('FLUSHALL on the prefix, then reconciliation: every open deadline has its jobs, overdue steps fire', async (t) => {
  const a = await fileCase(T, dep);
  await parts.relay.relayOnce();
  T.clock.advance(H);
  const b = await fileCase(T, dep);
  await parts.relay.relayOnce();
  const da = await deadlineOf(a.caseId, 'acknowledge');
  const db = await deadlineOf(b.caseId, 'acknowledge');
  t.ok(await parts.queue.getJob((await jobIdsOf(db))[0]!.jobId));

  const r = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${T.config.REDIS_PREFIX}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await r.del(...keys);
  } while (cursor !== '0');
  r.disconnect();
  t.equal(await parts.queue.getJob((await jobIdsOf(db))[0]!.jobId), undefined, 'the jobs are gone');

  // a's reminder is now overdue, b's not yet.
  T.clock.advance(23 * H + 1000);
  await parts.reconciler.reconcile();
  t.same((await stepsOf(da.id as string)).map((s) => s.step), ['reminder'], "a's overdue reminder fired at once");
  t.same((await stepsOf(db.id as string)).map((s) => s.step), [], 'b has nothing due yet');
  const open = await sql`select * from deadlines where state = 'open'`;
  t.ok(open.length >= 3);
  const now = T.clock.now().getTime();
  for (const d of open) {
    const fired = (await stepsOf(d.id as string)).map((s) => s.step);
    for (const s of await jobIdsOf(d)) {
      if (s.at.getTime() <= now) t.ok(fired.includes(s.step), `${d.rule} ${s.step} overdue: fired`);
      else if (!fired.includes(s.step)) t.ok(await parts.queue.getJob(s.jobId), `${d.rule} ${s.step}: job rebuilt`);
    }
  }
});
