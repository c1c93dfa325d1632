/**
 * Referrals as the people involved make them: the officer proposes (recipient, fields, purpose),
 * the defender consents, the officer's client re-seals the chosen case fields under a fresh
 * referral key for the partner organisation's current key, the partner opens exactly those fields
 * and nothing else of the case, accepts, reports; a withdrawal ends the partner's access. The
 * life-threat exception lets a supervisor refer to a state authority without consent.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, openOwnKeys, refreshIfStale, type Actor, act, fileCase, type DefenderSession, type FiledCase } from '../helpers/world.js';
import {
  caseFieldAd,
  createOrgKey,
  generateDek,
  openEnvelope,
  openField,
  openKeyringEntry,
  pinnedPublicKey,
  ready,
  referralFieldAd,
  referralReportAd,
  sealEnvelope,
  sealField,
  type BoxKeyPair,
  type JsonValue,
} from '../../src/sdk/index.js';

await ready();
// Monday 2 March 2026, 09:00 in Bamako.
const T = await buildTestApp(t, { now: '2026-03-02T09:00:00.000Z' });
const dep = await bootstrap(T);
const { admin, supervisor } = dep;
const MARK = `MARQUEUR-${randomUUID()}`;

type Method = 'GET' | 'POST';
async function as(who: Actor | DefenderSession, method: Method, url: string, payload?: object) {
  if ('username' in who) await refreshIfStale(T, who);
  return T.app.inject({ method, url, headers: who.auth(), ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
}
const must = async (p: Promise<LightMyRequestResponse>, status: number, what: string) => {
  const r = await p;
  if (r.statusCode !== status) throw new Error(`${what}: ${r.statusCode} ${r.body}`);
  return r.json();
};

const officer = await enrolActor(T, admin, { username: 'officer-ref', role: 'officer', orgId: dep.mechanismId });
const otherOfficer = await enrolActor(T, admin, { username: 'officer-other', role: 'officer', orgId: dep.mechanismId });
const asf = await must(as(admin, 'POST', '/v1/orgs', { name: 'Avocats sans frontières Mali' }), 201, 'ngo');
const police = await must(as(admin, 'POST', '/v1/orgs', { name: 'Direction générale de la police', category: 'state_authority' }), 201, 'state authority');
const other = await must(as(admin, 'POST', '/v1/orgs', { name: 'Autre réseau', category: 'lawyers' }), 201, 'other');
const pa = await enrolActor(T, admin, { username: 'partner-asf', role: 'partner', orgId: asf.id });
const pb = await enrolActor(T, admin, { username: 'partner-other', role: 'partner', orgId: other.id });
const pp = await enrolActor(T, admin, { username: 'partner-police', role: 'partner', orgId: police.id });

/** A partner member creates their organisation's key, sealed to themself (their keyring). */
async function orgKeyFor(member: Actor, orgId: string) {
  const k = createOrgKey([member.keyPair.publicKey]);
  await must(as(member, 'POST', `/v1/orgs/${orgId}/keys`, { publicKey: k.publicKey, keyId: k.keyId, entries: [{ userId: member.id, memberKeyId: k.entries[0]!.memberKeyId, entry: k.entries[0]!.entry }] }), 201, 'org key');
  return k;
}
/** Org A's first key; a subtest below rotates it, and the server's word on the current key is read where needed. */
const firstAsfKey = await orgKeyFor(pa, asf.id);
await orgKeyFor(pb, other.id);
const policeKey = await orgKeyFor(pp, police.id);

/**
 * A staff client's own key pair, unwrapped once with the password as after login (Argon2id is
 * slow on purpose: each person's client does it once, not per request).
 */
const ownKeys = new Map<string, BoxKeyPair>();
async function keysOf(who: Actor): Promise<BoxKeyPair> {
  if (!ownKeys.has(who.id)) ownKeys.set(who.id, await openOwnKeys(T, who));
  return ownKeys.get(who.id)!;
}

/** The case key as a staff client opens it: its own envelope, or the mechanism key's (a supervisor). */
async function caseKeyOf(who: Actor, onCase: string): Promise<Uint8Array> {
  const sealed = await must(as(who, 'GET', `/v1/cases/${onCase}/sealed`), 200, 'sealed');
  const envelope = (sealed.envelopes as Array<{ keyId: string; envelope: string }>)[0]!;
  return openEnvelope(envelope.envelope, envelope.keyId === dep.mechanismKeyId ? await orgKeyPairOf(who, dep.mechanismKeyId) : await keysOf(who));
}

/**
 * Acknowledge, give the officer the case key (the supervisor's client, through the mechanism key)
 * and admit: helpers/world.ts admitCase, with the supervisor's keys unwrapped once (keysOf).
 */
