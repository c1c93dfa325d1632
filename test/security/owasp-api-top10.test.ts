/**
 * The OWASP API Security Top 10 (2023) items that apply to egide, one test each, through the API
 * as each role. What other files prove already is not repeated: forged, alg none, HS256,
 * foreign-key, wrong-audience and expired tokens, refresh reuse, logout and disabled accounts
 * (test/api/auth.test.ts); the per-route matrix (access-matrix.test.ts); 500s without detail
 * (test/api/errors.test.ts).
 */
import t from 'tap';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, baseMetadata } from '../helpers/world.js';
import { buildWorld } from './access-matrix/world.js';
import { loadAccessPolicy } from '../../src/access/policy.js';
import { policiesPath } from '../../src/lib/paths.js';
import { checkWebhookTarget, isForbiddenAddress, type ConnectLookup } from '../../src/notifications/webhook-target.js';
import { createWebhookDelivery } from '../../src/notifications/webhook-delivery.js';
import { sealWebhookUrl } from '../../src/notifications/webhook-url.js';
import { loadServerKeys } from '../../src/lib/server-keys.js';
import { prepareFiling, toB64u } from '../../src/sdk/index.js';

// The SSRF guard on, as in production (tests elsewhere let webhooks reach 127.0.0.1); names
// resolve to what `dns` says (anything else does not resolve), as a partner's DNS would answer.
const dns = new Map<string, string[]>();
const T = await buildTestApp(t, {
  env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false', REFRESH_TOKEN_TTL_SECONDS: String(30 * 24 * 3600) },
  webhookResolver: async (host) => dns.get(host) ?? Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })),
});
const keys = await loadServerKeys(T.config);
/** The worker's side of webhooks, with the guard on. */
const deliveries = (opts: Partial<Parameters<typeof createWebhookDelivery>[0]> = {}) =>
  createWebhookDelivery({ db: T.database.db, clock: T.clock, keys, maxAttempts: 1, retryDelayMs: () => 1000, allowPrivateTargets: false, ...opts });
const w = await buildWorld(T);
const sql = T.database.sql;
const policy = loadAccessPolicy(policiesPath(T.config));
const count = async (table: string) => (await sql.unsafe(`select count(*)::int as n from ${table}`))[0]!.n as number;

t.test('API1 broken object level authorization: ids of other people’s objects lead nowhere', async (t) => {
  const mine = await w.newCase('protection');
  const theirs = await w.newCase('protection', { officer: w.officerB });
  const theirMeasure = await w.measure(theirs, 'proposed');
  // Every read of a case, by another officer and by another case's defender: 404, never 403.
  for (const path of ['', '/sealed', '/messages', '/assessments', '/measures', '/reports', '/appeals', '/timeline', '/referrals', '/deadlines', '/notices', '/rekey']) {
    for (const who of [w.officerA, mine.defender]) {
      const r = await w.call(who, 'GET', `/v1/cases/${theirs.id}${path}`);
      t.ok([403, 404].includes(r.statusCode), `GET ${path || '/'} of another officer's case: ${r.statusCode}`);
      if (r.statusCode === 403) t.equal(r.json().code, 'forbidden', 'a role refused outright (no existence leak: the same for every id)');
      else t.equal(r.json().code, 'not_found');
    }
  }
  // An object of another case named through one's own: the measure of their case, consented by my defender.
  const before = await sql`select status from measures where id = ${theirMeasure}`;
  const consent = await w.call(mine.defender, 'POST', `/v1/measures/${theirMeasure}/consent`, { decision: 'consent' });
  t.equal(consent.statusCode, 404, 'a defender cannot consent to a measure of another case');
  const appeal = await w.call(mine.defender, 'POST', `/v1/cases/${mine.id}/appeals`, { id: randomUUID(), subject: 'measure_rejected', subjectId: theirMeasure });
  t.ok([404, 409].includes(appeal.statusCode), `an appeal on my case naming their measure is refused (${appeal.statusCode} ${appeal.json().code})`);
  t.same(await sql`select status from measures where id = ${theirMeasure}`, before, 'their measure is unchanged');
  t.equal((await sql`select count(*)::int as n from appeals where case_id = ${mine.id}`)[0]!.n, 0, 'no appeal written');
  // A random id is answered exactly as an existing one out of scope: nothing tells them apart.
  const unknown = await w.call(w.officerA, 'GET', `/v1/cases/${randomUUID()}`);
  const hidden = await w.call(w.officerA, 'GET', `/v1/cases/${theirs.id}`);
  t.same([unknown.statusCode, unknown.json().code, unknown.json().title], [hidden.statusCode, hidden.json().code, hidden.json().title], 'unknown and out-of-scope look the same');
});

