/**
 * Protective measures as the procedure says (workflow.md, "Protective measures"): proposed from
 * the catalogue with details sealed by the officer's client, consented to by the defender (or
 * their oral answer recorded with an attestation), approved by a supervisor who did not propose
 * them, carried out, active until their end date, reviewed, lifted with a notice; the urgent
 * track before the assessment, with its confirmation or lapse; and the system's expiry. Every step
 * goes through HTTP as the role that takes it; deadlines are read from the deadlines table.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { caseAt, buildWorld, assessToDecision, enrolActor, caseKeyOf, caseRow, fileCase, headersOf, type Caller, type FiledCase } from '../helpers/world.js';
import { measureDetailsAd, openEnvelope, openField, ready, sealField } from '../../src/sdk/index.js';
import { loadDeadlinePolicy } from '../../src/deadlines/deadline-policy.js';
import { ladder } from '../../src/deadlines/due-time.js';
import { policiesPath } from '../../src/app.js';

await ready();
const DAY = 86_400_000;
// Monday 2 March 2026 in Bamako (UTC+0): no holiday in the working-day windows below.
const T = await buildTestApp(t, { now: '2026-03-02T08:00:00.000Z' });
const { dep, officers: { awa, ibrahim } } = await buildWorld(T, { officers: ['awa', 'ibrahim'] });
// A second supervisor: enrolled, holds no mechanism key (reads metadata of every case, opens nothing).
const fatou = await enrolActor(T, dep.admin, { username: 'supervisor-fatou', role: 'supervisor', orgId: dep.mechanismId });
const org = await T.app.inject({ method: 'POST', url: '/v1/orgs', headers: dep.admin.auth(), payload: { name: 'Réseau Ouest-Africain des Défenseurs' } });
if (org.statusCode !== 201) throw new Error(org.body);
const partnerOrgId: string = org.json().id;
const partner = await enrolActor(T, dep.admin, { username: 'partner-roa', role: 'partner', orgId: partnerOrgId });
const policy = loadDeadlinePolicy(policiesPath(T.config));
const MARK = `MARQUEUR-${randomUUID()}`;

const inject = (who: Caller, method: 'GET' | 'POST', url: string, payload?: object) => T.app.inject({ method, url, headers: headersOf(who), ...(payload ? { payload } : {}) });
const cmd = (who: Caller, measureId: string, step: string, body: object = {}) => inject(who, 'POST', `/v1/measures/${measureId}/${step}`, body);
const list = (who: Caller, caseId: string) => inject(who, 'GET', `/v1/cases/${caseId}/measures`);
const row = async (id: string) => (await T.database.sql`select * from measures where id = ${id}`)[0]!;
const iso = (d: unknown) => new Date(d as string).toISOString();
const deadlinesOf = async (caseId: string, subject: string | null) =>
  (await T.database.sql`select rule, state, due_at, started_at, urgent from deadlines where case_id = ${caseId} and subject_id is not distinct from ${subject} order by started_at, rule`).map((d) => ({
    rule: d.rule as string,
    state: d.state as string,
    due: iso(d.due_at),
    started: iso(d.started_at),
  }));
const live = async (caseId: string, subject: string | null) => (await deadlinesOf(caseId, subject)).filter((d) => d.state === 'open' || d.state === 'paused');
const must = async <R extends { statusCode: number; body: string }>(p: Promise<R>, status = 200): Promise<R> => {
  const r = await p;
  if (r.statusCode !== status) throw new Error(`expected ${status}, got ${r.statusCode} ${r.body}`);
  return r;
};

/**
 * The case key as a client that is already unlocked holds it: the officer with their own key pair,
 * the first supervisor with the mechanism key (caseKeyOf does the whole login-and-unwrap path,
 * which the details test below exercises; Argon2id there costs a second per call).
 */
async function fastKey(who: typeof awa, caseId: string): Promise<Uint8Array> {
  const sealed = (await must(inject(who, 'GET', `/v1/cases/${caseId}/sealed`))).json();
  return openEnvelope(sealed.envelopes[0], who === dep.supervisor ? dep.mechanismKey : who.keyPair);
}