async function admit(onCase: string) {
  await must(act(T, officer, onCase, 'acknowledge'), 200, 'acknowledge');
  const dek = await caseKeyOf(supervisor, onCase);
  await must(as(supervisor, 'POST', `/v1/cases/${onCase}/envelopes`, { userId: officer.id, ...sealEnvelope(dek, officer.keyPair.publicKey) }), 201, 'grant');
  await must(act(T, officer, onCase, 'admit'), 200, 'admit');
}

const secrets = { identity: { name: `Aminata ${MARK}` }, contact: `+223 ${MARK}`, narrative: `Menaces ${MARK}`, location: `Quartier ${MARK}` } satisfies Record<string, JsonValue>;
const filed: FiledCase = await fileCase(T, dep, { secrets });
const caseId = filed.caseId;
const defender = filed.defender;
await admit(caseId);

/** The officer's client: the recipient's current public key, pinned to the keyId the server lists. */
async function currentOrgKey(orgId: string): Promise<{ keyId: string; publicKey: Uint8Array }> {
  const keys = (await as(officer, 'GET', `/v1/orgs/${orgId}/keys`)).json().keys as Array<{ keyId: string; publicKey: string; current: boolean }>;
  const k = keys.find((x) => x.current)!;
  return { keyId: k.keyId, publicKey: pinnedPublicKey(k.publicKey, k.keyId) };
}

/**
 * The referring officer's client: opens the chosen case fields with the case key, re-seals them
 * under a fresh referral DEK (AD egide/v1/referral/<id>/<field>), seals that DEK to the org key
 * and to themself.
 */
async function packetFor(who: Actor, forCase: string, referralId: string, fields: string[], org: { id: string; keyId: string; publicKey: Uint8Array }) {
  const sealed = (await as(who, 'GET', `/v1/cases/${forCase}/sealed`)).json();
  const caseDek = await caseKeyOf(who, forCase);
  const dek = generateDek();
  const packet = Object.fromEntries(fields.map((f) => [f, sealField(openField(sealed.fields[f], caseDek, caseFieldAd(forCase, f)), dek, referralFieldAd(referralId, f))]));
  const toOrg = { ...sealEnvelope(dek, org.publicKey), recipientType: 'org', recipientId: org.id };
  const toMe = { ...sealEnvelope(dek, who.keyPair.publicKey), recipientType: 'user', recipientId: who.id };
  return { dek, body: { packet, envelopes: [toOrg, toMe] } };
}

/** The partner member's client: the org key pair from their keyring entry for that key. */
async function orgKeyPairOf(member: Actor, orgKeyId: string): Promise<BoxKeyPair> {
  const me = (await as(member, 'GET', '/v1/me')).json();
  const entry = (me.keyring as Array<{ orgKeyId: string; entry: string }>).find((e) => e.orgKeyId === orgKeyId)!;
  return openKeyringEntry(entry.entry, await keysOf(member));
}

const propose = (who: Actor, body: object, onCase = caseId) => as(who, 'POST', `/v1/cases/${onCase}/referrals`, body);
const referralRow = async (id: string) => (await T.database.sql`select * from referrals where id = ${id}`)[0];
const envelopeCount = async (id: string) => (await T.database.sql`select count(*)::int as n from referral_envelopes where referral_id = ${id}`)[0]!.n as number;
const deadlinesOf = async (id: string) => (await T.database.sql`select rule, state from deadlines where subject_id = ${id}`).map((d) => `${d.rule}:${d.state}`).sort();
const counts = async () => (await T.database.sql`select (select count(*)::int from referrals) as referrals, (select count(*)::int from referral_envelopes) as envelopes, (select count(*)::int from referral_reports) as reports, (select count(*)::int from outbox where topic like 'referral.%') as outbox, (select count(*)::int from case_timeline where action like 'referral.%') as timeline`)[0];

t.test('organisations have a category (ngo by default) shown in the listings', async (t) => {
  t.equal(asf.category, 'ngo');
  t.equal(police.category, 'state_authority');
  const list = (await as(officer, 'GET', '/v1/orgs')).json().items as Array<{ id: string; category: string }>;
  t.same(Object.fromEntries(list.map((o) => [o.id, o.category])), { [dep.mechanismId]: 'mechanism', [asf.id]: 'ngo', [police.id]: 'state_authority', [other.id]: 'lawyers' });
  const bad = await as(admin, 'POST', '/v1/orgs', { name: 'Mécanisme bis', category: 'mechanism' });
  t.equal(bad.statusCode, 400, 'a partner cannot be made a mechanism');
});