t.test('API2 broken authentication: tokens signed by the server but with claims that do not match the session', async (t) => {
  const officer = w.officerA;
  await w.fresh(officer);
  const claims = JSON.parse(Buffer.from(officer.accessToken.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
  const me = (token: string) => T.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } });
  const signed = (extra: Record<string, unknown>, opts: Record<string, unknown> = {}) =>
    T.app.jwt.sign({ ...claims, iat: undefined, exp: undefined, ...extra } as never, { clockTimestamp: T.clock.now().getTime(), ...opts } as never);
  t.equal((await me(signed({}))).statusCode, 200, 'control: the same claims, re-signed, pass');
  for (const [what, token] of [
    ['role raised to admin', signed({ role: 'admin' })],
    ["another user's id on this session", signed({ sub: w.admin.id })],
    ['a defender role on a staff session', signed({ role: 'defender' })],
    ['an unknown session id', signed({ sid: randomUUID() })],
    ['another issuer', signed({}, { iss: 'not-egide' })],
  ] as const) {
    const r = await me(token);
    t.equal(r.statusCode, 401, `${what}: 401`);
    t.ok(['invalid_token', 'session_ended'].includes(r.json().code), `${what}: ${r.json().code}`);
  }
  const noSid = signed({ sid: undefined });
  t.equal((await me(noSid)).json().code, 'invalid_token', 'a token without a session id');
  const garbage = ['', 'Bearer', 'Bearer a.b', 'Basic YWRtaW46YWRtaW4=', `Bearer ${officer.accessToken}x`, `Bearer ${'A'.repeat(5000)}`];
  for (const h of garbage) {
    const r = await T.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: h } });
    t.equal(r.statusCode, 401, `Authorization: ${h.slice(0, 20)}: 401`);
  }
});

t.test('API2 broken authentication: password and receipt guessing is rate-limited per address and audited', async (t) => {
  const R = await buildTestApp(t, { env: { LOGIN_RATE_LIMIT_PER_MINUTE: '5' } });
  const dep = await bootstrap(R);
  const from = (ip: string, url: string, payload: object) => R.app.inject({ method: 'POST', url, payload, remoteAddress: ip });
  const login = { username: dep.admin.username, authKey: toB64u(new Uint8Array(32).fill(7)), totp: '123456' };
  const answers: number[] = [];
  for (let i = 0; i < 7; i++) answers.push((await from('10.9.8.7', '/v1/auth/login', login)).statusCode);
  t.same(answers, [401, 401, 401, 401, 401, 429, 429], 'five wrong guesses, then 429');
  const limited = await from('10.9.8.7', '/v1/auth/login', login);
  t.equal(limited.json().code, 'rate_limited');
  t.match(limited.headers['content-type'], /application\/problem\+json/);
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After');
  t.equal((await from('10.9.8.8', '/v1/auth/login', login)).statusCode, 401, 'another address is not locked out with it');

  const receipts: number[] = [];
  for (let i = 0; i < 7; i++) receipts.push((await from('10.9.8.9', '/v1/auth/receipt', { authKey: toB64u(new Uint8Array(32).fill(i)) })).statusCode);
  t.same(receipts, [401, 401, 401, 401, 401, 429, 429], 'receipt guessing: five, then 429');
  const denied = await R.database.sql`select action, count(*)::int as n from audit_events where outcome = 'denied' and action in ('auth.login', 'auth.receipt') group by action order by action`;
  t.same(
    denied.map((d) => [d.action, d.n]),
    [
      ['auth.login', 6],
      ['auth.receipt', 5],
    ],
    'every failed guess that reached the service is audited',
  );
});