/** Filed, acknowledged and admitted by Awa, who is given the case key by the supervisor's client: state `assessment`. */
const admitted = (urgent = false): Promise<FiledCase> => caseAt(T, dep, 'assessment', { officer: awa, metadata: { claimedUrgent: urgent } });

/** Awa records a low-risk version (T 4 x V 1 / C 5) and completes the assessment: state `decision`. */
async function toDecision(caseId: string): Promise<void> {
  await assessToDecision(T, awa, caseId, null, { V: 1, C: 5 });
}

/** Awa's client seals the details under the case key, bound to the measure id. */
async function propose(who: Caller, f: FiledCase, body: { code: string; implementer?: string; implementerOrgId?: string; durationDays?: number }, details?: string, id = randomUUID()) {
  const payload: Record<string, unknown> = { id, implementer: 'cndh', ...body };
  if (details !== undefined) payload.details = sealField({ text: details }, await fastKey(awa, f.caseId), measureDetailsAd(id));
  return { id, res: await inject(who, 'POST', `/v1/cases/${f.caseId}/measures`, payload) };
}

/** Proposed by Awa, consented by the defender, approved by the first supervisor. */
async function approvedMeasure(f: FiledCase, code: string, extra: { durationDays?: number } = {}, measureId = randomUUID()): Promise<string> {
  const { id, res } = await propose(awa, f, { code, ...extra }, undefined, measureId);
  if (res.statusCode !== 201) throw new Error(res.body);
  await must(cmd(f.defender, id, 'consent', { decision: 'consent' }));
  await must(cmd(dep.supervisor, id, 'decision', { decision: 'approve', reason: 'Menaces établies, mesure proportionnée.' }));
  return id;
}

const caseA = await admitted();
await toDecision(caseA.caseId);

t.test('the catalogue is there for defenders and staff, not for admins or partners', async (t) => {
  const r = await inject(caseA.defender, 'GET', '/v1/measures/catalogue');
  t.equal(r.statusCode, 200, r.body);
  const items = r.json().items as Array<{ code: string; category: string; implementers: string[]; requiresExplicitConsent: boolean; warning: { fr: string } | null; durationDays: number; label: { fr: string; en: string } }>;
  t.equal(items.length, 20);
  const patrols = items.find((m) => m.code === 'police_patrols')!;
  t.match(patrols, { category: 'protection', implementers: ['state'], requiresExplicitConsent: true, durationDays: 182 });
  t.ok(patrols.warning?.fr, 'the warning is given to be explained');
  t.equal(items.find((m) => m.code === 'temporary_relocation')!.label.en, 'Temporary relocation (6 to 12 months, renewable)');
  t.equal((await inject(awa, 'GET', '/v1/measures/catalogue')).statusCode, 200);
  for (const who of [dep.admin, partner]) {
    const refused = await inject(who, 'GET', '/v1/measures/catalogue');
    t.equal(refused.statusCode, 403);
    t.equal(refused.json().code, 'forbidden');
  }
});

/**
 * Ids of the measures a later subtest looks at again (the details, the end of a measure, the urgent
 * track's expiry): chosen here, once, so no subtest hands a value to another.
 */
