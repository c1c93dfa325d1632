/**
 * The mechanism key after a rotation, through the API with the SDK's own crypto: a split backup
 * made before it counts as none in the keyholder warning (custody screen, admins' health); a grant passes
 * every key of the keyring the granter holds (current and retired, one command), refused for a
 * key they do not hold or with one they hold left out; a partner member grants their
 * organisation's keyring the same way. Then the cases still sealed to the retired key (their case
 * key, and the staff key of their internal notes) are moved onto the current key by a holder's
 * client, one audited command per case, refused unless sealed to the current key at the case's
 * epoch by a holder of the retired key; the same key, so every sealed value and note still opens.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, fileCase, partnerOrg, type Actor, requestAs } from '../helpers/world.js';
import { createOrgKey, createStaffKey, keyIdOf, openEnvelope, openKeyringEntry, openNote, openSecret, openStaffKey, ready, rewrapEnvelope, sealEnvelope, sealKeyringEntry, sealKeyringGrant, sealNote, toB64u, type BoxKeyPair, type KeyEnvelope, type OrgKey, type StaffKeyHolder } from '../../src/sdk/index.js';

await ready();
const T = await buildTestApp(t);
const sql = T.database.sql;
const dep = await bootstrap(T);
const sup1 = dep.supervisor;
const mariam = await enrolActor(T, dep.admin, { username: 'mariam.sup', role: 'supervisor', orgId: dep.mechanismId });
const oumar = await enrolActor(T, dep.admin, { username: 'oumar.sup', role: 'supervisor', orgId: dep.mechanismId });
const kadi = await enrolActor(T, dep.admin, { username: 'kadi.sup', role: 'supervisor', orgId: dep.mechanismId });
const awa = await enrolActor(T, dep.admin, { username: 'awa.sup', role: 'supervisor', orgId: dep.mechanismId });
const officer = await enrolActor(T, dep.admin, { username: 'sidi.off', role: 'officer', orgId: dep.mechanismId });

const as = requestAs(T);
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
// A case with internal notes: its staff key sealed to the mechanism key too.
T.clock.advance(60_000);
const noted = await fileCase(T, dep);
const NOTE = `Appel du 6 avril ${randomUUID()}`;
const noteId = randomUUID();
{
  const holders = (await as(sup1, 'GET', `/v1/cases/${noted.caseId}/notes`)).json().holders as StaffKeyHolder[];
  const made = createStaffKey(holders);
  const created = await as(sup1, 'POST', `/v1/cases/${noted.caseId}/staff-key`, { envelopes: made.envelopes });
  if (created.statusCode !== 201) throw new Error(`staff key: ${created.body}`);
  const note = await as(sup1, 'POST', `/v1/cases/${noted.caseId}/notes`, { id: noteId, body: sealNote({ text: NOTE }, made.staffKey, { caseId: noted.caseId, noteId, author: `u:${sup1.id}` }), keyEpoch: 1 });
  if (note.statusCode !== 201) throw new Error(`note: ${note.body}`);
}
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

/** The case's mechanism envelope and staff-key envelope as the database holds them. */
const mechanismRows = async (caseId: string) => ({
  cases: await sql`select key_id, envelope from case_envelopes where case_id = ${caseId} and recipient_type = 'org'`,
  staff: await sql`select key_id, envelope, key_epoch from staff_key_envelopes where case_id = ${caseId} and recipient_type = 'org'`,
  row: (await sql`select mechanism_key_id, key_epoch from cases where id = ${caseId}`)[0]!,
  fields: await sql`select field, sealed from case_fields where case_id = ${caseId} order by field`,
});

