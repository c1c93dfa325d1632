/**
 * What an admin does with a partner's webhook beyond registering it: read its delivery log
 * (newest first, keyset pages, never the body), send it a `webhook.test` event that takes the
 * normal path (outbox, relay, delivery log, signed POST by the worker) and reaches only that
 * endpoint, and send a failed delivery again (same delivery id, a fresh budget of attempts, a
 * queue job of its own). A local HTTP receiver plays the partner.
 */
import t from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHmac } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { buildTestApp, REDIS_URL } from '../helpers/app.js';
import { bootstrap } from '../helpers/world.js';
import { waitFor } from '../helpers/wait-for.js';
import { startNotificationDelivery, type NotificationDelivery } from '../../workers/notification-delivery.js';
import { createWebhookDelivery } from '../../src/notifications/webhook-delivery.js';
import { loadServerKeys } from '../../src/lib/server-keys.js';

const T = await buildTestApp(t);
const dep = await bootstrap(T);
const sql = T.database.sql;
const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
let delivery: NotificationDelivery | null = null;
t.teardown(async () => {
  await delivery?.close();
  connection.disconnect();
});
const startDelivery = async () => (delivery = await startNotificationDelivery({ container: T.app.container, connection, log: pino({ level: 'silent' }), intervalMs: 200 }));

const as = (headers: Record<string, string>) => (method: 'GET' | 'POST', url: string, payload?: object) => T.app.inject({ method, url, headers, ...(payload ? { payload: payload as Record<string, unknown> } : {}) });
const admin = as(dep.admin.auth());
const until = (what: string, check: () => boolean | Promise<boolean>) => waitFor(check, { what, timeoutMs: 15_000 });