t.test('API3 broken object property level authorization: extra properties are refused, views carry nothing beyond the role’s', async (t) => {
  const intakeKey = (await w.call(null, 'GET', '/v1/keys/intake')).json();
  const filing = prepareFiling({ intakeKey, pinnedKeyId: w.dep.mechanismKeyId, metadata: baseMetadata, secrets: { identity: 'Identité', contact: 'Contact', narrative: 'Récit' } });
  const cases = await count('cases');
  for (const extra of [{ state: 'closed' }, { assigneeId: w.officerA.id }, { urgent: true }, { reference: '2026-00001' }, { riskLevel: 'low' }]) {
    const r = await w.call(null, 'POST', '/v1/cases', { ...filing.body, ...extra });
    t.equal(r.statusCode, 400, `filing with ${Object.keys(extra)[0]}: 400`);
    t.equal(r.json().code, 'validation_failed');
  }
  const nested = await w.call(null, 'POST', '/v1/cases', { ...filing.body, metadata: { ...filing.body.metadata, urgent: true } });
  t.equal(nested.statusCode, 400, 'a nested extra property too');
  t.equal(await count('cases'), cases, 'nothing filed');

  const c = await w.newCase('received');
  for (const [who, path, body] of [
    [w.officerA, 'acknowledge', { state: 'closed' }],
    [w.officerA, 'acknowledge', { assigneeId: w.officerB.id }],
    [w.officerA, 'acknowledge', { role: 'supervisor' }],
  ] as const) {
    const r = await w.call(who, 'POST', `/v1/cases/${c.id}/${path}`, body);
    t.ok([400, 403].includes(r.statusCode), `${path} with ${JSON.stringify(body)}: ${r.statusCode} ${r.json().code}`);
  }
  t.match((await sql`select state, assignee_id from cases where id = ${c.id}`)[0], { state: 'received', assignee_id: null }, 'the case is untouched');
  const pw = await w.call(w.officerA, 'POST', '/v1/me/password', { role: 'admin' });
  t.equal(pw.statusCode, 400, 'no role through the account either');
  const inv = await w.call(w.admin, 'POST', '/v1/invitations', { username: 'mass-assign', role: 'officer', orgId: w.dep.mechanismId, status: 'active', passwordVerifier: 'x' });
  t.equal(inv.statusCode, 400, 'an invitation takes no account fields');

  // Responses: a defender sees no staff id, a partner no case id, reference or staff id.
  const p = await w.newCase('decision');
  const referralId = await w.referral(p, 'sent');
  const staffIds = [w.officerA.id, w.supervisor.id, w.officerB.id, w.admin.id];
  for (const path of ['', '/measures', '/referrals', '/messages', '/notices', '/appeals', '/reports']) {
    const r = await w.call(p.defender, 'GET', `/v1/cases/${p.id}${path}`);
    t.equal(r.statusCode, 200);
    t.notOk(
      staffIds.some((id) => r.body.includes(id)),
      `the defender's view ${path || '/'} names no staff member`,
    );
    for (const k of ['assigneeId', 'riskLevel', 'proposedBy', 'createdBy', 'consentBy', 'mechanismKeyId']) t.notOk(r.body.includes(`"${k}"`), `no ${k} for the defender`);
  }
  for (const r of [await w.call(w.orgP.member, 'GET', `/v1/referrals/${referralId}`), await w.call(w.orgP.member, 'GET', '/v1/referrals')]) {
    t.equal(r.statusCode, 200);
    t.notOk(r.body.includes(p.id), 'the partner never sees the case id');
    t.notOk(r.body.includes(p.reference), 'nor its reference');
    t.notOk(
      staffIds.some((id) => r.body.includes(id)),
      'nor a staff id',
    );
  }
});

