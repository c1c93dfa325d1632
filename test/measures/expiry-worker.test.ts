import t from 'tap';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { createQueue, createQueueConnection } from '../../src/queues/registry.js';
import { QUEUE, SCHEDULER_ID, measureExpiryProcessor, scheduleMeasureExpiry } from '../../workers/measure-expiry.js';
import { REDIS_URL, buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, admitCase, fileCase } from '../helpers/world.js';

/**
 * The measure-expiry worker: every minute, as of the worker's clock, active measures
 * past their end expire and urgent-track measures unconfirmed 14 days after approval lapse, once
 * each, with a timeline entry and an audit event by the system, content-free notices, and every
 * deadline of the measure stopped. The test injects the clock and runs the processor itself.
 */
const DAY = 86_400_000;
const T0 = '2026-03-02T08:00:00.000Z';
const T = await buildTestApp(t, { now: T0 });
const dep = await bootstrap(T);
const officer = await enrolActor(T, dep.admin, { username: 'awa', role: 'officer', orgId: dep.mechanismId });
const c = await fileCase(T, dep);
await admitCase(T, dep, officer, c.caseId);
const sql = T.database.sql;
const log = pino({ level: 'silent' });
const connection = createQueueConnection(REDIS_URL, 'worker');
const queue = createQueue(QUEUE, { connection, config: T.config });
t.teardown(async () => {
  await queue.close();
  connection.disconnect();
});
// The measure service the workers run: the container's (src/container.ts), as the API's.
const processor = measureExpiryProcessor({ measures: T.app.container.services.measures, clock: T.clock, log });
const run = async () => processor(await queue.add('expire', { trigger: 'manual' }));

const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
const M = { ends: randomUUID(), urgent: randomUUID(), later: randomUUID(), confirmed: randomUUID() };
/** A measure as the measure service leaves it, with its open deadlines (SQL: the API path is tested in measures.test.ts). */
async function measure(id: string, m: { status: string; urgent: boolean; endsAt?: string; confirmedAt?: string }, deadlines: Array<[rule: string, dueAt: string]>) {
  await sql`insert into measures (id, case_id, code, category, implementer, urgent, status, proposed_by, proposed_at, decided_at, confirmed_at, starts_at, ends_at, updated_at)
    values (${id}, ${c.caseId}, 'safe_shelter', 'urgent', 'cndh', ${m.urgent}, ${m.status}, ${officer.id}, ${T0}, ${T0}, ${m.confirmedAt ?? null}, ${m.endsAt ? T0 : null}, ${m.endsAt ?? null}, ${T0})`;
  for (const [rule, dueAt] of deadlines) {
    await sql`insert into deadlines (id, case_id, rule, subject_id, urgent, started_at, due_at, state) values (${randomUUID()}, ${c.caseId}, ${rule}, ${id}, ${m.urgent}, ${T0}, ${dueAt}, 'open')`;
  }
}
await measure(M.ends, { status: 'active', urgent: false, endsAt: at(DAY) }, [['review', at(DAY)]]);
await measure(M.urgent, { status: 'approved', urgent: true }, [['urgent_confirmation', at(14 * DAY)], ['implementation', at(DAY)]]);
await measure(M.later, { status: 'active', urgent: false, endsAt: at(60 * DAY) }, [['review', at(60 * DAY)]]);
await measure(M.confirmed, { status: 'approved', urgent: true, confirmedAt: T0 }, [['implementation', at(DAY)]]);

const statusOf = async (id: string) => (await sql`select status, end_reason, ended_at from measures where id = ${id}`)[0]!;
const liveDeadlines = async (id: string) => (await sql`select rule from deadlines where subject_id = ${id} and state in ('open', 'paused') order by rule`).map((r) => r.rule);
const timelineOf = async (id: string) => sql`select actor, action, reason from case_timeline where case_id = ${c.caseId} and reason like ${`%${id}%`} and action in ('measure.expired', 'measure.lapsed') order by id`;
const auditOf = async (id: string) => sql`select actor, role, action, outcome, reason from audit_events where resource = ${`measure:${id}`} and action = 'measure.expire' order by id`;
const noticesOf = async (id: string) => sql`select payload from outbox where topic = 'measure.ended' and payload->>'measureId' = ${id} order by id`;

t.test('the worker schedules one sweep a minute', async (t) => {
  await scheduleMeasureExpiry(queue);
  await scheduleMeasureExpiry(queue);
  const schedulers = await queue.getJobSchedulers();
  t.equal(schedulers.length, 1, 'upserted, not added twice');
  t.match(schedulers[0], { key: SCHEDULER_ID, every: 60_000 });
});

t.test('before anything is due the sweep ends nothing', async (t) => {
  t.same(await run(), { expired: 0, lapsed: 0 });
  t.equal((await statusOf(M.ends)).status, 'active');
});

t.test('past its end date an active measure expires, once, and its deadlines stop', async (t) => {
  T.clock.set(at(2 * DAY));
  t.same(await run(), { expired: 1, lapsed: 0 });
  t.same(await run(), { expired: 0, lapsed: 0 }, 'a second sweep ends nothing twice');
  t.match(await statusOf(M.ends), { status: 'expired', end_reason: 'expired' });
  t.same(await liveDeadlines(M.ends), [], 'its review deadline is cancelled');
  const [d] = await sql`select state, settled_at from deadlines where subject_id = ${M.ends}`;
  t.equal(d?.state, 'cancelled');
  t.same((await timelineOf(M.ends)).map((r) => [r.actor, r.action]), [['system', 'measure.expired']]);
  t.same((await auditOf(M.ends)).map((r) => [r.actor, r.role, r.outcome, r.reason]), [['system', 'system', 'allowed', 'expired']]);
  t.same((await noticesOf(M.ends)).map((r) => r.payload.to).sort(), ['defender', 'officer']);
  t.notOk(JSON.stringify(await noticesOf(M.ends)).includes(String(c.secrets.narrative)), 'no sealed content in the notices');
  t.equal((await statusOf(M.urgent)).status, 'approved', 'the urgent measure still has time to be confirmed');
  t.same(await liveDeadlines(M.urgent), ['implementation', 'urgent_confirmation']);
});

t.test('14 days after approval an unconfirmed urgent measure lapses; confirmed and later ones stay', async (t) => {
  T.clock.set(at(14 * DAY + 60_000));
  t.same(await run(), { expired: 0, lapsed: 1 });
  t.same(await run(), { expired: 0, lapsed: 0 });
  t.match(await statusOf(M.urgent), { status: 'expired', end_reason: 'lapsed' });
  t.same(await liveDeadlines(M.urgent), [], 'confirmation and implementation deadlines stop');
  t.same((await timelineOf(M.urgent)).map((r) => [r.actor, r.action]), [['system', 'measure.lapsed']]);
  t.same((await auditOf(M.urgent)).map((r) => [r.actor, r.outcome, r.reason]), [['system', 'allowed', 'lapsed']]);
  t.equal((await noticesOf(M.urgent)).length, 2);
  t.equal((await statusOf(M.confirmed)).status, 'approved', 'a confirmed urgent measure does not lapse');
  t.same(await liveDeadlines(M.confirmed), ['implementation']);
  t.equal((await statusOf(M.later)).status, 'active', 'a measure whose end is later stays active');
  t.same(await liveDeadlines(M.later), ['review']);
});
