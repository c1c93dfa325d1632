import t from 'tap';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { loadServerKeys } from '../../src/lib/server-keys.js';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, enrolActor, logIn, nextTotp, openOwnKeys, refreshIfStale } from '../helpers/world.js';
import { login, recoverKeyPair, changePassword, toB64u, openSecret, createRecoveryCode, recoveryKeyOf, wrapPrivateKey } from '../../src/sdk/index.js';

const T = await buildTestApp(t);
const { app } = T;
const { dep, officers: { awa: officer } } = await buildWorld(T, { officers: ['awa'] });

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const me = (authorization: string) => app.inject({ method: 'GET', url: '/v1/me', headers: { authorization } });

t.test('a logged-in user reads their own bundle and opens their private key with the password', async (t) => {
  const r = await me(officer.auth().authorization);
  t.equal(r.statusCode, 200);
  t.equal(r.json().username, 'officer-awa');
  const kp = await openOwnKeys(T, officer);
  t.same(toB64u(kp.publicKey), toB64u(officer.keyPair.publicKey));
  const sup = (await me(dep.supervisor.auth().authorization)).json();
  t.equal(sup.keyring.length, 1, 'the first supervisor holds the mechanism key');
  t.equal(sup.keyring[0].orgKeyId, dep.mechanismKeyId);
});

t.test('prelogin gives a stable fake salt for unknown usernames', async (t) => {
  const a = (await app.inject({ method: 'POST', url: '/v1/auth/prelogin', payload: { username: 'nobody-here' } })).json();
  const b = (await app.inject({ method: 'POST', url: '/v1/auth/prelogin', payload: { username: 'nobody-here' } })).json();
  const real = (await app.inject({ method: 'POST', url: '/v1/auth/prelogin', payload: { username: 'officer-awa' } })).json();
  t.equal(a.salt, b.salt);
  t.equal(a.salt.length, real.salt.length);
  t.same(Object.keys(a).sort(), Object.keys(real).sort());
});

t.test('wrong authKey, wrong TOTP and replayed TOTP are refused alike, and audited', async (t) => {
  const pre = (await app.inject({ method: 'POST', url: '/v1/auth/prelogin', payload: { username: officer.username } })).json();
  const good = toB64u(login(officer.password, pre).authKey);
  const bad = toB64u(login('not the password', pre).authKey);
  const code = nextTotp(T, officer.totpSecret);
  const r1 = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: officer.username, authKey: bad, totp: code } });
  t.equal(r1.statusCode, 401);
  t.equal(r1.json().code, 'invalid_credentials');
  const r2 = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: officer.username, authKey: good, totp: '000000' === code ? '111111' : '000000' } });
  t.equal(r2.json().code, 'invalid_credentials');
  const r3 = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: officer.username, authKey: good, totp: code } });
  t.equal(r3.statusCode, 200, 'the right code works once');
  const r4 = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: officer.username, authKey: good, totp: code } });
  t.equal(r4.json().code, 'invalid_credentials', 'the same code is not accepted twice');
  const denied = await T.database.sql`select reason from audit_events where action = 'auth.login' and outcome = 'denied' order by id`;
  t.same(denied.map((d) => d.reason), ['invalid_credentials: wrong authKey', 'invalid_credentials: wrong TOTP code', 'invalid_credentials: TOTP code already used']);
});

t.test('forged, expired, wrong-audience, alg none and HS256 tokens are refused', async (t) => {
  const [header, payload] = officer.accessToken.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const none = `${b64u({ alg: 'none', typ: 'JWT' })}.${payload}.`;
  t.equal((await me(`Bearer ${none}`)).json().code, 'invalid_token', 'alg none');
  const tampered = `${header}.${b64u({ ...claims, role: 'supervisor' })}.${officer.accessToken.split('.')[2]}`;
  t.equal((await me(`Bearer ${tampered}`)).json().code, 'invalid_token', 'changed claims');
  // HS256 signed with the server's public key as the HMAC secret (the classic confusion attack).
  const keys = await loadServerKeys(T.config);
  const h = b64u({ alg: 'HS256', typ: 'JWT' });
  const sig = createHmac('sha256', keys.jwt.publicPem).update(`${h}.${payload}`).digest('base64url');
  t.equal((await me(`Bearer ${h}.${payload}.${sig}`)).json().code, 'invalid_token', 'HS256 with the public key');
  // A token signed by another EdDSA key.
  const other = generateKeyPairSync('ed25519');
  const eh = b64u({ alg: 'EdDSA', typ: 'JWT' });
  const esig = sign(null, Buffer.from(`${eh}.${payload}`), other.privateKey).toString('base64url');
  t.equal((await me(`Bearer ${eh}.${payload}.${esig}`)).json().code, 'invalid_token', 'foreign key');
  // Wrong audience and expired, signed by the real key.
  const wrongAud = app.jwt.sign({ ...claims, aud: 'someone-else', iat: undefined, exp: undefined }, { aud: 'someone-else' } as never);
  t.equal((await me(`Bearer ${wrongAud}`)).json().code, 'invalid_token', 'wrong audience');
  T.clock.advance(16 * 60_000);
  t.equal((await me(officer.auth().authorization)).json().code, 'invalid_token', 'expired after 15 minutes');
  const fresh = await logIn(T, officer);
  officer.accessToken = fresh.accessToken;
  officer.refreshToken = fresh.refreshToken;
  officer.issuedAt = T.clock.now().getTime();
  t.equal((await me(officer.auth().authorization)).statusCode, 200);
  await refreshIfStale(T, dep.admin);
  t.equal((await me('Bearer')).statusCode, 401);
  t.equal((await app.inject({ method: 'GET', url: '/v1/me' })).json().code, 'unauthenticated');
});

