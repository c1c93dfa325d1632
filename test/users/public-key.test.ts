/**
 * GET /v1/users/:id/public-key: what a client seals a case envelope or a keyring entry to. Served
 * (key, keyId, fingerprint, in the shape of an organisation's keys) to those who may seal to that
 * person only: staff the mechanism's active officers and supervisors, a partner member its own
 * organisation's members. Every other request is refused (403 for a role that never may, 404 out
 * of scope) and every answer is audited.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { partnerOrg, buildWorld, enrolActor, type Actor, fileCase } from '../helpers/world.js';
import { createCaller } from '../workflow/story-kit.js';
import { fromB64u, keyIdOf, pinnedPublicKey, ready, sealEnvelope, toB64u, toHex } from '../../src/sdk/index.js';
import { clientOf } from '../helpers/api-client.js';

await ready();
const T = await buildTestApp(t, { now: '2026-11-02T08:00:00.000Z' });
const sql = T.database.sql;
const { as, must } = createCaller(T);
const { dep, officers: { awa: officer, parti: gone } } = await buildWorld(T, { officers: ['awa', 'parti'] });
await must(as(dep.admin, 'POST', `/v1/users/${gone.id}/disable`, { reason: 'A quitté le mécanisme' }));
const asf = await partnerOrg(T, dep.admin, { name: 'Avocats sans frontières', username: 'partner-asf' });
const colleague = await enrolActor(T, dep.admin, { username: 'partner-asf-2', role: 'partner', orgId: asf.id });
const sahel = await partnerOrg(T, dep.admin, { name: 'Réseau du Sahel', username: 'partner-sahel' });
const filed = await fileCase(T, dep);

const keyOf = (who: Actor | typeof filed.defender, id: string) => as(who, 'GET', `/v1/users/${id}/public-key`);
const code = (body: string) => (JSON.parse(body) as { code?: string }).code;
const events = async (userId: string) => (await sql`select actor, outcome from audit_events where action = 'user.key.read' and resource = ${`user:${userId}/public-key`} order by id`) as unknown as Array<{ actor: string; outcome: string }>;

t.test('staff read the keys of active officers and supervisors: key, keyId and fingerprint', async (t) => {
  for (const [who, target] of [
    [officer, dep.supervisor],
    [dep.supervisor, officer],
    [officer, officer],
  ] as const) {
    const body = await clientOf(T.app, who).call('getUserPublicKey', { params: { userId: target.id } });
    t.same(Object.keys(body).sort(), ['fingerprint', 'keyId', 'publicKey', 'userId'], `${who.username} -> ${target.username}`);
    t.equal(body.userId, target.id);
    t.equal(body.publicKey, toB64u(target.keyPair.publicKey));
    t.equal(body.keyId, keyIdOf(target.keyPair.publicKey));
    const hex = toHex(fromB64u(body.keyId)).toUpperCase();
    t.equal(body.fingerprint, hex.match(/.{4}/g)!.join(' '), 'the keyId bytes in groups of four, to read aloud');
  }
  // What it is for: the supervisor seals the case key to the officer's key, pinned by its keyId.
  const k = await clientOf(T.app, dep.supervisor).call('getUserPublicKey', { params: { userId: officer.id } });
  const sealed = sealEnvelope(new Uint8Array(32).fill(7), pinnedPublicKey(k.publicKey, k.keyId));
  t.equal(sealed.keyId, k.keyId);
  t.same((await events(officer.id)).map((e) => e.outcome), ['allowed', 'allowed', 'allowed'], 'each read audited');
});

t.test('the same shape as an organisation key', async (t) => {
  const org = await must<{ keys: Array<Record<string, unknown>> }>(as(officer, 'GET', `/v1/orgs/${asf.id}/keys`));
  const user = (await keyOf(officer, officer.id)).json();
  for (const field of ['keyId', 'publicKey', 'fingerprint']) t.ok(field in org.keys[0]! && field in user, field);
  t.equal(org.keys[0]!.fingerprint, toHex(fromB64u(org.keys[0]!.keyId as string)).toUpperCase().match(/.{4}/g)!.join(' '));
});

t.test('a partner member reads the keys of its own organisation’s members, nobody else’s', async (t) => {
  const r = await keyOf(asf.member, colleague.id);
  t.equal(r.statusCode, 200, r.body);
  t.equal(r.json().keyId, keyIdOf(colleague.keyPair.publicKey));
  for (const [target, why] of [
    [sahel.member, 'another organisation’s member'],
    [officer, 'mechanism staff'],
  ] as const) {
    const out = await keyOf(asf.member, target.id);
    t.equal(out.statusCode, 404, why);
    t.equal(code(out.body), 'not_found', why);
  }
});

t.test('out of scope answers 404, audited: a partner for staff, a disabled account, an admin, nobody', async (t) => {
  for (const [who, target, why] of [
    [officer, asf.member.id, 'a partner member: staff seal to the organisation key'],
    [dep.supervisor, gone.id, 'a disabled account: nobody grants to it'],
    [officer, dep.admin.id, 'an admin holds no keys'],
    [officer, '3c1a2b9e-8f00-4d6e-9a51-7f0b6c2d9e11', 'no such user'],
  ] as const) {
    const before = (await sql`select count(*)::int as n from audit_events where action = 'user.key.read' and outcome = 'denied'`)[0]!.n as number;
    const r = await keyOf(who, target);
    t.equal(r.statusCode, 404, `${why}: ${r.body}`);
    t.equal(code(r.body), 'not_found', why);
    t.equal((await sql`select count(*)::int as n from audit_events where action = 'user.key.read' and outcome = 'denied'`)[0]!.n, before + 1, `${why}: audited`);
  }
});

t.test('an admin and a defender may never: 403', async (t) => {
  for (const who of [dep.admin, filed.defender]) {
    const r = await keyOf(who, officer.id);
    t.equal(r.statusCode, 403, r.body);
    t.equal(code(r.body), 'forbidden');
  }
  t.equal((await T.app.inject({ method: 'GET', url: `/v1/users/${officer.id}/public-key` })).statusCode, 401, 'anonymous');
});
