/**
 * Partner webhooks are delivered at least once, and a partner's server never holds a database
 * connection: an attempt is claimed in one short transaction (with a lease), POSTed outside any
 * transaction and recorded in another, fenced by the claim; registration resolves the URL's name
 * before its transaction opens. Proven here with a pool of two connections shared by the API and
 * the worker, a partner server that never answers, a resolver that hangs, a worker killed in the
 * middle of a POST, and a claim that lapses under a slow attempt.
 */
import t from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { buildTestApp, REDIS_URL } from '../helpers/app.js';
import { bootstrap } from '../helpers/world.js';
import { launchWorker } from '../helpers/worker-process.js';
import { startNotificationDelivery, type NotificationDelivery } from '../../workers/notification-delivery.js';
import { loadServerKeys } from '../../src/lib/server-keys.js';
import { fixedClock, systemClock } from '../../src/lib/clock.js';
import { createWebhookDelivery, LEASE_MARGIN_MS } from '../../src/notifications/webhook-delivery.js';
import { withoutUrl } from '../../src/notifications/webhook-url.js';
import type { Resolver } from '../../src/notifications/webhook-target.js';
import { waitFor } from '../helpers/wait-for.js';

const TIMEOUT_MS = 4000;
let resolver: Resolver = async () => ['93.184.215.14'];
const T = await buildTestApp(t, { env: { DATABASE_POOL_SIZE: '2', WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS) }, webhookResolver: (host) => resolver(host) });
const dep = await bootstrap(T);
const sql = T.database.sql;
const keys = await loadServerKeys(T.config);
const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
t.teardown(() => connection.disconnect());

const admin = (method: 'GET' | 'POST', url: string, payload?: object) => T.app.inject({ method, url, headers: dep.admin.auth(), ...(payload ? { payload: payload as Record<string, unknown> } : {}) });
const partner = async (name: string): Promise<string> => {
  const r = await admin('POST', '/v1/orgs', { name });
  if (r.statusCode !== 201) throw new Error(`org ${r.statusCode} ${r.body}`);
  return r.json().id as string;
};
const register = async (orgId: string, url: string): Promise<string> => {
  const r = await admin('POST', `/v1/orgs/${orgId}/webhooks`, { url });
  if (r.statusCode !== 201) throw new Error(`webhook ${r.statusCode} ${r.body}`);
  return r.json().id as string;
};
/** An outbox row as referral-service writes it when a referral is withdrawn: the partner's webhook event. */
const withdrawn = (orgId: string) => sql`insert into outbox (topic, payload, created_at) values ('referral.withdrawn', ${JSON.stringify({ caseId: randomUUID(), referralId: randomUUID(), orgId })}::jsonb, now())`;
const deliveriesOf = (endpointId: string) => sql<Array<{ id: string; status: string; attempts: number; last_status_code: number | null; last_error: string | null; lease_expires_at: Date | null; next_attempt_at: Date | null }>>`
  select id, status, attempts, last_status_code, last_error, lease_expires_at, next_attempt_at from webhook_deliveries where endpoint_id = ${endpointId} order by created_at, id`;
const until = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000) => waitFor(check, { what, timeoutMs });
/** The answer, or status 0 if it takes longer than `ms` (a request stuck waiting for a connection). */
const within = async (ms: number, request: Promise<{ statusCode: number }>) => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ statusCode: number }>((resolve) => (timer = setTimeout(() => resolve({ statusCode: 0 }), ms)));
  try {
    return await Promise.race([request, late]);
  } finally {
    clearTimeout(timer);
  }
};
/** Ten requests that each need a pooled connection (the session check, the query), one after the other. */
const apiMeanwhile = async (orgId: string) => {
  const codes: number[] = [];
  for (let i = 0; i < 10; i++) codes.push((await within(1500, admin('GET', `/v1/orgs/${orgId}/webhooks`))).statusCode);
  return codes;
};

// The partner's server: answers 204, or (`hang`) reads the request and never answers.
interface Seen { url: string; delivery: string; timestamp: string; signature: string; body: string }
const seen: Seen[] = [];
const open = new Set<ServerResponse>();
let mode: 'answer' | 'hang' = 'answer';
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString('utf8')));
  req.on('end', () => {
    seen.push({ url: req.url ?? '', delivery: String(req.headers['x-egide-delivery']), timestamp: String(req.headers['x-egide-timestamp']), signature: String(req.headers['x-egide-signature']), body });
    if (mode === 'answer') return void res.writeHead(204).end();
    open.add(res);
    res.on('close', () => open.delete(res));
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => {
  server.closeAllConnections();
  server.close(() => resolve());
}));
const port = (server.address() as { port: number }).port;

