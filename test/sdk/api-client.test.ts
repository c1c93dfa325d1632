/**
 * The typed API client (src/sdk/client/api-client.ts) against the app, over `app.inject`: staff
 * log in and read their account; an expired access token is renewed once however many calls
 * meet it at the same time (refresh tokens rotate, and a reused one ends the session); a
 * defender files and follows a case with the receipt; an answer kept unread (the NDJSON export)
 * is renewed the same way; refusals arrive as ApiError with the problem's code, its extra fields
 * and Retry-After.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, nextTotp, type Actor } from '../helpers/world.js';
import { apiClient, clientOf } from '../helpers/api-client.js';
import { baseMetadata } from '../helpers/world.js';
import { ApiError, login, prepareFiling, ready, toB64u, type ApiClient } from '../../src/sdk/index.js';
import { loadLimitsPolicy } from '../../src/limits/limits-policy.js';
import { policiesPath } from '../../src/lib/paths.js';

await ready();
const T = await buildTestApp(t);
const dep = await bootstrap(T);
const limits = loadLimitsPolicy(policiesPath(T.config));

/** Logs a staff member in through the client, as their own client would: prelogin, Argon2id, login. */
async function logInWith(client: ApiClient, actor: Actor): Promise<void> {
  const pre = await client.call('prelogin', { body: { username: actor.username } });
  const keys = login(actor.password, pre);
  await client.call('login', { body: { username: actor.username, authKey: toB64u(keys.authKey), totp: nextTotp(T, actor.totpSecret) } });
}

