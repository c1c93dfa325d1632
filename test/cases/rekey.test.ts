/**
 * Revoking a reader re-keys the case (crypto.md, Key envelope): a client that holds the case key
 * fetches every sealed value, re-seals it under a new DEK (same AD) and seals the new DEK to the
 * remaining readers. Afterwards the revoked reader's old DEK opens nothing, the others read
 * everything, and a re-key that leaves anything behind is refused without changing anything.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, assignCaseSupervisor, enrolActor, type Actor, act, caseRow, fileCase, mechanismKeyOf, type Caller, headersOf } from '../helpers/world.js';
import {
  fromB64u,
  appealGroundsAd,
  assessmentFieldAd,
  caseFieldAd,
  caseReportNoteAd,
  generateKeyPair,
  keyIdOf,
  measureDetailsAd,
  messageBodyAd,
  openEnvelope,
  openField,
  openRekeyDek,
  pinnedPublicKey,
  prepareRekey,
  ready,
  sealEnvelope,
  sealField,
  type BoxKeyPair,
  type JsonValue,
  type RekeyBody,
  type RekeyBundle,
  type RekeyRecipient,
} from '../../src/sdk/index.js';

await ready();
const T = await buildTestApp(t, { now: '2026-04-06T08:00:00.000Z' });
const sql = T.database.sql;
const { dep, officers: { awa: officerA, bakary: officerB, other: otherOfficer } } = await buildWorld(T, { officers: ['awa', 'bakary', 'other'] });
// A second supervisor who reads the case through a user envelope (no mechanism keyring entry).
const supervisorC = await enrolActor(T, dep.admin, { username: 'supervisor-coulibaly', role: 'supervisor', orgId: dep.mechanismId });
const org = await T.app.inject({ method: 'POST', url: '/v1/orgs', headers: dep.admin.auth(), payload: { name: 'Avocats Sans Frontières' } });
const partner = await enrolActor(T, dep.admin, { username: 'partner-asf', role: 'partner', orgId: org.json().id });

/**
 * The shared kit's grantCaseKey posts sealEnvelope's whole { keyId, envelope } object as the
 * envelope (refused 400), so this file grants and admits with its own two helpers.
 */
async function grantCaseKey(holder: Actor, id: string, to: Actor): Promise<void> {
  const dek = await dekOf(holder, id);
  const r = await T.app.inject({ method: 'POST', url: `/v1/cases/${id}/envelopes`, headers: holder.auth(), payload: { userId: to.id, ...sealEnvelope(dek, to.keyPair.publicKey) } });
  if (r.statusCode !== 201) throw new Error(`grant failed: ${r.statusCode} ${r.body}`);
}
async function admitCase(officer: Actor, id: string): Promise<void> {
  for (const step of ['acknowledge', 'admit']) {
    const r = await act(T, officer, id, step);
    if (r.statusCode !== 200) throw new Error(`${step} failed: ${r.statusCode} ${r.body}`);
    if (step === 'acknowledge') await grantCaseKey(dep.supervisor, id, officer);
  }
}

// The key pairs each client holds: its own (made at enrolment), and for the supervisor the
// mechanism key opened from their keyring entry.
const mechanism = await mechanismKeyOf(T, dep.supervisor);
const keysOf = new Map<Actor, BoxKeyPair[]>([[dep.supervisor, [mechanism]]]);
for (const a of [officerA, officerB, supervisorC]) keysOf.set(a, [a.keyPair]);
/** The case key as `who`'s client opens it from its envelope(s) in GET /v1/cases/:id/sealed. */
async function dekOf(who: Actor, id = caseId): Promise<Uint8Array> {
  const r = await T.app.inject({ method: 'GET', url: `/v1/cases/${id}/sealed`, headers: who.auth() });
  if (r.statusCode !== 200) throw new Error(`sealed read failed: ${r.statusCode} ${r.body}`);
  return openRekeyDek({ own: r.json().envelopes }, keysOf.get(who)!);
}

