/**
 * A defender's receipt is lost or seized: the assigned officer's client draws a new one, derives
 * its keys (Argon2id, as at filing) and re-keys the case to it (SDK prepareReceiptReissue); the
 * server swaps the receipt's verifier and key and ends the old receipt's sessions in the same
 * transaction. Afterwards the old receipt neither logs in nor keeps a session, its keys open
 * nothing written since, the new receipt opens everything, and neither receipt nor authKey is
 * anywhere the service writes. A stale or incomplete re-issue is refused and changes nothing.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { apiClient, clientOf } from '../helpers/api-client.js';
import { findLeaks } from '../helpers/leaks.js';
import { waitFor } from '../helpers/wait-for.js';
import { admitCase, assignCaseSupervisor, buildWorld, caseRow, fileCase, headersOf, mechanismKeyOf, type Actor, type Caller } from '../helpers/world.js';
import {
  ApiError,
  caseFieldAd,
  caseReportNoteAd,
  createStaffKey,
  deriveReceiptKeys,
  fromB64u,
  generateKeyPair,
  keyIdOf,
  messageBodyAd,
  normaliseReceipt,
  openEnvelope,
  openField,
  openNote,
  openRekeyDek,
  openStaffKey,
  pinnedPublicKey,
  prepareReceiptReissue,
  prepareRekey,
  ready,
  sealEnvelope,
  sealField,
  sealNote,
  toB64u,
  type BoxKeyPair,
  type JsonValue,
  type ReceiptReissueBody,
  type RekeyBundle,
  type RekeyRecipient,
} from '../../src/sdk/index.js';

await ready();
const T = await buildTestApp(t, { now: '2026-05-04T08:00:00.000Z' });
const sql = T.database.sql;
const { dep, officers: { awa, other } } = await buildWorld(T, { officers: ['awa', 'other'] });

const MARK = `MARQUEUR-${randomUUID()}`;
const filed = await fileCase(T, dep, { secrets: { identity: `Aminata ${MARK}`, contact: `+223 70 ${MARK}`, narrative: `Menaces ${MARK}` } });
const { caseId, defender } = filed;
await admitCase(T, dep, awa, caseId);
// Past triage, a supervisor is part of a case as its case supervisor (else a break-glass).
await assignCaseSupervisor(T, caseId, dep.supervisor);
const params = { caseId };
const intake = await apiClient(T.app).call('getIntakeKey');
// The officer's client pins the mechanism keyId it was configured with, never the server's word.
const mechanismPublicKey = pinnedPublicKey(intake.publicKey, dep.mechanismKeyId);

/** Plaintext of every sealed value, by AD: what the new receipt must open. */
const expected = new Map<string, JsonValue>([
  [caseFieldAd(caseId, 'identity'), filed.secrets.identity],
  [caseFieldAd(caseId, 'contact'), filed.secrets.contact],
  [caseFieldAd(caseId, 'narrative'), filed.secrets.narrative],
]);

/** A message from `who`, sealed under `dek` (their client's current case key). */
async function sendMessage(who: Caller, sender: string, dek: Uint8Array, text: string) {
  const id = randomUUID();
  const ad = messageBodyAd(id, sender);
  const r = await T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/messages`, headers: headersOf(who), payload: { id, body: sealField({ text }, dek, ad) } });
  if (r.statusCode !== 201) throw new Error(`message: ${r.statusCode} ${r.body}`);
  expected.set(ad, { text });
  return { id, ad };
}
await sendMessage(defender, `d:${caseId}`, defender.dek, `au secours ${MARK}`);
await sendMessage(awa, `u:${awa.id}`, defender.dek, `nous arrivons ${MARK}`);
const incidentId = randomUUID();
{
  const note = `ils sont revenus ${MARK}`;
  const r = await T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/incidents`, headers: defender.auth(), payload: { id: incidentId, code: 'death_threat', note: sealField(note, defender.dek, caseReportNoteAd('incident', incidentId)) } });
  if (r.statusCode !== 201) throw new Error(`incident: ${r.statusCode} ${r.body}`);
  expected.set(caseReportNoteAd('incident', incidentId), note);
}