const main = randomUUID();
t.test('the officer proposes a referral; nothing is shared before the defender consents', async (t) => {
  const before = await counts();
  const bad = await propose(officer, { id: randomUUID(), orgId: asf.id, fields: ['identity', 'bank_account'], purpose: 'legal_assistance' });
  t.equal(bad.statusCode, 400);
  t.same(bad.json().errors.map((e: { field: string }) => e.field), ['/body/fields/1'], 'a field the policy does not allow');
  const badPurpose = await propose(officer, { id: randomUUID(), orgId: asf.id, fields: ['identity'], purpose: 'espionage' });
  t.equal(badPurpose.statusCode, 400);
  t.equal((await propose(otherOfficer, { id: randomUUID(), orgId: asf.id, fields: ['identity'], purpose: 'legal_assistance' })).statusCode, 404, 'an officer not assigned: not found');
  t.same(await counts(), before, 'nothing written');

  const r = await propose(officer, { id: main, orgId: asf.id, fields: ['identity', 'narrative'], purpose: 'legal_assistance' });
  t.equal(r.statusCode, 201, r.body);
  t.equal(r.json().state, 'awaiting_consent');
  t.equal(r.json().orgCategory, 'ngo');
  t.same(r.json().purposeLabel, { fr: 'Assistance juridique', en: 'Legal assistance' });
  const dup = await propose(officer, { id: main, orgId: asf.id, fields: ['identity'], purpose: 'legal_assistance' });
  t.equal(dup.statusCode, 409);
  t.equal(dup.json().code, 'already_exists');
  const [note] = await T.database.sql`select payload from outbox where topic = 'referral.consent_requested'`;
  t.same(note!.payload, { caseId, reference: filed.reference, referralId: main }, 'the defender is notified, content-free');

  const early = await packetFor(officer, caseId, main, ['identity', 'narrative'], { id: asf.id, ...(await currentOrgKey(asf.id)) });
  const tooEarly = await as(officer, 'POST', `/v1/referrals/${main}/packet`, early.body);
  t.equal(tooEarly.statusCode, 409);
  t.equal(tooEarly.json().code, 'consent_required');
  t.equal((await referralRow(main))!.packet, null);
  t.equal(await envelopeCount(main), 0);
  const denied = await T.database.sql`select reason from audit_events where action = 'referral.create' and resource = ${`referral:${main}`} and outcome = 'denied'`;
  t.ok(denied.some((d) => String(d.reason).includes('no packet without consent')), 'the refusal is audited');

  t.equal((await as(pa, 'GET', `/v1/referrals/${main}`)).statusCode, 404, 'the partner does not see a referral awaiting consent');
  t.same((await as(pa, 'GET', '/v1/referrals')).json().items, []);
});

t.test('the defender sees what is asked (recipient, fields, purpose) and consents', async (t) => {
  const mine = await as(defender, 'GET', `/v1/cases/${caseId}/referrals`);
  t.equal(mine.statusCode, 200, mine.body);
  const [item] = mine.json().items;
  t.equal(item.id, main);
  t.equal(item.orgName, 'Avocats sans frontières Mali');
  t.same(item.fieldLabels.map((f: { field: string; fr: string }) => [f.field, f.fr]), [['identity', 'Identité'], ['narrative', 'Récit des faits']]);
  t.equal(item.madeWithoutConsent, false);
  t.notOk('createdBy' in item || 'consentBy' in item || 'caseId' in item, 'no staff ids');
  const withAttestation = await as(defender, 'POST', `/v1/referrals/${main}/consent`, { decision: 'consent', attestation: { channel: 'phone_call', takenAt: T.clock.now().toISOString(), statement: 'not for defenders' } });
  t.equal(withAttestation.statusCode, 400, 'an attestation is for staff');
  const r = await as(defender, 'POST', `/v1/referrals/${main}/consent`, { decision: 'consent' });
  t.equal(r.statusCode, 200, r.body);
  t.equal(r.json().state, 'consented');
  const row = (await referralRow(main))!;
  t.equal(row.consent_basis, 'defender');
  t.equal(row.consent_by, `d:${caseId}`);
  const again = await as(defender, 'POST', `/v1/referrals/${main}/consent`, { decision: 'refuse' });
  t.equal(again.statusCode, 409, 'consent is given once');
  t.equal(again.json().code, 'invalid_transition');
  t.same((await as(defender, 'GET', `/v1/cases/${caseId}/referrals`)).json().items, [], 'no longer awaiting consent');
  t.equal((await as(pa, 'GET', `/v1/referrals/${main}`)).statusCode, 404, 'consented is not sent: still nothing for the partner');
});

