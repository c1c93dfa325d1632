/**
 * Internal notes (access.md: never the defender's): sealed under a per-case staff key that goes to
 * the staff holders of the case only, so the case key the defender holds opens none of them. The
 * staff key is made once by a staff client, granted with the case key, and replaced with every
 * note re-sealed when the case is re-keyed.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { assignCaseSupervisor, buildWorld, enrolActor, mechanismKeyOf, headersOf, type Actor, type Caller } from '../helpers/world.js';
import { findLeaks } from '../helpers/leaks.js';
import {
  createStaffKey,
  fromB64u,
  keyIdOf,
  noteBodyAd,
  openEnvelope,
  openField,
  openNote,
  openRekeyDek,
  openRekeyStaffKey,
  openStaffKey,
  pinnedPublicKey,
  prepareRekey,
  ready,
  sealEnvelope,
  sealNote,
  sealStaffKey,
  type BoxKeyPair,
  type KeyEnvelope,
  type RekeyBundle,
  type RekeyRecipient,
} from '../../src/sdk/index.js';

await ready();
const T = await buildTestApp(t, { now: '2026-04-06T08:00:00.000Z' });
const sql = T.database.sql;
const w = await buildWorld(T, { officers: ['awa', 'bakary', 'other'] });
const { dep } = w;
const { awa: officerA, bakary: officerB, other: otherOfficer } = w.officers;
const org = await T.app.inject({ method: 'POST', url: '/v1/orgs', headers: dep.admin.auth(), payload: { name: 'Avocats Sans Frontières' } });
const partner = await enrolActor(T, dep.admin, { username: 'partner-asf', role: 'partner', orgId: org.json().id });
const mechanism = await mechanismKeyOf(T, dep.supervisor);
const intakeKey = (await T.app.inject({ method: 'GET', url: '/v1/keys/intake' })).json();
const mechanismPublicKey = pinnedPublicKey(intakeKey.publicKey, dep.mechanismKeyId);
const keysOf = (who: Actor): BoxKeyPair[] => (who === dep.supervisor ? [mechanism, who.keyPair] : [who.keyPair]);

const c = await w.caseAt('assessment', { officer: officerA });
const caseId = c.caseId;
// The supervisor follows the case (docs/break-glass.md), so granting and re-keying it need no break-glass.
await assignCaseSupervisor(T, caseId, dep.supervisor);
const MARK = `NOTE-INTERNE-${randomUUID()}`;

const notesOf = (who: Caller, id = caseId) => T.app.inject({ method: 'GET', url: `/v1/cases/${id}/notes`, headers: headersOf(who) });
const postNote = (who: Caller, payload: object, id = caseId) => T.app.inject({ method: 'POST', url: `/v1/cases/${id}/notes`, headers: headersOf(who), payload });
const postStaffKey = (who: Caller, payload: object, id = caseId) => T.app.inject({ method: 'POST', url: `/v1/cases/${id}/staff-key`, headers: headersOf(who), payload });
type Holder = { keyId: string; recipientType: 'org' | 'user'; recipientId: string; publicKey: string | null };
/** The holders a staff key goes to, as a staff client resolves them: the pinned mechanism key, the public keys the server gives. */
const resolve = (holders: Holder[]) => holders.map((h) => ({ ...h, publicKey: h.recipientType === 'org' ? mechanismPublicKey : fromB64u(h.publicKey!) }));

/** A note as `who`'s client writes it: sealed under the staff key, bound to case, id and author. */
async function writeNote(who: Actor, staffKey: Uint8Array, text: string, keyEpoch?: number) {
  const id = randomUUID();
  const r = await postNote(who, { id, body: sealNote({ text }, staffKey, { caseId, noteId: id, author: `u:${who.id}` }), ...(keyEpoch !== undefined ? { keyEpoch } : {}) });
  return { r, id };
}

/** Every note as `who` reads it through the API, opened with the staff key from their own envelope. */
async function readNotes(who: Actor): Promise<string[]> {
  const r = await notesOf(who);
  if (r.statusCode !== 200) throw new Error(`notes: ${r.statusCode} ${r.body}`);
  const { staffKey, items } = r.json();
  const key = openStaffKey(staffKey.own, keysOf(who));
  return items.map((n: { id: string; author: string; body: string }) => openNote<{ text: string }>(n.body, key, { caseId, noteId: n.id, author: n.author }).text);
}