/** Every sealed value as the database holds it, with the AD a reader computes from its place. */
async function sealedInDb(): Promise<Array<{ ad: string; sealed: string }>> {
  const out: Array<{ ad: string; sealed: string }> = [];
  for (const r of await sql`select field, sealed from case_fields where case_id = ${caseId}`) out.push({ ad: caseFieldAd(caseId, r.field), sealed: r.sealed });
  for (const r of await sql`select id, sender, body from messages where case_id = ${caseId}`) out.push({ ad: messageBodyAd(r.id, r.sender), sealed: r.body });
  for (const r of await sql`select id, kind, note from case_reports where case_id = ${caseId} and note is not null`) out.push({ ad: caseReportNoteAd(r.kind, r.id), sealed: r.note });
  return out;
}

/** Everything a re-issue touches, to prove that a refused one changed nothing. */
const snapshot = async () =>
  JSON.stringify(
    await sql`select
      (select json_agg(x order by x.field) from case_fields x where case_id = ${caseId}) as fields,
      (select json_agg(x order by x.id) from messages x where case_id = ${caseId}) as messages,
      (select json_agg(x order by x.id) from case_reports x where case_id = ${caseId}) as reports,
      (select json_agg(x order by x.key_id) from case_envelopes x where case_id = ${caseId}) as envelopes,
      (select json_agg(x) from cases x where id = ${caseId}) as c,
      (select json_agg(x order by x.id) from sessions x where case_id = ${caseId}) as sessions,
      (select count(*)::int from case_timeline where case_id = ${caseId}) as timeline`,
  );

