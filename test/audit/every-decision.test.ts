/**
 * Every decision a service takes leaves exactly one audit event, with its outcome and the problem
 * code (the reason starts with it), and nothing else: a filing refused as a duplicate or sealed to
 * a replaced key, a message on a closed case or with an id already used, a key rotation by a
 * member without the key. These used to write nothing at all (their "allowed" event rolled back
 * with their transaction). A request refused before any service ran (schema, token) is counted in
 * /metrics and logged, never written to the chain.
 * (test/security/audit-every-decision walks every operation as every role.)
 */
import t, { type Test } from 'tap';
import { randomBytes, randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { partnerOrg, bootstrap, enrolActor, type Actor, baseMetadata, fileCase } from '../helpers/world.js';
import { createOrgKey, messageBodyAd, prepareFiling, sealField, toB64u } from '../../src/sdk/index.js';

const T = await buildTestApp(t);
const { app } = T;
const sql = T.database.sql;
const dep = await bootstrap(T);

/** Row counts of every table a refused request could have written to. */
async function written() {
  const [row] = await sql`select
    (select count(*)::int from cases) as cases, (select count(*)::int from case_fields) as fields,
    (select count(*)::int from case_envelopes) as envelopes, (select count(*)::int from case_timeline) as timeline,
    (select count(*)::int from deadlines) as deadlines, (select count(*)::int from outbox) as outbox,
    (select count(*)::int from messages) as messages, (select count(*)::int from org_keys) as org_keys,
    (select count(*)::int from keyring_entries) as keyring, (select count(*)::int from audit_events) as events`;
  return row as Record<string, number>;
}

const requestIdOf = (body: string) => String(JSON.parse(body).instance).replace('urn:egide:request:', '');

/** The refusal answered `code`, wrote nothing but one audit event, and that event says so. */
async function refusedOnce(t: Test, res: { statusCode: number; body: string }, status: number, code: string, before: Record<string, number>, expect: { action: string; caseId?: string | null }) {
  t.equal(res.statusCode, status, `${code}: ${status} — ${res.body}`);
  t.equal(JSON.parse(res.body).code, code);
  const events = await sql`select action, case_id, outcome, reason from audit_events where request_id = ${requestIdOf(res.body)}`;
  t.equal(events.length, 1, `${code}: exactly one audit event for the request`);
  t.match(events[0], { action: expect.action, outcome: 'denied', reason: new RegExp(`^${code}: `) }, `${code}: denied, with the code`);
  if (expect.caseId !== undefined) t.equal(events[0]?.case_id ?? null, expect.caseId);
  t.same(await written(), { ...before, events: before.events! + 1 }, `${code}: nothing else written`);
}

const intakeKey = (await app.inject({ method: 'GET', url: '/v1/keys/intake' })).json();
const filingBody = () => prepareFiling({ intakeKey, pinnedKeyId: dep.mechanismKeyId, metadata: baseMetadata, secrets: { identity: 'Identité', contact: 'Contact', narrative: 'Récit' } }).body;

t.test('POST /v1/cases: a duplicate and a filing sealed to a replaced key are each audited once, nothing else written', async (t) => {
  const body = filingBody();
  t.equal((await app.inject({ method: 'POST', url: '/v1/cases', payload: body })).statusCode, 201);

  // The same case id again, with a fresh receipt (a client that re-sent its filing).
  const again = { ...filingBody(), caseId: body.caseId };
  let before = await written();
  await refusedOnce(t, await app.inject({ method: 'POST', url: '/v1/cases', payload: again }), 409, 'already_exists', before, { action: 'request.create' });

  // The case key sealed to a key that is not the mechanism's current one.
  const stale = filingBody();
  stale.envelopes.mechanism.keyId = toB64u(randomBytes(16));
  before = await written();
  await refusedOnce(t, await app.inject({ method: 'POST', url: '/v1/cases', payload: stale }), 409, 'intake_key_changed', before, { action: 'request.create', caseId: null });

  // A sealed field that is not one (the schema passes it; the service's check refuses it).
  const malformed = filingBody();
  malformed.fields.narrative = 'v1.not-a-sealed-field.at-all';
  before = await written();
  await refusedOnce(t, await app.inject({ method: 'POST', url: '/v1/cases', payload: malformed }), 400, 'validation_failed', before, { action: 'request.create' });
});

t.test('messages: an id already used and a closed case are each audited once, nothing else written', async (t) => {
  const filed = await fileCase(T, dep);
  const send = (id: string) =>
    app.inject({ method: 'POST', url: `/v1/cases/${filed.caseId}/messages`, headers: filed.defender.auth(), payload: { id, body: sealField({ text: 'Bonjour' }, filed.defender.dek, messageBodyAd(id, `d:${filed.caseId}`)) } });
  const id = randomUUID();
  t.equal((await send(id)).statusCode, 201);
  let before = await written();
  await refusedOnce(t, await send(id), 409, 'already_exists', before, { action: 'message.create', caseId: filed.caseId });

  const withdrawn = await app.inject({ method: 'POST', url: `/v1/cases/${filed.caseId}/withdraw`, headers: filed.defender.auth(), payload: { reason: 'Je ne souhaite plus être suivie.' } });
  t.equal(withdrawn.statusCode, 200, withdrawn.body);
  before = await written();
  await refusedOnce(t, await send(randomUUID()), 409, 'invalid_transition', before, { action: 'message.create', caseId: filed.caseId });
});

t.test('organisation keys: a rotation by a member who does not hold the current key is audited once', async (t) => {
  const rotate = (who: Actor, orgId: string) => {
    const key = createOrgKey([who.keyPair.publicKey]);
    return app.inject({
      method: 'POST',
      url: `/v1/orgs/${orgId}/keys`,
      headers: who.auth(),
      payload: { publicKey: key.publicKey, keyId: key.keyId, entries: [{ userId: who.id, memberKeyId: key.entries[0]!.memberKeyId, entry: key.entries[0]!.entry }] },
    });
  };
  // A supervisor without the mechanism key: the policy's key_holder scope refuses it (404).
  const sup2 = await enrolActor(T, dep.admin, { username: 'supervisor-without-key', role: 'supervisor', orgId: dep.mechanismId });
  let before = await written();
  await refusedOnce(t, await rotate(sup2, dep.mechanismId), 404, 'not_found', before, { action: 'org.key.create' });

  // A partner member of their own organisation (in scope) who holds no entry for its current key:
  // the service refuses it after the policy allowed it, inside the transaction.
  const org = await partnerOrg(T, dep.admin, { name: 'Association des juristes', username: 'partner-holder' });
  const newcomer = await enrolActor(T, dep.admin, { username: 'partner-newcomer', role: 'partner', orgId: org.id });
  before = await written();
  await refusedOnce(t, await rotate(newcomer, org.id), 409, 'key_holder_required', before, { action: 'org.key.create' });
});

t.test('a refusal the service decides outside any transaction is audited once too (an envelope for a user who cannot hold one)', async (t) => {
  const filed = await fileCase(T, dep);
  const before = await written();
  const r = await app.inject({ method: 'POST', url: `/v1/cases/${filed.caseId}/envelopes`, headers: dep.supervisor.auth(), payload: { userId: dep.admin.id, keyId: toB64u(randomBytes(16)), envelope: `v1.${toB64u(randomBytes(80))}` } });
  await refusedOnce(t, r, 400, 'validation_failed', before, { action: 'case.grant', caseId: filed.caseId });
});

t.test('a refused read holds its denial only, never an allowed event too', async (t) => {
  const missing = randomUUID();
  const before = await written();
  for (const path of ['', '/sealed', '/messages', '/timeline', '/deadlines', '/measures', '/assessments', '/appeals', '/reports', '/referrals', '/rekey']) {
    const r = await app.inject({ method: 'GET', url: `/v1/cases/${missing}${path}`, headers: dep.supervisor.auth() });
    t.equal(r.statusCode, 404, `GET /v1/cases/:id${path}: 404`);
    const events = await sql`select outcome, reason from audit_events where request_id = ${requestIdOf(r.body)}`;
    t.match(events, [{ outcome: 'denied', reason: /^not_found/ }], `GET /v1/cases/:id${path}: one event, denied`);
  }
  t.equal((await written()).events, before.events! + 11);
});

t.test('requests refused before any service ran are counted and logged, never written to the chain', async (t) => {
  const metric = async (code: string) => {
    const text = (await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${T.config.METRICS_TOKEN}` } })).body;
    const line = text.split('\n').find((l) => l.startsWith(`egide_http_refused_before_service_total{code="${code}"}`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };
  const before = await written();
  const [schema0, token0, bad0] = [await metric('validation_failed'), await metric('unauthenticated'), await metric('invalid_token')];
  const refusals = [
    await app.inject({ method: 'POST', url: '/v1/cases', payload: { caseId: 'not even a uuid' } }),
    await app.inject({ method: 'GET', url: '/v1/cases' }),
    await app.inject({ method: 'GET', url: '/v1/cases', headers: { authorization: 'Bearer not.a.token' } }),
  ];
  t.same(refusals.map((r) => [r.statusCode, r.json().code]), [
    [400, 'validation_failed'],
    [401, 'unauthenticated'],
    [401, 'invalid_token'],
  ]);
  t.same(await written(), before, 'no audit event, nothing written');
  t.equal(await metric('validation_failed'), schema0 + 1, 'the schema refusal is counted');
  t.equal(await metric('unauthenticated'), token0 + 1, 'the missing token is counted');
  t.equal(await metric('invalid_token'), bad0 + 1, 'the bad token is counted');
  for (const r of refusals) {
    const id = requestIdOf(r.body);
    t.ok(T.logs.some((l) => l.includes(id) && l.includes('refused before any service ran')), `logged with its request id (${r.json().code})`);
  }
});
