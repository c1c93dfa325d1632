/**
 * The staff directory (GET /v1/staff): the mechanism's active officers and supervisors by
 * username, with their role and key fingerprint, for picking a colleague by name. Officers and
 * supervisors see the mechanism's staff; a partner member sees its own organisation's members
 * only; a disabled account, an admin and a partner's member are never listed to staff; nothing
 * secret in the answer; every read audited.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, enrolActor, fileCase, headersOf, partnerOrg, type Caller } from '../helpers/world.js';
import { fingerprintOf } from '../../src/keys/public-key-view.js';
import { keyIdOf } from '../../src/sdk/index.js';

const T = await buildTestApp(t, { now: '2026-06-01T09:00:00.000Z' });
const { dep, officers: { awa, moussa, gone }, supervisors: { kadi } } = await buildWorld(T, { officers: ['awa', 'moussa', 'gone'], supervisors: ['kadi'] });
const partner = await partnerOrg(T, dep.admin, { name: 'Association des juristes maliennes', username: 'ajm-member' });
const colleague = await enrolActor(T, dep.admin, { username: 'ajm-colleague', role: 'partner', orgId: partner.id });
const elsewhere = await partnerOrg(T, dep.admin, { name: 'Réseau des défenseurs du Nord', username: 'rdn-member' });
const disabled = await T.app.inject({ method: 'POST', url: `/v1/users/${gone.id}/disable`, headers: headersOf(dep.admin), payload: { reason: 'A quitté le mécanisme' } });
if (disabled.statusCode !== 200) throw new Error(`disable: ${disabled.statusCode} ${disabled.body}`);
const filed = await fileCase(T, dep);

const directory = (who: Caller) => T.app.inject({ method: 'GET', url: '/v1/staff', headers: headersOf(who) });

t.test('officers and supervisors read the active staff of the mechanism: id, username, role, keyId and fingerprint only', async (t) => {
  for (const who of [awa, kadi]) {
    const r = await directory(who);
    t.equal(r.statusCode, 200, r.body);
    const { items } = r.json() as { items: Array<Record<string, unknown>> };
    const expected = [awa, moussa, dep.supervisor, kadi].map((a) => ({ userId: a.id, username: a.username, role: a.role, keyId: keyIdOf(a.keyPair.publicKey), fingerprint: fingerprintOf(keyIdOf(a.keyPair.publicKey)) }));
    t.same(items, expected.sort((a, b) => a.username.localeCompare(b.username)), 'the active staff by username, and nothing else');
    t.notOk(items.some((i) => i.userId === gone.id), 'a disabled account is not listed');
    t.notOk(items.some((i) => i.userId === dep.admin.id || i.userId === partner.member.id), 'neither an admin nor a partner');
    t.notMatch(r.body, /wrapped|recovery|verifier|totp|salt|publicKey/i, 'no key material, no secret');
  }
});

t.test("a partner member reads its own organisation's active members, and no one else", async (t) => {
  const r = await directory(partner.member);
  t.equal(r.statusCode, 200, r.body);
  const { items } = r.json() as { items: Array<{ userId: string; role: string }> };
  t.same(items.map((i) => i.userId).sort(), [partner.member.id, colleague.id].sort(), 'its organisation, itself included');
  t.ok(items.every((i) => i.role === 'partner'));
  t.notOk(items.some((i) => i.userId === elsewhere.member.id || i.userId === awa.id), 'never another organisation, never the mechanism');
});

t.test('every other role is refused (403)', async (t) => {
  for (const who of [dep.admin, filed.defender]) {
    const r = await directory(who);
    t.equal(r.statusCode, 403);
    t.equal(r.json().code, 'forbidden');
  }
});

t.test('each read is audited: allowed for staff, denied for the others', async (t) => {
  const rows = await T.database.sql<Array<{ actor: string; outcome: string }>>`select actor, outcome from audit_events where action = 'staff.directory' order by id`;
  t.same(
    rows.map((e) => [e.actor, e.outcome]),
    [
      [`u:${awa.id}`, 'allowed'],
      [`u:${kadi.id}`, 'allowed'],
      [`u:${partner.member.id}`, 'allowed'],
      [`u:${dep.admin.id}`, 'denied'],
      [`d:${filed.caseId}`, 'denied'],
    ],
  );
});