t.test('API4 unrestricted resource consumption: body, page, array and string bounds', async (t) => {
  const before = await count('cases');
  const big = await w.call(null, 'POST', '/v1/cases', { pad: 'x'.repeat(T.config.BODY_LIMIT + 10) });
  t.equal(big.statusCode, 413, 'a body over BODY_LIMIT');
  t.equal(big.json().code, 'payload_too_large');
  for (const url of ['/v1/cases?limit=999', '/v1/audit/events?limit=501', '/v1/users?limit=201', '/v1/notifications?limit=101', '/v1/deadlines?limit=101', `/v1/cases?cursor=${'A'.repeat(401)}`]) {
    const who = url.startsWith('/v1/audit') || url.startsWith('/v1/cases') || url.startsWith('/v1/deadlines') ? w.supervisor : url.startsWith('/v1/users') ? w.admin : w.officerA;
    const r = await w.call(who, 'GET', url);
    t.equal(r.statusCode, 400, `${url.slice(0, 40)}: 400`);
  }
  const intakeKey = (await w.call(null, 'GET', '/v1/keys/intake')).json();
  const filing = prepareFiling({ intakeKey, pinnedKeyId: w.dep.mechanismKeyId, metadata: baseMetadata, secrets: { identity: 'I', contact: 'C', narrative: 'N' } });
  const threats = await w.call(null, 'POST', '/v1/cases', { ...filing.body, metadata: { ...filing.body.metadata, threatTypes: Array.from({ length: 500 }, () => 'death_threat') } });
  t.equal(threats.statusCode, 400, 'an array of 500 threat types');
  const longField = await w.call(null, 'POST', '/v1/cases', { ...filing.body, fields: { ...filing.body.fields, identity: `v1.${'A'.repeat(400_000)}.B` } });
  t.ok([400, 413].includes(longField.statusCode), `a 400 kB sealed field: ${longField.statusCode}`);
  t.equal(await count('cases'), before, 'nothing filed');
  const c = await w.newCase('assessment');
  const assessment = w.assessmentBody(c);
  const many = await w.call(w.officerA, 'POST', `/v1/cases/${c.id}/assessments`, { ...assessment, threats: Array.from({ length: 200 }, () => assessment.threats[0]) });
  t.equal(many.statusCode, 400, 'an assessment with 200 threats');
  t.equal((await sql`select count(*)::int as n from assessments where case_id = ${c.id}`)[0]!.n, 0, 'no assessment written');
});

t.test('API5 broken function level authorization: admin-only and supervisor-only functions as every lower role', async (t) => {
  const adminOnly = ['user.invite', 'user.list', 'user.disable', 'org.create', 'keyring.remove', 'webhook.manage', 'queues.dashboard'];
  const supervisorOnly = ['audit.read', 'audit.verify', 'case.reopen', 'case.decide', 'retention.read', 'case.purge', 'referral.exception', 'appeal.decide', 'measure.approve'];
  for (const a of adminOnly) t.same(Object.keys(policy.get(a)!.roles), ['admin'], `${a} is the admin's alone`);
  for (const a of supervisorOnly) t.same(Object.keys(policy.get(a)?.roles ?? { supervisor: 1 }), ['supervisor'], `${a} is the supervisors' alone`);
  const c = await w.newCase('triage');
  const callers = { officer: w.officerA, supervisor: w.supervisor, partner: w.orgP.member, admin: w.admin, defender: c.defender } as const;
  const routes = T.app.routeTable().filter((r) => [...adminOnly, ...supervisorOnly].includes(r.action));
  t.ok(routes.length >= 20, `${routes.length} routes`);
  const denied = await count("audit_events where outcome = 'denied'");
  let refusals = 0;
  for (const r of routes) {
    const owners = Object.keys(policy.get(r.action)!.roles);
    for (const [role, who] of Object.entries(callers)) {
      if (owners.includes(role)) continue;
      const url = r.url.replace(':caseId', c.id).replace(/:[A-Za-z]+/g, () => randomUUID()).replace('*', 'x');
      const res = await w.call(who, r.method, url, r.method === 'GET' ? undefined : {});
      t.equal(res.statusCode, 403, `${role} ${r.method} ${r.url}: 403`);
      refusals++;
    }
  }
  t.equal(await count("audit_events where outcome = 'denied'"), denied + refusals, 'each refusal audited');
  // A method the route does not have is not a way around: 404/405, never the function.
  const put = await w.call(w.officerA, 'PUT', '/v1/users');
  t.ok([404, 405].includes(put.statusCode), `PUT /v1/users as an officer: ${put.statusCode}`);
  const override = await T.app.inject({ method: 'POST', url: '/v1/users', headers: { ...w.officerA.auth(), 'x-http-method-override': 'GET' } });
  t.ok([404, 405].includes(override.statusCode), `POST with X-HTTP-Method-Override: GET: ${override.statusCode}`);
});

