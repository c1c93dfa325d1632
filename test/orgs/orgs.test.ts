import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, type Actor, requestAs } from '../helpers/world.js';
import { CryptoError, createOrgKey, fromB64u, generateKeyPair, keyIdOf, openKeyringEntry, pinnedPublicKey, ready, sealKeyringEntry, toB64u, type OrgKey } from '../../src/sdk/index.js';

await ready();
const T = await buildTestApp(t);
const { app } = T;

const intake = () => app.inject({ method: 'GET', url: '/v1/keys/intake' });

// Fetched before bootstrap, asserted below (tap ends the root test when it goes idle after an assertion).
const unbootstrapped = await intake();

const dep = await bootstrap(T);
const admin = dep.admin;
const sup1 = dep.supervisor;

const as = requestAs(T);
const entryOf = (k: OrgKey, i = 0) => k.entries[i]!;
const bodyEntry = (userId: string, k: OrgKey, i = 0) => ({ userId, memberKeyId: entryOf(k, i).memberKeyId, entry: entryOf(k, i).entry });
const counts = async () => {
  const [row] = await T.database.sql`select (select count(*)::int from org_keys) as keys, (select count(*)::int from keyring_entries) as entries, (select count(*)::int from organisations) as orgs`;
  return row as { keys: number; entries: number; orgs: number };
};
const myKeyring = async (a: Actor) => (await as(a, 'GET', '/v1/me')).json().keyring as Array<{ orgId: string; orgKeyId: string; entry: string; current: boolean }>;
const cryptoCode = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof CryptoError ? err.code : `not a CryptoError: ${String(err)}`;
  }
};
/** The operational warnings are the admins' (readiness, which anyone may probe, says only ready or not). */
const readyWarnings = async () => {
  const r = await as(admin, 'GET', '/v1/admin/health');
  if (r.statusCode !== 200) throw new Error(`GET /v1/admin/health: ${r.statusCode} ${r.body}`);
  // Probing readiness logs them when they change, for an operator who reads logs only.
  await app.inject({ method: 'GET', url: '/readyz' });
  return r.json().warnings as string[];
};

// The people and organisations the subtests work with, made once before them so that no subtest
// hands another a value: an officer, the two partner organisations the admin creates (the first
// subtest on organisations checks those answers), their members, org A's key as pa1's client makes
// it (posted by a subtest below), and a second supervisor.
const officer = await enrolActor(T, admin, { username: 'officer-ali', role: 'officer', orgId: dep.mechanismId });
const createdA = await as(admin, 'POST', '/v1/orgs', { name: 'Avocats sans frontières' });
const createdB = await as(admin, 'POST', '/v1/orgs', { name: 'Réseau des défenseurs' });
const orgA = createdA.json().id as string;
const orgB = createdB.json().id as string;
const pa1 = await enrolActor(T, admin, { username: 'partner-a1', role: 'partner', orgId: orgA });
const pa2 = await enrolActor(T, admin, { username: 'partner-a2', role: 'partner', orgId: orgA });
const pb1 = await enrolActor(T, admin, { username: 'partner-b1', role: 'partner', orgId: orgB });
const keyA: OrgKey = createOrgKey([pa1.keyPair.publicKey]);
const sup2 = await enrolActor(T, admin, { username: 'supervisor-two', role: 'supervisor', orgId: dep.mechanismId });

t.test('before bootstrap the intake key is a 404 problem, not a 503', async (t) => {
  t.equal(unbootstrapped.statusCode, 404);
  t.equal(unbootstrapped.json().code, 'not_found');
});

t.test('the intake key is public, matches its keyId and passes pinning; another pin refuses it', async (t) => {
  const r = await intake();
  t.equal(r.statusCode, 200, r.body);
  const k = r.json();
  t.equal(k.orgId, dep.mechanismId);
  t.equal(k.keyId, keyIdOf(fromB64u(k.publicKey)));
  t.equal(k.keyId, dep.mechanismKeyId);
  t.equal(k.receiptSalt, dep.receiptSalt);
  t.same(k.kdf, { alg: 'argon2id13', opslimit: 3, memlimit: 67108864 });
  t.equal(toB64u(pinnedPublicKey(k.publicKey, dep.mechanismKeyId)), toB64u(dep.mechanismKey.publicKey));
  const otherPin = keyIdOf(generateKeyPair().publicKey);
  t.equal(cryptoCode(() => pinnedPublicKey(k.publicKey, otherPin)), 'key_id_mismatch');
  const audited = await T.database.sql`select count(*)::int as n from audit_events where action = 'keys.intake.read'`;
  t.equal(audited[0]!.n, 0, 'public reads do not grow the audit chain');
});

