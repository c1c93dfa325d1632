/**
 * Notifications: outbox events become inbox rows for the right staff (the officer, the
 * supervisors), notices in the defender's case view, and signed webhook POSTs to partner
 * organisations; nothing sealed ever reaches any of them.
 */
import t, { type Test } from 'tap';
import { createServer, type IncomingMessage } from 'node:http';
import { createHmac, randomUUID } from 'node:crypto';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { buildTestApp, REDIS_URL } from '../helpers/app.js';
import { buildWorld, admitCase, caseKeyOf, fileCase, headersOf, type Caller } from '../helpers/world.js';
import { caseReportNoteAd, messageBodyAd, ready, sealField } from '../../src/sdk/index.js';
import { startNotificationDelivery } from '../../workers/notification-delivery.js';
import { createQueue, queuePrefix } from '../../src/queues/registry.js';
import { waitFor } from '../helpers/wait-for.js';

await ready();
const T = await buildTestApp(t, { now: '2026-06-01T08:00:00.000Z' });
const { dep, officers: { awa, moussa }, supervisors: { fatou } } = await buildWorld(T, { officers: ['awa', 'moussa'], supervisors: ['fatou'] });
const MARK = `MARQUEUR-${randomUUID()}`;
const main = await fileCase(T, dep, { secrets: { identity: `Aminata ${MARK}`, contact: `+223 ${MARK}`, narrative: `Menaces ${MARK}` } });
await admitCase(T, dep, awa, main.caseId);
const awaDek = await caseKeyOf(T, awa, main.caseId);

const inject = (who: Caller, method: 'GET' | 'POST', url: string, payload?: object) => T.app.inject({ method, url, headers: headersOf(who), ...(payload ? { payload: payload as Record<string, unknown> } : {}) });
const partnerOrg = (await inject(dep.admin, 'POST', '/v1/orgs', { name: 'Avocats sans frontières Mali' })).json();
if (!partnerOrg.id) throw new Error('partner org creation failed');

// The worker side, as workers/worker.ts starts it (the dispatcher loop and the `webhooks` queue).
const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const delivery = await startNotificationDelivery({ container: T.app.container, connection, log: pino({ level: 'silent' }), intervalMs: 200 });
t.teardown(async () => {
  await delivery.close();
  connection.disconnect();
});

/** An outbox row as the named service writes it (ids, codes, the case reference). */
const plant = (topic: string, payload: object) => T.database.sql`insert into outbox (topic, payload, created_at) values (${topic}, ${JSON.stringify(payload)}::jsonb, now())`;
const inbox = async (who: Caller, query = '') => (await inject(who, 'GET', `/v1/notifications${query}`)).json().items as Array<Record<string, any>>;
const until = (what: string, check: () => Promise<boolean>, timeoutMs = 10_000) => waitFor(check, { what, timeoutMs });

t.test('an alert reaches the officer and every supervisor, nobody else', async (t) => {
  const id = randomUUID();
  const r = await inject(main.defender, 'POST', `/v1/cases/${main.caseId}/alerts`, { id, note: sealField(`Ils sont là ${MARK}`, main.defender.dek, caseReportNoteAd('alert', id)) });
  t.equal(r.statusCode, 201, r.body);
  await delivery.tick();
  for (const who of [awa, dep.supervisor, fatou]) {
    const items = await inbox(who);
    t.equal(items.filter((n) => n.topic === 'alert.raised').length, 1, 'one alert in the inbox');
    t.match(items[0], { topic: 'alert.raised', caseId: main.caseId, reference: main.reference, readAt: null, payload: { reportId: id } });
  }
  t.equal((await inbox(moussa)).length, 0, 'an officer not on the case gets nothing');
  t.equal((await inbox(dep.admin)).length, 0, 'nor does the admin');
  t.equal((await T.database.sql`select count(*)::int as n from outbox where topic = 'alert.raised' and dispatched_at is null`)[0]!.n, 0, 'the outbox row is dispatched');
  await delivery.tick();
  t.equal((await T.database.sql`select count(*)::int as n from notifications where topic = 'alert.raised'`)[0]!.n, 3, 'a second pass adds nothing');
});