let staffKey: Uint8Array;
const written: string[] = [];

t.test('the first staff client makes the staff key, for the staff holders of the case only', async (t) => {
  const first = await notesOf(officerA);
  t.equal(first.statusCode, 200, first.body);
  t.equal(first.json().staffKey, null, 'no staff key yet');
  t.same(first.json().items, []);
  const holders = first.json().holders as Holder[];
  t.same(holders.map((h) => `${h.recipientType}:${h.recipientId}`).sort(), [`org:${dep.mechanismId}`, `user:${officerA.id}`].sort(), 'the mechanism and the officer; never the defender');
  t.equal(holders.find((h) => h.recipientType === 'user')!.publicKey, Buffer.from(officerA.keyPair.publicKey).toString('base64url'));

  const made = createStaffKey(resolve(holders));
  // Refusals first: nothing may be half-written.
  const withoutMechanism = await postStaffKey(officerA, { envelopes: made.envelopes.filter((e) => e.recipientType !== 'org') });
  t.equal(withoutMechanism.statusCode, 409);
  t.equal(withoutMechanism.json().code, 'rekey_incomplete', 'every staff holder gets the key, the mechanism included');
  const defenderEnvelope = { ...sealEnvelope(made.staffKey, c.defender.keyPair.publicKey), recipientType: 'user', recipientId: randomUUID() };
  const toDefender = await postStaffKey(officerA, { envelopes: [...made.envelopes, defenderEnvelope] });
  t.equal(toDefender.json().code, 'rekey_incomplete', 'nobody but the staff holders');
  const asDefender = await postStaffKey(c.defender, { envelopes: made.envelopes });
  t.equal(asDefender.statusCode, 403, 'the defender may not make one');
  t.equal((await postStaffKey(partner, { envelopes: made.envelopes })).statusCode, 403, 'nor a partner');
  t.equal((await postStaffKey(otherOfficer, { envelopes: made.envelopes })).statusCode, 404, 'nor an officer of other cases');
  t.equal((await sql`select count(*)::int as n from staff_key_envelopes`)[0]!.n, 0, 'nothing written');

  const ok = await postStaffKey(officerA, { envelopes: made.envelopes });
  t.equal(ok.statusCode, 201, ok.body);
  t.match(ok.json(), { caseId, keyEpoch: 1 });
  staffKey = made.staffKey;
  const again = await postStaffKey(dep.supervisor, { envelopes: createStaffKey(resolve(holders)).envelopes });
  t.equal(again.statusCode, 409);
  t.equal(again.json().code, 'already_exists', 'made once');
  const rows = await sql`select recipient_type, recipient_id, key_epoch from staff_key_envelopes where case_id = ${caseId} order by recipient_type`;
  t.same(rows.map((r) => [r.recipient_type, r.recipient_id, r.key_epoch]), [['org', dep.mechanismId, 1], ['user', officerA.id, 1]]);
});

