import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, fileCase } from '../helpers/world.js';
import { launchWorker } from '../helpers/worker-process.js';
import { holdsWithin } from '../helpers/wait-for.js';

/**
 * A worker process (workers/main.ts, real clock) killed with SIGKILL in the middle of firing
 * steps loses nothing and duplicates nothing: a second worker finishes the work, every step is
 * recorded once with exactly one notification and one timeline entry.
 */
const T = await buildTestApp(t);
const dep = await bootstrap(T);
const c = await fileCase(T, dep);
const sql = T.database.sql;
const H = 3_600_000;
const now = Date.now();

// Overdue deadlines (the reconciler fires them at start) and some due in a few seconds (the relay
// turns their outbox rows into delayed jobs, which must survive the kill in Redis).
const OVERDUE = 150;
const SOON = 30;
for (let i = 0; i < OVERDUE + SOON; i++) {
  const soon = i >= OVERDUE;
  const start = soon ? now - 4 * H : now - 100 * H;
  const due = soon ? now + 3000 : now - 50 * H;
  const id = randomUUID();
  await sql`insert into deadlines (id, case_id, rule, urgent, started_at, due_at) values (${id}, ${c.caseId}, 'triage', false, ${new Date(start).toISOString()}::timestamptz, ${new Date(due).toISOString()}::timestamptz)`;
  await sql`insert into outbox (topic, payload, created_at) values ('deadline.opened', ${JSON.stringify({ deadlineId: id })}::jsonb, ${new Date(now).toISOString()}::timestamptz)`;
}
const expected = OVERDUE * 3 + SOON * 2; // the soon ones: reminder and level 1 within the test, level 2 hours later


const stepCount = async () => (await sql`select count(*)::int as n from deadline_steps where deadline_id in (select id from deadlines where case_id = ${c.caseId} and rule = 'triage')`)[0]!.n as number;

t.test('SIGKILL mid-work, then a new worker: every step once, one notification each', async (t) => {
  const first = launchWorker(T, (fn) => t.teardown(fn));
  t.ok(await holdsWithin(async () => (await stepCount()) > 0, 20_000), 'the first worker started firing');
  first.child.kill('SIGKILL');
  await first.exited;
  const atKill = await stepCount();
  t.ok(atKill < expected, `killed mid-work (${atKill} of ${expected} steps)`);

  const second = launchWorker(T, (fn) => t.teardown(fn));
  const done = await holdsWithin(async () => (await stepCount()) >= expected, 30_000);
  t.ok(done, `the second worker finished the work\n${second.output()}`);
  second.child.kill('SIGTERM');
  await second.exited;

  t.equal(await stepCount(), expected, 'every due step recorded');
  const [dup] = await sql`select count(*)::int as n from (select deadline_id, step from deadline_steps group by 1, 2 having count(*) > 1) x`;
  t.equal(dup!.n, 0);
  const [notes] = await sql`select count(*)::int as n, count(distinct (payload->>'deadlineId', payload->>'step'))::int as d from outbox where topic = 'deadline.step' and payload->>'caseId' = ${c.caseId}`;
  t.same(notes, { n: expected, d: expected }, 'one notification per step, none twice');
  const [tl] = await sql`select count(*)::int as n from case_timeline where case_id = ${c.caseId} and action like 'deadline.%'`;
  t.equal(tl!.n, expected, 'one timeline entry per step');
  const [pending] = await sql`select count(*)::int as n from outbox where topic = 'deadline.opened' and dispatched_at is null`;
  t.equal(pending!.n, 0, 'every deadline.opened row relayed');
});
