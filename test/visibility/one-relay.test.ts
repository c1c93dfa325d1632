/**
 * One outbox relay: the escalation's relay claims `deadline.opened` (step jobs) and,
 * with the notifications registered on it, every notification topic (inbox rows); a topic with
 * no handler stays in the outbox, undispatched, and is reported once it is old.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp, REDIS_URL } from '../helpers/app.js';
import { buildWorld, admitCase, fileCase } from '../helpers/world.js';
import { ready } from '../../src/sdk/index.js';
import { createQueueConnection } from '../../src/queues/registry.js';
import { createEscalationParts } from '../../workers/escalation.js';
import { startNotificationDelivery } from '../../workers/notification-delivery.js';
import type { Logger } from '../../src/lib/logger.js';

await ready();
const T = await buildTestApp(t, { now: '2026-06-01T08:00:00.000Z' });
const { dep, officers: { awa } } = await buildWorld(T, { officers: ['awa'] });
const warnings: Array<{ obj: unknown; msg: string | undefined }> = [];
const quiet = () => undefined;
const log: Logger = { debug: quiet, info: quiet, error: quiet, warn: ((obj: unknown, msg?: string) => void warnings.push({ obj, msg })) as Logger['warn'] };
const connection = createQueueConnection(REDIS_URL, 'worker');
const parts = createEscalationParts({ container: T.app.container, connection, log });
// As workers/worker.ts wires it: the notifications register with the escalation's relay.
const delivery = await startNotificationDelivery({ container: T.app.container, connection, log, relay: parts.relay, intervalMs: 60_000 });
t.teardown(async () => {
  await delivery.close();
  await parts.relay.close();
  await parts.queue.close();
  connection.disconnect();
});
const sql = T.database.sql;

const A = await fileCase(T, dep);
await admitCase(T, dep, awa, A.caseId);
const unknownTopic = `experiment.${randomUUID().slice(0, 8)}`;
await sql`insert into outbox (topic, payload, created_at) values
  ('alert.raised', ${JSON.stringify({ caseId: A.caseId, reference: A.reference, reportId: randomUUID(), recipients: ['officer', 'supervisors'] })}::jsonb, ${T.clock.now().toISOString()}::timestamptz),
  (${unknownTopic}, ${JSON.stringify({ caseId: A.caseId })}::jsonb, ${T.clock.now().toISOString()}::timestamptz)`;

t.test('one pass of the one relay dispatches deadline jobs and notifications alike', async (t) => {
  while ((await parts.relay.relayOnce()) > 0) {
    // until drained
  }
  const pending = await sql`select topic from outbox where dispatched_at is null order by id`;
  t.same(pending.map((r) => r.topic), [unknownTopic], 'only the topic nobody registered is left');
  const jobs = await parts.queue.getJobCounts('delayed', 'waiting');
  t.ok((jobs.delayed ?? 0) + (jobs.waiting ?? 0) >= 1, 'deadline.opened became step jobs');
  const inbox = await sql`select recipient_user_id from notifications where topic = 'alert.raised'`;
  t.ok(inbox.some((r) => r.recipient_user_id === awa.id), 'the alert reached the officer’s inbox');
  t.ok(inbox.some((r) => r.recipient_user_id === dep.supervisor.id), 'and the supervisor’s');
  t.notOk(warnings.some((w) => JSON.stringify(w.obj).includes(unknownTopic)), 'a fresh unclaimed row is not yet worth a warning');
});

t.test('an unclaimed topic is never dropped, and is reported once it is old', async (t) => {
  T.clock.advance(6 * 60_000);
  await parts.relay.relayOnce();
  await parts.relay.relayOnce();
  const left = await sql`select dispatched_at from outbox where topic = ${unknownTopic}`;
  t.equal(left.length, 1);
  t.equal(left[0]!.dispatched_at, null, 'still undispatched');
  const reported = warnings.filter((w) => JSON.stringify(w.obj).includes(unknownTopic));
  t.equal(reported.length, 1, 'one warning, not one per pass');
  t.match(reported[0]!.msg, /no handler/);
});

t.test('registering a topic twice is refused', async (t) => {
  t.throws(() => parts.relay.register('deadline.opened', async () => undefined), /already has a handler/);
});