const pathMeasure = randomUUID();
const lapsing = randomUUID();
const confirmed = randomUUID();
const expiring = randomUUID();
t.test('the ordinary path: proposed, consented, approved by a supervisor, carried out, reviewed, lifted with a notice', async (t) => {
  const caseId = caseA.caseId;
  t.equal((await caseRow(T, caseId)).state, 'decision');
  t.same((await live(caseId, null)).map((d) => d.rule), ['decision'], 'the decision deadline runs');

  const { id, res } = await propose(awa, caseA, { code: 'securing_premises', implementer: 'partner', implementerOrgId: partnerOrgId }, `Serrures et caméras, 12 rue du Fleuve. ${MARK}`, pathMeasure);
  t.equal(res.statusCode, 201, res.body);
  t.match(res.json(), { id, status: 'proposed', urgent: false, category: 'protection', implementer: 'partner', implementerOrgId: partnerOrgId, durationDays: 182, proposedBy: awa.id });
  const proposedAt = T.clock.now().getTime();
  t.same(await live(caseId, id), [{ rule: 'consent', state: 'open', due: new Date(proposedAt + 7 * DAY).toISOString(), started: new Date(proposedAt).toISOString() }], 'consent: 7 days');
  const [notice] = await T.database.sql`select payload from outbox where topic = 'measure.proposed' and payload->>'measureId' = ${id}`;
  t.same(notice!.payload, { caseId, reference: caseA.reference, measureId: id, code: 'securing_premises', to: 'defender' }, 'the defender is told, without content');

  // The defender sees the proposal, opens the details with their case key, and never sees staff ids.
  const seen = (await list(caseA.defender, caseId)).json().items;
  t.equal(seen.length, 1);
  t.match(seen[0], { id, status: 'proposed', code: 'securing_premises' });
  for (const k of ['proposedBy', 'decidedBy', 'consentBy', 'endedBy', 'consentAttestation']) t.notOk(k in seen[0], `no ${k} for the defender`);
  t.same(openField(seen[0].details, caseA.defender.dek, measureDetailsAd(id)), { text: `Serrures et caméras, 12 rue du Fleuve. ${MARK}` });

  const consent = await cmd(caseA.defender, id, 'consent', { decision: 'consent' });
  t.equal(consent.statusCode, 200, consent.body);
  t.match(consent.json(), { status: 'consented', consentGivenThrough: 'defender' });
  t.notOk('consentBy' in consent.json(), 'the defender gets the defender view');
  t.equal((await row(id)).consent_by, `d:${caseId}`);
  let d = await deadlinesOf(caseId, id);
  t.match(d.find((x) => x.rule === 'consent'), { state: 'settled' });
  // Consented on Monday 2 March: 3 working days end on Thursday 5 March at midnight, Bamako time.
  t.match(d.find((x) => x.rule === 'approval'), { state: 'open', due: '2026-03-05T23:59:59.000Z' });

  const approve = await cmd(dep.supervisor, id, 'decision', { decision: 'approve', reason: 'Menaces établies, locaux exposés.' });
  t.equal(approve.statusCode, 200, approve.body);
  t.match(approve.json(), { status: 'approved', decidedBy: dep.supervisor.id, decisionReason: 'Menaces établies, locaux exposés.', confirmedAt: null });
  const approvedAt = T.clock.now().getTime();
  t.equal((await caseRow(T, caseId)).state, 'protection', 'the first approved measure takes the case to protection');
  t.same((await deadlinesOf(caseId, null)).filter((x) => x.rule === 'decision').map((x) => x.state), ['settled'], 'the decision deadline is settled');
  d = await deadlinesOf(caseId, id);
  t.match(d.find((x) => x.rule === 'approval'), { state: 'settled' });
  t.match(d.find((x) => x.rule === 'implementation'), { state: 'open', due: new Date(approvedAt + 30 * DAY).toISOString() });

  t.equal((await cmd(awa, id, 'activate')).json().code, 'invalid_transition', 'activated only once implementing');
  t.match((await must(cmd(awa, id, 'implement', { reason: 'Devis du serrurier accepté.' }))).json(), { status: 'implementing' });
  const activated = await cmd(awa, id, 'activate');
  t.equal(activated.statusCode, 200, activated.body);
  const startsAt = T.clock.now().getTime();
  const endsAt = new Date(startsAt + 182 * DAY).toISOString();
  t.match(activated.json(), { status: 'active', startsAt: new Date(startsAt).toISOString(), endsAt });
  d = await deadlinesOf(caseId, id);
  t.match(d.find((x) => x.rule === 'implementation'), { state: 'settled' });
  const review = d.find((x) => x.rule === 'review')!;
  t.match(review, { state: 'open', due: endsAt }, 'the review falls on the end date');
  const reminder = ladder(new Date(review.started), new Date(review.due), { urgent: false }, policy.rules.get('review')!.ladder).reminder;
  t.equal(reminder?.toISOString(), new Date(startsAt + 152 * DAY).toISOString(), 'its reminder comes 30 days before');

  const reviewed = await cmd(awa, id, 'review', { reason: 'Menaces persistantes, prolongation.', extendDays: 30 });
  t.equal(reviewed.statusCode, 200, reviewed.body);
  const extended = new Date(startsAt + 212 * DAY).toISOString();
  t.equal(reviewed.json().endsAt, extended);
  t.same(
    (await deadlinesOf(caseId, id)).filter((x) => x.rule === 'review').map((x) => [x.state, x.due]),
    [
      ['settled', endsAt],
      ['open', extended],
    ],
    'the review is settled and a new one runs to the new end date',
  );
  t.equal((await cmd(awa, id, 'review', { reason: 'Trop long.', extendDays: 400 })).json().code, 'validation_failed', 'no extension beyond the catalogue maximum');

  const lifted = await cmd(awa, id, 'lift', { reason: 'La défenseure a déménagé hors de la région.' });
  t.equal(lifted.statusCode, 200, lifted.body);
  t.match(lifted.json(), { status: 'lifted', endedBy: awa.id, endReason: 'La défenseure a déménagé hors de la région.' });
  t.same(await live(caseId, id), [], 'nothing runs for a lifted measure');
  const [liftNotice] = await T.database.sql`select payload from outbox where topic = 'measure.lifted' and payload->>'measureId' = ${id}`;
  t.same(liftNotice!.payload, { caseId, reference: caseA.reference, measureId: id, code: 'securing_premises', to: 'defender' }, 'the defender is told (they may appeal)');
  t.equal((await cmd(awa, id, 'lift', { reason: 'encore' })).json().code, 'invalid_transition');

  const timeline = await T.database.sql`select action, actor, from_state, to_state, reason from case_timeline where case_id = ${caseId} and action like 'measure.%' order by id`;
  t.same(
    timeline.map((e) => e.action),
    ['measure.proposed', 'measure.consented', 'measure.approved', 'measure.implementing', 'measure.activated', 'measure.reviewed', 'measure.lifted'],
  );
  t.ok(timeline.every((e) => (e.reason as string).startsWith(`securing_premises ${id}`)), 'each entry names the code and the measure');
  t.match(timeline[2], { actor: `u:${dep.supervisor.id}`, from_state: 'decision', to_state: 'protection' });
  const audited = await T.database.sql`select action from audit_events where resource = ${`measure:${id}`} and outcome = 'allowed' order by id`;
  t.same(audited.map((a) => a.action).sort(), ['measure.approve', 'measure.consent', 'measure.implement', 'measure.implement', 'measure.lift', 'measure.lift', 'measure.propose'].sort(), 'every command is audited');
  const refusals = await T.database.sql`select action, reason from audit_events where resource = ${`measure:${id}`} and outcome = 'denied' order by id`;
  t.same(refusals.map((a) => a.action), ['measure.implement', 'measure.lift', 'measure.lift'], 'the refused ones are audited as denied (their allowed decision rolled back)');
  t.match(refusals[0], { reason: /cannot activate a measure that is approved/ });
});

