/**
 * The whole path of an ordinary case, told in order, each step through HTTP as the person who
 * takes it: a defender files online and logs in with the receipt; an officer takes
 * the case from the pool and gets the case key from the supervisor; information is asked for and
 * given (the triage clock stops meanwhile); the case is admitted, assessed (high) and a measure is
 * consented to and approved by a supervisor; a partner NGO receives a referral packet it alone can
 * open; the defender checks in, reports a new incident (reassessment), protection goes on; the
 * measure is lifted, an appeal is heard, a late one refused; the case closes as risk_ceased. At
 * each step: who can open what, wrong steps refused with nothing changed, the deadlines; at the
 * end: the timeline, and no plaintext anywhere the service writes.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, reauth, caseRow, fileCase, grantCaseKey } from '../helpers/world.js';
import { findLeaks, leakSearchScope } from '../helpers/leaks.js';
import { CASE_READS, buildPacket, createCaller, deadlineStates, liveRules, noCaseEnvelopeOpens, openCaseFields, partnerOrg } from './story-kit.js';
import {
  appealGroundsAd,
  assessmentFieldAd,
  caseFieldAd,
  caseReportNoteAd,
  deriveReceiptKeys,
  measureDetailsAd,
  messageBodyAd,
  openEnvelope,
  openField,
  ready,
  referralFieldAd,
  referralReportAd,
  sealField,
  toB64u,
} from '../../src/sdk/index.js';

await ready();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Monday 1 June 2026, 08:00 in Bamako (UTC+0): no public holiday in the working-day windows below.
// Sessions last 30 days of the test clock, so that staff refresh their tokens instead of logging
// in again (Argon2id) at each move of the clock.
const T = await buildTestApp(t, { now: '2026-06-01T08:00:00.000Z', env: { REFRESH_TOKEN_TTL_SECONDS: String(30 * 24 * 3600) } });
const dep = await bootstrap(T);
const { admin, supervisor } = dep;
const awa = await enrolActor(T, admin, { username: 'officer-awa', role: 'officer', orgId: dep.mechanismId });
const moussa = await enrolActor(T, admin, { username: 'officer-moussa', role: 'officer', orgId: dep.mechanismId });
// A second supervisor, who holds no mechanism key: sees every case's metadata, opens nothing.
const fatou = await enrolActor(T, admin, { username: 'supervisor-fatou', role: 'supervisor', orgId: dep.mechanismId });
const asf = await partnerOrg(T, admin, { name: 'Avocats sans frontières Mali', username: 'partner-asf' });
const otherOrg = await partnerOrg(T, admin, { name: 'Réseau des avocats du Sahel', category: 'lawyers', username: 'partner-sahel' });
const { as, must, fresh, loggedIn, caseKey } = createCaller(T);
const sql = T.database.sql;

const MARK = `MARQUEUR-${randomUUID()}`;
const secrets = {
  identity: { fullName: `Aminata Traoré ${MARK}` },
  contact: { phone: `+223 70 00 00 00 ${MARK}` },
  location: { city: 'Mopti', details: `quartier Sévaré ${MARK}` },
  narrative: { text: `Menaces reçues par SMS le 3 mai, puis visite nocturne. ${MARK}` },
  relatives: [{ name: `Fatoumata Traoré ${MARK}`, relation: 'sœur' }],
};
const filedAt = T.clock.now().getTime();
const filed = await fileCase(T, dep, { secrets });
const { caseId, defender } = filed;
loggedIn(defender);
const D = `d:${caseId}`;

type Rows = Array<Record<string, unknown>>;
const plain = (rows: Rows) => rows.map((r) => ({ ...r }));
/** Everything a refused command could have touched on the case. */
async function snapshot() {
  return {
    row: { ...(await caseRow(T, caseId)) },
    timeline: (await sql`select count(*)::int as n from case_timeline where case_id = ${caseId}`)[0]!.n as number,
    deadlines: await deadlineStates(T, caseId),
    outbox: (await sql`select count(*)::int as n from outbox`)[0]!.n as number,
    assessments: plain(await sql`select * from assessments where case_id = ${caseId} order by id`),
    measures: plain(await sql`select * from measures where case_id = ${caseId} order by id`),
    referrals: plain(await sql`select * from referrals where case_id = ${caseId} order by id`),
    referralEnvelopes: (await sql`select count(*)::int as n from referral_envelopes`)[0]!.n as number,
    appeals: plain(await sql`select * from appeals where case_id = ${caseId} order by id`),
  };
}
const deadlinesOf = async (rule: string) => (await deadlineStates(T, caseId)).filter((d) => d.rule === rule);
const iso = (ms: number) => new Date(ms).toISOString();

// What the story carries from one step to the next.
let awaDek: Uint8Array = new Uint8Array();
let referralDek: Uint8Array = new Uint8Array();
const measureId = randomUUID();
const referralId = randomUUID();
const incidentId = randomUUID();
let approvedAt = 0;
let providedView: Record<string, unknown> = {};
let liftedAt = 0;