t.test('an admin creates partner organisations; others may not; names are unique', async (t) => {
  const a = createdA;
  t.equal(a.statusCode, 201, a.body);
  t.equal(a.json().kind, 'partner');
  t.equal(a.json().currentKeyId, null);
  t.equal(createdB.statusCode, 201);
  const dup = await as(admin, 'POST', '/v1/orgs', { name: 'Avocats sans frontières' });
  t.equal(dup.statusCode, 409);
  t.equal(dup.json().code, 'already_exists');
  const byOfficer = await as(officer, 'POST', '/v1/orgs', { name: 'Officer org' });
  t.equal(byOfficer.statusCode, 403);
  t.equal((await counts()).orgs, 3);
  const list = await as(officer, 'GET', '/v1/orgs');
  t.equal(list.statusCode, 200);
  t.same(list.json().items.map((o: { id: string }) => o.id).sort(), [dep.mechanismId, orgA, orgB].sort());
  const mech = list.json().items.find((o: { id: string }) => o.id === dep.mechanismId);
  t.equal(mech.currentKeyId, dep.mechanismKeyId);
});

t.test('a partner member creates their organisation key, sealed to themself', async (t) => {
  const own = await as(pa1, 'GET', '/v1/orgs');
  t.same(own.json().items.map((o: { id: string }) => o.id), [orgA], 'a partner lists only their own organisation');

  const wrongOrg = await as(pa1, 'POST', `/v1/orgs/${orgB}/keys`, { publicKey: keyA.publicKey, keyId: keyA.keyId, entries: [bodyEntry(pa1.id, keyA)] });
  t.equal(wrongOrg.statusCode, 404, 'another organisation is out of scope');
  const forPb1 = createOrgKey([pb1.keyPair.publicKey]);
  const foreignEntry = await as(pa1, 'POST', `/v1/orgs/${orgA}/keys`, { publicKey: forPb1.publicKey, keyId: forPb1.keyId, entries: [bodyEntry(pa1.id, keyA), bodyEntry(pb1.id, forPb1)] });
  t.equal(foreignEntry.statusCode, 400);
  t.same(foreignEntry.json().errors.map((e: { field: string }) => e.field), ['/body/entries/1/userId'], 'a non-member cannot be given the key');
  const notSelf = createOrgKey([pa2.keyPair.publicKey]);
  const r0 = await as(pa1, 'POST', `/v1/orgs/${orgA}/keys`, { publicKey: notSelf.publicKey, keyId: notSelf.keyId, entries: [bodyEntry(pa2.id, notSelf)] });
  t.equal(r0.statusCode, 400);
  t.equal(r0.json().errors[0].field, '/body/entries');

  const r = await as(pa1, 'POST', `/v1/orgs/${orgA}/keys`, { publicKey: keyA.publicKey, keyId: keyA.keyId, entries: [bodyEntry(pa1.id, keyA)] });
  t.equal(r.statusCode, 201, r.body);
  t.equal(r.json().retiredKeyId, null);
  const keys = await as(pa1, 'GET', `/v1/orgs/${orgA}/keys`);
  t.same(keys.json().keys.map((k: { keyId: string; current: boolean }) => [k.keyId, k.current]), [[keyA.keyId, true]]);
  const ring = await myKeyring(pa1);
  t.equal(ring.length, 1);
  t.equal(toB64u(openKeyringEntry(ring[0]!.entry, pa1.keyPair).privateKey), toB64u(keyA.keyPair.privateKey));
});

