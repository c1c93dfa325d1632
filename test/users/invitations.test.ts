/**
 * One live invitation per username: a second one while the first can still be used is refused
 * (`invitation_pending`, nothing written, audited), so no second token for the same account is
 * ever in circulation; the first token still enrols, and once it has expired the admin may
 * invite again. Two admins inviting the same name at once get one invitation, not two.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, nextTotp, reauth, refreshIfStale } from '../helpers/world.js';
import { enrol } from '../../src/sdk/index.js';
import { generateTotpSecret } from '../../src/auth/totp.js';

const T = await buildTestApp(t);
const { app } = T;
const sql = T.database.sql;
const dep = await bootstrap(T);
const admin = dep.admin;

async function invite(username: string) {
  await refreshIfStale(T, admin);
  return app.inject({ method: 'POST', url: '/v1/invitations', headers: admin.auth(), payload: { username, role: 'officer', orgId: dep.mechanismId } });
}
const invitations = async (username: string) => sql`select id, used_at from invitations where username = ${username} order by created_at`;
const requestIdOf = (body: string) => String(JSON.parse(body).instance).replace('urn:egide:request:', '');

t.test('a second invitation while the first is pending is refused, nothing written, audited; the first still enrols', async (t) => {
  const first = await invite('officer-pending');
  t.equal(first.statusCode, 201, first.body);
  const second = await invite('officer-pending');
  t.equal(second.statusCode, 409);
  t.match(second.headers['content-type'], /^application\/problem\+json/);
  t.equal(second.json().code, 'invitation_pending');
  t.match(second.json().detail, first.json().expiresAt, 'the problem says until when the pending one can be used');
  t.equal((await invitations('officer-pending')).length, 1, 'no second invitation');
  const events = await sql`select action, outcome, reason from audit_events where request_id = ${requestIdOf(second.body)}`;
  t.match(events, [{ action: 'user.invite', outcome: 'denied', reason: /^invitation_pending: / }], 'one audit event, the denial');

  const e = enrol('a long passphrase for the pending officer');
  const totpSecret = generateTotpSecret();
  const enrolled = await app.inject({ method: 'POST', url: '/v1/enrolments', payload: { token: first.json().token, ...e.upload, totpSecret, totpCode: nextTotp(T, totpSecret) } });
  t.equal(enrolled.statusCode, 201, 'the first token still works');
  const taken = await invite('officer-pending');
  t.equal(taken.json().code, 'already_exists', 'once enrolled, the name is taken');
});

t.test('once the pending invitation has expired, the admin invites again', async (t) => {
  t.equal((await invite('officer-expiring')).statusCode, 201);
  T.clock.advance(72 * 3600 * 1000 + 1000);
  await reauth(T, admin);
  const again = await invite('officer-expiring');
  t.equal(again.statusCode, 201, again.body);
  t.equal((await invitations('officer-expiring')).length, 2);
});

t.test('two invitations of one name at once: one is made, the other refused', async (t) => {
  await refreshIfStale(T, admin);
  const results = await Promise.all([invite('officer-twice'), invite('officer-twice'), invite('officer-twice')]);
  t.same(results.map((r) => r.statusCode).sort(), [201, 409, 409], results.map((r) => r.body).join('\n'));
  t.equal((await invitations('officer-twice')).length, 1);
});

t.test('an invitation used twice: one answer for every reason, the log says which, nothing written', async (t) => {
  const inv = await invite('officer-once');
  t.equal(inv.statusCode, 201, inv.body);
  const upload = (passphrase: string) => {
    const totpSecret = generateTotpSecret();
    return { token: inv.json().token, ...enrol(passphrase).upload, totpSecret, totpCode: nextTotp(T, totpSecret) };
  };
  t.equal((await app.inject({ method: 'POST', url: '/v1/enrolments', payload: upload('a long passphrase for the first use') })).statusCode, 201);
  const users = async () => (await sql`select count(*)::int as n from users where username = 'officer-once'`)[0]!.n as number;
  t.equal(await users(), 1);

  const again = await app.inject({ method: 'POST', url: '/v1/enrolments', payload: upload('a long passphrase for the second use') });
  t.equal(again.statusCode, 409, again.body);
  t.equal(again.json().code, 'invitation_invalid');
  t.equal(again.json().detail, 'this invitation cannot be used (unknown, used or expired)', 'the caller is not told why');
  const events = await sql`select action, resource, outcome, reason from audit_events where request_id = ${requestIdOf(again.body)}`;
  t.same(events, [{ action: 'enrolment.complete', resource: 'invitation', outcome: 'denied', reason: 'invitation_invalid: invitation already used' }], 'one event, the denial, with the check that failed');
  t.equal(await users(), 1, 'nothing written');
});

t.test('pending invitations are listed without their tokens; a resend voids the old token; a revoked one no longer enrols', async (t) => {
  const a = (await invite('officer-resent')).json();
  const b = (await invite('officer-revoked')).json();
  await refreshIfStale(T, admin);
  const list = await app.inject({ method: 'GET', url: '/v1/invitations', headers: admin.auth() });
  t.equal(list.statusCode, 200, list.body);
  const names = list.json().items.map((i: { username: string }) => i.username);
  t.ok(names.includes('officer-resent') && names.includes('officer-revoked'), 'both pending');
  t.notOk(list.body.includes(a.token) || list.body.includes(b.token) || /token/i.test(list.body), 'never a token');

  const resent = await app.inject({ method: 'POST', url: `/v1/invitations/${a.invitationId}/resend`, headers: admin.auth() });
  t.equal(resent.statusCode, 200, resent.body);
  t.equal(resent.json().invitationId, a.invitationId, 'the same invitation');
  t.not(resent.json().token, a.token, 'a new token');
  const [stored] = await sql`select token_hash from invitations where id = ${a.invitationId}`;
  t.notOk(JSON.stringify(stored).includes(resent.json().token), 'only its hash is kept');

  const enrolWith = (token: string, pw: string) => {
    const e = enrol(pw);
    const totpSecret = generateTotpSecret();
    return app.inject({ method: 'POST', url: '/v1/enrolments', payload: { token, ...e.upload, totpSecret, totpCode: nextTotp(T, totpSecret) } });
  };
  const old = await enrolWith(a.token, 'a long passphrase for the resent officer');
  t.equal(old.statusCode, 409, 'the old token no longer enrols');
  t.equal(old.json().code, 'invitation_invalid');

  const revoked = await app.inject({ method: 'POST', url: `/v1/invitations/${b.invitationId}/revoke`, headers: admin.auth() });
  t.equal(revoked.statusCode, 200, revoked.body);
  t.equal(revoked.json().username, 'officer-revoked');
  t.equal((await enrolWith(b.token, 'a long passphrase for the revoked officer')).json().code, 'invitation_invalid', 'the revoked token no longer enrols');
  const again = await app.inject({ method: 'POST', url: `/v1/invitations/${b.invitationId}/revoke`, headers: admin.auth() });
  t.equal(again.json().code, 'invitation_invalid', 'a revoked invitation cannot be revoked or resent again');
  const after = (await app.inject({ method: 'GET', url: '/v1/invitations', headers: admin.auth() })).json().items.map((i: { username: string }) => i.username);
  t.notOk(after.includes('officer-revoked'), 'no longer pending');
  t.equal((await invite('officer-revoked')).statusCode, 201, 'the username may be invited again');

  t.equal((await enrolWith(resent.json().token, 'a long passphrase for the resent officer')).statusCode, 201, 'the new token enrols');
  const audited = await sql`select action, outcome from audit_events where action in ('invitation.resend', 'invitation.revoke') order by id`;
  t.match(audited, [{ action: 'invitation.resend', outcome: 'allowed' }, { action: 'invitation.revoke', outcome: 'allowed' }, { action: 'invitation.revoke', outcome: 'denied' }]);
  await reauth(T, dep.supervisor);
  t.equal((await app.inject({ method: 'GET', url: '/v1/invitations', headers: dep.supervisor.auth() })).statusCode, 403, 'admins only');
});
