/**
 * What an admin may not do to the accounts that keep the service usable (access.md, roles; the
 * design's keyring rules): disable the last active admin (`last_admin`), their own account
 * (`self_disable`), or the last active holder of the mechanism key (`last_keyholder`), each
 * refused with nothing written and one audit event. A disabled account comes back with
 * POST /v1/users/:id/enable: the same id, keys, envelopes and keyring entries; the sessions the
 * disable ended stay ended. Readiness says nothing of any of this to an anonymous caller: the
 * detail is the admins' (GET /v1/admin/health).
 */
import t, { type Test } from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, logIn, type Actor, act, caseKeyOf, fileCase, grantCaseKey, mechanismKeyOf, requestAs } from '../helpers/world.js';
import { openEnvelope, sealKeyringEntry, type KeyEnvelope } from '../../src/sdk/index.js';

const T = await buildTestApp(t);
const { app } = T;
const sql = T.database.sql;
const dep = await bootstrap(T);
const admin = dep.admin;
const keyholder = dep.supervisor;

const as = requestAs(T);
const disable = (by: Actor, userId: string) => as(by, 'POST', `/v1/users/${userId}/disable`, { reason: 'A quitté le mécanisme' });
const enable = (by: Actor, userId: string) => as(by, 'POST', `/v1/users/${userId}/enable`, { reason: 'De retour au mécanisme' });
const requestIdOf = (body: string) => String(JSON.parse(body).instance).replace('urn:egide:request:', '');
const eventsOf = async (body: string) => sql`select action, resource, outcome, reason from audit_events where request_id = ${requestIdOf(body)}`;
const accounts = async () => sql`select id, status, disabled_at from users order by id`;
const liveSessions = async () => (await sql`select count(*)::int as n from sessions where revoked_at is null`)[0]!.n as number;

/** A refusal: its status and code, nothing written, one audit event denied with the code. */
async function refused(t: Test, res: { statusCode: number; body: string; headers: Record<string, unknown> }, code: string, before: { accounts: unknown; sessions: number }) {
  t.equal(res.statusCode, 409, `${code}: 409 — ${res.body}`);
  t.match(String(res.headers['content-type']), /^application\/problem\+json/);
  t.equal(JSON.parse(res.body).code, code);
  t.same(await accounts(), before.accounts, `${code}: no account changed`);
  t.equal(await liveSessions(), before.sessions, `${code}: no session ended`);
  const events = await eventsOf(res.body);
  t.equal(events.length, 1, `${code}: one audit event`);
  t.match(events[0], { action: 'user.disable', outcome: 'denied', reason: new RegExp(`^${code}: `) });
}
const snapshot = async () => ({ accounts: await accounts(), sessions: await liveSessions() });

t.test('the only holder of the mechanism key cannot be disabled: nobody could open a case again', async (t) => {
  const before = await snapshot();
  const r = await disable(admin, keyholder.id);
  await refused(t, r, 'last_keyholder', before);
  t.match(JSON.parse(r.body).detail, /seal it to another supervisor/, 'the problem says what to do first');
  t.equal((await as(keyholder, 'GET', '/v1/me')).statusCode, 200, 'the supervisor keeps working');
});

t.test('the only admin cannot disable their account: the service would have no admin', async (t) => {
  const before = await snapshot();
  await refused(t, await disable(admin, admin.id), 'last_admin', before);
});

t.test('an admin does not disable their own account, another admin does; two admins disabling each other cannot both succeed', async (t) => {
  const admin2 = await enrolActor(T, admin, { username: 'second-admin', role: 'admin', orgId: dep.mechanismId });
  const before = await snapshot();
  await refused(t, await disable(admin, admin.id), 'self_disable', before);

  // When each request passed authentication while both were admins, the lock lets only one
  // through (409 last_admin); when one commits before the other is authenticated, the other's
  // session has ended with it (401). Either way both cannot succeed.
  const [a, b] = await Promise.all([disable(admin, admin2.id), disable(admin2, admin.id)]);
  const loser = a.statusCode === 200 ? b : a;
  t.equal([a, b].filter((r) => r.statusCode === 200).length, 1, `one succeeds, the other is refused — ${a.body} ${b.body}`);
  t.ok([409, 401].includes(loser.statusCode), `refused: ${loser.body}`);
  t.equal(JSON.parse(loser.body).code, loser.statusCode === 409 ? 'last_admin' : 'session_ended');
  t.equal((await sql`select count(*)::int as n from users where role = 'admin' and status = 'active'`)[0]!.n, 1, 'one admin is left');
  // Back to two admins, the disabled one enabled by the other.
  const [survivor, gone] = a.statusCode === 200 ? [admin, admin2] : [admin2, admin];
  const back = await enable(survivor, gone.id);
  t.equal(back.statusCode, 200, back.body);
  const tokens = await logIn(T, gone);
  Object.assign(gone, tokens, { issuedAt: T.clock.now().getTime() });
});