/** What a call rejected with, for assertions on the ApiError. */
async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(err)}`);
  return err;
}

t.test('staff log in and read their own account; the client keeps the token pair', async (t) => {
  const officer = await enrolActor(T, dep.admin, { username: 'officer-client', role: 'officer', orgId: dep.mechanismId });
  const client = apiClient(T.app);
  t.equal(client.tokens(), null, 'no session before the login');
  await logInWith(client, officer);
  t.ok(client.tokens()?.accessToken, 'the login answer is kept');
  const me = await client.call('getMe');
  t.equal(me.username, 'officer-client');
  t.equal(me.publicKey, toB64u(officer.keyPair.publicKey));
  const page = await client.call('listCases', { query: { limit: '5' } });
  t.ok(Array.isArray(page.items), 'a query-string operation answers its typed page');

  const admin = clientOf(T.app, dep.admin);
  const users = await admin.call('listUsers', { query: { limit: '200' } });
  t.ok(
    users.items.some((u) => u.username === 'officer-client'),
    'an admin lists the accounts',
  );
  const refused = await refusal(client.call('listUsers'));
  t.equal(refused.status, 403, 'an officer may not');
  t.equal(refused.code, 'forbidden');
});

t.test('an expired access token is renewed once for concurrent calls, and the session goes on', async (t) => {
  const officer = await enrolActor(T, dep.admin, { username: 'officer-single', role: 'officer', orgId: dep.mechanismId });
  const seen: string[] = [];
  const renewed: unknown[] = [];
  const client = apiClient(T.app, { seen, onTokens: (p) => renewed.push(p) });
  await logInWith(client, officer);
  const first = client.tokens()!;
  T.clock.advance((T.config.ACCESS_TOKEN_TTL_SECONDS + 1) * 1000);
  seen.length = 0;
  renewed.length = 0;

  const answers = await Promise.all(Array.from({ length: 6 }, () => client.call('getMe')));
  t.same(
    answers.map((a) => a.username),
    Array(6).fill('officer-single'),
    'every call is answered after the renewal',
  );
  t.equal(seen.filter((s) => s === 'POST /v1/auth/refresh').length, 1, 'one refresh for six expired calls');
  t.equal(renewed.length, 1, 'one new pair');
  t.not(client.tokens()!.refreshToken, first.refreshToken, 'the refresh token rotated');
  const reuse = await T.database.sql`select count(*)::int as n from audit_events where action = 'auth.refresh' and outcome = 'denied'`;
  t.equal(reuse[0]!.n, 0, 'no refresh was refused (a second one with the same token would have ended the session)');
  t.equal((await client.call('getMe')).username, 'officer-single', 'the session is still open');

  // What the single flight prevents: the old refresh token presented again ends the session.
  const stale = apiClient(T.app, { tokens: first });
  T.clock.advance((T.config.ACCESS_TOKEN_TTL_SECONDS + 1) * 1000);
  const err = await refusal(stale.call('getMe'));
  t.equal(err.status, 401);
  t.equal(stale.tokens(), null, 'the stale client forgets its pair');
  const ended = await refusal(client.call('getMe'));
  t.equal(ended.status, 401, 'the reuse ended the session for the other client too');
  t.equal(client.tokens(), null, 'its own refresh was refused: the session is over');
  t.match(await T.database.sql`select reason from audit_events where action = 'auth.refresh' and outcome = 'denied' order by id`, [{ reason: /reuse/ }, {}], 'the reuse is audited');
});

t.test('an answer kept unread (the NDJSON export) goes through the same token renewal; a refusal is still an ApiError', async (t) => {
  const seen: string[] = [];
  const client = apiClient(T.app, { seen });
  await logInWith(client, dep.supervisor);
  T.clock.advance((T.config.ACCESS_TOKEN_TTL_SECONDS + 1) * 1000);
  seen.length = 0;
  const response = await client.raw('exportAuditLog', { query: { action: 'auth.login' }, headers: { accept: 'application/x-ndjson, application/problem+json' } });
  t.match(response.headers.get('content-type'), /application\/x-ndjson/);
  const lines = (await response.text()).trim().split('\n');
  t.ok(lines.length > 0, 'the body is there, unread by the client');
  t.ok(
    lines.every((l) => (JSON.parse(l) as { action: string }).action === 'auth.login'),
    'one event per line, as the server wrote them',
  );
  t.same(seen, ['GET /v1/audit/export', 'POST /v1/auth/refresh', 'GET /v1/audit/export'], 'the expired token was renewed once and the export asked again');

  const officer = await enrolActor(T, dep.admin, { username: 'officer-raw', role: 'officer', orgId: dep.mechanismId });
  const other = apiClient(T.app);
  await logInWith(other, officer);
  const refused = await refusal(other.raw('exportAuditLog'));
  t.equal(refused.status, 403);
  t.equal(refused.code, 'forbidden');
  t.equal(refused.operationId, 'exportAuditLog');
});

t.test('a defender files with the client and follows the case with the receipt', async (t) => {
  const anonymous = apiClient(T.app);
  const intakeKey = await anonymous.call('getIntakeKey');
  const filing = prepareFiling({ intakeKey, pinnedKeyId: dep.mechanismKeyId, metadata: baseMetadata, secrets: { identity: 'Awa', contact: '+223 00', narrative: 'Menaces' } });
  const filed = await anonymous.call('fileCase', { body: filing.body });
  t.equal(filed.caseId, filing.body.caseId);

  const again = await refusal(anonymous.call('fileCase', { body: filing.body }));
  t.equal(again.status, 409, 'the same filing sent twice is one case: the client-chosen id makes the retry safe');
  t.equal(again.code, 'already_exists');

  const defender = apiClient(T.app);
  const session = await defender.call('loginWithReceipt', { body: { authKey: toB64u(filing.receiptKeys.authKey) } });
  t.equal(session.caseId, filed.caseId);
  const read = await defender.call('getCase', { params: { caseId: filed.caseId } });
  t.equal(read.case.reference, filed.reference);
  const sealed = await defender.call('getCaseSealed', { params: { caseId: filed.caseId } });
  t.ok(sealed.envelopes.length > 0, "the defender's own envelope");

  await defender.call('logout');
  t.equal(defender.tokens(), null, 'logout forgets the pair');
  const after = await refusal(defender.call('getCase', { params: { caseId: filed.caseId } }));
  t.equal(after.status, 401);
  t.equal(after.code, 'unauthenticated');
});

t.test('refusals are ApiErrors with the problem code, its fields and Retry-After', async (t) => {
  const client = apiClient(T.app);
  await logInWith(client, dep.supervisor);
  const missing = await refusal(client.call('getCase', { params: { caseId: '00000000-0000-4000-8000-000000000000' } }));
  t.equal(missing.status, 404);
  t.equal(missing.problem?.status, 404);
  t.ok(missing.title, 'the title');
  t.equal(missing.operationId, 'getCase');

  const invalid = await refusal(client.call('getCase', { params: { caseId: 'not-a-uuid' } }));
  t.equal(invalid.status, 400);
  t.equal(invalid.code, 'validation_failed');
  t.match(invalid.problem?.errors, [{ field: /caseId/ }], "the problem's field errors");

  // Wrong one-time codes lock the TOTP step: 429 totp_locked with the wait in Retry-After.
  const u = await enrolActor(T, dep.admin, { username: 'officer-locked', role: 'officer', orgId: dep.mechanismId });
  const locked = apiClient(T.app, { remoteAddress: '10.9.0.1' });
  const pre = await locked.call('prelogin', { body: { username: u.username } });
  const authKey = toB64u(login(u.password, pre).authKey);
  let last: ApiError | null = null;
  for (let i = 0; i < limits.totp.failuresBeforeLock; i++) {
    nextTotp(T, u.totpSecret);
    last = await refusal(locked.call('login', { body: { username: u.username, authKey, totp: '000000' } }));
  }
  t.equal(last?.status, 429);
  t.equal(last?.code, 'totp_locked');
  t.equal(last?.retryAfter, limits.totp.firstLockSeconds, 'Retry-After read into retryAfter');
  t.equal(locked.tokens(), null, 'no pair from a refused login');
});

t.test('a case transition of the workflow policy goes through the client', async (t) => {
  const anonymous = apiClient(T.app);
  const intakeKey = await anonymous.call('getIntakeKey');
  const filing = prepareFiling({ intakeKey, pinnedKeyId: dep.mechanismKeyId, metadata: baseMetadata, secrets: { identity: 'Oumar', contact: '+223 01', narrative: 'Arrestation' } });
  const { caseId } = await anonymous.call('fileCase', { body: filing.body });
  const supervisor = apiClient(T.app);
  await logInWith(supervisor, dep.supervisor);
  const officer = await enrolActor(T, dep.admin, { username: 'officer-assigned', role: 'officer', orgId: dep.mechanismId });
  const view = await supervisor.transition(caseId, 'acknowledge', { assigneeId: officer.id });
  t.equal(view.state, 'triage');
  const wrong = await refusal(supervisor.transition(caseId, 'acknowledge', { assigneeId: officer.id }));
  t.equal(wrong.status, 409, 'a transition from the wrong state is refused with its code');
});