t.test('refresh rotates; reusing an old refresh token ends the session', async (t) => {
  const s = await logIn(T, officer);
  const r1 = await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: s.refreshToken } });
  t.equal(r1.statusCode, 200);
  const next = r1.json();
  t.not(next.refreshToken, s.refreshToken);
  t.equal((await me(`Bearer ${next.accessToken}`)).statusCode, 200);
  const reuse = await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: s.refreshToken } });
  t.equal(reuse.statusCode, 401);
  t.equal(reuse.json().code, 'invalid_refresh_token');
  t.equal((await me(`Bearer ${next.accessToken}`)).json().code, 'session_ended', 'the live access token of the session stops at once');
  const after = await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: next.refreshToken } });
  t.equal(after.statusCode, 401, 'the newer refresh token is dead too');
});

t.test('logout ends the session', async (t) => {
  const s = await logIn(T, officer);
  const out = await app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { authorization: `Bearer ${s.accessToken}` } });
  t.equal(out.statusCode, 204);
  t.equal((await me(`Bearer ${s.accessToken}`)).json().code, 'session_ended');
});

t.test('a disabled user is refused at once, live token included', async (t) => {
  const victim = await enrolActor(T, dep.admin, { username: 'officer-leaving', role: 'officer', orgId: dep.mechanismId });
  t.equal((await me(victim.auth().authorization)).statusCode, 200);
  const notAdmin = await app.inject({ method: 'POST', url: `/v1/users/${victim.id}/disable`, headers: officer.auth(), payload: { reason: 'left the commission' } });
  t.equal(notAdmin.statusCode, 403);
  const r = await app.inject({ method: 'POST', url: `/v1/users/${victim.id}/disable`, headers: dep.admin.auth(), payload: { reason: 'left the commission' } });
  t.equal(r.statusCode, 200);
  t.equal(r.json().sessionsEnded, 1);
  t.equal((await me(victim.auth().authorization)).statusCode, 401);
  await t.rejects(logIn(T, victim), /login 401/);
});

t.test('password change re-wraps the key: the new password opens it, the old one no longer logs in', async (t) => {
  const u = await enrolActor(T, dep.admin, { username: 'officer-pw', role: 'officer', orgId: dep.mechanismId });
  const pre = (await app.inject({ method: 'POST', url: '/v1/auth/prelogin', payload: { username: u.username } })).json();
  const next = changePassword(u.keyPair, 'a new long passphrase');
  const r = await app.inject({
    method: 'POST',
    url: '/v1/me/password',
    headers: u.auth(),
    payload: { currentAuthKey: toB64u(login(u.password, pre).authKey), totp: nextTotp(T, u.totpSecret), salt: next.salt, verifier: next.verifier, wrappedPrivateKey: next.wrappedPrivateKey },
  });
  t.equal(r.statusCode, 204, r.body);
  await t.rejects(logIn(T, u), /login 401/);
  u.password = 'a new long passphrase';
  const s = await logIn(T, u);
  u.accessToken = s.accessToken;
  const kp = await openOwnKeys(T, u);
  t.equal(toB64u(kp.privateKey), toB64u(u.keyPair.privateKey));
});

t.test('recovery with the recovery code: prove the key, set a new password, every session ends', async (t) => {
  const u = await enrolActor(T, dep.admin, { username: 'officer-forgot', role: 'officer', orgId: dep.mechanismId });
  const start = (await app.inject({ method: 'POST', url: '/v1/auth/recovery/start', payload: { username: u.username } })).json();
  const kp = recoverKeyPair(u.recoveryCode, start.recoveryWrap);
  const answer = toB64u(openSecret(start.challenge, kp, 'challenge'));
  const next = changePassword(kp, 'recovered passphrase');
  const newCode = createRecoveryCode();
  const finish = await app.inject({
    method: 'POST',
    url: '/v1/auth/recovery/finish',
    payload: { username: u.username, challengeId: start.challengeId, answer, totp: nextTotp(T, u.totpSecret), publicKey: toB64u(kp.publicKey), salt: next.salt, verifier: next.verifier, wrappedPrivateKey: next.wrappedPrivateKey, recoveryWrap: wrapPrivateKey(kp.privateKey, recoveryKeyOf(newCode)) },
  });
  t.equal(finish.statusCode, 204, finish.body);
  t.equal((await me(u.auth().authorization)).json().code, 'session_ended');
  u.password = 'recovered passphrase';
  await t.resolves(logIn(T, u));
  const again = await app.inject({ method: 'POST', url: '/v1/auth/recovery/finish', payload: { username: u.username, challengeId: start.challengeId, answer, totp: nextTotp(T, u.totpSecret), publicKey: toB64u(kp.publicKey), salt: next.salt, verifier: next.verifier, wrappedPrivateKey: next.wrappedPrivateKey, recoveryWrap: wrapPrivateKey(kp.privateKey, recoveryKeyOf(createRecoveryCode())) } });
  t.equal(again.json().code, 'invalid_credentials', 'a challenge works once');
});

t.test('no authKey, token, password or TOTP secret reaches the logs', async (t) => {
  const text = T.logs.join('\n');
  t.ok(text.length > 0, 'the app logged');
  for (const secret of [officer.accessToken, officer.refreshToken, officer.password, officer.totpSecret, dep.admin.password]) {
    t.notOk(text.includes(secret), 'secret absent from logs');
  }
});