t.test('API6 unrestricted access to sensitive business flows: a filing flood from one address stops at the limit', async (t) => {
  const R = await buildTestApp(t, { env: { FILING_RATE_LIMIT_PER_MINUTE: '3' } });
  const dep = await bootstrap(R);
  const intakeKey = (await R.app.inject({ method: 'GET', url: '/v1/keys/intake' })).json();
  const file = (ip: string) => {
    const f = prepareFiling({ intakeKey, pinnedKeyId: dep.mechanismKeyId, metadata: baseMetadata, secrets: { identity: 'I', contact: 'C', narrative: 'N' } });
    return R.app.inject({ method: 'POST', url: '/v1/cases', payload: f.body, remoteAddress: ip });
  };
  const flood: number[] = [];
  for (let i = 0; i < 6; i++) flood.push((await file('10.20.30.40')).statusCode);
  t.same(flood, [201, 201, 201, 429, 429, 429], 'three filings, then 429');
  t.equal((await file('10.20.30.41')).statusCode, 201, 'another address still files (a cybercafé does not block the country)');
  t.equal((await R.database.sql`select count(*)::int as n from cases`)[0]!.n, 4, 'only the accepted filings exist');
});

t.test('API7 server-side request forgery: webhooks go over https to public addresses only', async (t) => {
  let hits = 0;
  const server: Server = createServer((_req, res) => {
    hits++;
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as { port: number }).port;
  const hooks = await count('webhook_endpoints');
  for (const url of [
    `http://127.0.0.1:${port}/hook`,
    `https://127.0.0.1:${port}/hook`,
    'https://10.1.2.3/hook',
    'https://172.16.0.9/hook',
    'https://192.168.1.1/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://100.64.0.1/hook',
    'https://[::1]/hook',
    'https://[fd00::1]/hook',
    'https://[fe80::1]/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://0.0.0.0/hook',
    'https://localhost/hook',
    'https://intranet/hook',
    'http://93.184.215.14/hook',
    'https://user:pass@93.184.215.14/hook',
    'ftp://93.184.215.14/hook',
  ]) {
    const r = await w.call(w.admin, 'POST', `/v1/orgs/${w.orgP.id}/webhooks`, { url });
    t.equal(r.statusCode, 400, `${url}: refused`);
    t.ok(['webhook_target_refused', 'validation_failed'].includes(r.json().code), `${url}: ${r.json().code}`);
  }
  t.equal(await count('webhook_endpoints'), hooks, 'nothing registered');
  const ok = await w.call(w.admin, 'POST', `/v1/orgs/${w.orgP.id}/webhooks`, { url: 'https://93.184.215.14/egide' });
  t.equal(ok.statusCode, 201, 'a public https address is accepted');

  // A name is checked on what it resolves to, at registration and at each delivery.
  await t.rejects(checkWebhookTarget('https://partner.example.org/h', { allowPrivate: false, resolve: async () => ['93.184.215.14', '10.0.0.5'] }), { code: 'webhook_target_refused' }, 'one private address among several is enough');
  await t.resolves(checkWebhookTarget('https://partner.example.org/h', { allowPrivate: false, resolve: async () => ['93.184.215.14', '2606:2800:220:1::1'] }), 'public v4 and v6');
  await t.rejects(checkWebhookTarget('https://nowhere.example.org/h', { allowPrivate: false, resolve: async () => Promise.reject(new Error('ENOTFOUND')) }), { code: 'webhook_target_refused' });
  for (const a of ['127.0.0.1', '10.0.0.1', '169.254.169.254', '::1', 'fe80::1', 'fc00::1', '::ffff:10.0.0.1', '224.0.0.1', 'not an ip']) t.ok(isForbiddenAddress(a), `${a} is forbidden`);
  for (const a of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111']) t.notOk(isForbiddenAddress(a), `${a} is allowed`);

  // An endpoint that points inside by the time of delivery (as after a DNS change): never posted.
  const endpointId = ok.json().id as string;
  await sql`update webhook_endpoints set url_sealed = ${sealWebhookUrl(`http://127.0.0.1:${port}/hook`, endpointId, keys.webhookUrlKey)} where id = ${endpointId}`;
  const deliveryId = randomUUID();
  await sql`insert into webhook_deliveries (id, endpoint_id, outbox_id, topic, body, status, attempts, next_attempt_at, created_at)
    values (${deliveryId}, ${endpointId}, 1, 'deadline.step', '{}', 'pending', 0, ${T.clock.now().toISOString()}::timestamptz, ${T.clock.now().toISOString()}::timestamptz)`;
  const outcome = await deliveries().attempt(deliveryId);
  t.equal(outcome.outcome, 'failed', 'the attempt fails');
  t.match(outcome.error, /^refused: /, 'refused before any connection');
  t.equal(hits, 0, 'the local server received nothing');
  t.match((await sql`select status, last_error from webhook_deliveries where id = ${deliveryId}`)[0], { status: 'failed', last_error: /refused/ });
});

t.test('API7: a name re-pointed between the check and the connection (DNS rebinding) is never connected to', async (t) => {
  let connections = 0;
  const inside: Server = createServer((_req, res) => res.writeHead(204).end());
  inside.on('connection', () => connections++);
  await new Promise<void>((resolve) => inside.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => inside.close(() => resolve())));
  const port = (inside.address() as { port: number }).port;
  // The check sees a public address; the connection's own resolution answers 127.0.0.1.
  const rebinding: ConnectLookup = (_host, _options, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]);
  dns.set('partner.example.org', ['93.184.215.14']);
  const registered = await w.call(w.admin, 'POST', `/v1/orgs/${w.orgP.id}/webhooks`, { url: `https://partner.example.org:${port}/hook` });
  t.equal(registered.statusCode, 201, registered.body);
  const deliveryId = randomUUID();
  await sql`insert into webhook_deliveries (id, endpoint_id, outbox_id, topic, body, status, attempts, next_attempt_at, created_at)
    values (${deliveryId}, ${registered.json().id}, 2, 'deadline.step', '{}', 'pending', 0, ${T.clock.now().toISOString()}::timestamptz, ${T.clock.now().toISOString()}::timestamptz)`;
  const outcome = await deliveries({ resolve: async () => ['93.184.215.14'], connectLookup: rebinding }).attempt(deliveryId);
  t.equal(outcome.outcome, 'failed');
  t.match(outcome.error, /forbidden address at connection time/, 'refused by the connection-time check');
  t.equal(connections, 0, 'no connection reached the inside address');
});