t.test('an officer records an oral answer only with an attestation; the defender never gives one', async (t) => {
  const { id } = await propose(awa, caseA, { code: 'legal_assistance' });
  const bare = await cmd(awa, id, 'consent', { decision: 'consent' });
  t.equal(bare.statusCode, 400);
  t.equal(bare.json().code, 'validation_failed');
  const attestation = { channel: 'phone_call', takenAt: T.clock.now().toISOString(), statement: "Accord donné par téléphone à l'agente de suivi." };
  const fromDefender = await cmd(caseA.defender, id, 'consent', { decision: 'consent', attestation });
  t.equal(fromDefender.statusCode, 400);
  t.equal(fromDefender.json().code, 'validation_failed');
  const future = await cmd(awa, id, 'consent', { decision: 'consent', attestation: { ...attestation, takenAt: new Date(T.clock.now().getTime() + DAY).toISOString() } });
  t.equal(future.json().code, 'validation_failed', 'not taken in the future');
  t.match(await row(id), { status: 'proposed', consent_by: null, consent_attestation: null }, 'nothing changed');
  t.equal((await cmd(ibrahim, id, 'consent', { decision: 'consent', attestation })).statusCode, 404, 'an officer not assigned: not found');
  t.equal((await cmd(dep.supervisor, id, 'consent', { decision: 'consent', attestation })).statusCode, 403, 'a supervisor records no consent');

  const ok = await cmd(awa, id, 'consent', { decision: 'consent', attestation });
  t.equal(ok.statusCode, 200, ok.body);
  t.match(ok.json(), { status: 'consented', consentBy: `u:${awa.id}`, consentGivenThrough: 'staff', consentAttestation: attestation });
  t.match(await row(id), { consent_by: `u:${awa.id}`, consent_attestation: attestation });
  const [told] = await T.database.sql`select payload from outbox where topic = 'measure.answered' and payload->>'measureId' = ${id}`;
  t.match(told!.payload, { to: 'defender', decision: 'consent' }, 'an answer recorded in their name is notified to the defender');
  const mine = (await list(caseA.defender, caseA.caseId)).json().items.find((m: { id: string }) => m.id === id);
  t.match(mine, { consentGivenThrough: 'staff' });
  t.notOk('consentAttestation' in mine, 'the attestation (who took it) stays with the staff');
});