t.test("messages: the defender's reaches the officer; the officer's becomes a notice in the defender's case view", async (t) => {
  const id1 = randomUUID();
  t.equal((await inject(main.defender, 'POST', `/v1/cases/${main.caseId}/messages`, { id: id1, body: sealField({ text: MARK }, main.defender.dek, messageBodyAd(id1, `d:${main.caseId}`)) })).statusCode, 201);
  const id2 = randomUUID();
  t.equal((await inject(awa, 'POST', `/v1/cases/${main.caseId}/messages`, { id: id2, body: sealField({ text: MARK }, awaDek, messageBodyAd(id2, `u:${awa.id}`)) })).statusCode, 201);
  await delivery.tick();
  const mine = (await inbox(awa)).filter((n) => n.topic === 'message.created');
  t.equal(mine.length, 1, 'the officer is told of the defender’s message only');
  t.equal(mine[0]!.payload.messageId, id1);
  t.equal((await inbox(dep.supervisor)).filter((n) => n.topic === 'message.created').length, 0, 'supervisors are not told of messages on an assigned case');
  const notices = await inject(main.defender, 'GET', `/v1/cases/${main.caseId}/notices`);
  t.equal(notices.statusCode, 200, notices.body);
  t.match(notices.json().items, [{ topic: 'message.created', reference: main.reference, payload: { messageId: id2 } }]);
  t.equal((await inject(awa, 'GET', `/v1/cases/${main.caseId}/notices`)).statusCode, 403, 'notices are the defender’s view');
  const other = await fileCase(T, dep);
  t.equal((await inject(other.defender, 'GET', `/v1/cases/${main.caseId}/notices`)).statusCode, 404, "another defender's case");
});

t.test('a measure proposal is a notice for the defender, not an inbox row', async (t) => {
  T.clock.advance(1000); // newest first: a second later than the message
  // As measure-service writes it (notify(..., 'defender')).
  const measureId = randomUUID();
  await plant('measure.proposed', { caseId: main.caseId, reference: main.reference, measureId, code: 'relocation_temporary', to: 'defender' });
  const before = (await T.database.sql`select count(*)::int as n from notifications where audience = 'user'`)[0]!.n;
  await delivery.tick();
  t.equal((await T.database.sql`select count(*)::int as n from notifications where audience = 'user'`)[0]!.n, before, 'no staff inbox row');
  t.match((await inject(main.defender, 'GET', `/v1/cases/${main.caseId}/notices`)).json().items[0], { topic: 'measure.proposed', payload: { measureId, code: 'relocation_temporary' } });
});

t.test('escalations reach the supervisors; a reminder only the officer', async (t) => {
  const deadlineId = randomUUID();
  const step = (s: 'reminder' | 'level1') => ({ deadlineId, caseId: main.caseId, reference: main.reference, rule: 'assessment', step: s, level: s === 'reminder' ? 0 : 1, dueAt: '2026-06-03T08:00:00.000Z', stepAt: '2026-06-03T08:00:00.000Z', recipients: ['officer'], markForHead: false, action: 'complete_assessment' });
  await plant('deadline.step', step('reminder'));
  await plant('deadline.step', step('level1'));
  await delivery.tick();
  const sup = (await inbox(fatou)).filter((n) => n.topic === 'deadline.step');
  t.same(sup.map((n) => n.payload.step), ['level1'], 'the supervisor sees the escalation, not the reminder');
  t.match(sup[0], { reference: main.reference, payload: { rule: 'assessment', dueAt: '2026-06-03T08:00:00.000Z', action: 'complete_assessment', deadlineId } });
  t.same((await inbox(awa)).filter((n) => n.topic === 'deadline.step').map((n) => n.payload.step).sort(), ['level1', 'reminder'], 'the officer sees both');
});

t.test('list, keyset pages, and mark read: only one’s own', async (t) => {
  const all = await inbox(awa);
  t.ok(all.length >= 4);
  const first = await inbox(awa, '?limit=2');
  t.same(first.map((n) => n.id), all.slice(0, 2).map((n) => n.id), 'newest first');
  const next = await inbox(awa, `?limit=2&afterAt=${encodeURIComponent(first[1]!.createdAt)}&afterId=${first[1]!.id}`);
  t.same(next.map((n) => n.id), all.slice(2, 4).map((n) => n.id), 'the next page');
  const theirs = (await inbox(fatou))[0]!;
  const stolen = await inject(awa, 'POST', `/v1/notifications/${theirs.id}/read`);
  t.equal(stolen.statusCode, 404, "another user's notification is not found");
  t.equal(stolen.json().code, 'not_found');
  t.equal((await T.database.sql`select read_at from notifications where id = ${theirs.id}`)[0]!.read_at, null, 'and stays unread');
  const r = await inject(awa, 'POST', `/v1/notifications/${all[0]!.id}/read`);
  t.equal(r.statusCode, 200, r.body);
  t.ok(r.json().readAt);
  t.equal((await inbox(awa, '?unread=true')).length, all.length - 1);
  const allRead = await inject(awa, 'POST', '/v1/notifications/read-all');
  t.equal(allRead.json().marked, all.length - 1);
  t.equal((await inbox(awa, '?unread=true')).length, 0);
  t.ok((await inbox(fatou, '?unread=true')).length > 0, "another user's stay unread");
  t.equal((await inject(main.defender, 'GET', '/v1/notifications')).statusCode, 403, 'a defender has no inbox');
});