/**
 * IPv6 addresses that carry traffic to an IPv4 address of the attacker's choosing (the address a
 * name answers is theirs to pick). Each is the IPv6 form of a loopback, private or link-local
 * IPv4 address, except the local NAT64 prefix, which is the operator's own translator whatever it
 * carries.
 */
const EMBEDDED: Array<[string, string]> = [
  ['::127.0.0.1', 'IPv4-compatible (deprecated ::/96) loopback'],
  ['::a9fe:a9fe', 'IPv4-compatible 169.254.169.254 (cloud metadata)'],
  ['64:ff9b:1::a00:1', 'local-use NAT64 (64:ff9b:1::/48) of 10.0.0.1'],
  ['64:ff9b:1::5db8:d70e', 'local-use NAT64 even of a public address'],
  ['64:ff9b::7f00:1', 'well-known NAT64 (64:ff9b::/96) of 127.0.0.1'],
  ['64:ff9b::c0a8:101', 'well-known NAT64 of 192.168.1.1'],
  ['2002:7f00:1::1', '6to4 (2002::/16) of 127.0.0.1'],
  ['2002:a9fe:a9fe::1', '6to4 of 169.254.169.254'],
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'Teredo (2001::/32), client 127.0.0.1'],
  ['2001::1', 'Teredo prefix'],
  ['::ffff:0:7f00:1', 'IPv4-translated (::ffff:0:0:0/96) 127.0.0.1'],
];