/** The worker side as workers/worker.ts starts it, in this process, on the API's pool, on the real clock. */
const startDelivery = (): Promise<NotificationDelivery> =>
  startNotificationDelivery({ container: T.app.container, connection, clock: systemClock, log: pino({ level: 'silent' }), intervalMs: 200 });

t.test('a partner server that never answers holds no database connection: with a pool of two the API answers meanwhile', async (t) => {
  t.equal(T.config.DATABASE_POOL_SIZE, 2, 'the API and the worker share a pool of two connections');
  const orgId = await partner('Partenaire lent');
  const endpointId = await register(orgId, `http://127.0.0.1:${port}/hang`);
  mode = 'hang';
  const delivery = await startDelivery();
  t.teardown(() => delivery.close());
  for (let i = 0; i < 4; i++) await withdrawn(orgId);
  await delivery.tick();
  await until('four POSTs waiting on the partner', () => open.size === 4);
  t.same((await deliveriesOf(endpointId)).map((d) => [d.status, d.attempts]), Array(4).fill(['in_flight', 1]), 'four deliveries claimed, each in flight');

  const started = Date.now();
  t.same(await apiMeanwhile(orgId), Array(10).fill(200), 'ten API requests answered at once while the four POSTs hang');
  t.equal(open.size, 4, 'and the four POSTs were still waiting on the partner all that time');
  t.ok(Date.now() - started < TIMEOUT_MS, `within ${Date.now() - started} ms, before any attempt timed out`);

  // Each attempt ends at WEBHOOK_TIMEOUT_MS and its result is recorded.
  await until('the attempts recorded', async () => (await deliveriesOf(endpointId)).every((d) => d.status === 'retrying'), TIMEOUT_MS + 10_000);
  for (const d of await deliveriesOf(endpointId)) {
    t.match(d, { status: 'retrying', attempts: 1, last_status_code: null, last_error: /^TimeoutError/, lease_expires_at: null }, 'recorded: timed out, to retry');
    t.ok(d.next_attempt_at, 'with the time of the next attempt');
  }
  const first = new Map(seen.filter((s) => s.url === '/hang').map((s) => [s.delivery, s.body]));
  t.equal(first.size, 4, 'each POST carried its own delivery id');

  // The partner answers again: the next attempt of each delivers it, under the same delivery id.
  mode = 'answer';
  await until('delivered', async () => (await deliveriesOf(endpointId)).every((d) => d.status === 'delivered'));
  for (const d of await deliveriesOf(endpointId)) {
    t.match(d, { status: 'delivered', attempts: 2, last_status_code: 204, last_error: null, lease_expires_at: null });
    const posts = seen.filter((s) => s.delivery === d.id);
    t.equal(posts.length, 2, 'posted twice: the attempt that timed out, then the one answered');
    t.ok(posts.every((p) => p.body === first.get(d.id)), 'the same body each time');
  }
});

t.test('registration resolves the name before its transaction: a hanging DNS answer holds no connection', async (t) => {
  const orgId = await partner('Partenaire au DNS lent');
  let calls = 0;
  let answer!: (addresses: string[]) => void;
  const gate = new Promise<string[]>((resolve) => (answer = resolve));
  resolver = async () => {
    calls++;
    return gate;
  };
  const registrations = [1, 2, 3].map((i) => admin('POST', `/v1/orgs/${orgId}/webhooks`, { url: `https://slow.partner.example.org/hook-${i}` }));
  await until('three registrations resolving the name', () => calls === 3, 10_000);
  t.same(await apiMeanwhile(orgId), Array(10).fill(200), 'ten API requests answered while three registrations wait on DNS');
  answer(['93.184.215.14']);
  t.same((await Promise.all(registrations)).map((r) => r.statusCode), [201, 201, 201], 'then each registration completes');
  resolver = async () => ['93.184.215.14'];
});