t.test('a defender files online with the SDK; the receipt logs in and opens every field', async (t) => {
  t.match(filed.reference, /^2026-\d{5}$/);
  t.match(await caseRow(T, caseId), { state: 'received', urgent: false, urgent_claimed: false, assignee_id: null, source: 'online', consent: 'given' });
  const view = await as(defender, 'GET', `/v1/cases/${caseId}`);
  t.equal(view.statusCode, 200, view.body);
  t.match(view.json().case, { id: caseId, reference: filed.reference, state: 'received' });
  t.notOk('assigneeId' in view.json().case, 'the defender sees no staff ids');
  const sealed = await must<{ fields: Record<string, string> }>(as(defender, 'GET', `/v1/cases/${caseId}/sealed`));
  t.same(Object.keys(sealed.fields).sort(), ['contact', 'identity', 'location', 'narrative', 'relatives']);
  t.ok(Object.values(sealed.fields).every((v) => v.startsWith('v2.')), 'the server holds sealed fields only (format 2, padded)');
  t.same(openCaseFields(sealed.fields, defender.dek, caseId), secrets, "the defender opens every field with the case key from their own envelope");
  const [ack] = await deadlinesOf('acknowledge');
  t.match(ack, { state: 'open', dueAt: iso(filedAt + 48 * HOUR), urgent: false }, 'acknowledgement within 48 h');
  t.same(await liveRules(T, caseId), ['acknowledge']);
});

t.test('an officer takes the case from the pool; it cannot be admitted before', async (t) => {
  const pool = await must<{ items: Array<{ id: string; state: string; assigneeId: string | null }> }>(as(awa, 'GET', '/v1/cases?state=received'));
  t.match(
    pool.items.find((i) => i.id === caseId),
    { state: 'received', assigneeId: null },
    'the officer lists it in the pool',
  );
  const adminList = await as(admin, 'GET', '/v1/cases');
  t.equal(adminList.statusCode, 403);
  t.equal(adminList.json().code, 'forbidden', 'an admin lists no case');

  const before = await snapshot();
  const early = await as(supervisor, 'POST', `/v1/cases/${caseId}/admit`, {});
  t.equal(early.statusCode, 409, 'admit a case in received');
  t.equal(early.json().code, 'invalid_transition');
  t.same(await snapshot(), before, 'nothing changed');
  const denied = await sql`select reason from audit_events where action = 'case.triage' and case_id = ${caseId} and outcome = 'denied'`;
  t.equal(denied.length, 1, 'the refusal is audited');

  const ack = await as(awa, 'POST', `/v1/cases/${caseId}/acknowledge`, {});
  t.equal(ack.statusCode, 200, ack.body);
  t.match(ack.json(), { state: 'triage', assigneeId: awa.id });
  t.match(await deadlinesOf('acknowledge'), [{ state: 'settled' }], 'acknowledge deadline settled');
  // Acknowledged Monday 1 June: 5 working days end on Monday 8 June at midnight, Bamako time.
  t.match(await deadlinesOf('triage'), [{ state: 'open', dueAt: '2026-06-08T23:59:59.000Z' }]);
  const others = await must<{ items: Array<{ id: string }> }>(as(moussa, 'GET', '/v1/cases'));
  t.notOk(
    others.items.some((i) => i.id === caseId),
    'another officer no longer lists it',
  );
});

t.test('the supervisor gives the officer the case key; who can open the case and who cannot', async (t) => {
  const noKey = await as(awa, 'GET', `/v1/cases/${caseId}/sealed`);
  t.equal(noKey.statusCode, 409, 'assigned, but no key yet');
  t.equal(noKey.json().code, 'no_envelope', 'told to ask a supervisor for it');
  await fresh(supervisor);
  await grantCaseKey(T, supervisor, caseId, awa);
  awaDek = await caseKey(awa, caseId);
  const supervisorDek = await caseKey(supervisor, caseId);
  const sealed = await must<{ fields: Record<string, string> }>(as(awa, 'GET', `/v1/cases/${caseId}/sealed`));
  t.same(openCaseFields(sealed.fields, awaDek, caseId), secrets, 'the assigned officer opens the case (own envelope)');
  t.same(openCaseFields(sealed.fields, supervisorDek, caseId), secrets, 'the supervisor opens it (mechanism key)');

  for (const path of CASE_READS) {
    const other = await as(moussa, 'GET', `/v1/cases/${caseId}${path}`);
    t.equal(other.statusCode, 404, `another officer: 404 on ${path || 'the case'}`);
    t.equal(other.json().code, 'not_found');
    const a = await as(admin, 'GET', `/v1/cases/${caseId}${path}`);
    t.equal(a.statusCode, 403, `an admin: 403 on ${path || 'the case'}`);
    t.equal(a.json().code, 'forbidden');
    const p = await as(asf.member, 'GET', `/v1/cases/${caseId}${path}`);
    t.equal(p.statusCode, 403, `a partner: 403 on ${path || 'the case'}`);
  }
  for (const [step, body] of [
    ['acknowledge', {}],
    ['request-info', { reason: 'une question' }],
    ['close', { reason: 'sans objet', closeReason: 'duplicate' }],
    ['withdraw', {}],
  ] as const) {
    const r = await as(admin, 'POST', `/v1/cases/${caseId}/${step}`, body);
    t.equal(r.statusCode, 403, `an admin cannot ${step}`);
    t.equal(r.json().code, 'forbidden');
  }
  for (const path of ['/assessments', '/timeline']) {
    const r = await as(defender, 'GET', `/v1/cases/${caseId}${path}`);
    t.equal(r.statusCode, 403, `the defender: 403 on ${path}`);
    t.equal(r.json().code, 'forbidden');
  }
  t.equal((await as(fatou, 'GET', `/v1/cases/${caseId}`)).statusCode, 200, 'a supervisor without the mechanism key reads the metadata');
  const fatouSealed = await as(fatou, 'GET', `/v1/cases/${caseId}/sealed`);
  t.equal(fatouSealed.json().code, 'no_envelope', 'on intake duty, but holds no envelope of the case');
  for (const [who, keyPair] of [
    ['another officer', moussa.keyPair],
    ['a supervisor without the mechanism key', fatou.keyPair],
    ['the partner organisation', asf.keyPair],
  ] as const) {
    const tried = await noCaseEnvelopeOpens(T, caseId, keyPair);
    t.same(tried, { tried: 3, opened: 0 }, `no case envelope opens with the key of ${who}`);
  }
});