t.test("a refusal is final; a decision needs consent; rejection is notified", async (t) => {
  const { id } = await propose(awa, caseA, { code: 'security_training' });
  t.match((await must(cmd(caseA.defender, id, 'consent', { decision: 'refuse' }))).json(), { status: 'refused' });
  t.match((await deadlinesOf(caseA.caseId, id)).find((x) => x.rule === 'consent'), { state: 'settled' });
  const again = await cmd(caseA.defender, id, 'consent', { decision: 'consent' });
  t.equal(again.statusCode, 409);
  t.equal(again.json().code, 'invalid_transition');
  t.equal((await cmd(dep.supervisor, id, 'decision', { decision: 'approve', reason: 'Pourtant utile.' })).json().code, 'invalid_transition');
  t.equal((await row(id)).status, 'refused');
  t.same(await live(caseA.caseId, id), []);

  const { id: early } = await propose(awa, caseA, { code: 'family_support' });
  const premature = await cmd(dep.supervisor, early, 'decision', { decision: 'approve', reason: 'Urgent pour la famille.' });
  t.equal(premature.statusCode, 409);
  t.equal(premature.json().code, 'consent_required');
  t.match(await row(early), { status: 'proposed', decided_by: null });
  const denied = await T.database.sql`select reason from audit_events where resource = ${`measure:${early}`} and outcome = 'denied'`;
  t.equal(denied.length, 1, 'the refusal is audited');
  await must(cmd(caseA.defender, early, 'consent', { decision: 'consent' }));
  const rejected = await cmd(dep.supervisor, early, 'decision', { decision: 'reject', reason: 'Déjà couvert par une autre mesure.' });
  t.match(rejected.json(), { status: 'rejected', decidedBy: dep.supervisor.id });
  t.match((await deadlinesOf(caseA.caseId, early)).find((x) => x.rule === 'approval'), { state: 'settled' });
  t.equal((await T.database.sql`select count(*)::int as n from outbox where topic = 'measure.rejected' and payload->>'measureId' = ${early}`)[0]!.n, 1);
});

t.test('four eyes: the supervisor who proposed may not approve', async (t) => {
  const { id, res } = await propose(fatou, caseA, { code: 'digital_security_support' });
  t.equal(res.statusCode, 201, res.body);
  await must(cmd(caseA.defender, id, 'consent', { decision: 'consent' }));
  const self = await cmd(fatou, id, 'decision', { decision: 'approve', reason: 'Je valide ma proposition.' });
  t.equal(self.statusCode, 409);
  t.equal(self.json().code, 'separation_of_duties');
  t.match(await row(id), { status: 'consented', decided_by: null });
  t.equal((await cmd(awa, id, 'decision', { decision: 'approve', reason: 'x x x' })).statusCode, 403, 'an officer approves nothing');
  t.match((await must(cmd(dep.supervisor, id, 'decision', { decision: 'approve', reason: 'Nécessaire.' }))).json(), { status: 'approved', decidedBy: dep.supervisor.id });
});