t.test('a packet must hold exactly the consented fields, sealed to the current org key', async (t) => {
  const before = await counts();
  const key = { id: asf.id, ...(await currentOrgKey(asf.id)) };
  const extra = await packetFor(officer, caseId, main, ['identity', 'narrative', 'contact'], key);
  const r1 = await as(officer, 'POST', `/v1/referrals/${main}/packet`, extra.body);
  t.equal(r1.statusCode, 400);
  t.same(r1.json().errors.map((e: { field: string }) => e.field), ['/body/packet/contact'], 'contact was not consented to');
  const fewer = await packetFor(officer, caseId, main, ['identity'], key);
  const r2 = await as(officer, 'POST', `/v1/referrals/${main}/packet`, fewer.body);
  t.equal(r2.statusCode, 400);
  t.same(r2.json().errors.map((e: { field: string }) => e.field), ['/body/packet/narrative']);
  const wrongOrg = await packetFor(officer, caseId, main, ['identity', 'narrative'], { id: asf.id, ...(await currentOrgKey(police.id)) });
  const r3 = await as(officer, 'POST', `/v1/referrals/${main}/packet`, wrongOrg.body);
  t.equal(r3.statusCode, 400, 'sealed to another organisation’s key');
  t.match(r3.json().errors[0], { field: '/body/envelopes/0/keyId' });
  const noOrg = await packetFor(officer, caseId, main, ['identity', 'narrative'], key);
  const r4 = await as(officer, 'POST', `/v1/referrals/${main}/packet`, { ...noOrg.body, envelopes: noOrg.body.envelopes.slice(1) });
  t.equal(r4.statusCode, 400, 'no envelope for the organisation');
  const toStranger = await packetFor(officer, caseId, main, ['identity', 'narrative'], key);
  const strangerEnvelope = { ...sealEnvelope(toStranger.dek, pb.keyPair.publicKey), recipientType: 'user', recipientId: pb.id };
  const r5 = await as(officer, 'POST', `/v1/referrals/${main}/packet`, { ...toStranger.body, envelopes: [toStranger.body.envelopes[0], strangerEnvelope] });
  t.equal(r5.statusCode, 400, 'the referral key goes to no one else');

  // The organisation rotates its key: the retired one no longer receives referrals.
  const retired = key;
  const rotated = await orgKeyFor(pa, asf.id);
  const old = await packetFor(officer, caseId, main, ['identity', 'narrative'], retired);
  const r6 = await as(officer, 'POST', `/v1/referrals/${main}/packet`, old.body);
  t.equal(r6.statusCode, 400, 'sealed to a retired key');
  t.match(r6.json().errors[0].message, rotated.keyId);
  t.same(await counts(), before, 'nothing written');
  t.equal((await referralRow(main))!.state, 'consented');
});

t.test('the officer uploads the packet; the partner opens exactly those fields and nothing else of the case', async (t) => {
  const key = { id: asf.id, ...(await currentOrgKey(asf.id)) };
  t.not(key.keyId, firstAsfKey.keyId, 'the rotated key is the current one');
  const p = await packetFor(officer, caseId, main, ['narrative', 'identity'], key);
  const r = await as(officer, 'POST', `/v1/referrals/${main}/packet`, p.body);
  t.equal(r.statusCode, 200, r.body);
  t.equal(r.json().state, 'sent');
  t.same(await deadlinesOf(main), ['referral_response:open']);
  const [sent] = await T.database.sql`select payload from outbox where topic = 'referral.sent'`;
  t.same(sent!.payload, { referralId: main, orgId: asf.id, purpose: 'legal_assistance' });
  t.equal((await as(officer, 'POST', `/v1/referrals/${main}/packet`, p.body)).json().code, 'invalid_transition', 'sent once');

  const inbox = (await as(pa, 'GET', '/v1/referrals')).json().items;
  t.same(inbox.map((i: { id: string }) => i.id), [main]);
  t.notOk('caseId' in inbox[0] || 'createdBy' in inbox[0], 'the partner learns nothing of the case or the staff');
  const got = await as(pa, 'GET', `/v1/referrals/${main}`);
  t.equal(got.statusCode, 200, got.body);
  const body = got.json();
  t.equal(body.envelopes.length, 1, 'only the organisation’s envelope');
  t.equal(body.envelopes[0].keyId, key.keyId);
  const orgKeyPair = await orgKeyPairOf(pa, key.keyId);
  const dek = openEnvelope(body.envelopes[0], orgKeyPair);
  const opened = Object.fromEntries(Object.entries(body.packet as Record<string, string>).map(([f, v]) => [f, openField(v, dek, referralFieldAd(main, f))]));
  t.same(opened, { identity: secrets.identity, narrative: secrets.narrative });

  t.equal((await as(pa, 'GET', `/v1/cases/${caseId}`)).statusCode, 403, 'the partner cannot read the case');
  t.equal((await as(pa, 'GET', `/v1/cases/${caseId}/sealed`)).statusCode, 403);
  const caseEnvelopes = await T.database.sql`select envelope from case_envelopes where case_id = ${caseId}`;
  t.ok(caseEnvelopes.length >= 3);
  for (const e of caseEnvelopes) t.throws(() => openEnvelope(e.envelope as string, orgKeyPair), { code: 'decrypt_failed' }, 'no case envelope opens with the org key');
  const storedCase = await T.database.sql`select field, sealed from case_fields where case_id = ${caseId}`;
  for (const f of storedCase) t.throws(() => openField(f.sealed as string, dek, caseFieldAd(caseId, f.field as string)), { code: 'decrypt_failed' }, `the referral key does not open case field ${f.field}`);

  t.equal((await as(pb, 'GET', `/v1/referrals/${main}`)).statusCode, 404, 'another partner organisation: not found');
  t.same((await as(pb, 'GET', '/v1/referrals')).json().items, []);
  t.equal((await as(pb, 'POST', `/v1/referrals/${main}/accept`)).statusCode, 404);

  const mine = (await as(officer, 'GET', `/v1/referrals/${main}`)).json();
  t.same(mine.envelopes.map((e: { keyId: string }) => e.keyId), [p.body.envelopes[1]!.keyId], 'staff get their own envelope');
  t.same(openField(mine.packet.narrative, openEnvelope(mine.envelopes[0], await keysOf(officer)), referralFieldAd(main, 'narrative')), secrets.narrative);
});