t.test('the officer asks for information; the defender answers by message; the triage clock stops meanwhile', async (t) => {
  const asked = await as(awa, 'POST', `/v1/cases/${caseId}/request-info`, { reason: 'Date et lieu de la dernière menace manquants' });
  t.equal(asked.statusCode, 200, asked.body);
  t.equal(asked.json().state, 'info_requested');
  const askedAt = T.clock.now().getTime();
  t.match(await deadlinesOf('triage'), [{ state: 'paused', dueAt: '2026-06-08T23:59:59.000Z' }], 'triage paused');
  t.match(await deadlinesOf('info_reply'), [{ state: 'open', dueAt: iso(askedAt + 14 * DAY) }], 'the defender has 14 days');
  const mine = await must<{ deadlines: Array<{ rule: string }> }>(as(defender, 'GET', `/v1/cases/${caseId}`));
  t.same(
    mine.deadlines.map((d) => d.rule),
    ['info_reply'],
    'the defender sees what is asked of them',
  );

  const before = await snapshot();
  const admit = await as(awa, 'POST', `/v1/cases/${caseId}/admit`, {});
  t.equal(admit.statusCode, 409, 'admit while waiting for the defender');
  t.equal(admit.json().code, 'invalid_transition');
  const forDefender = await as(awa, 'POST', `/v1/cases/${caseId}/provide-info`, {});
  t.equal(forDefender.statusCode, 403, 'only the defender answers');
  t.equal(forDefender.json().code, 'forbidden');
  t.same(await snapshot(), before, 'nothing changed');

  T.clock.advance(DAY); // the defender answers on Tuesday
  const messageId = randomUUID();
  const text = `Le 3 mai vers 23 h, devant la maison. ${MARK}`;
  const sent = await as(defender, 'POST', `/v1/cases/${caseId}/messages`, { id: messageId, body: sealField({ text }, defender.dek, messageBodyAd(messageId, D)) });
  t.equal(sent.statusCode, 201, sent.body);
  const seen = await must<{ items: Array<{ id: string; sender: string; body: string }> }>(as(awa, 'GET', `/v1/cases/${caseId}/messages`));
  const m = seen.items.find((x) => x.id === messageId)!;
  t.same(openField(m.body, awaDek, messageBodyAd(m.id, m.sender)), { text }, 'the officer opens the answer');
  const replyId = randomUUID();
  const reply = `Merci, nous reprenons l'examen. ${MARK}`;
  t.equal((await as(awa, 'POST', `/v1/cases/${caseId}/messages`, { id: replyId, body: sealField({ text: reply }, awaDek, messageBodyAd(replyId, `u:${awa.id}`)) })).statusCode, 201);
  const back = await must<{ items: Array<{ id: string; sender: string; body: string }> }>(as(defender, 'GET', `/v1/cases/${caseId}/messages`));
  const r = back.items.find((x) => x.id === replyId)!;
  t.same(openField(r.body, defender.dek, messageBodyAd(r.id, r.sender)), { text: reply }, 'the defender opens the reply');

  const provided = await as(defender, 'POST', `/v1/cases/${caseId}/provide-info`, {});
  t.equal(provided.statusCode, 200, provided.body);
  providedView = provided.json();
  t.equal(provided.json().state, 'triage');
  t.match(await deadlinesOf('info_reply'), [{ state: 'settled' }]);
  // Paused on Monday with 5 working days left, resumed on Tuesday: the 5th working day after it.
  t.match(await deadlinesOf('triage'), [{ state: 'open', dueAt: '2026-06-09T23:59:59.000Z' }], 'triage resumed, the waiting day given back');
});

// access.md: the defender sees their own case, "never ... staff names"; GET /v1/cases/:id gives
// them the defender view, but a transition they take (provide-info) answers with the staff view.
t.test('the defender’s answer to provide-info shows them only the defender view', async (t) => {
  t.equal(providedView.state, 'triage');
  for (const k of ['assigneeId', 'supervisorId', 'riskLevel', 'urgent', 'mechanismKeyId']) t.notOk(k in providedView, `no ${k} for the defender`);
});