const MARK = `MARQUEUR-${randomUUID()}`;
const filed = await fileCase(T, dep, { secrets: { identity: `Aminata ${MARK}`, contact: `+223 70 ${MARK}`, narrative: `Menaces ${MARK}` } });
const { caseId, defender } = filed;
await admitCase(officerA, caseId);
// The first supervisor follows this case as its case supervisor (docs/break-glass.md), so
// re-keying it past triage needs no break-glass.
await assignCaseSupervisor(T, caseId, dep.supervisor);
await grantCaseKey(dep.supervisor, caseId, officerB);
await grantCaseKey(dep.supervisor, caseId, supervisorC);
const intakeKey = (await T.app.inject({ method: 'GET', url: '/v1/keys/intake' })).json();
// The client pins the mechanism keyId it was configured with, never the server's word.
const mechanismPublicKey = pinnedPublicKey(intakeKey.publicKey, dep.mechanismKeyId);

/** Plaintext of every sealed value, by AD: what readers must get back after each re-key. */
const expected = new Map<string, JsonValue>([
  [caseFieldAd(caseId, 'identity'), filed.secrets.identity],
  [caseFieldAd(caseId, 'contact'), filed.secrets.contact],
  [caseFieldAd(caseId, 'narrative'), filed.secrets.narrative],
]);
const seal = (value: JsonValue, ad: string): string => {
  expected.set(ad, value);
  return sealField(value, defender.dek, ad);
};