// --- webhooks -----------------------------------------------------------------------------------
interface Received { headers: IncomingMessage['headers']; body: string; at: number }
const received: Received[] = [];
let failuresLeft = 0;
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    received.push({ headers: req.headers, body, at: Date.now() });
    if (failuresLeft > 0) {
      failuresLeft--;
      res.writeHead(500).end('boom');
    } else res.writeHead(204).end();
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
t.teardown(() => new Promise<void>((r) => server.close(() => r())));
const port = (server.address() as { port: number }).port;

// The partner's endpoint, registered by the admin once for the file: the subtests below verify its signatures.
const registered = await inject(dep.admin, 'POST', `/v1/orgs/${partnerOrg.id}/webhooks`, { url: `http://127.0.0.1:${port}/hook` });
const secret: string = registered.json().secret;

t.test('an admin registers a partner webhook; the secret is shown once and sealed at rest', async (t) => {
  t.equal((await inject(awa, 'POST', `/v1/orgs/${partnerOrg.id}/webhooks`, { url: `http://127.0.0.1:${port}/hook` })).statusCode, 403, 'officers do not');
  const bad = await inject(dep.admin, 'POST', `/v1/orgs/${dep.mechanismId}/webhooks`, { url: `http://127.0.0.1:${port}/hook` });
  t.equal(bad.statusCode, 400, 'only for partner organisations');
  const r = registered;
  t.equal(r.statusCode, 201, r.body);
  t.ok(secret.length >= 40);
  t.equal(r.json().origin, `http://127.0.0.1:${port}`, 'answered with the origin only');
  t.notOk('url' in r.json(), 'not the URL');
  const listed = await inject(dep.admin, 'GET', `/v1/orgs/${partnerOrg.id}/webhooks`);
  t.notOk('secret' in listed.json().items[0], 'listed without the secret');
  t.same(Object.keys(listed.json().items[0]).sort(), ['createdAt', 'disabledAt', 'id', 'orgId', 'origin'], 'and without the URL: its origin only');
  const [row] = await T.database.sql`select secret, url_sealed, url_origin, url_plaintext from webhook_endpoints`;
  t.notOk(String(row!.secret).includes(secret), 'not stored in the clear');
  t.match(row, { url_sealed: /^v1\./, url_origin: `http://127.0.0.1:${port}`, url_plaintext: null }, 'the URL is sealed at rest, beside its origin');
  t.notOk(String(row!.url_sealed).includes('/hook'), 'no part of the path in clear');
});

const verify = (t: Test, r: Received) => {
  const ts = String(r.headers['x-egide-timestamp']);
  t.equal(r.headers['x-egide-signature'], `sha256=${createHmac('sha256', secret).update(`${ts}.${r.body}`).digest('hex')}`, 'HMAC-SHA256 over timestamp.body');
  t.ok(Math.abs(Number(ts) - T.clock.now().getTime() / 1000) < 300, 'a current timestamp');
};

t.test("a partner's webhook receives a signed POST without the case", async (t) => {
  const referralId = randomUUID();
  // As referral-service writes it when a referral is withdrawn.
  await plant('referral.withdrawn', { caseId: main.caseId, referralId, orgId: partnerOrg.id });
  await delivery.tick();
  await until('the webhook', async () => received.length === 1);
  verify(t, received[0]!);
  const [logged] = await T.database.sql`select id from webhook_deliveries where topic = 'referral.withdrawn'`;
  t.equal(received[0]!.headers['x-egide-delivery'], logged!.id, 'X-Egide-Delivery: the delivery id, for the receiver to ignore a delivery it has seen');
  t.equal(received[0]!.headers['x-egide-event'], 'referral.withdrawn');
  const body = JSON.parse(received[0]!.body);
  t.match(body, { event: 'referral.withdrawn', data: { referralId, orgId: partnerOrg.id } });
  t.notOk(received[0]!.body.includes(main.caseId) || received[0]!.body.includes(main.reference), 'no case id or reference for the partner');
  await until('the log', async () => (await T.database.sql`select status from webhook_deliveries where topic = 'referral.withdrawn'`)[0]?.status === 'delivered');
  t.match((await T.database.sql`select attempts, last_status_code from webhook_deliveries where topic = 'referral.withdrawn'`)[0], { attempts: 1, last_status_code: 204 });
  t.equal((await inbox(awa, '?unread=true')).filter((n) => n.topic === 'referral.withdrawn').length, 0, 'the staff who withdrew it know already');
});