t.test('admitted; the officer records an assessment (high) and completes it', async (t) => {
  const admitted = await as(awa, 'POST', `/v1/cases/${caseId}/admit`, {});
  t.equal(admitted.statusCode, 200, admitted.body);
  t.equal(admitted.json().state, 'assessment');
  const admittedAt = T.clock.now().getTime();
  t.match(await deadlinesOf('triage'), [{ state: 'settled' }]);
  t.match(await deadlinesOf('assessment'), [{ state: 'open', dueAt: iso(admittedAt + 10 * DAY) }]);

  const before = await snapshot();
  const early = await as(awa, 'POST', `/v1/cases/${caseId}/complete-assessment`, {});
  t.equal(early.statusCode, 409, 'complete an assessment with no version recorded');
  t.equal(early.json().code, 'assessment_required');
  t.same(await snapshot(), before, 'nothing changed');

  const id = randomUUID();
  const narratives: Record<string, string> = {
    'threats.0.facts': `SMS et visite nocturne. ${MARK}`,
    'threats.0.pattern': `Trois fois en un mois. ${MARK}`,
    'threats.0.objective': `La faire taire. ${MARK}`,
    'threats.0.perpetrator': `Un réseau de trafiquants. ${MARK}`,
    'threats.0.feasibility': `Ils savent où elle vit. ${MARK}`,
    'reasoning.vulnerability': `Vit seule près du marché. ${MARK}`,
    'reasoning.capacity': `Un réseau de journalistes la soutient. ${MARK}`,
  };
  const v1 = await as(awa, 'POST', `/v1/cases/${caseId}/assessments`, {
    id,
    threats: [{ kind: 'declared', source: 'criminal_group', canBeCarriedOut: 'yes', imminent: false, rating: 4 }],
    vulnerability: { factors: ['exposed_location', 'family_exposed'], rating: 3 },
    capacity: { factors: ['support_network'], rating: 2 },
    sealed: Object.fromEntries(Object.entries(narratives).map(([f, v]) => [f, sealField(v, awaDek, assessmentFieldAd(id, f))])),
  });
  t.equal(v1.statusCode, 201, v1.body);
  t.match(v1.json(), { version: 1, score: 6, level: 'high', override: false, caseUrgent: false });
  t.equal((await caseRow(T, caseId)).risk_level, 'high');
  const list = await must<{ versions: Array<{ id: string; sealed: Record<string, string> }> }>(as(awa, 'GET', `/v1/cases/${caseId}/assessments`));
  const v = list.versions[0]!;
  t.same(Object.fromEntries(Object.entries(v.sealed).map(([f, s]) => [f, openField(s, awaDek, assessmentFieldAd(v.id, f))])), narratives, 'the officer opens the narratives');
  // Past triage the supervisor is outside the case until something waits on them (docs/break-glass.md).
  const outside = await must<{ versions: Array<{ level: string; sealed: Record<string, string>; sealedWithheld?: boolean }> }>(as(supervisor, 'GET', `/v1/cases/${caseId}/assessments`));
  t.match(outside.versions[0], { level: 'high', sealed: {}, sealedWithheld: true }, 'the supervisor sees the level, not the narratives');
  t.equal((await as(moussa, 'GET', `/v1/cases/${caseId}/assessments`)).statusCode, 404);

  const done = await as(awa, 'POST', `/v1/cases/${caseId}/complete-assessment`, {});
  t.equal(done.statusCode, 200, done.body);
  t.equal(done.json().state, 'decision');
  t.match(await deadlinesOf('assessment'), [{ state: 'settled' }]);
  // Completed Tuesday 2 June: 3 working days end Friday 5 June at midnight.
  t.match(await deadlinesOf('decision'), [{ state: 'open', dueAt: '2026-06-05T23:59:59.000Z' }]);
});

t.test('a measure: proposed by the officer, consented by the defender, approved by a supervisor; the case enters protection', async (t) => {
  const details = `Serrures et caméras au 12 rue du Fleuve. ${MARK}`;
  const proposed = await as(awa, 'POST', `/v1/cases/${caseId}/measures`, { id: measureId, code: 'securing_premises', implementer: 'cndh', details: sealField({ text: details }, awaDek, measureDetailsAd(measureId)) });
  t.equal(proposed.statusCode, 201, proposed.body);
  t.match(proposed.json(), { status: 'proposed', urgent: false, proposedBy: awa.id });

  const before = await snapshot();
  const tooEarly = await as(supervisor, 'POST', `/v1/measures/${measureId}/decision`, { decision: 'approve', reason: 'Locaux exposés.' });
  t.equal(tooEarly.statusCode, 409, 'approve before consent');
  t.equal(tooEarly.json().code, 'consent_required');
  const byProposer = await as(awa, 'POST', `/v1/measures/${measureId}/decision`, { decision: 'approve', reason: 'Je valide.' });
  t.equal(byProposer.statusCode, 403, 'the officer who proposed it approves nothing');
  t.equal(byProposer.json().code, 'forbidden');
  t.same(await snapshot(), before, 'nothing changed');

  const theirs = await must<{ items: Array<{ id: string; details: string }> }>(as(defender, 'GET', `/v1/cases/${caseId}/measures`));
  t.same(openField(theirs.items[0]!.details, defender.dek, measureDetailsAd(measureId)), { text: details }, 'the defender opens the details before consenting');
  const consent = await as(defender, 'POST', `/v1/measures/${measureId}/consent`, { decision: 'consent' });
  t.equal(consent.statusCode, 200, consent.body);
  const approved = await as(supervisor, 'POST', `/v1/measures/${measureId}/decision`, { decision: 'approve', reason: 'Menaces établies, locaux exposés.' });
  t.equal(approved.statusCode, 200, approved.body);
  t.match(approved.json(), { status: 'approved', decidedBy: supervisor.id });
  approvedAt = T.clock.now().getTime();
  t.equal((await caseRow(T, caseId)).state, 'protection');
  t.match(await deadlinesOf('decision'), [{ state: 'settled', settledAt: iso(approvedAt) }], 'the decision deadline is settled by the approval');
  const own = (await deadlineStates(T, caseId)).filter((d) => d.subjectId === measureId);
  t.same(
    own.map((d) => `${d.rule}:${d.state}`).sort(),
    ['approval:settled', 'consent:settled', 'implementation:open'],
  );

  t.equal((await as(awa, 'POST', `/v1/measures/${measureId}/implement`, { reason: 'Devis du serrurier accepté.' })).statusCode, 200);
  const active = await as(awa, 'POST', `/v1/measures/${measureId}/activate`, {});
  t.equal(active.statusCode, 200, active.body);
  t.equal(active.json().status, 'active');
  t.match(
    (await deadlineStates(T, caseId)).filter((d) => d.subjectId === measureId && d.state === 'open'),
    [{ rule: 'review', dueAt: active.json().endsAt }],
    'reviewed by its end date',
  );
});