t.test('a holder adds an entry for another member, who opens it to the same key', async (t) => {
  const noKey = await myKeyring(pa2);
  t.equal(noKey.length, 0);
  const e = sealKeyringEntry(keyA.keyPair.privateKey, pa2.keyPair.publicKey);
  const byNonHolder = await as(pa2, 'POST', `/v1/orgs/${orgA}/keyring`, { userId: pa2.id, entry: e.entry });
  t.equal(byNonHolder.statusCode, 404, 'a member who does not hold the key cannot add entries');
  const r = await as(pa1, 'POST', `/v1/orgs/${orgA}/keyring`, { userId: pa2.id, entry: e.entry });
  t.equal(r.statusCode, 201, r.body);
  t.same(r.json(), { orgId: orgA, userId: pa2.id, orgKeyId: keyA.keyId, memberKeyId: keyIdOf(pa2.keyPair.publicKey), retiredKeyIds: [] });
  const ring = await myKeyring(pa2);
  t.equal(ring.length, 1);
  t.equal(ring[0]!.orgKeyId, keyA.keyId);
  const opened = openKeyringEntry(ring[0]!.entry, pa2.keyPair);
  t.equal(toB64u(opened.publicKey), keyA.publicKey);
  const refusals = [
    [pb1.id, 'a member of another organisation'],
    [admin.id, 'an admin'],
  ] as const;
  for (const [userId, who] of refusals) {
    const bad = await as(pa1, 'POST', `/v1/orgs/${orgA}/keyring`, { userId, entry: e.entry });
    t.equal(bad.statusCode, 400, who);
    t.equal(bad.json().errors[0].field, '/body/userId', who);
  }
  const listed = await as(pa1, 'GET', `/v1/orgs/${orgA}/keyring`);
  t.equal(listed.statusCode, 200);
  t.same(listed.json().items.map((i: { username: string; orgKeyId: string; keyId: string }) => [i.username, i.orgKeyId, i.keyId]), [
    ['partner-a1', keyA.keyId, keyIdOf(pa1.keyPair.publicKey)],
    ['partner-a2', keyA.keyId, keyIdOf(pa2.keyPair.publicKey)],
  ]);
  t.notOk(listed.body.includes(e.entry), 'no entry content is listed');
});

t.test("a member of another partner organisation can neither add to nor read that organisation's keyring", async (t) => {
  const before = await counts();
  const e = sealKeyringEntry(keyA.keyPair.privateKey, pb1.keyPair.publicKey);
  const add = await as(pb1, 'POST', `/v1/orgs/${orgA}/keyring`, { userId: pb1.id, entry: e.entry });
  t.equal(add.statusCode, 404);
  t.equal(add.json().code, 'not_found');
  const list = await as(pb1, 'GET', `/v1/orgs/${orgA}/keyring`);
  t.equal(list.statusCode, 404);
  const keys = await as(pb1, 'GET', `/v1/orgs/${orgA}/keys`);
  t.equal(keys.statusCode, 404);
  t.same(await counts(), before);
  const denied = await T.database.sql`select count(*)::int as n from audit_events where outcome = 'denied' and action in ('keyring.add', 'keyring.list') and actor = ${`u:${pb1.id}`}`;
  t.equal(denied[0]!.n, 2, 'the refusals are audited');
});

t.test('an admin removes a member’s entries; the last holder of a current key cannot be removed', async (t) => {
  const notAdmin = await as(pa1, 'DELETE', `/v1/orgs/${orgA}/keyring/${pa2.id}`);
  t.equal(notAdmin.statusCode, 403);
  const r = await as(admin, 'DELETE', `/v1/orgs/${orgA}/keyring/${pa2.id}?reason=left%20the%20organisation`);
  t.equal(r.statusCode, 200, r.body);
  t.equal(r.json().removed, 1);
  t.same(await myKeyring(pa2), []);
  t.equal((await myKeyring(pa1)).length, 1, 'other members keep theirs');
  const again = await as(admin, 'DELETE', `/v1/orgs/${orgA}/keyring/${pa2.id}`);
  t.equal(again.statusCode, 404);
  const last = await as(admin, 'DELETE', `/v1/orgs/${orgA}/keyring/${pa1.id}`);
  t.equal(last.statusCode, 409);
  t.equal((await myKeyring(pa1)).length, 1, 'nothing was removed');
  const rotateByNonHolder = createOrgKey([pa2.keyPair.publicKey]);
  const rot = await as(pa2, 'POST', `/v1/orgs/${orgA}/keys`, { publicKey: rotateByNonHolder.publicKey, keyId: rotateByNonHolder.keyId, entries: [bodyEntry(pa2.id, rotateByNonHolder)] });
  t.equal(rot.statusCode, 409, 'a member without the current key cannot rotate it');
  t.equal(rot.json().code, 'key_holder_required');
});