const reportId = randomUUID();
t.test('the partner accepts and reports progress; the officer reads the note', async (t) => {
  const acc = await as(pa, 'POST', `/v1/referrals/${main}/accept`);
  t.equal(acc.statusCode, 200, acc.body);
  t.equal(acc.json().state, 'accepted');
  t.same(await deadlinesOf(main), ['referral_report:open', 'referral_response:settled']);
  // The partner's client opens the referral key from the organisation's envelope, with the organisation key.
  const received = (await as(pa, 'GET', `/v1/referrals/${main}`)).json();
  const referralDek = openEnvelope(received.envelopes[0], await orgKeyPairOf(pa, received.envelopes[0].keyId));
  const note = sealField({ text: `Avocat désigné ${MARK}` }, referralDek, referralReportAd(main, reportId));
  const r = await as(pa, 'POST', `/v1/referrals/${main}/reports`, { id: reportId, status: 'in_progress', note });
  t.equal(r.statusCode, 201, r.body);
  t.same(await deadlinesOf(main), ['referral_report:open', 'referral_report:settled', 'referral_response:settled'], 'the report period starts again');
  // The partner follows its own deadline (access.md, deadline.list: own referrals), never the case behind it.
  const mine = (await as(pa, 'GET', '/v1/deadlines')).json().items as Array<Record<string, unknown>>;
  t.same(mine.map((d) => [d.rule, d.subjectId, d.state, d.caseId, d.reference]), [['referral_report', main, 'open', null, null]], "the partner sees its referral's report deadline, without the case id or reference");
  t.same((await as(pb, 'GET', '/v1/deadlines')).json().items, [], 'another organisation sees none of it');
  const dup = await as(pa, 'POST', `/v1/referrals/${main}/reports`, { id: reportId, status: 'in_progress' });
  t.equal(dup.json().code, 'already_exists');
  t.equal((await as(officer, 'POST', `/v1/referrals/${main}/reports`, { id: randomUUID(), status: 'in_progress' })).statusCode, 403, 'staff do not report for the partner');
  const seen = (await as(officer, 'GET', `/v1/referrals/${main}`)).json();
  const officerDek = openEnvelope(seen.envelopes[0], await keysOf(officer));
  t.same(openField(seen.reports[0].note, officerDek, referralReportAd(main, seen.reports[0].id)), { text: `Avocat désigné ${MARK}` });
  const [progress] = await T.database.sql`select payload from outbox where topic = 'referral.progress_reported'`;
  t.same(progress!.payload, { caseId, reference: filed.reference, referralId: main, reportId, status: 'in_progress' });
});

t.test('the officer withdraws the referral: packet and envelopes gone, the partner’s access ends', async (t) => {
  t.equal((await as(otherOfficer, 'POST', `/v1/referrals/${main}/withdraw`, { reason: 'not mine' })).statusCode, 404);
  const r = await as(officer, 'POST', `/v1/referrals/${main}/withdraw`, { reason: 'the defender has found a lawyer' });
  t.equal(r.statusCode, 200, r.body);
  t.equal(r.json().state, 'withdrawn');
  const row = (await referralRow(main))!;
  t.equal(row.packet, null);
  t.equal(await envelopeCount(main), 0);
  t.notOk((await deadlinesOf(main)).some((d) => d.endsWith(':open')), 'its deadlines are settled');
  // The partner still sees that the referral ended, and nothing of it: no packet, no envelope, not the staff's reason.
  const ended = await as(pa, 'GET', `/v1/referrals/${main}`);
  t.equal(ended.statusCode, 200, ended.body);
  t.match(ended.json(), { referral: { id: main, state: 'withdrawn', hasPacket: false, endReason: null }, packet: null, envelopes: [] });
  t.notMatch(ended.body, /found a lawyer/, "the withdrawal's reason stays with the staff");
  t.same((await as(pa, 'GET', '/v1/referrals')).json().items.map((i: { id: string; state: string }) => [i.id, i.state]), [[main, 'withdrawn']], 'its inbox shows it withdrawn');
  t.equal((await as(pa, 'POST', `/v1/referrals/${main}/reports`, { id: randomUUID(), status: 'completed' })).statusCode, 404);
  t.equal((await as(officer, 'POST', `/v1/referrals/${main}/withdraw`, { reason: 'again' })).json().code, 'invalid_transition');
  const [tl] = await T.database.sql`select actor, reason from case_timeline where action = 'referral.withdrawn' and case_id = ${caseId}`;
  t.equal(tl!.actor, `u:${officer.id}`);
  const audited = await T.database.sql`select reason from audit_events where action = 'referral.withdraw' and outcome = 'allowed' and resource = ${`referral:${main}`}`;
  t.same(audited.map((a) => a.reason), ['the defender has found a lawyer']);
});