// Two messages, from the defender and from officer A.
for (const [who, sender] of [
  [defender, `d:${caseId}`],
  [officerA, `u:${officerA.id}`],
] as const) {
  T.clock.advance(60_000);
  const id = randomUUID();
  const r = await T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/messages`, headers: who.auth(), payload: { id, body: seal({ text: `message ${MARK}` }, messageBodyAd(id, sender)) } });
  if (r.statusCode !== 201) throw new Error(`message: ${r.statusCode} ${r.body}`);
}

// The other sealed columns, written as their modules would (sealed by a client under the case key).
const ids = { assessment: randomUUID(), measure: randomUUID(), bareMeasure: randomUUID(), report: randomUUID(), appeal: randomUUID() };
const now = T.clock.now().toISOString();
const assessmentMap = { 'threats.0.facts': seal([`SMS ${MARK}`], assessmentFieldAd(ids.assessment, 'threats.0.facts')), 'reasoning.vulnerability': seal(`seule ${MARK}`, assessmentFieldAd(ids.assessment, 'reasoning.vulnerability')) };
await sql`insert into assessments (id, case_id, version, threats, vulnerability_factors, vulnerability_rating, capacity_factors, capacity_rating, score, level, override, sealed, created_by, created_at)
  values (${ids.assessment}, ${caseId}, 1, '[]'::jsonb, '{}'::text[], 2, '{}'::text[], 2, null, 'medium', false, ${JSON.stringify(assessmentMap)}::jsonb, ${officerA.id}, ${now})`;
await sql`insert into measures (id, case_id, code, category, implementer, status, details, proposed_by, proposed_at, updated_at)
  values (${ids.measure}, ${caseId}, 'phone', 'communication', 'cndh', 'proposed', ${seal({ provider: `Orange ${MARK}` }, measureDetailsAd(ids.measure))}, ${officerA.id}, ${now}, ${now}),
         (${ids.bareMeasure}, ${caseId}, 'escort', 'physical', 'cndh', 'proposed', null, ${officerA.id}, ${now}, ${now})`;
await sql`insert into case_reports (id, case_id, kind, reported_by, code, note, at) values (${ids.report}, ${caseId}, 'alert', ${`d:${caseId}`}, null, ${seal(`au secours ${MARK}`, caseReportNoteAd('alert', ids.report))}, ${now})`;
await sql`insert into appeals (id, case_id, subject, decision_at, grounds, state, filed_at) values (${ids.appeal}, ${caseId}, 'no_measures', ${now}, ${seal(`motifs ${MARK}`, appealGroundsAd(ids.appeal))}, 'filed', ${now})`;

/** Every sealed value as the database holds it, with the AD a reader computes from its place. */
async function sealedInDb(): Promise<Array<{ ad: string; sealed: string }>> {
  const out: Array<{ ad: string; sealed: string }> = [];
  for (const r of await sql`select field, sealed from case_fields where case_id = ${caseId}`) out.push({ ad: caseFieldAd(caseId, r.field), sealed: r.sealed });
  for (const r of await sql`select id, sender, body from messages where case_id = ${caseId}`) out.push({ ad: messageBodyAd(r.id, r.sender), sealed: r.body });
  for (const r of await sql`select id, sealed from assessments where case_id = ${caseId}`) for (const [f, s] of Object.entries(r.sealed as Record<string, string>)) out.push({ ad: assessmentFieldAd(r.id, f), sealed: s });
  for (const r of await sql`select id, details from measures where case_id = ${caseId} and details is not null`) out.push({ ad: measureDetailsAd(r.id), sealed: r.details });
  for (const r of await sql`select id, kind, note from case_reports where case_id = ${caseId} and note is not null`) out.push({ ad: caseReportNoteAd(r.kind, r.id), sealed: r.note });
  for (const r of await sql`select id, grounds from appeals where case_id = ${caseId} and grounds is not null`) out.push({ ad: appealGroundsAd(r.id), sealed: r.grounds });
  return out;
}

/** Everything a re-key touches, to prove that a refused one changed nothing. */
const snapshot = async (id = caseId) =>
  JSON.stringify(
    await sql`select
      (select json_agg(x order by x.field) from case_fields x where case_id = ${id}) as fields,
      (select json_agg(x order by x.id) from messages x where case_id = ${id}) as messages,
      (select json_agg(x order by x.id) from assessments x where case_id = ${id}) as assessments,
      (select json_agg(x order by x.id) from measures x where case_id = ${id}) as measures,
      (select json_agg(x order by x.id) from case_reports x where case_id = ${id}) as reports,
      (select json_agg(x order by x.id) from appeals x where case_id = ${id}) as appeals,
      (select json_agg(x order by x.key_id) from case_envelopes x where case_id = ${id}) as envelopes,
      (select json_agg(x) from cases x where id = ${id}) as c,
      (select count(*)::int from case_timeline where case_id = ${id}) as timeline`,
  );

const getBundle = (who: Caller, id = caseId) => T.app.inject({ method: 'GET', url: `/v1/cases/${id}/rekey`, headers: headersOf(who) });
const postRekey = (who: Caller, body: RekeyBody | object, id = caseId) => T.app.inject({ method: 'POST', url: `/v1/cases/${id}/rekey`, headers: headersOf(who), payload: body });

/**
 * The remaining readers as a supervisor's client resolves them: the pinned mechanism key, and the
 * public keys the bundle gives for the defender (kept at filing) and for users. The defender's
 * must be the receipt key the defender derives (checked by keyId in prepareRekey).
 */
function recipientsOf(bundle: RekeyBundle, revoke: string[]): RekeyRecipient[] {
  return bundle.envelopes
    .filter((e) => !revoke.includes(e.keyId))
    .map((e) => ({
      keyId: e.currentKeyId!,
      publicKey: e.recipientType === 'org' ? mechanismPublicKey : fromB64u(e.publicKey!),
      recipientType: e.recipientType,
      recipientId: e.recipientId,
    }));
}

/** A whole re-key as `who`'s client does it; returns the new DEK and the answer. */
async function rekeyAs(who: Actor, keyPairs: Parameters<typeof openRekeyDek>[1], revoke: string[]) {
  const bundle = (await getBundle(who)).json() as RekeyBundle;
  const oldDek = openRekeyDek(bundle, keyPairs);
  const { body, dek } = prepareRekey({ bundle, oldDek, revoke, recipients: recipientsOf(bundle, revoke) });
  return { res: await postRekey(who, body), dek, bundle, body };
}

type Asserts = Pick<typeof t, 'ok' | 'equal'>;
const opensAll = async (t: Asserts, dek: Uint8Array, who: string) => {
  const items = await sealedInDb();
  t.equal(items.length, expected.size, 'every sealed value is there');
  t.ok(
    items.every((i) => JSON.stringify(openField(i.sealed, dek, i.ad)) === JSON.stringify(expected.get(i.ad))),
    `${who} opens every sealed value with the new key`,
  );
};
const opensNone = async (t: Asserts, dek: Uint8Array, who: string) => {
  const items = await sealedInDb();
  t.ok(
    items.every((i) => {
      try {
        openField(i.sealed, dek, i.ad);
        return false;
      } catch (err) {
        return (err as { code?: string }).code === 'decrypt_failed';
      }
    }),
    `${who} opens none of the ${items.length} new ciphertexts`,
  );
};
const sealedRead = (who: Caller) => T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/sealed`, headers: headersOf(who) });