t.test('the cases still sealed to the retired key are moved onto the current key, the same case key re-sealed', async (t) => {
  const recent = await fileCase(T, { ...dep, mechanismKeyId: K2.keyId });
  const view = (await as(sup1, 'GET', '/v1/custody')).json();
  t.equal(view.casesOnOlderKeys, 2, 'the two cases filed before the rotation, not the one after');
  t.match(view.olderKeys.find((k: { keyId: string }) => k.keyId === dep.mechanismKeyId), { cases: 2 });

  t.equal((await as(officer, 'GET', '/v1/custody/rewrap')).statusCode, 403, 'not an officer');
  t.equal((await as(mariam, 'GET', '/v1/custody/rewrap')).statusCode, 404, 'not a supervisor who holds only the retired key');
  const kadiView = (await as(kadi, 'GET', '/v1/custody/rewrap')).json();
  t.same(kadiView, { keyId: K2.keyId, remaining: 2, unreachable: 2, cases: [] }, 'kadi holds the current key only: nothing she can open is served');

  const first = await as(sup1, 'GET', '/v1/custody/rewrap?limit=1');
  t.equal(first.statusCode, 200, first.body);
  const batch = first.json();
  t.match(batch, { keyId: K2.keyId, remaining: 2, unreachable: 0 });
  t.equal(batch.cases.length, 1, 'a batch of the size asked for');
  const c = batch.cases[0];
  t.match(c, { caseId: older.caseId, reference: older.reference, epoch: 1, envelope: { keyId: dep.mechanismKeyId }, staffEnvelope: null });
  t.match(await lastEvent(sup1, 'custody.rewrap'), { outcome: 'allowed', reason: new RegExp(older.caseId) }, 'the envelopes served are audited');

  const before = await mechanismRows(older.caseId);
  const moved = rewrapEnvelope(c.envelope, K1, K2.keyPair.publicKey);
  const url = `/v1/custody/rewrap/${older.caseId}`;
  const body = { epoch: 1, fromKeyId: dep.mechanismKeyId, keyId: moved.keyId, envelope: moved.envelope };
  const refusals: Array<[Actor, object, number, string, string]> = [
    [kadi, body, 409, 'key_holder_required', 'a holder of the current key who does not hold the retired one'],
    [mariam, body, 404, 'not_found', 'a holder of the retired key only'],
    [sup1, { ...body, ...sealEnvelope(openEnvelope(c.envelope, K1), K1.publicKey) }, 409, 'intake_key_changed', 'an envelope sealed to the retired key again'],
    [sup1, { ...body, epoch: 2 }, 409, 'key_epoch_changed', 'another epoch than the case\'s'],
    [sup1, { ...body, fromKeyId: K2.keyId }, 409, 'conflict', 'another key than the one the envelope is sealed to'],
    [sup1, { ...body, envelope: c.envelope.envelope }, 400, 'validation_failed', 'the old envelope'],
    [sup1, { ...body, envelope: 'v1.AAAA' }, 400, 'validation_failed', 'a malformed envelope'],
    [sup1, { ...body, staffEnvelope: moved.envelope }, 400, 'validation_failed', 'a staff-key envelope for a case without one'],
  ];
  for (const [who, payload, status, code, why] of refusals) {
    const r = await as(who, 'POST', url, payload);
    t.equal(r.statusCode, status, `${why}: ${r.body}`);
    t.equal(r.json().code, code, why);
  }
  t.match(await lastEvent(sup1, 'custody.rewrap'), { outcome: 'denied' }, 'refusals are audited');
  t.same(await mechanismRows(older.caseId), before, 'nothing changed by a refusal');

  const ok = await as(sup1, 'POST', url, body);
  t.equal(ok.statusCode, 200, ok.body);
  t.same(ok.json(), { caseId: older.caseId, keyId: K2.keyId, moved: true, staffKey: false });
  t.match(await lastEvent(sup1, 'custody.rewrap'), { outcome: 'allowed' });
  const after = await mechanismRows(older.caseId);
  t.same(after.cases.map((r) => r.key_id), [K2.keyId], 'the mechanism envelope is sealed to the current key; none to the retired one is left');
  t.same(after.row, { mechanism_key_id: K2.keyId, key_epoch: 1 }, 'the same epoch: the case key did not change');
  t.same(after.fields, before.fields, 'no sealed value was touched');
  t.same(openEnvelope({ keyId: K2.keyId, envelope: after.cases[0]!.envelope }, K2.keyPair), older.defender.dek, 'the current key opens the same case key');
  t.same(await openAsHolder(sup1, older.caseId), older.defender.dek, 'and a holder opens the case through it');
  const again = await as(sup1, 'POST', url, body);
  t.equal(again.statusCode, 200, 'idempotent');
  t.same(again.json(), { caseId: older.caseId, keyId: K2.keyId, moved: false, staffKey: false });

  // The case with notes: its staff key goes along, in the same command.
  const next = (await as(oumar, 'GET', '/v1/custody/rewrap')).json();
  t.match(next, { remaining: 1, unreachable: 0, cases: [{ caseId: noted.caseId, envelope: { keyId: dep.mechanismKeyId }, staffEnvelope: { keyId: dep.mechanismKeyId } }] });
  const n = next.cases[0];
  const caseEnvelope = rewrapEnvelope(n.envelope, K1, K2.keyPair.publicKey);
  const staffEnvelope = rewrapEnvelope(n.staffEnvelope, K1, K2.keyPair.publicKey).envelope;
  const noteUrl = `/v1/custody/rewrap/${noted.caseId}`;
  const without = await as(oumar, 'POST', noteUrl, { epoch: n.epoch, fromKeyId: dep.mechanismKeyId, ...caseEnvelope });
  t.equal(without.json().code, 'rekey_incomplete', 'the staff key may not stay behind on the retired key');
  const done = await as(oumar, 'POST', noteUrl, { epoch: n.epoch, fromKeyId: dep.mechanismKeyId, ...caseEnvelope, staffEnvelope });
  t.equal(done.statusCode, 200, done.body);
  t.match(done.json(), { moved: true, staffKey: true });
  t.same((await mechanismRows(noted.caseId)).staff.map((r) => [r.key_id, r.key_epoch]), [[K2.keyId, 1]], 'the staff key is sealed to the current key, at its epoch');
  const notes = (await as(oumar, 'GET', `/v1/cases/${noted.caseId}/notes`)).json();
  const staffKey = openStaffKey(notes.staffKey.own, [K2.keyPair]);
  t.same(openNote(notes.items[0].body, staffKey, { caseId: noted.caseId, noteId, author: `u:${sup1.id}` }), { text: NOTE }, 'the note still opens, with the staff key from the current mechanism key');
  t.ok((notes.holders as Array<{ recipientType: string; publicKey: string | null }>).every((h) => h.publicKey !== null), 'every staff holder is at its current key again');

  const end = (await as(sup1, 'GET', '/v1/custody')).json();
  t.equal(end.casesOnOlderKeys, 0, 'no case is sealed to a retired key any more');
  t.match(end.olderKeys.find((k: { keyId: string }) => k.keyId === dep.mechanismKeyId), { cases: 0 });
  t.same((await as(sup1, 'GET', '/v1/custody/rewrap')).json(), { keyId: K2.keyId, remaining: 0, unreachable: 0, cases: [] });
  const left = await sql`select count(*)::int as n from (select key_id from case_envelopes union all select key_id from staff_key_envelopes) e where key_id = ${dep.mechanismKeyId}`;
  t.equal(left[0]!.n, 0, 'nothing in the database opens with the retired key: a leaver who kept it reads nothing from a copy made now');
  t.same((await mechanismRows(recent.caseId)).cases.map((r) => r.key_id), [K2.keyId], 'the case filed after the rotation was never listed');
});

t.test('the OpenAPI document lists every status the move answered above', async (t) => {
  const doc = (await T.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  const answered: Array<[string, 'get' | 'post', number[]]> = [
    ['/v1/custody/rewrap', 'get', [200, 403, 404]],
    ['/v1/custody/rewrap/{caseId}', 'post', [200, 400, 404, 409]],
    ['/v1/orgs/{orgId}/keyring', 'post', [201, 400, 404, 409]],
  ];
  for (const [path, method, statuses] of answered) {
    const documented = Object.keys(doc.paths[path]![method]!.responses);
    for (const status of statuses) t.ok(documented.includes(String(status)), `${method.toUpperCase()} ${path}: ${status}`);
  }
});