/** Proposes, has the defender consent and uploads the packet: a referral in state `sent`. */
async function sentReferral(fields: string[], purpose: string, onCase = caseId, d = defender) {
  const id = randomUUID();
  await must(propose(officer, { id, orgId: asf.id, fields, purpose }, onCase), 201, 'propose');
  await must(as(d, 'POST', `/v1/referrals/${id}/consent`, { decision: 'consent' }), 200, 'consent');
  const p = await packetFor(officer, onCase, id, fields, { id: asf.id, ...(await currentOrgKey(asf.id)) });
  await must(as(officer, 'POST', `/v1/referrals/${id}/packet`, p.body), 200, 'packet');
  return id;
}

t.test('the partner declines with a reason; the packet is deleted', async (t) => {
  const id = await sentReferral(['narrative'], 'medical_care');
  t.equal((await as(pa, 'POST', `/v1/referrals/${id}/decline`, {})).statusCode, 400, 'a reason is required');
  const r = await as(pa, 'POST', `/v1/referrals/${id}/decline`, { reason: 'outside our mandate' });
  t.equal(r.statusCode, 200, r.body);
  t.equal(r.json().state, 'declined');
  t.equal(r.json().responseReason, 'outside our mandate');
  t.equal((await referralRow(id))!.packet, null);
  t.equal(await envelopeCount(id), 0);
  t.same(await deadlinesOf(id), ['referral_response:settled']);
  t.equal((await as(pa, 'POST', `/v1/referrals/${id}/accept`)).json().code, 'invalid_transition');
  const [seen] = (await as(officer, 'GET', `/v1/cases/${caseId}/referrals`)).json().items.filter((i: { id: string }) => i.id === id);
  t.equal(seen.state, 'declined');
  t.equal(seen.responseReason, 'outside our mandate');
});

t.test('a final report closes the referral and its report deadline', async (t) => {
  const id = await sentReferral(['contact'], 'psychosocial_support');
  await must(as(pa, 'POST', `/v1/referrals/${id}/accept`), 200, 'accept');
  const r = await as(pa, 'POST', `/v1/referrals/${id}/reports`, { id: randomUUID(), status: 'completed' });
  t.equal(r.statusCode, 201, r.body);
  t.equal(r.json().referral.state, 'closed');
  t.same(await deadlinesOf(id), ['referral_report:settled', 'referral_response:settled']);
  t.equal((await as(pa, 'POST', `/v1/referrals/${id}/reports`, { id: randomUUID(), status: 'in_progress' })).json().code, 'invalid_transition');
});