t.test('a referral to a partner NGO: consent first, then a packet only that organisation opens', async (t) => {
  const fields = ['identity', 'narrative', 'relatives'];
  const proposed = await as(awa, 'POST', `/v1/cases/${caseId}/referrals`, { id: referralId, orgId: asf.id, fields, purpose: 'legal_assistance' });
  t.equal(proposed.statusCode, 201, proposed.body);
  t.equal(proposed.json().state, 'awaiting_consent');

  const early = await buildPacket(T, awa, awaDek, caseId, referralId, fields, asf.id);
  const before = await snapshot();
  const noConsent = await as(awa, 'POST', `/v1/referrals/${referralId}/packet`, early.body);
  t.equal(noConsent.statusCode, 409, 'a packet before consent');
  t.equal(noConsent.json().code, 'consent_required');
  t.same(await snapshot(), before, 'nothing changed: no packet, no envelope');

  const asked = await must<{ items: Array<{ id: string; orgName: string; fields: string[] }> }>(as(defender, 'GET', `/v1/cases/${caseId}/referrals`));
  t.match(asked.items, [{ id: referralId, orgName: asf.name, fields }], 'the defender sees the recipient, the fields and the purpose');
  t.equal((await as(defender, 'POST', `/v1/referrals/${referralId}/consent`, { decision: 'consent' })).statusCode, 200);

  const packet = await buildPacket(T, awa, awaDek, caseId, referralId, fields, asf.id);
  referralDek = packet.dek;
  const sent = await as(awa, 'POST', `/v1/referrals/${referralId}/packet`, packet.body);
  t.equal(sent.statusCode, 200, sent.body);
  t.equal(sent.json().state, 'sent');

  const beforeOther = await snapshot();
  const foreign = await as(otherOrg.member, 'POST', `/v1/referrals/${referralId}/accept`);
  t.equal(foreign.statusCode, 404, 'another partner organisation cannot answer it');
  t.equal(foreign.json().code, 'not_found');
  t.equal((await as(otherOrg.member, 'GET', `/v1/referrals/${referralId}`)).statusCode, 404, 'nor see it');
  t.same(await snapshot(), beforeOther, 'nothing changed');

  const got = await must<{ packet: Record<string, string>; envelopes: Array<{ keyId: string; envelope: string }> }>(as(asf.member, 'GET', `/v1/referrals/${referralId}`));
  t.same(Object.keys(got.packet), fields, 'exactly the consented fields');
  t.equal(got.envelopes.length, 1);
  t.equal(got.envelopes[0]!.keyId, asf.keyId);
  const partnerDek = openEnvelope(got.envelopes[0]!.envelope, asf.keyPair);
  t.same(
    Object.fromEntries(fields.map((f) => [f, openField(got.packet[f]!, partnerDek, referralFieldAd(referralId, f))])),
    { identity: secrets.identity, narrative: secrets.narrative, relatives: secrets.relatives },
    'the partner member opens the packet with the organisation key',
  );
  const caseFields = await sql`select field, sealed from case_fields where case_id = ${caseId}`;
  t.equal(caseFields.length, 5);
  for (const f of caseFields) t.throws(() => openField(f.sealed as string, partnerDek, caseFieldAd(caseId, f.field as string)), { code: 'decrypt_failed' }, `the referral key does not open the case ${f.field as string}`);
  t.same(await noCaseEnvelopeOpens(T, caseId, asf.keyPair), { tried: 3, opened: 0 }, 'nor does the organisation key open any case envelope');

  const accepted = await as(asf.member, 'POST', `/v1/referrals/${referralId}/accept`);
  t.equal(accepted.statusCode, 200, accepted.body);
  const reportId = randomUUID();
  const note = `Avocat désigné, audience le 15 juin. ${MARK}`;
  const report = await as(asf.member, 'POST', `/v1/referrals/${referralId}/reports`, { id: reportId, status: 'in_progress', note: sealField({ text: note }, partnerDek, referralReportAd(referralId, reportId)) });
  t.equal(report.statusCode, 201, report.body);
  t.same(
    (await deadlineStates(T, caseId))
      .filter((d) => d.subjectId === referralId)
      .map((d) => `${d.rule}:${d.state}`)
      .sort(),
    ['referral_report:open', 'referral_report:settled', 'referral_response:settled'],
    'the partner answered and reports again within 30 days',
  );
  const staffView = await must<{ envelopes: Array<{ keyId: string; envelope: string }>; reports: Array<{ id: string; note: string }> }>(as(awa, 'GET', `/v1/referrals/${referralId}`));
  const officerDek = openEnvelope(staffView.envelopes[0]!.envelope, awa.keyPair);
  t.same(openField(staffView.reports[0]!.note, officerDek, referralReportAd(referralId, reportId)), { text: note }, 'the referring officer opens the partner’s report');
});