t.test('a failing endpoint is retried with backoff, logged, and never delivered twice', async (t) => {
  received.length = 0;
  failuresLeft = 2;
  const deadlineId = randomUUID();
  await plant('deadline.step', { deadlineId, caseId: main.caseId, reference: main.reference, rule: 'referral_response', step: 'level1', level: 1, dueAt: '2026-06-05T08:00:00.000Z', stepAt: '2026-06-05T08:00:00.000Z', recipients: [`org:${partnerOrg.id}`], markForHead: false, action: 'respond_to_referral' });
  await delivery.tick();
  await until('two failures', async () => received.length >= 2, 8000);
  // The second answer is recorded right after it arrives (the POST is made outside any transaction).
  await until('the second failure recorded', async () => (await T.database.sql`select attempts, status from webhook_deliveries where topic = 'deadline.step'`)[0]?.status === 'retrying' && received.length === 2);
  t.match((await T.database.sql`select status, attempts, last_status_code, last_error, lease_expires_at from webhook_deliveries where topic = 'deadline.step'`)[0], { status: 'retrying', attempts: 2, last_status_code: 500, last_error: 'HTTP 500', lease_expires_at: null });
  await until('the third attempt', async () => received.length >= 3, 10_000);
  await until('delivered', async () => (await T.database.sql`select status from webhook_deliveries where topic = 'deadline.step'`)[0]?.status === 'delivered');
  for (const r of received) verify(t, r);
  t.ok(received[1]!.at - received[0]!.at >= 900 && received[2]!.at - received[1]!.at >= 1800, 'exponential backoff: about 1 s, then 2 s');
  t.equal(new Set(received.map((r) => r.body)).size, 1, 'the same body each time');
  t.equal(new Set(received.map((r) => r.headers['x-egide-delivery'])).size, 1, 'and the same delivery id');
  t.match(JSON.parse(received[2]!.body), { event: 'deadline.step', data: { deadlineId, rule: 'referral_response', step: 'level1', dueAt: '2026-06-05T08:00:00.000Z', action: 'respond_to_referral' } });
  t.match((await T.database.sql`select attempts, last_status_code, last_error from webhook_deliveries where topic = 'deadline.step'`)[0], { attempts: 3, last_status_code: 204, last_error: null });
  // Re-queue what is due, and re-dispatch: nothing is posted again.
  await T.database.sql`update outbox set dispatched_at = null where topic = 'deadline.step'`;
  await delivery.tick();
  const [d] = await T.database.sql`select id from webhook_deliveries where topic = 'deadline.step'`;
  const q = createQueue('webhooks', { connection, config: T.config });
  // The job's own completion event: once it has run to its end, whatever it would post is posted.
  const events = new QueueEvents('webhooks', { connection: { host: new URL(REDIS_URL).hostname, port: Number(new URL(REDIS_URL).port || 6379) }, prefix: queuePrefix(T.config) });
  try {
    await events.waitUntilReady();
    const job = await q.add('deliver', { deliveryId: d!.id as string }, { jobId: `again-${d!.id}` });
    await job.waitUntilFinished(events, 10_000);
  } finally {
    await events.close();
    await q.close();
  }
  t.equal(received.length, 3, 'never delivered twice once it succeeded');
  t.equal((await T.database.sql`select count(*)::int as n from webhook_deliveries where topic = 'deadline.step'`)[0]!.n, 1, 'one log row');
});

t.test('no sealed marker anywhere in notifications, deliveries or webhook bodies', async (t) => {
  t.equal((await T.database.sql`select count(*)::int as n from notifications where payload::text like ${'%' + MARK + '%'} or coalesce(reference, '') like ${'%' + MARK + '%'}`)[0]!.n, 0);
  t.equal((await T.database.sql`select count(*)::int as n from webhook_deliveries where body like ${'%' + MARK + '%'} or coalesce(last_error, '') like ${'%' + MARK + '%'}`)[0]!.n, 0);
  t.notOk(received.some((r) => r.body.includes(MARK)));
  t.notOk((await T.database.sql`select count(*)::int as n from notifications where payload::text like '%v1.%' or payload::text like '%v2.%'`)[0]!.n > 0, 'no sealed value at all');
});