/** What the officer's client does: the bundle, the case key from its envelope, the other readers at their current keys. */
async function prepareAs(officer: Actor, keyPairs: BoxKeyPair[], cause: ReceiptReissueBody['cause'] = 'seized') {
  const bundle = (await clientOf(T.app, officer).call('getCaseRekeyBundle', { params })) as RekeyBundle;
  const oldDek = openRekeyDek(bundle, keyPairs);
  const recipients: RekeyRecipient[] = bundle.envelopes
    .filter((e) => e.recipientType !== 'defender')
    .map((e) => ({ keyId: e.currentKeyId!, publicKey: e.recipientType === 'org' ? mechanismPublicKey : fromB64u(e.publicKey!), recipientType: e.recipientType, recipientId: e.recipientId }));
  return { bundle, oldDek, recipients, ...prepareReceiptReissue({ bundle, oldDek, receiptSalt: intake.receiptSalt, recipients, cause }) };
}
const postReissue = (who: Caller, body: object) => T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/receipt`, headers: headersOf(who), payload: body });
const receiptLogin = (authKey: string) => T.app.inject({ method: 'POST', url: '/v1/auth/receipt', payload: { authKey } });

type Asserts = Pick<typeof t, 'ok' | 'equal'>;
async function opensNone(t: Asserts, dek: Uint8Array, who: string) {
  const items = await sealedInDb();
  t.ok(items.length >= expected.size);
  t.ok(
    items.every((i) => {
      try {
        openField(i.sealed, dek, i.ad);
        return false;
      } catch (err) {
        return (err as { code?: string }).code === 'decrypt_failed';
      }
    }),
    `${who} opens none of the ${items.length} sealed values`,
  );
}

// The old receipt as the defender (and whoever took it) holds it: a second session with its own refresh token.
const oldReceipt = defender.receipt;
const oldAuthKey = defender.authKey;
const oldKeyPair = defender.keyPair;
const oldDek = defender.dek;
const oldSession = (await receiptLogin(oldAuthKey)).json() as { accessToken: string; refreshToken: string };
const newReceipts: Array<{ receipt: string; authKey: string }> = [];

t.test('the assigned officer re-issues the receipt: the old one is dead, the new one opens everything', async (t) => {
  t.equal((await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}`, headers: defender.auth() })).statusCode, 200, 'before: the old receipt session reads the case');
  const { body, receipt, dek, bundle } = await prepareAs(awa, [awa.keyPair]);
  t.notOk(JSON.stringify(body).includes(normaliseReceipt(receipt)), 'the body does not carry the receipt');
  const newKeys = deriveReceiptKeys(receipt, intake.receiptSalt);
  newReceipts.push({ receipt, authKey: toB64u(newKeys.authKey) });
  t.notOk(JSON.stringify(body).includes(toB64u(newKeys.authKey)), 'nor its authKey');
  t.equal(body.receipt.verifier, newKeys.verifier);

  const done = await clientOf(T.app, awa).call('reissueReceipt', { params, body });
  t.same(done, { caseId, epoch: bundle.epoch + 1, keyId: newKeys.keyId, sessionsEnded: 2, items: expected.size });

  // The old receipt: no login, no session, no refresh.
  const login = await receiptLogin(oldAuthKey);
  t.equal(login.statusCode, 401);
  t.equal(login.json().code, 'invalid_credentials', 'the old receipt no longer logs in');
  for (const [label, token] of [
    ['the first session', defender.auth().authorization!.slice('Bearer '.length)],
    ['the second session', oldSession.accessToken],
  ] as const) {
    const r = await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}`, headers: { authorization: `Bearer ${token}` } });
    t.equal(r.statusCode, 401, `${label}: its access token is refused`);
    t.equal(r.json().code, 'session_ended');
  }
  const refresh = await T.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: oldSession.refreshToken } });
  t.equal(refresh.statusCode, 401);
  t.equal(refresh.json().code, 'invalid_refresh_token', "the old session's refresh token is refused");
  t.match(await sql`select revoked_reason from sessions where case_id = ${caseId}`, [{ revoked_reason: 'receipt reissued' }, { revoked_reason: 'receipt reissued' }]);

  // The new receipt: logs in and opens every sealed field, message and note.
  const client = apiClient(T.app);
  const session = await client.call('loginWithReceipt', { body: { authKey: toB64u(newKeys.authKey) } });
  t.equal(session.caseId, caseId, 'the new receipt logs in to the case');
  const sealed = await client.call('getCaseSealed', { params });
  t.equal(sealed.envelopes.length, 1);
  const newDek = openEnvelope(sealed.envelopes[0]!.envelope, newKeys.keyPair);
  t.same(newDek, dek, "the defender's envelope opens with the new receipt's key");
  t.throws(() => openEnvelope(sealed.envelopes[0]!.envelope, oldKeyPair), "and not with the old receipt's");
  for (const [field, value] of Object.entries(sealed.fields)) t.same(openField(value, newDek, caseFieldAd(caseId, field)), expected.get(caseFieldAd(caseId, field)), `the new receipt reads ${field}`);
  const messages = (await client.call('listCaseMessages', { params })).items;
  t.equal(messages.length, 2);
  for (const m of messages) t.same(openField(m.body!, newDek, messageBodyAd(m.id, m.sender)), expected.get(messageBodyAd(m.id, m.sender)), 'the new receipt reads each message');
  const reports = (await client.call('listCaseReports', { params })).items;
  t.same(openField(reports.find((r) => r.id === incidentId)!.note!, newDek, caseReportNoteAd('incident', incidentId)), expected.get(caseReportNoteAd('incident', incidentId)), 'and the incident note');

  // The old receipt's keys open nothing: neither what was re-sealed nor what is written after.
  await opensNone(t, oldDek, 'the old case key');
  const after = await sendMessage(awa, `u:${awa.id}`, dek, `après ${MARK}`);
  const [row] = await sql`select body from messages where id = ${after.id}`;
  t.throws(() => openField(row!.body, oldDek, after.ad), 'a message written after does not open with the old case key');
  t.same(openField(row!.body, newDek, after.ad), { text: `après ${MARK}` }, 'it opens with the new one');
  t.notOk((await sql`select 1 from case_envelopes where case_id = ${caseId} and key_id = ${keyIdOf(oldKeyPair.publicKey)}`).length, 'no envelope for the old receipt key');

  // What the server keeps: the new verifier and key, as at filing.
  const c = await caseRow(T, caseId);
  t.same([c.receipt_verifier, c.defender_key_id, c.defender_public_key, c.key_epoch], [newKeys.verifier, newKeys.keyId, toB64u(newKeys.keyPair.publicKey), bundle.epoch + 1]);
  // The officer reads on with the new key, from their own envelope.
  const officerSealed = await clientOf(T.app, awa).call('getCaseSealed', { params });
  t.same(openEnvelope(officerSealed.envelopes[0]!.envelope, awa.keyPair), dek);

  // Staff see that it happened and why (a code), nothing that names a key or the receipt.
  const [tl] = await sql`select actor, action, reason from case_timeline where case_id = ${caseId} and action = 'case.receipt_reissued'`;
  t.match(tl, { actor: `u:${awa.id}`, action: 'case.receipt_reissued' });
  t.match(tl!.reason, /seized/);
  for (const secret of [newKeys.keyId, newKeys.verifier, bundle.envelopes.find((e) => e.recipientType === 'defender')!.keyId]) t.notOk(String(tl!.reason).includes(secret), 'the timeline names no key and no verifier');
  const audited = await sql`select actor, outcome, reason from audit_events where action = 'case.reissue_receipt' and case_id = ${caseId}`;
  t.same(audited.map((a) => [a.actor, a.outcome, a.reason]), [[`u:${awa.id}`, 'allowed', 'cause: seized']], 'audited once, with the cause');
  defender.dek = newDek;
});

t.test('a stale or incomplete re-issue is refused with a clear code and changes nothing', async (t) => {
  const mechanism = await mechanismKeyOf(T, dep.supervisor);
  const first = await prepareAs(awa, [awa.keyPair]);
  const defenderNow = (await receiptLogin(newReceipts[0]!.authKey)).json().accessToken as string;
  const before = await snapshot();
  const refused = async (who: Caller, body: object, status: number, code: string, label: string) => {
    const r = await postReissue(who, body);
    t.equal(r.statusCode, status, `${label}: ${r.body}`);
    t.equal(r.json().code, code, label);
    return r.json().detail as string;
  };
  const good = first.body;
  t.match(await refused(awa, { ...good, items: good.items.slice(1) }, 409, 'rekey_incomplete', 'a sealed value left out'), /1 sealed value\(s\) not re-sealed/);
  t.match(await refused(awa, { ...good, envelopes: good.envelopes.filter((e) => e.recipientType !== 'defender') }, 409, 'rekey_incomplete', 'no envelope for the defender'), /no new envelope for defender/);
  // The defender's envelope sealed to the old receipt key: the old receipt would still open the case.
  const current = (await caseRow(T, caseId)) as { defender_key_id: string; defender_public_key: string; receipt_verifier: string };
  const toOld = good.envelopes.map((e) => (e.recipientType === 'defender' ? { ...e, ...sealEnvelope(first.dek, fromB64u(current.defender_public_key)) } : e));
  t.match(await refused(awa, { ...good, envelopes: toOld }, 409, 'rekey_incomplete', "the defender's envelope at the old receipt key"), /must be addressed to their current key/);
  await refused(awa, { ...good, receipt: { verifier: current.receipt_verifier, keyId: current.defender_key_id, publicKey: current.defender_public_key } }, 409, 'receipt_unchanged', 'the current receipt sent again');
  const stranger = generateKeyPair();
  await refused(awa, { ...good, receipt: { ...good.receipt, publicKey: toB64u(stranger.publicKey) } }, 400, 'validation_failed', 'a keyId that is not the public key’s');
  const otherCase = await fileCase(T, dep);
  const theirs = (await caseRow(T, otherCase.caseId)).receipt_verifier as string;
  await refused(awa, { ...good, receipt: { ...good.receipt, verifier: theirs } }, 409, 'already_exists', "another case's receipt");
  await refused(other, good, 404, 'not_found', 'an officer not assigned to the case');
  await refused({ authorization: `Bearer ${defenderNow}` }, good, 403, 'forbidden', 'the defender (the receipt is re-issued by staff)');
  t.equal(await snapshot(), before, 'nothing changed');

  // The supervisor re-keys meanwhile: the prepared re-issue is stale.
  const bundle = (await clientOf(T.app, dep.supervisor).call('getCaseRekeyBundle', { params })) as RekeyBundle;
  const recipients = bundle.envelopes.map((e) => ({ keyId: e.currentKeyId!, publicKey: e.recipientType === 'org' ? mechanismPublicKey : fromB64u(e.publicKey!), recipientType: e.recipientType, recipientId: e.recipientId }));
  const rekeyed = prepareRekey({ bundle, oldDek: openRekeyDek(bundle, [mechanism]), revoke: [], recipients });
  t.equal((await T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/rekey`, headers: dep.supervisor.auth(), payload: rekeyed.body })).statusCode, 200, 'a re-key in between');
  const between = await snapshot();
  await refused(awa, good, 409, 'key_epoch_changed', 'a re-issue prepared from the bundle before it');
  t.equal(await snapshot(), between, 'nothing changed');
  const denied = await sql`select reason from audit_events where action = 'case.reissue_receipt' and outcome = 'denied' and case_id = ${caseId}`;
  t.ok(denied.some((d) => String(d.reason).startsWith('key_epoch_changed')) && denied.some((d) => String(d.reason).startsWith('rekey_incomplete')), 'refusals are audited with their code');

  // The receipt the defender holds now still works: nothing of the refused attempts took.
  t.equal((await receiptLogin(newReceipts[0]!.authKey)).statusCode, 200);
});