t.test('the defender checks in', async (t) => {
  T.clock.advance(HOUR);
  const id = randomUUID();
  const r = await as(defender, 'POST', `/v1/cases/${caseId}/checkins`, { id, note: sealField({ text: `Tout va bien aujourd'hui. ${MARK}` }, defender.dek, caseReportNoteAd('checkin', id)) });
  t.equal(r.statusCode, 201, r.body);
  t.match(r.json(), { kind: 'checkin', code: 'ok', reportedBy: D, caseState: 'protection' });
  const open = (await deadlinesOf('checkin')).filter((d) => d.state === 'open');
  t.match(open, [{ dueAt: iso(T.clock.now().getTime() + 26 * HOUR) }], 'high risk: the next check-in within 24 h, plus 2 h of grace');
});

t.test('a new incident starts a reassessment; version 2 is recorded and completed; protection goes on', async (t) => {
  T.clock.advance(2 * HOUR);
  const text = `Ils ont suivi ma voiture ce soir. ${MARK}`;
  const r = await as(defender, 'POST', `/v1/cases/${caseId}/incidents`, { id: incidentId, code: 'physical_attack', note: sealField({ text }, defender.dek, caseReportNoteAd('incident', incidentId)) });
  t.equal(r.statusCode, 201, r.body);
  t.equal(r.json().caseState, 'assessment', 'the case goes back to assessment');
  t.equal((await caseRow(T, caseId)).state, 'assessment');
  const [told] = await sql`select payload from outbox where topic = 'incident.reported' and payload->>'reportId' = ${incidentId}`;
  t.same(told!.payload, { caseId, reference: filed.reference, reportId: incidentId, code: 'physical_attack', reassessment: true, recipients: [awa.id] }, 'the officer is told at once, without the note');
  t.same(
    (await deadlinesOf('assessment')).map((d) => d.state),
    ['settled', 'open'],
    'a new assessment deadline',
  );
  const reports = await must<{ items: Array<{ id: string; note: string; kind: string }> }>(as(awa, 'GET', `/v1/cases/${caseId}/reports?kind=incident`));
  t.same(openField(reports.items[0]!.note, awaDek, caseReportNoteAd('incident', incidentId)), { text }, 'the officer opens the note');

  const id = randomUUID();
  const v2 = await as(awa, 'POST', `/v1/cases/${caseId}/assessments`, {
    id,
    threats: [{ kind: 'declared', source: 'criminal_group', canBeCarriedOut: 'yes', imminent: false, rating: 5 }],
    vulnerability: { factors: ['exposed_location', 'insecure_travel'], rating: 3 },
    capacity: { factors: ['support_network', 'secure_communications'], rating: 2 },
    sealed: { 'threats.0.facts': sealField(`Filature en voiture. ${MARK}`, awaDek, assessmentFieldAd(id, 'threats.0.facts')) },
  });
  t.equal(v2.statusCode, 201, v2.body);
  t.match(v2.json(), { version: 2, score: 7.5, level: 'high', caseUrgent: false });
  t.equal((await as(awa, 'POST', `/v1/cases/${caseId}/complete-assessment`, {})).json().state, 'decision');
  t.same(
    (await deadlinesOf('decision')).map((d) => d.state),
    ['settled', 'open'],
    'a new decision is due',
  );

  const byOfficer = await as(awa, 'POST', `/v1/cases/${caseId}/continue-protection`, { reason: 'Mesures toujours adaptées.' });
  t.equal(byOfficer.statusCode, 403, 'a supervisor decides');
  t.equal(byOfficer.json().code, 'forbidden');
  const goesOn = await as(supervisor, 'POST', `/v1/cases/${caseId}/continue-protection`, { reason: 'Les serrures et caméras restent adaptées au risque réévalué.' });
  t.equal(goesOn.statusCode, 200, goesOn.body);
  t.equal(goesOn.json().state, 'protection');
  t.same(
    (await deadlinesOf('decision')).map((d) => d.state),
    ['settled', 'settled'],
    'the decision is taken',
  );
});