t.test('oral consent is recorded by the assigned officer with an attestation; a refusal is final', async (t) => {
  const id = randomUUID();
  await must(propose(officer, { id, orgId: asf.id, fields: ['location'], purpose: 'relocation' }), 201, 'propose');
  const bare = await as(officer, 'POST', `/v1/referrals/${id}/consent`, { decision: 'consent' });
  t.equal(bare.statusCode, 400, 'no attestation');
  t.equal(bare.json().errors[0].field, '/body/attestation');
  t.equal((await referralRow(id))!.state, 'awaiting_consent', 'nothing changed');
  const attestation = { channel: 'phone_call', takenAt: new Date(T.clock.now().getTime() - 60_000).toISOString(), statement: 'Recipient, fields and purpose read out by phone; the defender agreed.' };
  t.equal((await as(officer, 'POST', `/v1/referrals/${id}/consent`, { decision: 'consent', attestation: { ...attestation, channel: 'telepathy' } })).statusCode, 400, 'an unknown channel');
  t.equal((await as(officer, 'POST', `/v1/referrals/${id}/consent`, { decision: 'consent', attestation: { ...attestation, takenAt: '2030-01-01T00:00:00.000Z' } })).statusCode, 400, 'taken in the future');
  t.equal((await as(otherOfficer, 'POST', `/v1/referrals/${id}/consent`, { decision: 'consent', attestation })).statusCode, 404, 'an officer not assigned');
  t.equal((await as(supervisor, 'POST', `/v1/referrals/${id}/consent`, { decision: 'consent', attestation })).statusCode, 403, 'the policy lets the assigned officer record it');
  const r = await as(officer, 'POST', `/v1/referrals/${id}/consent`, { decision: 'consent', attestation });
  t.equal(r.statusCode, 200, r.body);
  const row = (await referralRow(id))!;
  t.equal(row.state, 'consented');
  t.equal(row.consent_basis, 'oral');
  t.equal(row.consent_by, `u:${officer.id}`);
  t.same(row.consent_attestation, attestation);

  const refused = randomUUID();
  await must(propose(officer, { id: refused, orgId: asf.id, fields: ['identity'], purpose: 'advocacy' }), 201, 'propose');
  const no = await as(defender, 'POST', `/v1/referrals/${refused}/consent`, { decision: 'refuse' });
  t.equal(no.statusCode, 200, no.body);
  t.equal(no.json().state, 'refused');
  const p = await packetFor(officer, caseId, refused, ['identity'], { id: asf.id, ...(await currentOrgKey(asf.id)) });
  t.equal((await as(officer, 'POST', `/v1/referrals/${refused}/packet`, p.body)).json().code, 'consent_required');
  t.equal((await as(officer, 'POST', `/v1/referrals/${refused}/consent`, { decision: 'consent', attestation })).json().code, 'invalid_transition');
});

t.test('life-threat exception: a supervisor refers to a state authority without consent, the defender is told', async (t) => {
  const reason = 'Menace de mort imminente signalée cette nuit';
  const before = await counts();
  const byOfficer = await propose(officer, { id: randomUUID(), orgId: police.id, fields: ['identity', 'location'], purpose: 'protection_measure', lifeThreat: { reason } });
  t.equal(byOfficer.statusCode, 403);
  t.equal(byOfficer.json().code, 'forbidden');
  const toNgo = await propose(supervisor, { id: randomUUID(), orgId: asf.id, fields: ['identity', 'location'], purpose: 'protection_measure', lifeThreat: { reason } });
  t.equal(toNgo.statusCode, 409);
  t.equal(toNgo.json().code, 'recipient_not_eligible');
  t.same(await counts(), before, 'nothing written');

  const id = randomUUID();
  const r = await propose(supervisor, { id, orgId: police.id, fields: ['identity', 'location'], purpose: 'protection_measure', lifeThreat: { reason } });
  t.equal(r.statusCode, 201, r.body);
  t.equal(r.json().state, 'consented');
  t.equal(r.json().consentBasis, 'life_threat');
  t.ok(r.json().defenderToldAt);
  const audited = await T.database.sql`select reason, role from audit_events where action = 'referral.exception' and outcome = 'allowed' and resource = ${`referral:${id}`}`;
  t.same(audited.map((a) => [a.role, a.reason]), [['supervisor', reason]], 'the reason is in the audit log');
  const [told] = await T.database.sql`select payload from outbox where topic = 'referral.defender_to_be_told'`;
  t.same(told!.payload, { caseId, reference: filed.reference, referralId: id });

  const mine = (await as(defender, 'GET', `/v1/cases/${caseId}/referrals`)).json().items.filter((i: { id: string }) => i.id === id);
  t.equal(mine.length, 1, 'the defender sees it');
  t.equal(mine[0].madeWithoutConsent, true);
  t.equal(mine[0].orgCategory, 'state_authority');
  t.notOk('createdBy' in mine[0] || 'consentBy' in mine[0]);
  t.equal((await as(defender, 'GET', `/v1/referrals/${id}`)).json().referral.madeWithoutConsent, true);

  // The supervisor is not part of the case: reading it to build the packet is a break-glass, with
  // the reason written for the auditors; then their client opens the case key through the mechanism key.
  t.equal((await as(supervisor, 'GET', `/v1/cases/${caseId}/sealed`)).json().code, 'break_glass_required');
  t.equal((await as(supervisor, 'POST', `/v1/cases/${caseId}/break-glass`, { reason: 'Menace de mort imminente signalée cette nuit : envoi à la police sans consentement.' })).statusCode, 201);
  const p = await packetFor(supervisor, caseId, id, ['identity', 'location'], { id: police.id, ...(await currentOrgKey(police.id)) });
  const sent = await as(supervisor, 'POST', `/v1/referrals/${id}/packet`, p.body);
  t.equal(sent.statusCode, 200, sent.body);
  const got = (await as(pp, 'GET', `/v1/referrals/${id}`)).json();
  t.equal(got.referral.consentBasis, 'life_threat');
  const dek = openEnvelope(got.envelopes[0], await orgKeyPairOf(pp, policeKey.keyId));
  t.same(openField(got.packet.location, dek, referralFieldAd(id, 'location')), secrets.location);
});

