import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, act, fileCase } from '../helpers/world.js';
import { launchWorker } from '../helpers/worker-process.js';
import { holdsWithin } from '../helpers/wait-for.js';

/**
 * Two worker processes (workers/main.ts, real clock) running at the same time over the same
 * queues and database: their reconcilers race for the overdue steps at start, their BullMQ
 * workers share the delayed jobs of the steps falling due during the test. Every step is recorded
 * once, notified once (one outbox row, one inbox row per recipient), written once on the
 * timeline; both processes did part of the work; SIGTERM stops each cleanly (exit 0).
 */
const T = await buildTestApp(t);
const { dep, officers: { 'two-workers': officer } } = await buildWorld(T, { officers: ['two-workers'] });
const c = await fileCase(T, dep);
// Assigned, so that reminders have an officer to reach (level 1 and 2 reach the supervisors).
const ack = await act(T, officer, c.caseId, 'acknowledge', {});
if (ack.statusCode !== 200) throw new Error(`acknowledge: ${ack.statusCode} ${ack.body}`);
const sql = T.database.sql;
const H = 3_600_000;
const seeded: string[] = [];

/** Deadline rows as the services write them: the row and its `deadline.opened` outbox entry. */
async function seed(n: number, start: number, due: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    seeded.push(id);
    await sql`insert into deadlines (id, case_id, rule, urgent, started_at, due_at) values (${id}, ${c.caseId}, 'triage', false, ${new Date(start).toISOString()}::timestamptz, ${new Date(due).toISOString()}::timestamptz)`;
    await sql`insert into outbox (topic, payload, created_at) values ('deadline.opened', ${JSON.stringify({ deadlineId: id })}::jsonb, ${new Date().toISOString()}::timestamptz)`;
  }
}

// Overdue on every step (reminder, level 1, level 2): both reconcilers fire them at start.
const OVERDUE = 200;
const SOON = 150;
await seed(OVERDUE, Date.now() - 100 * H, Date.now() - 50 * H);
const expected = (OVERDUE + SOON) * 3;


/** Steps this process recorded, from its own log lines (step jobs and reconciler sweeps). */
function firedBy(output: string): number {
  let n = 0;
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const e = JSON.parse(line) as { msg?: string; fired?: unknown };
      if (e.msg === 'deadline step fired' && Array.isArray(e.fired)) n += e.fired.length;
      else if (e.msg === 'reconciler fired overdue deadline steps' && typeof e.fired === 'number') n += e.fired;
    } catch {
      // not a log line of ours
    }
  }
  return n;
}

const seededSteps = async () => (await sql`select count(*)::int as n from deadline_steps where deadline_id = any(${seeded}::uuid[])`)[0]!.n as number;

// info: each process logs the steps it fired, which tells who did what.
const workers = ['a', 'b'].map((name) => ({ name, ...launchWorker(T, (fn) => t.teardown(fn), { logLevel: 'info' }) }));

t.test('two workers at once: every step once, one notification each, both did some', async (t) => {
  t.ok(await holdsWithin(async () => workers.every((w) => w.output().includes('workers started')), 30_000), 'both workers started');
  t.ok(workers.every((w) => w.child.exitCode === null), 'both are running together');
  // Now both run: deadlines whose three steps fall due within a few seconds become delayed jobs
  // that either process may take (reminder after 1.5 s, level 1 after 4 s, level 2 after 6.5 s).
  const now = Date.now();
  await seed(SOON, now - 1000, now + 4000);

  const done = await holdsWithin(async () => (await seededSteps()) >= expected, 40_000);
  t.ok(done, `all ${expected} steps recorded\n${workers.map((w) => w.output().slice(-2000)).join('\n---\n')}`);
  // the notifications are delivered by the relay after the step's commit
  await holdsWithin(async () => (await sql`select count(*)::int as n from outbox where topic = 'deadline.step' and dispatched_at is null`)[0]!.n === 0, 10_000);

  t.equal(await seededSteps(), expected, 'exactly the expected number of steps');
  const [dup] = await sql`select count(*)::int as n from (select deadline_id, step from deadline_steps group by 1, 2 having count(*) > 1) x`;
  t.equal(dup!.n, 0, 'no (deadline, step) twice');
  const [full] = await sql`select count(*)::int as n from (select deadline_id from deadline_steps where deadline_id = any(${seeded}::uuid[]) group by 1 having array_agg(step order by step) = array['level1','level2','reminder']) x`;
  t.equal(full!.n, OVERDUE + SOON, 'each seeded deadline reached reminder, level 1 and level 2, once each');

  const [notes] = await sql`select count(*)::int as n, count(distinct (payload->>'deadlineId', payload->>'step'))::int as d from outbox where topic = 'deadline.step' and payload->>'deadlineId' = any(${seeded}::text[])`;
  t.same({ ...notes }, { n: expected, d: expected }, 'one deadline.step outbox row per step');

  const inbox = await sql`
    select n.payload->>'deadlineId' as deadline_id, n.payload->>'step' as step, n.recipient_user_id as user_id, count(*)::int as n
    from notifications n where n.topic = 'deadline.step' and n.payload->>'deadlineId' = any(${seeded}::text[])
    group by 1, 2, 3`;
  t.ok(
    inbox.every((r) => r.n === 1),
    'no inbox row twice for the same step and person',
  );
  const reached = (step: string, user: string) => inbox.filter((r) => r.step === step && r.user_id === user).length;
  t.equal(reached('reminder', officer.id), OVERDUE + SOON, 'one reminder in the officer inbox per deadline');
  t.equal(reached('level1', dep.supervisor.id), OVERDUE + SOON, 'one level-1 escalation in the supervisor inbox per deadline');
  t.equal(reached('level2', dep.supervisor.id), OVERDUE + SOON, 'one level-2 escalation in the supervisor inbox per deadline');

  const [tl] = await sql`select count(*)::int as n from case_timeline where case_id = ${c.caseId} and action in ('deadline.reminder', 'deadline.escalated')`;
  t.equal(tl!.n, expected, 'one timeline entry per step');
  const [audits] = await sql`select count(*)::int as n, count(distinct resource || action || reason)::int as d from audit_events where resource = any(${seeded.map((id) => `deadline:${id}`)}::text[])`;
  t.same({ ...audits }, { n: expected, d: expected }, 'one audit event per step');

});

t.test('SIGTERM: both workers close gracefully and exit 0', async (t) => {
  for (const w of workers) w.child.kill('SIGTERM');
  const deadline = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000).unref());
  const codes = await Promise.all(workers.map((w) => Promise.race([w.exited, deadline])));
  t.same(codes, [0, 0], `both exited 0 within 10 s\n${workers.map((w) => w.output().slice(-1500)).join('\n---\n')}`);
  for (const w of workers) t.match(w.output(), /"msg":"closing"/, `worker ${w.name} logged its graceful close`);
  // Read once both have exited: a reconciler sweep logs what it fired only when it ends.
  const byWorker = workers.map((w) => firedBy(w.output()));
  t.equal(byWorker[0]! + byWorker[1]!, expected, `their logs account for every step (a: ${byWorker[0]}, b: ${byWorker[1]})`);
  t.ok(
    byWorker.every((n) => n > 0),
    'both workers fired some of the steps',
  );
});
