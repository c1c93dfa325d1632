/**
 * The mechanism key after a rotation, through the API with the SDK's own crypto: a split backup
 * made before it counts as none in the keyholder warning (custody screen, admins' health); a grant passes
 * every key of the keyring the granter holds (current and retired, one command), refused for a
 * key they do not hold or with one they hold left out; a partner member grants their
 * organisation's keyring the same way.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, fileCase, partnerOrg, refreshIfStale, type Actor } from '../helpers/world.js';
import { createOrgKey, keyIdOf, openEnvelope, openKeyringEntry, openSecret, ready, sealKeyringEntry, sealKeyringGrant, toB64u, type BoxKeyPair, type KeyEnvelope, type OrgKey } from '../../src/sdk/index.js';

await ready();
const T = await buildTestApp(t);
const { app } = T;
const sql = T.database.sql;
const dep = await bootstrap(T);
const sup1 = dep.supervisor;
const mariam = await enrolActor(T, dep.admin, { username: 'mariam.sup', role: 'supervisor', orgId: dep.mechanismId });
const oumar = await enrolActor(T, dep.admin, { username: 'oumar.sup', role: 'supervisor', orgId: dep.mechanismId });
const kadi = await enrolActor(T, dep.admin, { username: 'kadi.sup', role: 'supervisor', orgId: dep.mechanismId });
const awa = await enrolActor(T, dep.admin, { username: 'awa.sup', role: 'supervisor', orgId: dep.mechanismId });

async function as(actor: Actor, method: 'GET' | 'POST', url: string, payload?: object) {
  await refreshIfStale(T, actor);
  return app.inject({ method, url, headers: actor.auth(), ...(payload !== undefined ? { payload } : {}) });
}
const keyring = `/v1/orgs/${dep.mechanismId}/keyring`;
const lastEvent = async (actor: Actor, action: string) => (await sql`select outcome, reason from audit_events where actor = ${'u:' + actor.id} and action = ${action} order by id desc limit 1`)[0];
const heldKeyIds = async (who: Actor) => ((await as(who, 'GET', '/v1/me')).json().keyring as Array<{ orgId: string; orgKeyId: string }>).filter((k) => k.orgId === dep.mechanismId).map((k) => k.orgKeyId).sort();

/** Rotates the mechanism key as a holder's client does, sealed to `to`; returns the new key. */
async function rotate(by: Actor, to: Actor[]): Promise<OrgKey> {
  const next = createOrgKey(to.map((a) => a.keyPair.publicKey));
  const entries = to.map((a, i) => ({ userId: a.id, memberKeyId: next.entries[i]!.memberKeyId, entry: next.entries[i]!.entry }));
  const r = await as(by, 'POST', `/v1/orgs/${dep.mechanismId}/keys`, { publicKey: next.publicKey, keyId: next.keyId, entries });
  if (r.statusCode !== 201) throw new Error(`rotation: ${r.statusCode} ${r.body}`);
  return next;
}

/** A case's key as a mechanism holder's client opens it: the mechanism envelope with the keyring entry of its key. */
async function openAsHolder(who: Actor, caseId: string): Promise<Uint8Array> {
  const me = (await as(who, 'GET', '/v1/me')).json() as { keyring: Array<{ orgKeyId: string; entry: string; memberKeyId: string }> };
  const sealed = (await as(who, 'GET', `/v1/cases/${caseId}/sealed`)).json() as { envelopes: KeyEnvelope[] };
  for (const e of sealed.envelopes) {
    const item = me.keyring.find((k) => k.orgKeyId === e.keyId);
    if (item) return openEnvelope(e, openKeyringEntry({ orgKeyId: item.orgKeyId, memberKeyId: item.memberKeyId, entry: item.entry as `v1.${string}` }, who.keyPair));
  }
  throw new Error('no envelope of the case opens with this keyring');
}

const K1 = dep.mechanismKey;
const older = await fileCase(T, dep);
let K2: OrgKey;
const custodians = ['Aminata Traoré', 'Moussa Diarra', 'Fatoumata Coulibaly', 'Ibrahim Keïta', 'Awa Sangaré'];
const custody = async () => (await as(sup1, 'GET', '/v1/custody')).json();
const health = async () => (await as(dep.admin, 'GET', '/v1/admin/health')).json();

