/**
 * Log out everywhere: a signed-in person ends every session of their account from any one of
 * them, the current one included. Access tokens name their session and every request checks it is
 * live (plugins/auth.ts), so every access token and every refresh token of the account stops
 * working at once, while other people's sessions go on. A defender does the same for every
 * session of their receipt.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { apiClient, clientOf } from '../helpers/api-client.js';
import { buildWorld, fileCase, logIn, secondSession, type Actor } from '../helpers/world.js';
import { ApiError } from '../../src/sdk/index.js';

const T = await buildTestApp(t, { now: '2026-05-04T08:00:00.000Z' });
const sql = T.database.sql;
const { dep, officers: { awa, bakary } } = await buildWorld(T, { officers: ['awa', 'bakary'] });

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const me = (token: string) => T.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(token) });
const refresh = (refreshToken: string) => T.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });

t.test('from one session, every session of the account ends: both access and refresh tokens are refused', async (t) => {
  const second: Actor = await secondSession(T, awa);
  t.equal((await me(awa.accessToken)).statusCode, 200, 'before: the first session works');
  t.equal((await me(second.accessToken)).statusCode, 200, 'before: the second session works');

  const out = await clientOf(T.app, awa).call('logOutEverywhere');
  t.same(out, { sessionsEnded: 2 });

  for (const [label, s] of [
    ['the other session', second],
    ['the calling session', awa],
  ] as const) {
    const read = await me(s.accessToken);
    t.equal(read.statusCode, 401, `${label}: its access token is refused`);
    t.equal(read.json().code, 'session_ended');
    const r = await refresh(s.refreshToken);
    t.equal(r.statusCode, 401, `${label}: its refresh token is refused`);
    t.equal(r.json().code, 'invalid_refresh_token');
  }
  t.equal((await me(bakary.accessToken)).statusCode, 200, "another person's session goes on");
  t.equal((await me(dep.supervisor.accessToken)).statusCode, 200);

  const ended = await sql`select revoked_reason from sessions where user_id = ${awa.id}`;
  t.same(ended.map((r) => r.revoked_reason), ['logged out everywhere', 'logged out everywhere'], 'every session of the account, and only those');
  const audited = await sql`select actor, resource, outcome from audit_events where action = 'auth.logout_everywhere'`;
  t.same(audited.map((a) => [a.actor, a.resource, a.outcome]), [[`u:${awa.id}`, `user:${awa.id}`, 'allowed']], 'audited once');

  // Logging in again works: the account is not disabled, its sessions are.
  const again = await logIn(T, awa);
  t.equal((await me(again.accessToken)).statusCode, 200, 'a new login opens a new session');
  awa.accessToken = again.accessToken;
  awa.refreshToken = again.refreshToken;
});

t.test('the typed client drops its token pair once it has logged out everywhere', async (t) => {
  const client = apiClient(T.app, { tokens: await secondSession(T, bakary).then((s) => ({ accessToken: s.accessToken, refreshToken: s.refreshToken })) });
  t.same(await client.call('logOutEverywhere'), { sessionsEnded: 2 });
  const err = await client.call('getMe').then(() => null, (e: unknown) => e);
  t.equal(client.tokens(), null, 'no pair kept');
  t.ok(err instanceof ApiError);
  t.equal((err as ApiError).code, 'unauthenticated', 'the next call goes without a token');
  t.equal((await me(bakary.accessToken)).statusCode, 401, "bakary's first session ended too");
});

t.test("a defender ends every session of their receipt, and the receipt still logs in", async (t) => {
  const { caseId, defender } = await fileCase(T, dep);
  const other = (await T.app.inject({ method: 'POST', url: '/v1/auth/receipt', payload: { authKey: defender.authKey } })).json() as { accessToken: string; refreshToken: string };
  const read = (token: string) => T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}`, headers: bearer(token) });
  t.equal((await read(other.accessToken)).statusCode, 200);

  const out = await T.app.inject({ method: 'POST', url: '/v1/me/sessions/revoke', headers: defender.auth() });
  t.equal(out.statusCode, 200, out.body);
  t.same(out.json(), { sessionsEnded: 2 });
  t.equal((await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}`, headers: defender.auth() })).json().code, 'session_ended', 'the calling session');
  t.equal((await read(other.accessToken)).json().code, 'session_ended', 'the other session');
  t.equal((await refresh(other.refreshToken)).json().code, 'invalid_refresh_token', 'and its refresh token');
  const audited = await sql`select actor, resource, case_id, outcome from audit_events where action = 'auth.logout_everywhere' and case_id = ${caseId}`;
  t.same(audited.map((a) => [a.actor, a.resource, a.outcome]), [[`d:${caseId}`, `case:${caseId}`, 'allowed']]);
  await defender.relogin();
  t.equal((await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}`, headers: defender.auth() })).statusCode, 200, 'the receipt logs in again');
});

t.test('without a live session, nothing is ended', async (t) => {
  const r = await T.app.inject({ method: 'POST', url: '/v1/me/sessions/revoke' });
  t.equal(r.statusCode, 401);
  t.equal(r.json().code, 'unauthenticated');
});