t.test('staff write notes and read them; the supervisor through the mechanism key', async (t) => {
  for (const [who, text] of [
    [officerA, `Appel du 6 avril ${MARK}`],
    [dep.supervisor, `Vu en réunion ${MARK}`],
  ] as const) {
    T.clock.advance(60_000);
    const { r } = await writeNote(who, staffKey, text, 1);
    t.equal(r.statusCode, 201, r.body);
    t.match(r.json(), { caseId, author: `u:${who.id}` });
    written.push(text);
  }
  t.same(await readNotes(officerA), written, 'officer A reads every note');
  t.same(await readNotes(dep.supervisor), written, 'the supervisor reads them with the mechanism key');
  const page = (await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/notes?limit=1`, headers: officerA.auth() })).json().items;
  t.equal(page.length, 1, 'paged');
  const next = (await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/notes?limit=1&afterAt=${encodeURIComponent(page[0].createdAt)}&afterId=${page[0].id}`, headers: officerA.auth() })).json().items;
  t.equal(next.length, 1);
  t.not(next[0].id, page[0].id, 'the next page goes on after the cursor');
  const audited = await sql`select count(*)::int as n from audit_events where action = 'note.read' and outcome = 'allowed' and case_id = ${caseId}`;
  t.ok(audited[0]!.n >= 2, 'each read is audited');

  const dup = await postNote(officerA, { id: (await sql`select id from case_notes limit 1`)[0]!.id, body: sealNote('x', staffKey, { caseId, noteId: randomUUID(), author: `u:${officerA.id}` }) });
  t.equal(dup.json().code, 'already_exists', 'a note id is used once');
  const notSealed = await postNote(officerA, { id: randomUUID(), body: 'v1.bonjour.en-clair' });
  t.equal(notSealed.statusCode, 400, 'a body that is not sealed');
  const noKey = await w.caseAt('assessment', { officer: officerA });
  const early = await postNote(officerA, { id: randomUUID(), body: sealNote('x', staffKey, { caseId: noKey.caseId, noteId: randomUUID(), author: `u:${officerA.id}` }) }, noKey.caseId);
  t.equal(early.statusCode, 409);
  t.equal(early.json().code, 'no_staff_key', 'a case without a staff key takes no note');
});