interface Seen { path: string; delivery: string; event: string; timestamp: string; signature: string; body: string }
const seen: Seen[] = [];
let failing = false;
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString('utf8')));
  req.on('end', () => {
    seen.push({ path: req.url ?? '', delivery: String(req.headers['x-egide-delivery']), event: String(req.headers['x-egide-event']), timestamp: String(req.headers['x-egide-timestamp']), signature: String(req.headers['x-egide-signature']), body });
    res.writeHead(failing && req.url === '/flaky' ? 500 : 204).end();
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
t.teardown(() => new Promise<void>((r) => server.close(() => r())));
const port = (server.address() as { port: number }).port;

const org = (await admin('POST', '/v1/orgs', { name: 'Réseau des avocats du Sahel' })).json() as { id: string };
const register = async (path: string) => {
  const r = await admin('POST', `/v1/orgs/${org.id}/webhooks`, { url: `http://127.0.0.1:${port}${path}` });
  if (r.statusCode !== 201) throw new Error(r.body);
  return r.json() as { id: string; secret: string };
};
const steady = await register('/steady');
const flaky = await register('/flaky');
await startDelivery();

t.test('a test event takes the normal path to the one endpoint, signed, and shows in its log', async (t) => {
  const r = await admin('POST', `/v1/orgs/${org.id}/webhooks/${steady.id}/ping`);
  t.equal(r.statusCode, 202, r.body);
  t.equal(r.json().topic, 'webhook.test');
  const [outboxRow] = await sql`select topic from outbox where payload->>'testId' = ${r.json().testId}`;
  t.equal(outboxRow?.topic, 'webhook.test', 'written to the outbox in the command');
  await delivery!.tick();
  await until('the test event is delivered', () => seen.some((s) => s.path === '/steady' && s.event === 'webhook.test'));
  const got = seen.find((s) => s.path === '/steady' && s.event === 'webhook.test')!;
  t.equal(got.signature, `sha256=${createHmac('sha256', steady.secret).update(`${got.timestamp}.${got.body}`).digest('hex')}`, 'signed with the secret shown once');
  t.match(JSON.parse(got.body), { event: 'webhook.test', data: { orgId: org.id, testId: r.json().testId } });
  t.notOk(seen.some((s) => s.path === '/flaky' && s.event === 'webhook.test'), 'the other endpoint of the organisation got nothing');

  await until('the log says delivered', async () => (await admin('GET', `/v1/orgs/${org.id}/webhooks/${steady.id}/deliveries`)).json().items[0]?.status === 'delivered');
  const log = (await admin('GET', `/v1/orgs/${org.id}/webhooks/${steady.id}/deliveries`)).json();
  t.match(log.items[0], { id: got.delivery, topic: 'webhook.test', status: 'delivered', attempts: 1, round: 0, lastStatusCode: 204, lastError: null });
  t.notOk('body' in log.items[0], 'never the body');
  const events = await sql`select action, outcome from audit_events where action = 'webhook.test'`;
  t.match(events, [{ action: 'webhook.test', outcome: 'allowed' }], 'the test is audited');
});

t.test('the delivery log pages newest first with a keyset cursor', async (t) => {
  for (let i = 0; i < 2; i++) t.equal((await admin('POST', `/v1/orgs/${org.id}/webhooks/${steady.id}/ping`)).statusCode, 202);
  await delivery!.tick();
  const all = (await admin('GET', `/v1/orgs/${org.id}/webhooks/${steady.id}/deliveries`)).json().items as Array<{ id: string; createdAt: string }>;
  t.equal(all.length, 3);
  const first = (await admin('GET', `/v1/orgs/${org.id}/webhooks/${steady.id}/deliveries?limit=2`)).json();
  t.same(first.items.map((d: { id: string }) => d.id), all.slice(0, 2).map((d) => d.id));
  t.type(first.next, 'string');
  const second = (await admin('GET', `/v1/orgs/${org.id}/webhooks/${steady.id}/deliveries?limit=2&before=${first.next}`)).json();
  t.same(second.items.map((d: { id: string }) => d.id), [all[2]!.id], 'the rest, without repeats');
  t.equal(second.next, null);
  t.equal((await admin('GET', `/v1/orgs/${dep.mechanismId}/webhooks/${steady.id}/deliveries`)).statusCode, 400, 'not a partner organisation');
  const other = (await admin('POST', '/v1/orgs', { name: 'Autre partenaire' })).json() as { id: string };
  t.equal((await admin('GET', `/v1/orgs/${other.id}/webhooks/${steady.id}/deliveries`)).statusCode, 404, "another organisation's endpoint is not found");
});

t.test('a failed delivery is sent again: same delivery id, fresh attempts, a job of its own; only a failed one', async (t) => {
  failing = true;
  const r = await admin('POST', `/v1/orgs/${org.id}/webhooks/${flaky.id}/ping`);
  t.equal(r.statusCode, 202);
  await delivery!.tick();
  await until('the first attempt is refused', async () => (await sql`select status from webhook_deliveries where endpoint_id = ${flaky.id}`)[0]?.status === 'retrying');
  // The queue's own retries back off over minutes: the worker stops, and a last attempt made
  // with a budget of two (the same code the worker runs) settles the delivery as failed.
  await delivery!.close();
  delivery = null;
  const [row] = await sql<Array<{ id: string }>>`select id from webhook_deliveries where endpoint_id = ${flaky.id}`;
  const last = createWebhookDelivery({ db: T.database.db, clock: T.clock, keys: await loadServerKeys(T.config), maxAttempts: 2, retryDelayMs: () => 1000, allowPrivateTargets: true });
  t.match(await last.attempt(row!.id), { outcome: 'failed', statusCode: 500 });
  const failed = (await admin('GET', `/v1/orgs/${org.id}/webhooks/${flaky.id}/deliveries`)).json().items[0];
  t.match(failed, { id: row!.id, status: 'failed', attempts: 2, lastStatusCode: 500, lastError: 'HTTP 500' });

  const notFailed = (await admin('GET', `/v1/orgs/${org.id}/webhooks/${steady.id}/deliveries`)).json().items[0];
  const refused = await admin('POST', `/v1/orgs/${org.id}/webhooks/${steady.id}/deliveries/${notFailed.id}/redeliver`);
  t.equal(refused.statusCode, 409);
  t.equal(refused.json().code, 'delivery_not_failed');

  failing = false;
  const again = await admin('POST', `/v1/orgs/${org.id}/webhooks/${flaky.id}/deliveries/${row!.id}/redeliver`);
  t.equal(again.statusCode, 200, again.body);
  t.match(again.json(), { id: row!.id, status: 'pending', attempts: 0, round: 1 });
  const before = seen.filter((s) => s.delivery === row!.id).length;
  await startDelivery();
  await delivery!.tick();
  await until('the delivery is made', async () => (await sql`select status from webhook_deliveries where id = ${row!.id}`)[0]?.status === 'delivered');
  t.ok(seen.filter((s) => s.delivery === row!.id).length > before, 'posted again under the same X-Egide-Delivery');
  const events = await sql`select outcome from audit_events where action = 'webhook.redeliver' order by id`;
  t.match(events, [{ outcome: 'denied' }, { outcome: 'allowed' }], 'both audited');
});

t.test('a disabled endpoint takes no test; a supervisor is refused', async (t) => {
  t.equal((await admin('POST', `/v1/orgs/${org.id}/webhooks/${flaky.id}/disable`)).statusCode, 200);
  const r = await admin('POST', `/v1/orgs/${org.id}/webhooks/${flaky.id}/ping`);
  t.equal(r.statusCode, 409);
  t.equal(r.json().code, 'webhook_disabled');
  const supervisor = as(dep.supervisor.auth());
  t.equal((await supervisor('GET', `/v1/orgs/${org.id}/webhooks/${steady.id}/deliveries`)).statusCode, 403);
  t.equal((await supervisor('POST', `/v1/orgs/${org.id}/webhooks/${steady.id}/ping`)).statusCode, 403);
});
