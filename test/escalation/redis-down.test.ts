/**
 * Redis down while the outbox relay turns a new deadline into its step jobs: the job is added
 * while the outbox row is claimed, on the fail-fast producer connection (workers/worker.ts), so
 * the pass ends at once with the row still pending (no PostgreSQL transaction held for the
 * outage), and the next pass after Redis is back adds the jobs and marks the row.
 */
import t from 'tap';
import { pino } from 'pino';
import { createQueueConnection } from '../../src/queues/registry.js';
import { createEscalationParts } from '../../workers/escalation.js';
import { REDIS_URL, buildTestApp } from '../helpers/app.js';
import { bootstrap, fileCase } from '../helpers/world.js';
import { hostPort, startTcpProxy, throughProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait-for.js';

const T = await buildTestApp(t);
const dep = await bootstrap(T);
const proxy = await startTcpProxy(hostPort(REDIS_URL, 6379));
const connection = createQueueConnection(REDIS_URL, 'worker');
const producer = createQueueConnection(throughProxy(REDIS_URL, proxy), 'producer');
producer.on('error', () => undefined);
const parts = createEscalationParts({ container: T.app.container, connection, producer, log: pino({ level: 'silent' }) });
t.teardown(async () => {
  await parts.relay.close();
  await parts.queue.close();
  producer.disconnect();
  connection.disconnect();
  await proxy.close();
});

const pending = async () => Number((await T.database.sql`select count(*)::int as n from outbox where topic = 'deadline.opened' and dispatched_at is null`)[0]!.n);

t.test('the relay does not wait for Redis: the row stays pending, then goes once Redis is back', async (t) => {
  await parts.queue.waitUntilReady();
  await proxy.cut();
  const filed = await fileCase(T, dep);
  t.equal(await pending(), 1, 'the acknowledgement deadline waits in the outbox');

  const started = Date.now();
  const relayed = await parts.relay.relayOnce();
  t.ok(Date.now() - started < 5000, `the pass ended while Redis was down (${Date.now() - started} ms)`);
  t.equal(relayed, 0, 'nothing relayed');
  t.equal(await pending(), 1, 'the row is still pending');
  const [open] = await T.database.sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and state = 'idle in transaction'`;
  t.equal(open!.n, 0, 'no transaction left open');

  await proxy.restore();
  const done = await waitFor(() => parts.relay.relayOnce().catch(() => 0), { what: 'a relay pass once Redis answers', timeoutMs: 5000, everyMs: 100 });
  t.equal(done, 1, 'relayed once Redis answers again');
  t.equal(await pending(), 0);
  const [d] = await T.database.sql`select id, due_at from deadlines where case_id = ${filed.caseId} and rule = 'acknowledge'`;
  const jobs = await parts.queue.getDelayed();
  t.ok(jobs.some((j) => j.data.deadlineId === d!.id), 'its step jobs are in the queue');
});