t.test('readiness warns while fewer than two members hold the mechanism key', async (t) => {
  const before = await readyWarnings();
  t.ok(before.some((w) => w.includes('mechanism key')), 'warned with one holder');
  t.ok(T.logs.some((l) => l.includes('hold the mechanism key')), 'and logged');
  const forAdmin = await as(sup1, 'POST', `/v1/orgs/${dep.mechanismId}/keyring`, { userId: admin.id, entry: sealKeyringEntry(dep.mechanismKey.privateKey, admin.keyPair.publicKey).entry });
  t.equal(forAdmin.statusCode, 400, 'an admin never holds the mechanism key');
  t.equal(forAdmin.json().errors[0].field, '/body/userId');
  const r = await as(sup1, 'POST', `/v1/orgs/${dep.mechanismId}/keyring`, { userId: sup2.id, entry: sealKeyringEntry(dep.mechanismKey.privateKey, sup2.keyPair.publicKey).entry });
  t.equal(r.statusCode, 201, r.body);
  const ring = await myKeyring(sup2);
  t.equal(toB64u(openKeyringEntry(ring[0]!.entry, sup2.keyPair).publicKey), toB64u(dep.mechanismKey.publicKey));
  const after = await readyWarnings();
  t.notOk(after.some((w) => w.includes('mechanism key')), 'the warning is gone with two holders');
  const officerList = await as(officer, 'GET', `/v1/orgs/${dep.mechanismId}/keyring`);
  t.equal(officerList.statusCode, 403, 'officers may not list keyrings (policy)');
  const supList = await as(sup1, 'GET', `/v1/orgs/${dep.mechanismId}/keyring`);
  t.same(supList.json().items.map((i: { username: string }) => i.username).sort(), ['first-supervisor', 'supervisor-two']);
});

t.test('a key holder rotates the mechanism key; the old one is retired and kept; non-holders cannot', async (t) => {
  const sup3 = await enrolActor(T, admin, { username: 'supervisor-three', role: 'supervisor', orgId: dep.mechanismId });
  const next = createOrgKey([sup1.keyPair.publicKey, sup2.keyPair.publicKey]);
  const body = { publicKey: next.publicKey, keyId: next.keyId, entries: [bodyEntry(sup1.id, next, 0), bodyEntry(sup2.id, next, 1)] };
  const before = await counts();
  const byOfficer = await as(officer, 'POST', `/v1/orgs/${dep.mechanismId}/keys`, body);
  t.equal(byOfficer.statusCode, 403, 'officers may not register org keys (policy)');
  const byNonHolder = await as(sup3, 'POST', `/v1/orgs/${dep.mechanismId}/keys`, body);
  t.equal(byNonHolder.statusCode, 404, 'a supervisor without the key is out of scope');
  const byAdmin = await as(admin, 'POST', `/v1/orgs/${dep.mechanismId}/keys`, body);
  t.equal(byAdmin.statusCode, 403);
  const mismatch = await as(sup1, 'POST', `/v1/orgs/${dep.mechanismId}/keys`, { ...body, entries: [bodyEntry(sup1.id, next, 0), { ...bodyEntry(sup2.id, next, 1), memberKeyId: keyIdOf(sup3.keyPair.publicKey) }] });
  t.equal(mismatch.statusCode, 400);
  t.same(mismatch.json().errors.map((e: { field: string }) => e.field), ['/body/entries/1/memberKeyId']);
  t.same(await counts(), before, 'nothing written by refused rotations');

  const r = await as(sup1, 'POST', `/v1/orgs/${dep.mechanismId}/keys`, body);
  t.equal(r.statusCode, 201, r.body);
  t.equal(r.json().retiredKeyId, dep.mechanismKeyId);
  const keys = (await as(officer, 'GET', `/v1/orgs/${dep.mechanismId}/keys`)).json().keys as Array<{ keyId: string; current: boolean; retiredAt: string | null }>;
  t.same(keys.map((k) => [k.keyId, k.current]), [
    [dep.mechanismKeyId, false],
    [next.keyId, true],
  ]);
  t.ok(keys[0]!.retiredAt, 'the old key has a retirement date');
  const pub = (await intake()).json();
  t.equal(pub.keyId, next.keyId, 'intake now publishes the new key');
  t.equal(cryptoCode(() => pinnedPublicKey(pub.publicKey, dep.mechanismKeyId)), 'key_id_mismatch', 'a client still pinning the old keyId refuses the new key');
  const ring = await myKeyring(sup2);
  t.same(ring.map((e) => [e.orgKeyId, e.current]).sort(), [
    [dep.mechanismKeyId, false],
    [next.keyId, true],
  ].sort(), 'the old key stays readable to its holders');
  t.notOk((await readyWarnings()).some((w) => w.includes('mechanism key')), 'two holders of the new current key');
  const reuse = await as(sup1, 'POST', `/v1/orgs/${dep.mechanismId}/keys`, body);
  t.equal(reuse.statusCode, 409, 'the same key cannot be registered twice');
});