t.test('API7: IPv6 forms that embed an IPv4 address are refused at registration, before each delivery and at connection time', async (t) => {
  let connections = 0;
  const inside: Server = createServer((_req, res) => res.writeHead(204).end());
  inside.on('connection', () => connections++);
  await new Promise<void>((resolve) => inside.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => inside.close(() => resolve())));
  const port = (inside.address() as { port: number }).port;

  const hooks = await count('webhook_endpoints');
  const denied = async () => (await sql`select count(*)::int as n from audit_events where action = 'webhook.manage' and outcome = 'denied'`)[0]!.n as number;
  const allowed = async () => (await sql`select count(*)::int as n from audit_events where action = 'webhook.manage' and outcome = 'allowed'`)[0]!.n as number;
  const allowedBefore = await allowed();
  let deniedBefore = await denied();
  for (const [address, what] of EMBEDDED) {
    const host = `h${randomUUID().slice(0, 8)}.partner.example.org`;
    dns.set(host, [address]);
    const byName = await w.call(w.admin, 'POST', `/v1/orgs/${w.orgP.id}/webhooks`, { url: `https://${host}/hook` });
    t.equal(byName.statusCode, 400, `a name resolving to ${address} (${what}) is refused`);
    t.equal(byName.json().code, 'webhook_target_refused', what);
    const literal = await w.call(w.admin, 'POST', `/v1/orgs/${w.orgP.id}/webhooks`, { url: `https://[${address}]/hook` });
    t.equal(literal.statusCode, 400, `the literal [${address}] is refused`);
    t.equal(literal.json().code, 'webhook_target_refused', what);
    t.equal(await denied(), deniedBefore + 2, `${what}: each refusal audited once, as denied`);
    deniedBefore += 2;
    t.ok(isForbiddenAddress(address), `${address} is forbidden`);
  }
  t.equal(await count('webhook_endpoints'), hooks, 'nothing registered');
  t.equal(await allowed(), allowedBefore, 'and no refused registration left an allowed event');
  // A public IPv4 address behind the well-known NAT64 prefix (what DNS64 answers on an IPv6-only network) still works.
  dns.set('v6only.partner.example.org', ['64:ff9b::5db8:d70e']);
  const nat64 = await w.call(w.admin, 'POST', `/v1/orgs/${w.orgP.id}/webhooks`, { url: `https://v6only.partner.example.org:${port}/hook` });
  t.equal(nat64.statusCode, 201, 'NAT64 of 93.184.215.14 is accepted');

  // The same endpoint, later: the name now answers an embedded form (checked before the POST),
  // or the connection's own resolution does (DNS rebinding). Nothing reaches the inside.
  for (const [address, what] of EMBEDDED) {
    for (const [when, opts] of [
      ['before the delivery', { resolve: async () => [address] }],
      ['at connection time', { resolve: async () => ['93.184.215.14'], connectLookup: ((_h, _o, cb) => cb(null, [{ address, family: 6 }])) as ConnectLookup }],
    ] as const) {
      const deliveryId = randomUUID();
      await sql`insert into webhook_deliveries (id, endpoint_id, outbox_id, topic, body, status, attempts, next_attempt_at, created_at)
        values (${deliveryId}, ${nat64.json().id}, ${Math.floor(Math.random() * 1e9)}, 'deadline.step', '{}', 'pending', 0, ${T.clock.now().toISOString()}::timestamptz, ${T.clock.now().toISOString()}::timestamptz)`;
      const outcome = await deliveries(opts).attempt(deliveryId);
      t.equal(outcome.outcome, 'failed', `${what}, ${when}: the attempt fails`);
      t.match(outcome.error, when === 'at connection time' ? /forbidden address at connection time/ : /^refused: /, `${what}: refused ${when}`);
      t.match((await sql`select status, last_error from webhook_deliveries where id = ${deliveryId}`)[0], { status: 'failed', last_error: /refused|forbidden/ }, 'recorded');
    }
  }
  t.equal(connections, 0, 'no connection reached the inside address');
});