t.test('the details open with the case key for the defender, the officer and the supervisor; nobody else reads them', async (t) => {
  for (const [who, dek] of [
    ['officer', await caseKeyOf(T, awa, caseA.caseId)],
    ['supervisor', await caseKeyOf(T, dep.supervisor, caseA.caseId)],
    ['defender', caseA.defender.dek],
  ] as const) {
    const headers = who === 'officer' ? awa : who === 'supervisor' ? dep.supervisor : caseA.defender;
    const m = (await list(headers, caseA.caseId)).json().items.find((x: { id: string }) => x.id === pathMeasure);
    t.match(openField(m.details, dek, measureDetailsAd(pathMeasure)), { text: new RegExp(MARK) }, `${who} opens the details`);
    t.throws(() => openField(m.details, dek, measureDetailsAd(randomUUID())), { code: 'decrypt_failed' }, 'bound to the measure');
  }
  const other = await list(ibrahim, caseA.caseId);
  t.equal(other.statusCode, 404, 'another officer: not found');
  for (const who of [dep.admin, partner]) {
    const r = await list(who, caseA.caseId);
    t.equal(r.statusCode, 403);
    t.equal(r.json().code, 'forbidden');
  }
  const another = await fileCase(T, dep);
  t.equal((await list(caseA.defender, another.caseId)).statusCode, 404, "another defender's case");
  t.equal((await list(fatou, caseA.caseId)).statusCode, 200, 'a supervisor without an envelope lists the measures');
  const fatouSealed = await inject(fatou, 'GET', `/v1/cases/${caseA.caseId}/sealed`);
  t.equal(fatouSealed.statusCode, 409, 'but has no key to open their details');
  t.equal(fatouSealed.json().code, 'no_envelope');
});

t.test('bad proposals are refused and nothing is written', async (t) => {
  const count = async () => (await T.database.sql`select (select count(*) from measures)::int as m, (select count(*) from outbox)::int as o, (select count(*) from case_timeline)::int as tl`)[0]!;
  const before = await count();
  const url = `/v1/cases/${caseA.caseId}/measures`;
  const base = { id: randomUUID(), code: 'securing_premises', implementer: 'cndh' };
  const mechanism = dep.mechanismId;
  for (const [what, body] of [
    ['unknown code', { ...base, code: 'private_army' }],
    ['implementer not allowed for the measure', { ...base, code: 'police_patrols', implementer: 'cndh' }],
    ['a partner without its organisation', { ...base, implementer: 'partner' }],
    ['the mechanism is no partner', { ...base, implementer: 'partner', implementerOrgId: mechanism }],
    ['an unknown organisation', { ...base, implementer: 'partner', implementerOrgId: randomUUID() }],
    ['an organisation for the cndh', { ...base, implementerOrgId: partnerOrgId }],
    ['a partner that is no state authority', { ...base, code: 'police_patrols', implementer: 'state', implementerOrgId: partnerOrgId }],
    ['longer than the catalogue allows', { ...base, durationDays: 183 }],
    ['details in clear', { ...base, details: 'v1.bonjour.en-clair' }],
    ['an unknown field', { ...base, note: 'x' }],
    ['no id', { code: 'securing_premises', implementer: 'cndh' }],
  ] as const) {
    const r = await inject(awa, 'POST', url, body);
    t.equal(r.statusCode, 400, `${what}: ${r.body}`);
    t.equal(r.json().code, 'validation_failed');
  }
  t.same(await count(), before, 'nothing written');

  const { id } = await propose(awa, caseA, { code: 'trial_monitoring' });
  const dup = await inject(awa, 'POST', url, { id, code: 'trial_monitoring', implementer: 'cndh' });
  t.equal(dup.statusCode, 409);
  t.equal(dup.json().code, 'already_exists');
  t.equal((await T.database.sql`select count(*)::int as n from measures where id = ${id}`)[0]!.n, 1);

  // Before the assessment, only urgent measures on an urgent case.
  const plain = await admitted();
  for (const code of ['securing_premises', 'emergency_relocation']) {
    const r = (await propose(awa, plain, { code })).res;
    t.equal(r.statusCode, 409, code);
    t.equal(r.json().code, 'assessment_required');
  }
  t.equal((await T.database.sql`select count(*)::int as n from measures where case_id = ${plain.caseId}`)[0]!.n, 0);
});

// --- The urgent track, expiry and stopping: the clock moves forward from here. --------------------
const urgentCase = await admitted(true);
const stopped: Record<string, string> = {};