t.test('with one holder, the warning says whether the current key has a split backup', async (t) => {
  t.match((await custody()).warning, { code: 'too_few_keyholders', holders: 1, backup: false });
  t.equal((await as(sup1, 'POST', '/v1/custody/backups', { keyId: dep.mechanismKeyId, threshold: 3, shares: 5, custodians })).statusCode, 201);
  const view = await custody();
  t.same(view.warning, { code: 'too_few_keyholders', holders: 1, minimum: 2, backup: true, screen: '/console/custody' }, 'a backup of the current key counts');
  const h = await health();
  t.same(h.keyholderWarning, view.warning, 'the admins read the same');
  t.ok(h.warnings.some((w: string) => w.includes('a split backup of the current key exists')), h.warnings.join('; '));
});

t.test('a grant after a rotation passes the previous key too, and the new holder opens older cases', async (t) => {
  // mariam was a holder and leaves: the key is rotated to the first supervisor alone.
  t.equal((await as(sup1, 'POST', keyring, { userId: mariam.id, entry: sealKeyringEntry(K1.privateKey, mariam.keyPair.publicKey).entry })).statusCode, 201);
  K2 = await rotate(sup1, [sup1]);
  // The backup made before the rotation is of the retired key: it counts as none.
  const view = await custody();
  t.match(view.backups, [{ keyId: dep.mechanismKeyId, current: false }], 'the backup is of the previous key');
  t.same(view.warning, { code: 'too_few_keyholders', holders: 1, minimum: 2, backup: false, screen: '/console/custody' }, 'and counts as no backup');
  const h = await health();
  t.same(h.keyholderWarning, view.warning);
  t.ok(h.warnings.some((w: string) => w.includes('no split backup of the current key exists either')), h.warnings.join('; '));
  const grant = sealKeyringGrant(K2.keyPair.privateKey, [K1.privateKey], oumar.keyPair.publicKey);
  t.same(grant.retired.map((r) => r.orgKeyId), [dep.mechanismKeyId], 'the SDK seals one entry per retired key');

  const partial = await as(sup1, 'POST', keyring, { userId: oumar.id, entry: grant.entry });
  t.equal(partial.statusCode, 400, partial.body);
  t.match(partial.json(), { code: 'validation_failed', errors: [{ field: '/body/retired', message: new RegExp(dep.mechanismKeyId) }] }, 'the current key alone is refused: the previous one is missing');
  t.same(await heldKeyIds(oumar), [], 'nothing stored');
  t.match(await lastEvent(sup1, 'keyring.add'), { outcome: 'denied', reason: /^validation_failed/ });

  const r = await as(sup1, 'POST', keyring, { userId: oumar.id, entry: grant.entry, retired: grant.retired });
  t.equal(r.statusCode, 201, r.body);
  t.match(r.json(), { orgKeyId: K2.keyId, retiredKeyIds: [dep.mechanismKeyId] });
  t.same(await heldKeyIds(oumar), [dep.mechanismKeyId, K2.keyId].sort(), 'oumar holds both keys, in one command');
  t.match(await lastEvent(sup1, 'keyring.add'), { outcome: 'allowed', reason: new RegExp(`retired: ${dep.mechanismKeyId}`) });
  t.same(await openAsHolder(oumar, older.caseId), older.defender.dek, 'the case filed before the rotation opens for the new holder');
});