t.test('API8 security misconfiguration: headers, CORS, errors', async (t) => {
  for (const [who, url] of [
    [null, '/healthz'],
    [w.officerA, '/v1/me'],
    [null, '/v1/no-such-route'],
  ] as const) {
    const r = await w.call(who, 'GET', url);
    t.equal(r.headers['x-powered-by'], undefined, `${url}: no x-powered-by`);
    t.equal(r.headers['x-content-type-options'], 'nosniff', `${url}: nosniff`);
    t.ok(r.headers['x-frame-options'], `${url}: x-frame-options`);
    t.match(String(r.headers['strict-transport-security']), /max-age=\d+/, `${url}: HSTS`);
    t.ok(r.headers['referrer-policy'], `${url}: referrer-policy`);
    t.equal(r.headers['access-control-allow-origin'], undefined, `${url}: no CORS grant`);
  }
  const preflight = await T.app.inject({ method: 'OPTIONS', url: '/v1/me', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
  t.equal(preflight.headers['access-control-allow-origin'], undefined, 'a cross-origin preflight is granted nothing');
  t.equal(preflight.headers['access-control-allow-credentials'], undefined);
  const unknown = await w.call(null, 'GET', '/v1/no-such-route');
  t.equal(unknown.statusCode, 404);
  t.match(unknown.headers['content-type'], /application\/problem\+json/);
  t.equal(unknown.json().code, 'route_not_found');
  const bad = await T.app.inject({ method: 'POST', url: '/v1/auth/prelogin', headers: { 'content-type': 'application/json' }, payload: '{"username": ' });
  t.equal(bad.statusCode, 400);
  t.notMatch(bad.body, /at .*\.(js|ts):\d+|node_modules|SyntaxError|stack/i, 'no stack trace or parser internals');
  const sensitive = await w.call(w.officerA, 'GET', '/v1/me');
  t.match(String(sensitive.headers['cache-control']), /no-store/, 'account data is never cached');
});

t.test('API9 improper inventory management: the OpenAPI document and the routes are the same set', async (t) => {
  const doc = (await w.call(null, 'GET', '/docs/json')).json() as { paths: Record<string, Record<string, unknown>> };
  const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`));
  const served = new Set(T.app.routeTable().map((r) => `${r.method} ${r.url}`));
  t.same(
    documented.filter((d) => !served.has(d)),
    [],
    'nothing documented that is not served',
  );
  // The console's screen addresses (GET /console/*) answer the same static HTML as GET /console.
  const hidden = [...served].filter((s) => !documented.includes(s) && !/ \/(docs|admin\/queues)(\/|$)/.test(s) && s !== 'GET /console/*');
  t.same(hidden, [], 'nothing served that is not documented (besides the docs, the dashboard, and the addresses of the console\'s screens, which serve its one page)');
  t.notOk(
    [...served].some((s) => / \/v[02-9]\//.test(s)),
    'one API version only',
  );
  t.notOk(
    [...served].some((s) => /debug|test|internal/i.test(s)),
    'no debug or test routes',
  );
});