t.test('a supervisor part of the case re-issues it too, and the receipt before works no more', async (t) => {
  const mechanism = await mechanismKeyOf(T, dep.supervisor);
  const { body, receipt } = await prepareAs(dep.supervisor, [mechanism], 'lost');
  const r = await postReissue(dep.supervisor, body);
  t.equal(r.statusCode, 200, r.body);
  const keys = deriveReceiptKeys(receipt, intake.receiptSalt);
  newReceipts.push({ receipt, authKey: toB64u(keys.authKey) });
  t.equal((await receiptLogin(newReceipts[0]!.authKey)).statusCode, 401, 'the receipt issued before is refused');
  t.equal((await receiptLogin(toB64u(keys.authKey))).statusCode, 200, 'the new one logs in');
});

t.test('a receipt login racing a re-issue leaves no session to the replaced receipt', async (t) => {
  const current = newReceipts.at(-1)!;
  t.equal((await receiptLogin(current.authKey)).statusCode, 200, 'before: the current receipt logs in');
  const { body, receipt } = await prepareAs(awa, [awa.keyPair], 'disclosed');
  const waiting = async () => (await sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)[0]!.n as number;
  // Something else holds the case row (a transition, say): the re-issue queues on it first, then the login.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const holder = sql.begin(async (q) => {
    await q`select id from cases where id = ${caseId} for update`;
    locked();
    await held;
  });
  await isLocked;
  const reissue = postReissue(awa, body);
  await waitFor(async () => (await waiting()) >= 1 || null, { what: 'the re-issue waiting on the case row' });
  const login = receiptLogin(current.authKey);
  await waitFor(async () => (await waiting()) >= 2 || null, { what: 'the login waiting on the case row' });
  release();
  await holder;
  const [done, loggedIn] = await Promise.all([reissue, login]);
  t.equal(done.statusCode, 200, done.body);
  t.equal(loggedIn.statusCode, 401, 'the login of the receipt replaced meanwhile is refused');
  t.equal((await sql`select count(*)::int as n from sessions where case_id = ${caseId} and revoked_at is null`)[0]!.n, 0, 'no live session is left to it');
  const keys = deriveReceiptKeys(receipt, intake.receiptSalt);
  newReceipts.push({ receipt, authKey: toB64u(keys.authKey) });
  t.equal((await receiptLogin(toB64u(keys.authKey))).statusCode, 200, 'the new receipt logs in');
});