t.test('the partner completes; the measure is lifted with a reason; the defender appeals; a supervisor dismisses', async (t) => {
  const done = await as(asf.member, 'POST', `/v1/referrals/${referralId}/reports`, { id: randomUUID(), status: 'completed' });
  t.equal(done.statusCode, 201, done.body);
  t.equal(done.json().referral.state, 'closed');

  T.clock.advance(DAY);
  const lifted = await as(awa, 'POST', `/v1/measures/${measureId}/lift`, { reason: 'Les menaces ont cessé depuis la condamnation des auteurs.' });
  t.equal(lifted.statusCode, 200, lifted.body);
  t.match(lifted.json(), { status: 'lifted', endedBy: awa.id });
  liftedAt = T.clock.now().getTime();
  const [notice] = await sql`select payload from outbox where topic = 'measure.lifted' and payload->>'measureId' = ${measureId}`;
  t.same(notice!.payload, { caseId, reference: filed.reference, measureId, code: 'securing_premises', to: 'defender' }, 'the defender is told');
  t.same(
    (await deadlineStates(T, caseId)).filter((d) => d.subjectId === measureId && d.state === 'open'),
    [],
    'nothing runs for the lifted measure',
  );

  const appealId = randomUUID();
  const grounds = `Ils sont toujours en liberté. ${MARK}`;
  const filedAppeal = await as(defender, 'POST', `/v1/cases/${caseId}/appeals`, { id: appealId, subject: 'measure_lifted', subjectId: measureId, grounds: sealField({ text: grounds }, defender.dek, appealGroundsAd(appealId)) });
  t.equal(filedAppeal.statusCode, 201, filedAppeal.body);
  const appeals = await must<{ items: Array<{ id: string; grounds: string; deciderId: string }> }>(as(supervisor, 'GET', `/v1/cases/${caseId}/appeals`));
  t.equal(appeals.items[0]!.deciderId, awa.id, 'the decider found by the server: the officer who lifted it');
  t.same(openField(appeals.items[0]!.grounds, await caseKey(supervisor, caseId), appealGroundsAd(appealId)), { text: grounds }, 'the supervisor opens the grounds');
  const decided = await as(supervisor, 'POST', `/v1/appeals/${appealId}/decision`, { outcome: 'dismissed', reason: 'Les auteurs sont condamnés et détenus.' });
  t.equal(decided.statusCode, 200, decided.body);
  t.match(decided.json(), { state: 'dismissed', caseState: 'protection', effect: null });
  t.match(
    (await deadlineStates(T, caseId)).filter((d) => d.subjectId === appealId),
    [{ rule: 'appeal', state: 'settled' }],
  );
});

t.test('an appeal after the window is refused and changes nothing', async (t) => {
  T.clock.set(iso(liftedAt + 31 * DAY));
  // More than 30 days since their login: the sessions have ended; log in again.
  for (const who of [awa, supervisor]) await reauth(T, who);
  const before = await snapshot();
  const late = await as(defender, 'POST', `/v1/cases/${caseId}/appeals`, { id: randomUUID(), subject: 'measure_lifted', subjectId: measureId });
  t.equal(late.statusCode, 409, 'the 30-day window has passed');
  t.equal(late.json().code, 'appeal_window_closed');
  t.same(await snapshot(), before, 'nothing changed');
});

t.test('the case is closed as risk_ceased: retention starts, no other deadline is left open', async (t) => {
  const before = await snapshot();
  const reopen = await as(supervisor, 'POST', `/v1/cases/${caseId}/reopen`, { reason: 'nouvel incident' });
  t.equal(reopen.statusCode, 409, 'reopen an open case');
  t.equal(reopen.json().code, 'invalid_transition');
  t.same(await snapshot(), before, 'nothing changed');

  const closed = await as(awa, 'POST', `/v1/cases/${caseId}/close`, { reason: 'Les menaces ont cessé depuis plus d’un mois.', closeReason: 'risk_ceased' });
  t.equal(closed.statusCode, 200, closed.body);
  const closedAt = T.clock.now().getTime();
  t.match(closed.json(), { state: 'closed', closeReason: 'risk_ceased' });
  t.same(await liveRules(T, caseId), ['retention'], 'retention alone runs');
  t.match(await deadlinesOf('retention'), [{ state: 'open', dueAt: iso(new Date(closedAt).setUTCFullYear(new Date(closedAt).getUTCFullYear() + 10)) }], '10 years');
  t.match(await deadlinesOf('acknowledge'), [{ state: 'settled' }]);
  t.match(await deadlinesOf('triage'), [{ state: 'settled' }]);
  const decisions = await deadlinesOf('decision');
  t.same(
    decisions.map((d) => d.state),
    ['settled', 'settled'],
  );
  t.equal(decisions[0]!.settledAt, iso(approvedAt), 'the first one by the approval');
  const cancelled = (await deadlineStates(T, caseId)).filter((d) => d.state === 'cancelled').map((d) => d.rule);
  t.same(cancelled, ['checkin'], 'only the running check-in was cut short by the closing');

  const view = await must<{ case: Record<string, unknown>; deadlines: Array<{ rule: string }> }>(as(supervisor, 'GET', `/v1/cases/${caseId}`));
  t.match(view.case, { state: 'closed', riskLevel: 'high', closeReason: 'risk_ceased', assigneeId: awa.id, urgent: false });
  t.same(
    view.deadlines.map((d) => d.rule),
    ['retention'],
  );
  const theirs = await must<{ case: Record<string, unknown> }>(as(defender, 'GET', `/v1/cases/${caseId}`));
  t.match(theirs.case, { state: 'closed' });
  t.notOk('riskLevel' in theirs.case, 'the defender is not shown the risk level');
});