t.test('the defender is refused, and their case key opens no note', async (t) => {
  const list = await notesOf(c.defender);
  t.equal(list.statusCode, 403, 'the route refuses the defender');
  t.equal(list.json().code, 'forbidden');
  const id = randomUUID();
  const write = await postNote(c.defender, { id, body: sealNote('x', c.defender.dek, { caseId, noteId: id, author: `d:${caseId}` }) });
  t.equal(write.statusCode, 403, 'and refuses a note from them');
  t.equal((await notesOf(partner)).statusCode, 403, 'a partner too');
  t.equal((await notesOf(dep.admin)).statusCode, 403, 'an admin too');
  t.equal((await notesOf(otherOfficer)).statusCode, 404, 'an officer of other cases: not found');

  // Even handed every ciphertext, the defender's own case key (from their own envelope) opens none.
  const sealed = (await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/sealed`, headers: c.defender.auth() })).json();
  const defenderDek = openEnvelope(sealed.envelopes[0] as KeyEnvelope, c.defender.keyPair);
  const rows = await sql`select id, author, body from case_notes where case_id = ${caseId}`;
  t.equal(rows.length, written.length);
  for (const r of rows) {
    t.throws(() => openNote(r.body, defenderDek, { caseId, noteId: r.id, author: r.author }), { code: 'decrypt_failed' }, 'the case key does not open a note');
    t.throws(() => openField(r.body, defenderDek, noteBodyAd(caseId, r.id, r.author)), { code: 'decrypt_failed' });
  }
  const held = await sql`select key_id from staff_key_envelopes where case_id = ${caseId}`;
  t.notOk(held.some((r) => r.key_id === keyIdOf(c.defender.keyPair.publicKey)), 'no staff-key envelope for the defender');
});

t.test('a colleague given the case key gets the staff key in the same grant', async (t) => {
  const list = (await notesOf(dep.supervisor)).json();
  const staffEpoch = list.staffKey.keyEpoch as number;
  const opened = openStaffKey(list.staffKey.own, keysOf(dep.supervisor));
  const dek = openRekeyDek({ own: (await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/sealed`, headers: dep.supervisor.auth() })).json().envelopes }, [mechanism]);
  const [staffEnvelope] = sealStaffKey(opened, [{ keyId: keyIdOf(officerB.keyPair.publicKey), publicKey: officerB.keyPair.publicKey, recipientType: 'user', recipientId: officerB.id }]);
  const grant = (staffKeyPart: object) =>
    T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/envelopes`, headers: dep.supervisor.auth(), payload: { userId: officerB.id, ...sealEnvelope(dek, officerB.keyPair.publicKey), staffKey: staffKeyPart } });
  const stale = await grant({ envelope: staffEnvelope!.envelope, keyEpoch: staffEpoch + 1 });
  t.equal(stale.statusCode, 409);
  t.equal(stale.json().code, 'key_epoch_changed');
  t.notOk((await sql`select 1 from case_envelopes where case_id = ${caseId} and recipient_id = ${officerB.id}`).length, 'a refused grant leaves no case envelope either');
  const ok = await grant({ envelope: staffEnvelope!.envelope, keyEpoch: staffEpoch });
  t.equal(ok.statusCode, 201, ok.body);
  // B reads the notes of a case they hold an envelope of: officer B is assigned for the test.
  await sql`update cases set assignee_id = ${officerB.id} where id = ${caseId}`;
  t.same(await readNotes(officerB), written, 'officer B reads every note');
  await sql`update cases set assignee_id = ${officerA.id} where id = ${caseId}`;
});

/** The remaining readers as a supervisor's client resolves them. */
function recipientsOf(bundle: RekeyBundle, revoke: string[]): RekeyRecipient[] {
  return bundle.envelopes
    .filter((e) => !revoke.includes(e.keyId))
    .map((e) => ({ keyId: e.currentKeyId!, publicKey: e.recipientType === 'org' ? mechanismPublicKey : fromB64u(e.publicKey!), recipientType: e.recipientType, recipientId: e.recipientId }));
}
const snapshot = async () =>
  JSON.stringify(
    await sql`select
      (select json_agg(x order by x.id) from case_notes x where case_id = ${caseId}) as notes,
      (select json_agg(x order by x.key_id) from staff_key_envelopes x where case_id = ${caseId}) as staff,
      (select json_agg(x order by x.key_id) from case_envelopes x where case_id = ${caseId}) as envelopes,
      (select key_epoch from cases where id = ${caseId}) as epoch`,
  );

t.test('a re-key after revoking an officer replaces the staff key: the revoked one opens nothing new, the others read every note', async (t) => {
  // What B could have kept: the staff key, from B's own staff-key envelope.
  const [bRow] = await sql`select envelope from staff_key_envelopes where case_id = ${caseId} and recipient_id = ${officerB.id}`;
  const bOldStaffKey = openEnvelope(bRow!.envelope, officerB.keyPair);
  const bundle = (await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/rekey`, headers: dep.supervisor.auth() })).json() as RekeyBundle;
  t.ok(bundle.staff, 'the bundle carries the staff key');
  t.equal(bundle.staff!.notes.length, written.length, 'and every note, each with its AD');
  t.ok(bundle.staff!.notes.every((n) => n.ad === noteBodyAd(caseId, n.id, n.author)));
  t.same(bundle.staff!.own.map((e) => e.keyId), [dep.mechanismKeyId]);
  const revoke = [keyIdOf(officerB.keyPair.publicKey)];
  const oldDek = openRekeyDek(bundle, [mechanism]);
  t.throws(() => prepareRekey({ bundle, oldDek, revoke, recipients: recipientsOf(bundle, revoke) }), 'the SDK will not leave the notes behind');
  const oldStaffKey = openRekeyStaffKey(bundle, [mechanism]);
  const { body, staffKey: newStaffKey } = prepareRekey({ bundle, oldDek, revoke, recipients: recipientsOf(bundle, revoke), oldStaffKey });
  t.ok(newStaffKey);
  t.same(body.staff!.envelopes.map((e) => `${e.recipientType}:${e.recipientId}`).sort(), [`org:${dep.mechanismId}`, `user:${officerA.id}`].sort(), 'the new staff key goes to the remaining staff holders only');

  const before = await snapshot();
  const post = (b: object) => T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/rekey`, headers: dep.supervisor.auth(), payload: b });
  const refused = async (b: object, label: string) => {
    const r = await post(b);
    t.equal(r.statusCode, 409, `${label}: ${r.body}`);
    t.equal(r.json().code, 'rekey_incomplete', label);
  };
  const { staff: _staff, ...withoutStaff } = body;
  await refused(withoutStaff, 'without the staff key');
  await refused({ ...body, staff: { ...body.staff!, notes: body.staff!.notes.slice(1) } }, 'a note left out');
  await refused({ ...body, staff: { ...body.staff!, notes: body.staff!.notes.map((n, i) => (i === 0 ? { ...n, sealed: bundle.staff!.notes[0]!.sealed } : n)) } }, 'a note unchanged');
  await refused({ ...body, staff: { ...body.staff!, envelopes: body.staff!.envelopes.filter((e) => e.recipientType === 'org') } }, 'a remaining staff holder without the new key');
  const toB = sealStaffKey(newStaffKey!, [{ keyId: revoke[0]!, publicKey: officerB.keyPair.publicKey, recipientType: 'user', recipientId: officerB.id }]);
  await refused({ ...body, staff: { ...body.staff!, envelopes: [...body.staff!.envelopes, ...toB] } }, 'the new key to the revoked officer');
  t.equal(await snapshot(), before, 'nothing changed');

  const done = await post(body);
  t.equal(done.statusCode, 200, done.body);
  t.notOk((await sql`select 1 from staff_key_envelopes where case_id = ${caseId} and recipient_id = ${officerB.id}`).length, 'no staff-key envelope for B');
  t.same((await sql`select distinct key_epoch from staff_key_envelopes where case_id = ${caseId}`).map((r) => r.key_epoch), [2], 'the staff key moved to the new epoch');
  const rows = await sql`select id, author, body from case_notes where case_id = ${caseId}`;
  for (const r of rows) t.throws(() => openNote(r.body, bOldStaffKey, { caseId, noteId: r.id, author: r.author }), { code: 'decrypt_failed' }, "B's old staff key opens no note any more");
  t.same(await readNotes(officerA), written, 'officer A reads every note with the new key');
  t.same(await readNotes(dep.supervisor), written, 'the supervisor too');

  // A note written after the re-key: sealed under the new key, closed to B's old one.
  const stale = await writeNote(officerA, newStaffKey!, 'trop tard', 1);
  t.equal(stale.r.statusCode, 409);
  t.equal(stale.r.json().code, 'key_epoch_changed', 'a note sealed for the replaced staff key is refused');
  T.clock.advance(60_000);
  const late = await writeNote(officerA, newStaffKey!, `Après la révocation ${MARK}`, 2);
  t.equal(late.r.statusCode, 201, late.r.body);
  written.push(`Après la révocation ${MARK}`);
  const [lateRow] = await sql`select body, author from case_notes where id = ${late.id}`;
  t.throws(() => openNote(lateRow!.body, bOldStaffKey, { caseId, noteId: late.id, author: lateRow!.author }), { code: 'decrypt_failed' }, "B's old staff key opens nothing new");
  t.same(await readNotes(dep.supervisor), written);
});

t.test('a case without a staff key takes no staff part in a re-key', async (t) => {
  const other = await w.caseAt('assessment', { officer: officerA });
  await assignCaseSupervisor(T, other.caseId, dep.supervisor);
  const bundle = (await T.app.inject({ method: 'GET', url: `/v1/cases/${other.caseId}/rekey`, headers: dep.supervisor.auth() })).json() as RekeyBundle;
  t.equal(bundle.staff, null);
  const { body } = prepareRekey({ bundle, oldDek: openRekeyDek(bundle, [mechanism]), revoke: [], recipients: recipientsOf(bundle, []) });
  const extra = await T.app.inject({ method: 'POST', url: `/v1/cases/${other.caseId}/rekey`, headers: dep.supervisor.auth(), payload: { ...body, staff: { envelopes: createStaffKey(resolve((await notesOf(officerA, other.caseId)).json().holders)).envelopes, notes: [] } } });
  t.equal(extra.statusCode, 409);
  t.equal(extra.json().code, 'conflict');
  t.equal((await T.app.inject({ method: 'POST', url: `/v1/cases/${other.caseId}/rekey`, headers: dep.supervisor.auth(), payload: body })).statusCode, 200);
});

t.test('no note plaintext in the database, the logs, Redis or the notifications', async (t) => {
  t.ok(written.length >= 3);
  const hits = await findLeaks(T, { note: MARK, ...Object.fromEntries(written.map((text, i) => [`note ${i}`, text])) });
  t.same(hits, [], 'nowhere');
});