t.test('the urgent track: urgent measures before the assessment, confirmed by the ordinary decision', async (t) => {
  const caseId = urgentCase.caseId;
  t.match(await caseRow(T, caseId), { state: 'assessment', urgent: true });
  const ordinary = (await propose(awa, urgentCase, { code: 'securing_premises' })).res;
  t.equal(ordinary.json().code, 'assessment_required', 'an ordinary measure waits for the assessment');
  const first = await propose(awa, urgentCase, { code: 'emergency_relocation' }, `Maison sûre à Kati. ${MARK}`, lapsing);
  t.equal(first.res.statusCode, 201, first.res.body);
  t.equal(first.res.json().urgent, true);
  const proposedAt = T.clock.now().getTime();
  t.match(await live(caseId, lapsing), [{ rule: 'consent', due: new Date(proposedAt + 3 * 3_600_000).toISOString() }], 'consent: 3 h on an urgent case');
  const second = await propose(awa, urgentCase, { code: 'safe_shelter' }, undefined, confirmed);
  t.equal(second.res.statusCode, 201, second.res.body);
  for (const id of [lapsing, confirmed]) {
    await must(cmd(urgentCase.defender, id, 'consent', { decision: 'consent' }));
    const r = await cmd(dep.supervisor, id, 'decision', { decision: 'approve', reason: 'Danger imminent pour la vie.' });
    t.match(r.json(), { status: 'approved', urgent: true, confirmedAt: null }, r.body);
  }
  const approvedAt = T.clock.now().getTime();
  t.equal((await caseRow(T, caseId)).state, 'assessment', 'the case stays in assessment');
  for (const id of [lapsing, confirmed]) {
    const d = await live(caseId, id);
    t.match(d.find((x) => x.rule === 'urgent_confirmation'), { due: new Date(approvedAt + 14 * DAY).toISOString() }, 'confirmation within 14 days');
    t.match(d.find((x) => x.rule === 'implementation'), { due: new Date(approvedAt + DAY).toISOString() }, 'implementation within 24 h');
  }
  const early = await cmd(fatou, confirmed, 'confirm', { reason: 'Confirmée.' });
  t.equal(early.statusCode, 409);
  t.equal(early.json().code, 'assessment_required', 'no confirmation before the assessment is complete');
  t.equal((await row(confirmed)).confirmed_at, null);

  await toDecision(caseId);
  t.equal((await cmd(awa, confirmed, 'confirm', { reason: 'x x x' })).statusCode, 403, 'an officer confirms nothing');
  const ok = await cmd(fatou, confirmed, 'confirm', { reason: "L'évaluation confirme le besoin d'hébergement." });
  t.equal(ok.statusCode, 200, ok.body);
  t.ok(ok.json().confirmedAt);
  t.equal((await caseRow(T, caseId)).state, 'protection', 'the ordinary decision takes the case to protection');
  t.match((await deadlinesOf(caseId, confirmed)).find((x) => x.rule === 'urgent_confirmation'), { state: 'settled' });
  t.same(await live(caseId, null), [], 'the decision deadline is settled');
  t.equal((await cmd(fatou, confirmed, 'confirm', { reason: 'Encore.' })).json().code, 'invalid_transition', 'confirmed once');
  const urgentTimeline = await T.database.sql`select action from case_timeline where case_id = ${caseId} and action like 'measure.%' order by id`;
  t.ok(urgentTimeline.some((e) => e.action === 'measure.confirmed'));
});

