/**
 * A person who lost the phone with their authenticator gets a new second factor on the SAME
 * account: an admin starts a TOTP reset (a one-time token handed over out of band), the person
 * proves the password with it and enrols a new secret; the account keeps its id, keys,
 * envelopes and keyring entries, every session ends, and both halves are audited. No invitation,
 * no new user.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, logIn, type Actor } from '../helpers/world.js';
import { login, toB64u } from '../../src/sdk/index.js';
import { generateTotpSecret, totpCode } from '../../src/auth/totp.js';

const T = await buildTestApp(t, { env: { REFRESH_TOKEN_TTL_SECONDS: String(30 * 24 * 3600) } });
const { app } = T;
const dep = await bootstrap(T);
const sql = T.database.sql;
const count = async (table: 'users' | 'invitations') => (await sql`select count(*)::int as n from ${sql(table)}`)[0]!.n as number;
const events = async (action: string, outcome: 'allowed' | 'denied') => (await sql`select count(*)::int as n from audit_events where action = ${action} and outcome = ${outcome}`)[0]!.n as number;

const startReset = (who: Actor, userId: string) => app.inject({ method: 'POST', url: `/v1/users/${userId}/totp-reset`, headers: who.auth(), payload: { reason: 'Téléphone perdu, identité vérifiée en personne' } });
async function authKeyOf(u: { username: string; password: string }) {
  const pre = (await app.inject({ method: 'POST', url: '/v1/auth/prelogin', payload: { username: u.username } })).json();
  return toB64u(login(u.password, pre).authKey);
}
async function finish(u: Actor, token: string, opts: { password?: string; totpSecret?: string; code?: string } = {}) {
  const totpSecret = opts.totpSecret ?? generateTotpSecret();
  T.clock.advance(31_000);
  const res = await app.inject({
    method: 'POST',
    url: '/v1/auth/totp-reset',
    payload: { username: u.username, token, authKey: await authKeyOf({ username: u.username, password: opts.password ?? u.password }), totpSecret, totpCode: opts.code ?? totpCode(totpSecret, T.clock.now()) },
  });
  return { res, totpSecret };
}

t.test('the admin starts a reset; the person proves the password and enrols a new secret on the same account', async (t) => {
  const u = await enrolActor(T, dep.admin, { username: 'officer-lostphone', role: 'officer', orgId: dep.mechanismId });
  const before = { users: await count('users'), invitations: await count('invitations'), started: await events('user.totp_reset', 'allowed') };
  const me = (await app.inject({ method: 'GET', url: '/v1/me', headers: u.auth() })).json();

  const s = await startReset(dep.admin, u.id);
  t.equal(s.statusCode, 201, s.body);
  t.match(s.json(), { userId: u.id, token: /^[A-Za-z0-9_-]{43}$/, expiresAt: String });
  t.equal(await events('user.totp_reset', 'allowed'), before.started + 1, 'the start is audited');
  t.equal((await sql`select count(*)::int as n from outbox where topic = 'account.totp_reset_started' and payload->'recipients' ? ${u.id}`)[0]!.n, 1, 'the person is told in the inbox');

  const done = await finish(u, s.json().token);
  t.equal(done.res.statusCode, 204, done.res.body);
  t.equal(await events('auth.totp_reset', 'allowed'), 1, 'the end is audited');
  t.equal((await app.inject({ method: 'GET', url: '/v1/me', headers: u.auth() })).json().code, 'session_ended', 'every session of the account ended');

  const oldSecret = u.totpSecret;
  u.totpSecret = done.totpSecret;
  const tokens = await logIn(T, u);
  u.accessToken = tokens.accessToken;
  const after = (await app.inject({ method: 'GET', url: '/v1/me', headers: u.auth() })).json();
  t.same({ id: after.id, publicKey: after.publicKey, keyId: after.keyId, wrappedPrivateKey: after.wrappedPrivateKey }, { id: me.id, publicKey: me.publicKey, keyId: me.keyId, wrappedPrivateKey: me.wrappedPrivateKey }, 'the same account: id, keys and wrap unchanged');
  t.same({ users: await count('users'), invitations: await count('invitations') }, { users: before.users, invitations: before.invitations }, 'no new user, no invitation');
  await t.rejects(logIn(T, { ...u, totpSecret: oldSecret }), /login 401/, 'the lost secret no longer logs in');

  const twice = await finish(u, s.json().token);
  t.equal(twice.res.json().code, 'invalid_credentials', 'the token works once');
});

t.test('refusals: wrong password, weak secret, wrong code, replaced or expired token, own account, unknown user', async (t) => {
  const u = await enrolActor(T, dep.admin, { username: 'officer-reset2', role: 'officer', orgId: dep.mechanismId });
  const first = (await startReset(dep.admin, u.id)).json().token as string;
  const token = (await startReset(dep.admin, u.id)).json().token as string;
  t.equal((await finish(u, first)).res.json().code, 'invalid_credentials', 'a second start replaces the first token');

  const denied = await events('auth.totp_reset', 'denied');
  const wrongPw = await finish(u, token, { password: 'not the password' });
  t.equal(wrongPw.res.statusCode, 401);
  t.equal(wrongPw.res.json().code, 'invalid_credentials');
  t.equal((await finish(u, token, { totpSecret: 'A'.repeat(32) })).res.json().code, 'totp_secret_weak');
  const secret = generateTotpSecret();
  t.equal((await finish(u, token, { totpSecret: secret, code: totpCode(secret, T.clock.now()) === '000000' ? '111111' : '000000' })).res.json().code, 'totp_invalid');
  t.equal(await events('auth.totp_reset', 'denied'), denied + 3, 'each refusal audited once');
  await t.resolves(logIn(T, u), 'nothing changed: the old secret still logs in');

  const self = await startReset(dep.admin, dep.admin.id);
  t.equal(self.statusCode, 409);
  t.equal(self.json().code, 'separation_of_duties', "an admin cannot reset their own second factor");
  const unknown = await startReset(dep.admin, '00000000-0000-4000-8000-000000000000');
  t.equal(unknown.statusCode, 404);
  t.equal(await events('user.totp_reset', 'denied'), 2, 'both refusals audited');

  T.clock.advance(73 * 3600_000);
  await logIn(T, dep.admin).then((s) => Object.assign(dep.admin, s, { issuedAt: T.clock.now().getTime() }));
  t.equal((await finish(u, token)).res.json().code, 'invalid_credentials', 'the token expires after 72 hours');
  t.match((await sql`select reason from audit_events where action = 'auth.totp_reset' order by id desc limit 1`)[0], { reason: /expired/ });
});