t.test('a worker killed in the middle of a POST: the claim lapses, the delivery is posted again under the same id, and recorded', async (t) => {
  const orgId = await partner('Partenaire');
  const endpointId = await register(orgId, `http://127.0.0.1:${port}/crash?token=${randomUUID()}`);
  mode = 'hang';
  const crashTimeout = 1500;
  const child = launchWorker(T, (fn) => t.teardown(fn), { env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_TIMEOUT_MS: String(crashTimeout) } });
  const before = seen.length;
  await withdrawn(orgId);
  await until('the worker process posting', () => seen.slice(before).some((s) => s.url.startsWith('/crash')), 60_000);
  child.child.kill('SIGKILL');
  await child.exited;
  const [claimed] = await deliveriesOf(endpointId);
  t.match(claimed, { status: 'in_flight', attempts: 1, last_status_code: null }, 'the worker died holding the claim');
  t.ok(claimed!.lease_expires_at, 'which has a lease');

  // Another worker: its sweep finds the lapsed claim and the delivery goes again.
  mode = 'answer';
  const delivery = await startDelivery();
  t.teardown(() => delivery.close());
  await until('delivered by the other worker', async () => (await deliveriesOf(endpointId))[0]?.status === 'delivered', crashTimeout + LEASE_MARGIN_MS + 15_000);
  const [done] = await deliveriesOf(endpointId);
  t.match(done, { status: 'delivered', attempts: 2, last_status_code: 204, last_error: null, lease_expires_at: null }, 'recorded as delivered at the second attempt');
  const posts = seen.filter((s) => s.url.startsWith('/crash'));
  t.equal(posts.length, 2, 'the receiver saw it twice');
  t.same(posts.map((p) => p.delivery), [done!.id, done!.id], 'under the same X-Egide-Delivery: the receiver ignores the second');
  t.equal(posts[0]!.body, posts[1]!.body, 'with the same body');
  t.equal(JSON.parse(posts[1]!.body).id, done!.id, 'which names the delivery too');
});

t.test('a claim that lapses under a slow attempt: the late result does not overwrite the next one', async (t) => {
  const orgId = await partner('Partenaire très lent');
  const endpointId = await register(orgId, `http://127.0.0.1:${port}/slow`);
  const clock = fixedClock(new Date());
  const webhooks = createWebhookDelivery({ db: T.database.db, clock, keys, timeoutMs: 1500, maxAttempts: 8, retryDelayMs: () => 1000, allowPrivateTargets: true });
  const id = randomUUID();
  await sql`insert into webhook_deliveries (id, endpoint_id, outbox_id, topic, body, status, attempts, next_attempt_at, created_at)
    values (${id}, ${endpointId}, ${Math.floor(Math.random() * 1e9)}, 'referral.withdrawn', ${JSON.stringify({ id, event: 'referral.withdrawn' })}, 'pending', 0, ${clock.now().toISOString()}::timestamptz, ${clock.now().toISOString()}::timestamptz)`;
  mode = 'hang';
  const slow = webhooks.attempt(id);
  await until('the slow POST', () => seen.some((s) => s.delivery === id));
  t.same(await webhooks.attempt(id), { outcome: 'skipped', statusCode: null, error: 'claimed by another attempt', origin: null }, 'while its claim holds, nobody else posts it');
  t.notOk((await webhooks.due()).some((d) => d.id === id), 'nor does the sweep queue it');
  clock.advance(1500 + LEASE_MARGIN_MS + 1);
  t.same((await webhooks.due()).filter((d) => d.id === id), [{ id, lapsedClaim: 1, round: 0 }], 'once the lease has lapsed, the sweep queues it again (in its first round)');
  mode = 'answer';
  t.match(await webhooks.attempt(id), { outcome: 'delivered', statusCode: 204 }, 'the next attempt delivers it');
  t.match(await slow, { outcome: 'skipped', error: /^superseded/ }, 'the slow attempt times out and finds its claim gone');
  t.match((await deliveriesOf(endpointId))[0], { status: 'delivered', attempts: 2, last_status_code: 204, last_error: null }, 'the delivery stays delivered');
  t.equal(seen.filter((s) => s.delivery === id).length, 2, 'posted twice, under one delivery id');
  const signature = seen.filter((s) => s.delivery === id).map((s) => s.signature);
  t.ok(signature.every((s) => /^sha256=[0-9a-f]{64}$/.test(s)), 'each signed');
});

t.test('what is stored or logged of an attempt never holds the URL beyond its origin', async (t) => {
  const url = new URL('https://hooks.partner.example.org:8443/in/SECRET-PATH?token=SECRET-QUERY#frag');
  const text = withoutUrl(`TypeError: fetch failed for ${url.href} (GET /in/SECRET-PATH?token=SECRET-QUERY#frag; query ?token=SECRET-QUERY)`, url);
  t.notMatch(text, /SECRET/, text);
  t.match(text, /https:\/\/hooks\.partner\.example\.org:8443/, 'the origin stays, to say which endpoint failed');
});