t.test('a measure that ends is carried to its end; stopOpenMeasures stops all that is open', async (t) => {
  // An active measure of 10 days on case A (in protection).
  await approvedMeasure(caseA, 'self_protection_plan', { durationDays: 10 }, expiring);
  await must(cmd(awa, expiring, 'implement'));
  t.match((await must(cmd(awa, expiring, 'activate'))).json(), { endsAt: new Date(T.clock.now().getTime() + 10 * DAY).toISOString() });

  // A case with a measure in each open status, stopped as the withdrawal of consent does.
  const stopCase = await admitted();
  await toDecision(stopCase.caseId);
  const p = await propose(awa, stopCase, { code: 'legal_assistance' });
  stopped.proposed = p.id;
  const c = await propose(awa, stopCase, { code: 'family_support' });
  await must(cmd(stopCase.defender, c.id, 'consent', { decision: 'consent' }));
  stopped.consented = c.id;
  stopped.approved = await approvedMeasure(stopCase, 'communication_equipment');
  stopped.active = await approvedMeasure(stopCase, 'secure_transport');
  await must(cmd(awa, stopped.active, 'implement'));
  await must(cmd(awa, stopped.active, 'activate'));
  const refused = (await propose(awa, stopCase, { code: 'security_training' })).id;
  await must(cmd(stopCase.defender, refused, 'consent', { decision: 'refuse' }));

  const at = T.clock.now();
  const n = await T.app.container.services.db.transaction((tx) => T.app.container.services.measures.stopOpenMeasures(stopCase.caseId, 'consent_withdrawn', at, tx));
  t.equal(n, 4, 'the refused one was over already');
  for (const [was, status] of [
    ['proposed', 'refused'],
    ['consented', 'refused'],
    ['approved', 'lifted'],
    ['active', 'lifted'],
  ] as const) {
    t.match(await row(stopped[was]!), { status, end_reason: 'consent_withdrawn' }, `${was} -> ${status}`);
    t.same(await live(stopCase.caseId, stopped[was]!), [], `${was}: no deadline left running`);
  }
  const sys = await T.database.sql`select action from case_timeline where case_id = ${stopCase.caseId} and actor = 'system' order by id`;
  t.same(sys.map((e) => e.action).sort(), ['measure.lifted', 'measure.lifted', 'measure.refused', 'measure.refused']);
  t.equal((await T.database.sql`select count(*)::int as n from audit_events where action = 'measure.stop' and actor = 'system' and case_id = ${stopCase.caseId}`)[0]!.n, 4);
  t.equal(await T.app.container.services.db.transaction((tx) => T.app.container.services.measures.stopOpenMeasures(stopCase.caseId, 'again', T.clock.now(), tx)), 0, 'nothing left to stop');
});

t.test('expireDue: an active measure expires after its end; an unconfirmed urgent one lapses after 14 days', async (t) => {
  const start = T.clock.now().getTime();
  const none = await T.app.container.services.measures.expireDue(new Date(start));
  t.same(none, { expired: [], lapsed: [] }, 'nothing is due yet');

  T.clock.set(new Date(start + 11 * DAY));
  const eleven = await T.app.container.services.measures.expireDue(T.clock.now());
  t.same(eleven, { expired: [expiring], lapsed: [] });
  t.match(await row(expiring), { status: 'expired', end_reason: 'expired', ended_by: null });
  t.same(await live(caseA.caseId, expiring), [], 'its review deadline no longer runs');

  T.clock.set(new Date(start + 15 * DAY));
  const fifteen = await T.app.container.services.measures.expireDue(T.clock.now());
  t.same(fifteen, { expired: [], lapsed: [lapsing] }, 'the confirmed urgent measure stays');
  t.match(await row(lapsing), { status: 'expired', end_reason: 'lapsed' });
  t.match(await row(confirmed), { status: 'approved' });
  t.same(await live(urgentCase.caseId, lapsing), [], 'its confirmation and implementation deadlines are closed');
  t.ok((await live(urgentCase.caseId, confirmed)).some((d) => d.rule === 'implementation'), 'the confirmed one is still to carry out');
  const [entry] = await T.database.sql`select actor, action, reason from case_timeline where case_id = ${urgentCase.caseId} and action = 'measure.lapsed'`;
  t.match(entry, { actor: 'system', reason: new RegExp(`^emergency_relocation ${lapsing}`) });
  const audited = await T.database.sql`select actor, role, reason from audit_events where action = 'measure.expire' order by id`;
  t.same(audited.map((a) => [a.actor, a.reason]), [['system', 'expired'], ['system', 'lapsed']]);
  t.equal((await T.database.sql`select count(*)::int as n from outbox where topic = 'measure.ended'`)[0]!.n, 4, 'the defender and the officer are told of each');
  t.same(await T.app.container.services.measures.expireDue(T.clock.now()), { expired: [], lapsed: [] }, 'once');
});

t.test('no plaintext marker in the database or the logs', async (t) => {
  const tables = ['measures', 'outbox', 'audit_events', 'case_timeline', 'deadlines'];
  let dump = '';
  for (const table of tables) dump += (await T.database.sql`select coalesce(string_agg(t::text, '|'), '') as s from ${T.database.sql(table)} t`)[0]!.s;
  t.ok(dump.includes(pathMeasure), 'the dump holds the measures');
  t.notOk(dump.includes(MARK), 'database');
  t.notOk(T.logs.join('\n').includes(MARK), 'logs');
});