t.test('no referral from a case that is not yet taken or is closed', async (t) => {
  const fresh = await fileCase(T, dep);
  const before = await counts();
  const r1 = await propose(supervisor, { id: randomUUID(), orgId: asf.id, fields: ['identity'], purpose: 'advocacy' }, fresh.caseId);
  t.equal(r1.statusCode, 409);
  t.equal(r1.json().code, 'invalid_transition');
  await must(act(T, supervisor, fresh.caseId, 'acknowledge', { assigneeId: officer.id }), 200, 'acknowledge');
  await must(act(T, officer, fresh.caseId, 'decline', { reason: 'hors mandat', declineReason: 'outside_mandate' }), 200, 'decline');
  const r2 = await propose(officer, { id: randomUUID(), orgId: asf.id, fields: ['identity'], purpose: 'advocacy' }, fresh.caseId);
  t.equal(r2.statusCode, 409);
  t.equal(r2.json().code, 'invalid_transition');
  t.same(await counts(), before);
  const denied = await T.database.sql`select count(*)::int as n from audit_events where action = 'referral.create' and outcome = 'denied' and case_id = ${fresh.caseId}`;
  t.equal(denied[0]!.n, 2, 'refusals audited');
});

t.test('withdrawOpenReferrals stops every open referral of a case in the caller’s transaction', async (t) => {
  const second = await fileCase(T, dep, { secrets: { identity: 'B', contact: 'C', narrative: `N ${MARK}` } });
  await admit(second.caseId);
  const awaiting = randomUUID();
  await must(propose(officer, { id: awaiting, orgId: asf.id, fields: ['identity'], purpose: 'advocacy' }, second.caseId), 201, 'propose');
  const sent = await sentReferral(['narrative'], 'investigation', second.caseId, second.defender);
  const accepted = await sentReferral(['contact'], 'legal_assistance', second.caseId, second.defender);
  await must(as(pa, 'POST', `/v1/referrals/${accepted}/accept`), 200, 'accept');
  const declined = await sentReferral(['identity'], 'emergency_grant', second.caseId, second.defender);
  await must(as(pa, 'POST', `/v1/referrals/${declined}/decline`, { reason: 'no funds left' }), 200, 'decline');

  const svc = T.app.container.services;
  const n = await svc.db.transaction((tx) => svc.referrals.withdrawOpenReferrals(second.caseId, 'consent_withdrawn', T.clock.now(), tx));
  t.equal(n, 3);
  const rows = await T.database.sql`select id, state, packet, end_reason from referrals where case_id = ${second.caseId}`;
  const byId = Object.fromEntries(rows.map((r) => [r.id as string, r]));
  for (const id of [awaiting, sent, accepted]) {
    t.equal(byId[id]!.state, 'withdrawn');
    t.equal(byId[id]!.packet, null);
    t.equal(byId[id]!.end_reason, 'consent_withdrawn');
    t.equal(await envelopeCount(id), 0);
    t.notOk((await deadlinesOf(id)).some((d) => d.endsWith(':open')), 'deadlines settled');
  }
  t.equal(byId[declined]!.state, 'declined', 'a final referral is left as it is');
  const after = (await as(pa, 'GET', `/v1/referrals/${accepted}`)).json();
  t.match(after, { referral: { state: 'withdrawn', endReason: null }, packet: null, envelopes: [] }, 'the partner’s access ended: it sees the withdrawal, nothing of the packet');
  const audited = await T.database.sql`select count(*)::int as n from audit_events where action = 'referral.withdraw' and outcome = 'allowed' and case_id = ${second.caseId}`;
  t.equal(audited[0]!.n, 3);
  t.equal(await svc.db.transaction((tx) => svc.referrals.withdrawOpenReferrals(second.caseId, 'again', T.clock.now(), tx)), 0, 'nothing left to withdraw');
});

t.test('no plaintext marker in the referral tables, the outbox, the timeline, the audit log or the logs', async (t) => {
  const dump = await T.database.sql`
    select coalesce((select string_agg(x::text, '|') from referrals x), '') || coalesce((select string_agg(x::text, '|') from referral_envelopes x), '')
      || coalesce((select string_agg(x::text, '|') from referral_reports x), '') || coalesce((select string_agg(x::text, '|') from outbox x), '')
      || coalesce((select string_agg(x::text, '|') from case_timeline x), '') || coalesce((select string_agg(x::text, '|') from audit_events x), '') as s`;
  const s = dump[0]!.s as string;
  t.ok(s.length > 1000);
  t.notOk(s.includes(MARK), 'database');
  t.notOk(T.logs.join('\n').includes(MARK), 'logs');
  const reports = await T.database.sql`select note from referral_reports where note is not null`;
  t.ok(reports.length >= 1 && reports.every((r) => (r.note as string).startsWith('v2.')), 'notes are sealed');
});