t.test('a case with internal notes gets a new receipt; the notes keep their key and their readers', async (t) => {
  // The officer's client makes the case's staff key and writes a note under it.
  const holders = (await clientOf(T.app, awa).call('listCaseNotes', { params })).holders;
  const made = createStaffKey(
    holders.map((h) => ({ keyId: h.keyId, publicKey: h.recipientType === 'org' ? mechanismPublicKey : fromB64u(h.publicKey!), recipientType: h.recipientType as 'org' | 'user', recipientId: h.recipientId })),
  );
  await clientOf(T.app, awa).call('createStaffKey', { params, body: { envelopes: made.envelopes } });
  const noteId = randomUUID();
  const author = `u:${awa.id}`;
  const noteText = `note interne ${MARK}`;
  await clientOf(T.app, awa).call('createNote', { params, body: { id: noteId, body: sealNote({ text: noteText }, made.staffKey, { caseId, noteId, author }) } });
  const before = await sql`select key_id, envelope, key_epoch from staff_key_envelopes where case_id = ${caseId} order by key_id`;

  const { body, receipt } = await prepareAs(awa, [awa.keyPair], 'lost');
  t.notOk('staff' in body, 'the re-issue carries no staff part');
  const r = await postReissue(awa, body);
  t.equal(r.statusCode, 200, r.body);
  newReceipts.push({ receipt, authKey: toB64u(deriveReceiptKeys(receipt, intake.receiptSalt).authKey) });
  t.same(await sql`select key_id, envelope, key_epoch from staff_key_envelopes where case_id = ${caseId} order by key_id`, before, 'the staff key and its envelopes are untouched');
  const list = await clientOf(T.app, awa).call('listCaseNotes', { params });
  const staffKey = openStaffKey(list.staffKey!.own, [awa.keyPair]);
  t.same(list.items.map((n) => openNote(n.body, staffKey, { caseId, noteId: n.id, author: n.author })), [{ text: noteText }], 'the officer reads the note as before');
});

t.test('no receipt, authKey or marker anywhere the service writes', async (t) => {
  const secrets: Record<string, string> = { marker: MARK, oldReceipt, oldReceiptDigits: normaliseReceipt(oldReceipt), oldAuthKey };
  newReceipts.forEach((n, i) => {
    secrets[`newReceipt${i}`] = n.receipt;
    secrets[`newReceiptDigits${i}`] = normaliseReceipt(n.receipt);
    secrets[`newAuthKey${i}`] = n.authKey;
  });
  t.ok(newReceipts.length >= 1);
  t.same(await findLeaks(T, secrets), [], 'nothing found in the database, the logs, Redis or the notification log');
});

// The typed client's refusal shape, for the console: the stable code of a stale re-issue.
t.test('the typed client reports a refusal as an ApiError with its code', async (t) => {
  const { body } = await prepareAs(awa, [awa.keyPair]);
  const r = await clientOf(T.app, awa)
    .call('reissueReceipt', { params, body: { ...body, items: body.items.slice(1) } })
    .then(() => null, (err: unknown) => err);
  t.ok(r instanceof ApiError);
  t.equal((r as ApiError).code, 'rekey_incomplete');
});