t.test('the timeline lists every transition with actor, time and reason', async (t) => {
  const r = await as(supervisor, 'GET', `/v1/cases/${caseId}/timeline?limit=200`);
  t.equal(r.statusCode, 200, r.body);
  const items = r.json().items as Array<{ at: string; actor: string; action: string; fromState: string | null; toState: string | null; reason: string | null }>;
  const A = `u:${awa.id}`;
  const S = `u:${supervisor.id}`;
  t.same(
    items.filter((i) => i.fromState !== i.toState).map((i) => [i.action, i.fromState, i.toState, i.actor]),
    [
      ['filed', null, 'received', 'defender'],
      ['acknowledge', 'received', 'triage', A],
      ['request_info', 'triage', 'info_requested', A],
      ['provide_info', 'info_requested', 'triage', D],
      ['admit', 'triage', 'assessment', A],
      ['complete_assessment', 'assessment', 'decision', A],
      ['measure.approved', 'decision', 'protection', S],
      ['reassess', 'protection', 'assessment', D],
      ['complete_assessment', 'assessment', 'decision', A],
      ['continue_protection', 'decision', 'protection', S],
      ['close', 'protection', 'closed', A],
    ],
    'every change of state, in order, with who made it',
  );
  const reasonOf = (action: string) => items.filter((i) => i.action === action).map((i) => i.reason);
  t.same(reasonOf('request_info'), ['Date et lieu de la dernière menace manquants']);
  t.same(reasonOf('reassess'), [`new incident ${incidentId}`]);
  t.same(reasonOf('continue_protection'), ['Les serrures et caméras restent adaptées au risque réévalué.']);
  t.same(reasonOf('close'), ['Les menaces ont cessé depuis plus d’un mois.']);
  t.match(reasonOf('measure.approved'), [new RegExp(`^securing_premises ${measureId}: Menaces établies`)]);
  t.same(reasonOf('assessment.recorded'), ['version 1: level high', 'version 2: level high']);
  for (const action of ['measure.proposed', 'measure.consented', 'measure.lifted', 'referral.proposed', 'referral.consented', 'referral.sent', 'referral.accepted', 'referral.closed', 'incident.reported', 'appeal_filed', 'appeal_dismissed']) {
    t.ok(
      items.some((i) => i.action === action),
      `${action} is on the timeline`,
    );
  }
  const times = items.map((i) => Date.parse(i.at));
  t.ok(
    times.every((x, i) => i === 0 || x >= times[i - 1]!),
    'in time order',
  );
  t.ok(times[0]! >= filedAt && times[times.length - 1]! <= T.clock.now().getTime(), 'dated by the clock');
  t.notOk(JSON.stringify(items).includes(MARK), 'nothing sealed on the timeline');
  // (another officer, an admin and the partner were refused the timeline at the grant step)
  const theirs = await as(defender, 'GET', `/v1/cases/${caseId}/timeline`);
  t.equal(theirs.statusCode, 403, 'the defender does not read the timeline');
  t.equal(theirs.json().code, 'forbidden');
});

t.test('no plaintext anywhere the service writes: database, logs, Redis, notifications', async (t) => {
  const intake = (await T.app.inject({ method: 'GET', url: '/v1/keys/intake' })).json();
  const authKey = toB64u(deriveReceiptKeys(defender.receipt, intake.receiptSalt).authKey);
  const hidden = {
    marker: MARK,
    receipt: defender.receipt,
    receiptDigits: defender.receipt.replace(/\D/g, ''),
    authKey,
    caseKey: toB64u(defender.dek),
    referralKey: toB64u(referralDek),
    orgPrivateKey: toB64u(asf.keyPair.privateKey),
    defenderPrivateKey: toB64u(defender.keyPair.privateKey),
  };
  const scope = await leakSearchScope(T);
  t.ok(scope.tables >= 15 && scope.columns >= 60, `the search covers the schema (${scope.tables} tables, ${scope.columns} columns)`);
  t.ok(scope.logLines > 100, 'and the logs of the whole story');
  const control = await findLeaks(T, { reference: filed.reference });
  t.ok(
    control.some((h) => h.where === 'db:cases.reference'),
    'the search finds what is there (the case reference, in the clear by design)',
  );
  // ...and in the logs and Redis: a probe planted in both is found in both.
  const probe = `SONDE-${randomUUID()}`;
  const probeKey = `${T.config.REDIS_PREFIX}:leak-probe`;
  await T.redis.hset(probeKey, 'v', `x ${probe} x`);
  T.logs.push(`{"msg":"${probe}"}`);
  t.same(
    (await findLeaks(T, { probe })).map((h) => h.where),
    ['logs', `redis:${probeKey}`],
    'the search reads the logs and every Redis key',
  );
  T.logs.pop();
  await T.redis.del(probeKey);

  t.same(await findLeaks(T, hidden), [], 'no marker, receipt, authKey or key anywhere');

  const outbox = await sql`select topic, payload from outbox`;
  const topics = new Set(outbox.map((o) => o.topic as string));
  for (const topic of ['message.created', 'measure.proposed', 'measure.lifted', 'referral.sent', 'incident.reported', 'appeal.filed']) t.ok(topics.has(topic), `${topic} was notified`);
  const keys = new Set(outbox.flatMap((o) => Object.keys(o.payload as object)));
  for (const k of ['note', 'details', 'body', 'grounds', 'packet', 'fields', 'sealed']) t.notOk(keys.has(k), `no notification carries ${k}`);
});