t.test('an entry for a key the granter does not hold is refused, and one they hold cannot be left out', async (t) => {
  // kadi restores from a split backup of the current key: she holds it, and no previous key.
  const start = (await as(kadi, 'POST', '/v1/custody/restore/challenge', {})).json();
  const answer = toB64u(openSecret(start.challenge, K2.keyPair, 'challenge'));
  t.equal((await as(kadi, 'POST', '/v1/custody/restore', { challengeId: start.challengeId, answer, entry: sealKeyringEntry(K2.keyPair.privateKey, kadi.keyPair.publicKey).entry })).statusCode, 201);
  t.same(await heldKeyIds(kadi), [K2.keyId]);

  const forged = sealKeyringGrant(K2.keyPair.privateKey, [K1.privateKey], awa.keyPair.publicKey);
  const r = await as(kadi, 'POST', keyring, { userId: awa.id, entry: forged.entry, retired: forged.retired });
  t.equal(r.statusCode, 409, r.body);
  t.equal(r.json().code, 'key_holder_required', 'a previous key kadi holds no entry for');
  t.match(await lastEvent(kadi, 'keyring.add'), { outcome: 'denied', reason: /^key_holder_required/ });
  t.same(await heldKeyIds(awa), [], 'not even the current key was stored');

  const current = await as(kadi, 'POST', keyring, { userId: awa.id, entry: forged.entry, retired: [{ orgKeyId: K2.keyId, entry: forged.entry }] });
  t.equal(current.statusCode, 400);
  t.match(current.json(), { errors: [{ field: '/body/retired/0/orgKeyId', message: /not a retired key/ }] }, 'the current key is not a retired one');
  const twice = await as(sup1, 'POST', keyring, { userId: awa.id, entry: forged.entry, retired: [...forged.retired, ...forged.retired] });
  t.match(twice.json(), { code: 'validation_failed', errors: [{ field: '/body/retired/1/orgKeyId', message: 'one entry per key' }] });

  const own = sealKeyringGrant(K2.keyPair.privateKey, [], awa.keyPair.publicKey);
  const ok = await as(kadi, 'POST', keyring, { userId: awa.id, entry: own.entry, retired: own.retired });
  t.equal(ok.statusCode, 201, 'kadi passes on all she holds: the current key');
  t.same(ok.json().retiredKeyIds, []);
});

t.test('a partner member grants their organisation keyring, retired keys included, to a colleague', async (t) => {
  const org = await partnerOrg(T, dep.admin, { name: 'Avocats sans frontières', category: 'lawyers', username: 'fanta.asf' });
  const colleague = await enrolActor(T, dep.admin, { username: 'issa.asf', role: 'partner', orgId: org.id });
  const next = createOrgKey([org.member.keyPair.publicKey]);
  const rotated = await as(org.member, 'POST', `/v1/orgs/${org.id}/keys`, { publicKey: next.publicKey, keyId: next.keyId, entries: [{ userId: org.member.id, memberKeyId: next.entries[0]!.memberKeyId, entry: next.entries[0]!.entry }] });
  t.equal(rotated.statusCode, 201, rotated.body);
  const url = `/v1/orgs/${org.id}/keyring`;
  const grant = sealKeyringGrant(next.keyPair.privateKey, [org.keyPair.privateKey], colleague.keyPair.publicKey);
  t.equal((await as(org.member, 'POST', url, { userId: colleague.id, entry: grant.entry })).statusCode, 400, 'the retired key is missing');
  const mechanismKey: BoxKeyPair = K2.keyPair;
  const foreign = await as(org.member, 'POST', url, { userId: colleague.id, entry: grant.entry, retired: [...grant.retired, { orgKeyId: K2.keyId, entry: sealKeyringEntry(mechanismKey.privateKey, colleague.keyPair.publicKey).entry }] });
  t.match(foreign.json(), { code: 'validation_failed', errors: [{ field: '/body/retired/1/orgKeyId', message: /not a retired key of this organisation/ }] }, "another organisation's key is refused");
  const r = await as(org.member, 'POST', url, { userId: colleague.id, entry: grant.entry, retired: grant.retired });
  t.equal(r.statusCode, 201, r.body);
  t.same(r.json().retiredKeyIds, [org.keyId]);
  const ring = ((await as(colleague, 'GET', '/v1/me')).json().keyring as Array<{ orgKeyId: string; current: boolean; entry: string }>).sort((a, b) => Number(a.current) - Number(b.current));
  t.same(ring.map((k) => [k.orgKeyId, k.current]), [
    [org.keyId, false],
    [next.keyId, true],
  ]);
  t.same(openKeyringEntry(ring[0]!.entry, colleague.keyPair).privateKey, org.keyPair.privateKey, 'the retired entry opens the retired key');
  t.equal(keyIdOf(openKeyringEntry(ring[1]!.entry, colleague.keyPair).publicKey), next.keyId);
});