t.test('the supervisor revokes officer B: new key, everything re-sealed, B keeps nothing that opens', async (t) => {
  // What B could have kept: the case key, from B's own envelope.
  const [bRow] = await sql`select envelope from case_envelopes where case_id = ${caseId} and key_id = ${keyIdOf(officerB.keyPair.publicKey)}`;
  const bOldDek = openEnvelope(bRow!.envelope, officerB.keyPair);
  await opensAll(t, bOldDek, 'before: B');

  const res = await getBundle(dep.supervisor);
  t.equal(res.statusCode, 200, res.body);
  const bundle = res.json() as RekeyBundle;
  t.equal(bundle.epoch, 1);
  t.equal(bundle.items.length, expected.size, 'every sealed value of the case, each with its AD');
  t.ok(bundle.items.every((i) => expected.has(i.ad)));
  t.same(new Set(bundle.items.map((i) => i.kind)), new Set(['case_field', 'message', 'assessment', 'measure', 'case_report', 'appeal']));
  t.same(bundle.own.map((e) => e.keyId), [dep.mechanismKeyId], "the supervisor's own envelope: the mechanism's");
  t.same(bundle.envelopes.map((e) => `${e.recipientType}:${e.recipientId}`).sort(), [`org:${dep.mechanismId}`, `defender:${caseId}`, `user:${officerA.id}`, `user:${officerB.id}`, `user:${supervisorC.id}`].sort());
  const a = bundle.envelopes.find((e) => e.recipientId === officerA.id)!;
  t.same([a.currentKeyId, a.publicKey], [keyIdOf(officerA.keyPair.publicKey), Buffer.from(officerA.keyPair.publicKey).toString('base64url')], "a user's current public key comes with the bundle");

  const revoke = [keyIdOf(officerB.keyPair.publicKey)];
  const oldDek = openRekeyDek(bundle, [mechanism]);
  const { body, dek } = prepareRekey({ bundle, oldDek, revoke, recipients: recipientsOf(bundle, revoke) });
  const done = await postRekey(dep.supervisor, body);
  t.equal(done.statusCode, 200, done.body);
  t.match(done.json(), { caseId, epoch: 2, items: expected.size, revoked: [{ keyId: revoke[0], recipientType: 'user', recipientId: officerB.id }] });

  await opensNone(t, bOldDek, "B's old key");
  t.notOk((await sql`select 1 from case_envelopes where case_id = ${caseId} and recipient_id = ${officerB.id}`).length, 'no envelope for B');
  t.equal((await sealedRead(officerB)).statusCode, 404, "B's sealed read: not found");
  t.equal((await caseRow(T, caseId)).key_epoch, 2, 'the epoch went up');

  // Everyone else reads on with the new key, from their own envelope.
  t.same(await dekOf(officerA), dek, 'officer A opens the new key');
  t.same(await dekOf(dep.supervisor), dek, 'the supervisor opens it with the mechanism key');
  t.same(await dekOf(supervisorC), dek, 'supervisor C too');
  const mine = (await sealedRead(defender)).json();
  const defenderDek = openEnvelope(mine.envelopes[0], defender.keyPair);
  t.same(defenderDek, dek, 'the defender opens it with the receipt key');
  await opensAll(t, defenderDek, 'the defender');
  for (const [k, v] of Object.entries(mine.fields as Record<string, string>)) t.same(openField(v, defenderDek, caseFieldAd(caseId, k)), expected.get(caseFieldAd(caseId, k)), `the defender reads ${k}`);
  const msgs = (await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/messages`, headers: officerA.auth() })).json().items;
  t.equal(msgs.length, 2);
  for (const m of msgs) t.same(openField(m.body, dek, messageBodyAd(m.id, m.sender)), expected.get(messageBodyAd(m.id, m.sender)), 'officer A reads each message');
  t.equal((await sql`select count(*)::int as n from measures where id = ${ids.bareMeasure} and details is null`)[0]!.n, 1, 'a measure with no details stays without');

  const [tl] = await sql`select actor, action, from_state, to_state, reason from case_timeline where case_id = ${caseId} and action = 'case.rekeyed'`;
  t.match(tl, { actor: `u:${dep.supervisor.id}`, from_state: 'assessment', to_state: 'assessment' });
  t.match(tl!.reason, `revoked user:${officerB.id}`);
  const audited = await sql`select resource, reason from audit_events where action = 'case.rekey' and outcome = 'allowed' and case_id = ${caseId} and reason like 'revoke %'`;
  t.same(audited.map((r) => [r.resource, r.reason]), [[`case:${caseId}`, `revoke ${revoke[0]}`]], 'audited with the revoked keyId');
});

t.test('the assigned officer revokes supervisor C, who read the case through their envelope', async (t) => {
  t.equal((await sealedRead(supervisorC)).statusCode, 200, 'before: C reads');
  const cOldDek = await dekOf(supervisorC);
  const { res, dek } = await rekeyAs(officerA, keysOf.get(officerA)!, [keyIdOf(supervisorC.keyPair.publicKey)]);
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.json().epoch, 3);
  const after = await sealedRead(supervisorC);
  // Still part of the case (the appeal filed above waits on every supervisor), but no envelope opens for C any more.
  t.equal(after.statusCode, 409, 'C no longer holds an envelope');
  t.equal(after.json().code, 'no_envelope');
  await opensNone(t, cOldDek, "C's old key");
  await opensAll(t, dek, 'officer A');
  t.same(await dekOf(dep.supervisor), dek);
});

t.test('a re-key prepared from a bundle that another re-key overtook is refused', async (t) => {
  const bundle = (await getBundle(officerA)).json() as RekeyBundle;
  const oldDek = openRekeyDek(bundle, keysOf.get(officerA)!);
  const first = prepareRekey({ bundle, oldDek, revoke: [], recipients: recipientsOf(bundle, []) });
  const second = prepareRekey({ bundle, oldDek, revoke: [], recipients: recipientsOf(bundle, []) });
  t.equal((await postRekey(dep.supervisor, second.body)).statusCode, 200, 'a re-key with nobody revoked (e.g. the key may have leaked)');
  const before = await snapshot();
  const stale = await postRekey(officerA, first.body);
  t.equal(stale.statusCode, 409);
  t.equal(stale.json().code, 'key_epoch_changed');
  // A refusal leaves one audit event, the denial: the allowed decision it had recorded is rolled back.
  const trail = await T.database.sql`select outcome from audit_events where request_id = ${stale.json().instance.replace('urn:egide:request:', '')}`;
  t.same(trail.map((r) => r.outcome), ['denied'], 'one audit event: denied');
  t.equal(await snapshot(), before, 'nothing changed');
  await opensAll(t, second.dek, 'the winner');
});

t.test('a message sealed under a case key that a re-key replaced is refused', async (t) => {
  const read = (await sealedRead(defender)).json();
  const epoch = read.keyEpoch as number;
  t.ok(epoch > 1, 'the sealed read says which key generation it is');
  const send = (keyEpoch: number) => {
    const id = randomUUID();
    return T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/messages`, headers: defender.auth(), payload: { id, keyEpoch, body: sealField('Toujours là', openEnvelope(read.envelopes[0], defender.keyPair), messageBodyAd(id, `d:${caseId}`)) } });
  };
  const stale = await send(epoch - 1);
  t.equal(stale.statusCode, 409);
  t.equal(stale.json().code, 'key_epoch_changed');
  const id = randomUUID();
  const ok = await T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/messages`, headers: defender.auth(), payload: { id, keyEpoch: epoch, body: sealField('Toujours là', openEnvelope(read.envelopes[0], defender.keyPair), messageBodyAd(id, `d:${caseId}`)) } });
  t.equal(ok.statusCode, 201, 'sealed under the current key, it goes through');
  // Later re-keys must carry it too.
  expected.set(messageBodyAd(id, `d:${caseId}`), 'Toujours là');
});

t.test('every sealed write names the key generation: a stale one is refused, nothing written', async (t) => {
  const epoch = (await sealedRead(defender)).json().keyEpoch as number;
  const before = await snapshot();
  const stale = epoch - 1;
  const attempts: Array<[string, Caller, string, object]> = [
    ['an assessment', officerA, `/v1/cases/${caseId}/assessments`, { id: randomUUID(), threats: [], vulnerability: { factors: [], rating: 2 }, capacity: { factors: [], rating: 2 }, sealed: {}, keyEpoch: stale }],
    ['a measure proposal', officerA, `/v1/cases/${caseId}/measures`, { id: randomUUID(), code: 'securing_premises', implementer: 'cndh', keyEpoch: stale }],
    ['an incident', defender, `/v1/cases/${caseId}/incidents`, { id: randomUUID(), code: 'death_threat', keyEpoch: stale }],
    ['an alert', defender, `/v1/cases/${caseId}/alerts`, { id: randomUUID(), keyEpoch: stale }],
    ['a check-in', defender, `/v1/cases/${caseId}/checkins`, { id: randomUUID(), keyEpoch: stale }],
    ['an appeal', defender, `/v1/cases/${caseId}/appeals`, { id: randomUUID(), subject: 'decline', keyEpoch: stale }],
  ];
  for (const [label, as, url, payload] of attempts) {
    const r = await T.app.inject({ method: 'POST', url, headers: headersOf(as), payload });
    t.equal(r.statusCode, 409, `${label}: ${r.body}`);
    t.equal(r.json().code, 'key_epoch_changed', label);
  }
  t.equal(await snapshot(), before, 'nothing changed');
});

t.test('a re-key that leaves anything behind is refused and changes nothing', async (t) => {
  const bundle = (await getBundle(dep.supervisor)).json() as RekeyBundle;
  const oldDek = openRekeyDek(bundle, [mechanism]);
  const revoke: string[] = [];
  const good = prepareRekey({ bundle, oldDek, revoke, recipients: recipientsOf(bundle, revoke) }).body;
  const before = await snapshot();
  const refused = async (body: object, code: string, label: string, status = 409) => {
    const r = await postRekey(dep.supervisor, body);
    t.equal(r.statusCode, status, `${label}: ${r.body}`);
    t.equal(r.json().code, code, label);
    return r.json().detail as string;
  };
  const missing = await refused({ ...good, items: good.items.slice(1) }, 'rekey_incomplete', 'an item missing');
  t.match(missing, /1 sealed value\(s\) not re-sealed/);
  await refused({ ...good, items: [...good.items, good.items[0]] }, 'rekey_incomplete', 'an item twice');
  await refused({ ...good, items: [...good.items, { ...good.items[0]!, id: randomUUID(), kind: 'message', field: 'body' }] }, 'rekey_incomplete', 'an item of nothing');
  await refused({ ...good, items: good.items.map((x, i) => (i === 0 ? { ...x, sealed: bundle.items[0]!.sealed } : x)) }, 'rekey_incomplete', 'an item sent back unchanged (still under the old key)');
  await refused({ ...good, envelopes: good.envelopes.filter((e) => e.recipientType !== 'user') }, 'rekey_incomplete', 'a remaining reader left without an envelope');
  const stranger = generateKeyPair();
  await refused({ ...good, envelopes: [...good.envelopes, { ...sealEnvelope(generateKeyPair().publicKey, stranger.publicKey), recipientType: 'user', recipientId: otherOfficer.id }] }, 'rekey_incomplete', 'an envelope for someone who was no reader');
  // Officer A's new envelope sealed to another key than A's current one.
  const aIndex = good.envelopes.findIndex((e) => e.recipientId === officerA.id);
  await refused({ ...good, envelopes: good.envelopes.map((e, i) => (i === aIndex ? { ...e, ...sealEnvelope(generateKeyPair().publicKey, officerB.keyPair.publicKey) } : e)) }, 'rekey_incomplete', "an envelope not at the reader's current key");
  const mIndex = good.envelopes.findIndex((e) => e.recipientType === 'org');
  const detail = await refused({ ...good, envelopes: good.envelopes.map((e, i) => (i === mIndex ? { ...e, ...sealEnvelope(generateKeyPair().publicKey, stranger.publicKey) } : e)) }, 'rekey_incomplete', 'the mechanism envelope at another key than its current one');
  t.match(detail, dep.mechanismKeyId);
  const [current] = await sql`select envelope from case_envelopes where case_id = ${caseId} and key_id = ${dep.mechanismKeyId}`;
  await refused({ ...good, envelopes: good.envelopes.map((e, i) => (i === mIndex ? { ...e, envelope: current!.envelope } : e)) }, 'rekey_incomplete', 'the old envelope sent back');
  await refused({ ...good, items: good.items.map((x, i) => (i === 0 ? { ...x, sealed: 'v1.bonjour.en-clair' } : x)) }, 'validation_failed', 'a value that is not a sealed field', 400);
  t.equal(await snapshot(), before, 'nothing changed');
  const denied = await sql`select count(*)::int as n from audit_events where action = 'case.rekey' and outcome = 'denied' and case_id = ${caseId} and reason like 'rekey_incomplete: items:%'`;
  t.ok(denied[0]!.n >= 3, 'refusals are audited with the rule');
  t.equal((await postRekey(dep.supervisor, good)).statusCode, 200, 'the complete one goes through');
});

t.test("the mechanism's and the defender's envelopes are never revoked", async (t) => {
  const bundle = (await getBundle(dep.supervisor)).json() as RekeyBundle;
  const oldDek = openRekeyDek(bundle, [mechanism]);
  const before = await snapshot();
  for (const [keyId, who] of [
    [dep.mechanismKeyId, 'mechanism'],
    [keyIdOf(defender.keyPair.publicKey), 'defender'],
  ] as const) {
    const { body } = prepareRekey({ bundle, oldDek, revoke: [keyId], recipients: recipientsOf(bundle, [keyId]) });
    const r = await postRekey(dep.supervisor, body);
    t.equal(r.statusCode, 409, r.body);
    t.equal(r.json().code, 'conflict');
    t.match(r.json().detail, who === 'mechanism' ? /mechanism/ : /defender/);
  }
  const { body } = prepareRekey({ bundle, oldDek, revoke: [], recipients: recipientsOf(bundle, []) });
  const unknown = await postRekey(dep.supervisor, { ...body, revoke: ['AAAAAAAAAAAAAAAAAAAAAA'] });
  t.equal(unknown.json().code, 'conflict', 'an envelope that does not exist');
  t.equal(await snapshot(), before, 'nothing changed');
});

t.test('who may re-key', async (t) => {
  const before = await snapshot();
  t.equal((await getBundle(otherOfficer)).statusCode, 404, 'an officer not assigned: not found');
  const bundle = (await getBundle(dep.supervisor)).json() as RekeyBundle;
  const { body } = prepareRekey({ bundle, oldDek: openRekeyDek(bundle, [mechanism]), revoke: [], recipients: recipientsOf(bundle, []) });
  t.equal((await postRekey(otherOfficer, body)).statusCode, 404, 'an officer not assigned cannot post one');
  t.equal((await postRekey(officerB, body)).statusCode, 404, 'nor the revoked officer');
  for (const [who, label] of [
    [partner, 'a partner'],
    [dep.admin, 'an admin'],
    [defender, 'the defender (the policy gives re-keying to the assigned officer and supervisors)'],
  ] as const) {
    const g = await getBundle(who);
    t.equal(g.statusCode, 403, label);
    t.equal(g.json().code, 'forbidden');
    t.equal((await postRekey(who, body)).statusCode, 403, label);
  }
  t.equal(await snapshot(), before, 'nothing changed');
  t.equal((await T.app.inject({ method: 'DELETE', url: `/v1/cases/${caseId}/envelopes/${keyIdOf(officerA.keyPair.publicKey)}`, headers: dep.supervisor.auth() })).statusCode, 404, 'no route removes an envelope without re-keying');
});

t.test('an assigned officer without the case key can neither read the bundle nor re-key', async (t) => {
  const other = await fileCase(T, dep);
  t.equal((await act(T, otherOfficer, other.caseId, 'acknowledge')).statusCode, 200, 'assigned, no envelope yet');
  const g = await getBundle(otherOfficer, other.caseId);
  t.equal(g.statusCode, 409);
  t.equal(g.json().code, 'key_holder_required');
  // Whatever it sends (the server cannot check the cryptography), a non-reader may not replace the content.
  const before = await snapshot(other.caseId);
  const bundle = (await getBundle(dep.supervisor, other.caseId)).json() as RekeyBundle;
  const { body } = prepareRekey({ bundle, oldDek: other.defender.dek, revoke: [], recipients: recipientsOf(bundle, []) });
  const p = await postRekey(otherOfficer, body, other.caseId);
  t.equal(p.statusCode, 409);
  t.equal(p.json().code, 'key_holder_required');
  t.equal(await snapshot(other.caseId), before, 'nothing changed');
});

t.test('a closed case is re-keyed too (its content is still there to protect)', async (t) => {
  t.equal((await act(T, officerA, caseId, 'close', { reason: 'Le risque a cessé.', closeReason: 'risk_ceased' })).statusCode, 200);
  const epoch = (await caseRow(T, caseId)).key_epoch;
  const { res, dek } = await rekeyAs(dep.supervisor, [mechanism], []);
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.json().epoch, epoch + 1);
  await opensAll(t, dek, 'the supervisor');
});

t.test('no plaintext marker in the database or the logs', async (t) => {
  const tables = ['cases', 'case_fields', 'messages', 'assessments', 'measures', 'case_reports', 'appeals', 'case_envelopes', 'case_timeline', 'audit_events', 'outbox'];
  let dump = '';
  for (const table of tables) dump += (await sql`select coalesce(string_agg(x::text, '|'), '') as s from ${sql(table)} x`)[0]!.s;
  t.ok(dump.length > 1000);
  t.notOk(dump.includes(MARK), 'database');
  t.notOk(T.logs.join('\n').includes(MARK), 'logs');
});