t.test('a disabled account comes back with POST /v1/users/:id/enable: the same id, keys, envelopes and keyring entries; its old sessions stay ended', async (t) => {
  const officer = await enrolActor(T, admin, { username: 'officer-on-leave', role: 'officer', orgId: dep.mechanismId });
  // The officer holds an envelope of a case and the mechanism key (a second holder).
  const filed = await fileCase(T, dep);
  await act(T, officer, filed.caseId, 'acknowledge');
  await grantCaseKey(T, keyholder, filed.caseId, officer);
  const mechanismKey = await mechanismKeyOf(T, keyholder);
  const entry = await as(keyholder, 'POST', `/v1/orgs/${dep.mechanismId}/keyring`, { userId: officer.id, entry: sealKeyringEntry(mechanismKey.privateKey, officer.keyPair.publicKey).entry });
  t.equal(entry.statusCode, 201, entry.body);
  const meBefore = (await as(officer, 'GET', '/v1/me')).json();
  const dek = await caseKeyOf(T, officer, filed.caseId);
  const old = { accessToken: officer.accessToken, refreshToken: officer.refreshToken };

  const off = await disable(admin, officer.id);
  t.equal(off.statusCode, 200, off.body);
  t.equal(off.json().sessionsEnded, 1);
  t.equal((await as(admin, 'GET', '/v1/admin/health')).json().mechanismKeyHolders, 1, 'a disabled holder does not count');

  const on = await enable(admin, officer.id);
  t.equal(on.statusCode, 200, on.body);
  t.match(on.json().user, { id: officer.id, status: 'active', disabledAt: null, keyId: meBefore.keyId });
  const enabled = await sql`select actor, outcome, reason from audit_events where action = 'user.enable' and resource = ${`user:${officer.id}`}`;
  t.match(enabled, [{ actor: `u:${admin.id}`, outcome: 'allowed', reason: 'De retour au mécanisme' }], 'audited with its reason');

  const oldAccess = await app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${old.accessToken}` } });
  t.equal(oldAccess.statusCode, 401, 'the access token of the ended session stays dead');
  t.equal(oldAccess.json().code, 'session_ended');
  const oldRefresh = await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: old.refreshToken } });
  t.equal(oldRefresh.statusCode, 401, 'so does its refresh token');
  t.equal(oldRefresh.json().code, 'invalid_refresh_token');

  // The person logs in again with the same password and second factor: everything is theirs still.
  Object.assign(officer, await logIn(T, officer), { issuedAt: T.clock.now().getTime() });
  const meAfter = (await as(officer, 'GET', '/v1/me')).json();
  t.same({ ...meAfter }, { ...meBefore }, 'the same account: id, keys, wrapped private key, keyring entries');
  const sealed = await as(officer, 'GET', `/v1/cases/${filed.caseId}/sealed`);
  t.equal(sealed.statusCode, 200, sealed.body);
  const own = (sealed.json().envelopes as KeyEnvelope[]).find((e) => e.keyId === meBefore.keyId)!;
  t.same(openEnvelope(own, officer.keyPair), dek, 'their envelope of the case still opens with their key');
  t.equal((await as(admin, 'GET', '/v1/admin/health')).json().mechanismKeyHolders, 2, 'and they hold the mechanism key again');

  // With two holders, the first one may now leave; then the officer is the last one.
  const sup = await disable(admin, keyholder.id);
  t.equal(sup.statusCode, 200, sup.body);
  const before = await snapshot();
  await refused(t, await disable(admin, officer.id), 'last_keyholder', before);
  t.equal((await enable(admin, keyholder.id)).statusCode, 200);
  Object.assign(keyholder, await logIn(T, keyholder), { issuedAt: T.clock.now().getTime() });
});

t.test('enabling an active or unknown account is refused and audited; only an admin enables', async (t) => {
  const active = await enable(admin, keyholder.id);
  t.equal(active.statusCode, 409);
  t.equal(active.json().code, 'conflict');
  t.match(await eventsOf(active.body), [{ action: 'user.enable', outcome: 'denied', reason: /^conflict: / }]);
  const unknown = await enable(admin, '00000000-0000-4000-8000-000000000000');
  t.equal(unknown.statusCode, 404);
  t.match(await eventsOf(unknown.body), [{ action: 'user.enable', outcome: 'denied', reason: /^not_found/ }]);
  const bySupervisor = await enable(keyholder, keyholder.id);
  t.equal(bySupervisor.statusCode, 403);
  t.equal((await eventsOf(bySupervisor.body)).length, 1);
});

t.test('an admin re-inviting a person who left is told to enable their account instead', async (t) => {
  const leaver = await enrolActor(T, admin, { username: 'officer-who-left', role: 'officer', orgId: dep.mechanismId });
  t.equal((await disable(admin, leaver.id)).statusCode, 200);
  const again = await as(admin, 'POST', '/v1/invitations', { username: leaver.username, role: 'officer', orgId: dep.mechanismId });
  t.equal(again.statusCode, 409);
  t.equal(again.json().code, 'already_exists');
  t.match(again.json().detail, `/v1/users/${leaver.id}/enable`);
});

t.test('readiness is a bare 200 for anyone; the detail is for admins, audited', async (t) => {
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ready' }, 'no count of key holders, no warning, no check detail');
  t.equal((await app.inject({ method: 'GET', url: '/v1/admin/health' })).statusCode, 401, 'anonymous: 401');
  t.equal((await as(keyholder, 'GET', '/v1/admin/health')).statusCode, 403, 'a supervisor: 403');
  const r = await as(admin, 'GET', '/v1/admin/health');
  t.equal(r.statusCode, 200, r.body);
  t.match(r.json(), { status: 'ready', checks: { database: 'up', redis: 'up' }, mechanismKeyHolders: 2, activeAdmins: 2, warnings: [] });
  const events = await sql`select outcome from audit_events where action = 'admin.health' and actor = ${`u:${admin.id}`}`;
  t.ok(events.length >= 1 && events.every((e) => e.outcome === 'allowed'), 'each read audited');
});