t.test('malformed keys are refused with the field named, and nothing is written', async (t) => {
  const fresh = createOrgKey([pa1.keyPair.publicKey]);
  const good = { publicKey: fresh.publicKey, keyId: fresh.keyId, entries: [bodyEntry(pa1.id, fresh)] };
  // 43 characters but not canonical: the unused low bits of the last character are set.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const lastIdx = alphabet.indexOf(fresh.publicKey.at(-1)!);
  const nonCanonical = fresh.publicKey.slice(0, -1) + alphabet[lastIdx + 1];
  const shortEntry = `v1.${toB64u(fromB64u(entryOf(fresh).entry.slice(3)).slice(0, 79))}`;
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['public key too short', { ...good, publicKey: fresh.publicKey.slice(0, 42) }, `/v1/orgs/${orgA}/keys`, '/body/publicKey'],
    ['public key not canonical base64url', { ...good, publicKey: nonCanonical }, `/v1/orgs/${orgA}/keys`, '/body/publicKey'],
    ['public key with a character outside base64url', { ...good, publicKey: `${fresh.publicKey.slice(0, 42)}+` }, `/v1/orgs/${orgA}/keys`, '/body/publicKey'],
    ['keyId of another key', { ...good, keyId: keyIdOf(generateKeyPair().publicKey) }, `/v1/orgs/${orgA}/keys`, '/body/keyId'],
    ['entry of the wrong length', { ...good, entries: [{ ...bodyEntry(pa1.id, fresh), entry: shortEntry }] }, `/v1/orgs/${orgA}/keys`, '/body/entries/0/entry'],
    ['entry in bad base64url', { ...good, entries: [{ ...bodyEntry(pa1.id, fresh), entry: `${entryOf(fresh).entry.slice(0, -1)}=` }] }, `/v1/orgs/${orgA}/keys`, '/body/entries/0/entry'],
    ['keyring entry of the wrong length', { userId: pa2.id, entry: shortEntry }, `/v1/orgs/${orgA}/keyring`, '/body/entry'],
    ['keyring entry of another version', { userId: pa2.id, entry: `v2.${entryOf(fresh).entry.slice(3)}` }, `/v1/orgs/${orgA}/keyring`, '/body/entry'],
  ];
  const before = await counts();
  for (const [what, payload, url, field] of cases) {
    const r = await as(pa1, 'POST', url, payload);
    t.equal(r.statusCode, 400, what);
    t.equal(r.json().code, 'validation_failed', what);
    t.ok((r.json().errors as Array<{ field: string }>).some((e) => e.field === field), `${what}: names ${field} (${r.body})`);
  }
  t.same(await counts(), before, 'no key or entry was written');
  const keys = (await as(pa1, 'GET', `/v1/orgs/${orgA}/keys`)).json().keys;
  t.same(keys.map((k: { keyId: string }) => k.keyId), [keyA.keyId]);
});
