/**
 * When a supervisor is part of a case (policies/break-glass.yaml, src/access/case-participation.ts),
 * each clause from both sides: while it holds, the sealed content and the mechanism envelope are
 * served without a break-glass; once it no longer holds (or for the supervisor it excludes), 403
 * break_glass_required. Routine work never needs a break-glass: intake and triage, giving the
 * assigned officer the case key, approving a measure, deciding an appeal, an escalation. Also:
 * an assigned officer with no envelope yet is told so (409 no_envelope), not 404.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { assignCaseSupervisor, bootstrap, enrolActor, type Actor, fileCase, mechanismKeyOf, type FiledCase } from '../helpers/world.js';
import { createCaller } from '../workflow/story-kit.js';
import { appealGroundsAd, assessmentFieldAd, caseReportNoteAd, keyIdOf, measureDetailsAd, openRekeyDek, ready, sealEnvelope, sealField, sealKeyringEntry, type BoxKeyPair } from '../../src/sdk/index.js';
import { createEscalationService } from '../../src/escalation/escalation-service.js';
import { createEscalationRepository } from '../../src/escalation/escalation-repository.js';
import { createCaseRepository } from '../../src/cases/case-repository.js';
import { createOutbox } from '../../src/outbox/outbox.js';
import { loadDeadlinePolicy } from '../../src/deadlines/deadline-policy.js';
import { policiesPath } from '../../src/lib/paths.js';

await ready();
// The escalation clause moves the clock by days: sessions must outlive it.
const T = await buildTestApp(t, { now: '2026-10-05T08:00:00.000Z', env: { REFRESH_TOKEN_TTL_SECONDS: String(30 * 24 * 3600) } });
const sql = T.database.sql;
const { as, must } = createCaller(T);
const dep = await bootstrap(T);
const mechanism = await mechanismKeyOf(T, dep.supervisor);
const officer = await enrolActor(T, dep.admin, { username: 'officer-awa', role: 'officer', orgId: dep.mechanismId });
const officerB = await enrolActor(T, dep.admin, { username: 'officer-bakary', role: 'officer', orgId: dep.mechanismId });
const bintou = await enrolActor(T, dep.admin, { username: 'supervisor-bintou', role: 'supervisor', orgId: dep.mechanismId });
const cheick = await enrolActor(T, dep.admin, { username: 'supervisor-cheick', role: 'supervisor', orgId: dep.mechanismId });
for (const s of [bintou, cheick]) {
  await must(as(dep.supervisor, 'POST', `/v1/orgs/${dep.mechanismId}/keyring`, { userId: s.id, entry: sealKeyringEntry(mechanism.privateKey, s.keyPair.publicKey).entry }), 201);
}
const keysOf = new Map<Actor, BoxKeyPair[]>([
  [dep.supervisor, [mechanism]],
  [bintou, [bintou.keyPair, await mechanismKeyOf(T, bintou)]],
  [cheick, [cheick.keyPair, await mechanismKeyOf(T, cheick)]],
]);

const code = (body: string) => (JSON.parse(body) as { code?: string }).code;
const url = (c: FiledCase, path: string) => `/v1/cases/${c.caseId}${path}`;
const step = (who: Actor | FiledCase['defender'], c: FiledCase, name: string, body: object = {}) => must(as(who, 'POST', url(c, `/${name}`), body));

/** What `who` gets on GET /v1/cases/:id/sealed: 200, or the problem code. */
async function sealedRead(who: Actor, c: FiledCase): Promise<string> {
  const r = await as(who, 'GET', url(c, '/sealed'));
  return r.statusCode === 200 ? 'served' : `${r.statusCode} ${code(r.body)}`;
}
const SERVED = 'served';
const REFUSED = '403 break_glass_required';

/** The case key as `who`'s client opens it (the mechanism envelope, or their own). */
async function dekOf(who: Actor, c: FiledCase): Promise<Uint8Array> {
  const r = await must<{ envelopes: Array<{ keyId: string; envelope: string }> }>(as(who, 'GET', url(c, '/sealed')));
  return openRekeyDek({ own: r.envelopes }, keysOf.get(who)!);
}
async function grant(holder: Actor, c: FiledCase, to: Actor) {
  await must(as(holder, 'POST', url(c, '/envelopes'), { userId: to.id, ...sealEnvelope(await dekOf(holder, c), to.keyPair.publicKey) }), 201);
}
async function record(c: FiledCase) {
  const id = randomUUID();
  await must(
    as(officer, 'POST', url(c, '/assessments'), {
      id,
      threats: [{ kind: 'declared', source: 'armed_group', canBeCarriedOut: 'yes', imminent: false, rating: 4 }],
      vulnerability: { factors: ['exposed_location'], rating: 3 },
      capacity: { factors: ['support_network'], rating: 2 },
      sealed: { 'threats.0.facts': sealField('Des hommes armés', c.defender.dek, assessmentFieldAd(id, 'threats.0.facts')) },
    }),
    201,
  );
}
/** A case taken by the officer in triage, given the key by the first supervisor (intake duty), admitted. */
async function admitted(): Promise<FiledCase> {
  const c = await fileCase(T, dep);
  await step(officer, c, 'acknowledge');
  await grant(dep.supervisor, c, officer);
  await step(officer, c, 'admit');
  return c;
}
/** An admitted case whose assessment is complete: in decision. */
async function inDecision(): Promise<FiledCase> {
  const c = await admitted();
  await record(c);
  await step(officer, c, 'complete-assessment');
  return c;
}

t.test('intake duty: a case in the intake pool or in triage is every supervisor’s; once admitted, it is not', async (t) => {
  const c = await fileCase(T, dep);
  t.equal(await sealedRead(bintou, c), SERVED, 'received');
  await step(officer, c, 'acknowledge');
  t.equal(await sealedRead(bintou, c), SERVED, 'triage');
  // Giving the officer the case key in triage is the routine the mechanism envelope is for.
  await grant(bintou, c, officer);
  await step(officer, c, 'request-info', { reason: 'Date de la menace manquante' });
  t.equal(await sealedRead(bintou, c), SERVED, 'information requested (still triage)');
  await step(c.defender, c, 'provide-info');
  await step(officer, c, 'admit');
  t.equal(await sealedRead(bintou, c), REFUSED, 'assessment: outside the case');
  t.equal(await sealedRead(dep.supervisor, c), REFUSED, 'whoever granted in triage');
});

t.test('giving the assigned officer the case key is routine: no break-glass while they have none, refused once they have it', async (t) => {
  const c = await fileCase(T, dep);
  await step(officer, c, 'acknowledge');
  await step(officer, c, 'admit');
  t.equal(await sealedRead(bintou, c), SERVED, 'the officer holds no envelope: the grant waits on the supervisors');
  await grant(bintou, c, officer);
  t.equal(await sealedRead(bintou, c), REFUSED, 'granted: nothing waits any more');
});

t.test('an envelope of one’s own: a reader granted on purpose is part of the case; the mechanism keyring alone is not', async (t) => {
  const c = await fileCase(T, dep);
  await step(officer, c, 'acknowledge');
  await grant(dep.supervisor, c, officer);
  await grant(dep.supervisor, c, bintou);
  await step(officer, c, 'admit');
  const r = await must<{ envelopes: Array<{ keyId: string }> }>(as(bintou, 'GET', url(c, '/sealed')));
  t.ok(r.envelopes.some((e) => e.keyId === keyIdOf(bintou.keyPair.publicKey)), 'served, with their own envelope');
  t.equal(await sealedRead(cheick, c), REFUSED, 'a supervisor with the mechanism keyring only');
});

t.test('adding a reader: only while one could read the case, and never oneself', async (t) => {
  const c = await fileCase(T, dep);
  await step(officer, c, 'acknowledge');
  // In triage a supervisor holds the case key (the mechanism envelope) like every other.
  const dek = await dekOf(bintou, c);
  const self = await as(bintou, 'POST', url(c, '/envelopes'), { userId: bintou.id, ...sealEnvelope(dek, bintou.keyPair.publicKey) });
  t.equal(self.statusCode, 409, self.body);
  t.equal(code(self.body), 'separation_of_duties', 'nobody makes themself a reader');
  await grant(bintou, c, officer);
  await step(officer, c, 'admit');
  // Past triage, the key bintou's client kept opens nothing new on the server: no reader added through it.
  const r = await as(bintou, 'POST', url(c, '/envelopes'), { userId: cheick.id, ...sealEnvelope(dek, cheick.keyPair.publicKey) });
  t.equal(r.statusCode, 403, r.body);
  t.equal(code(r.body), 'break_glass_required', 'a supervisor outside the case adds no reader');
  t.equal((await sql`select count(*)::int as n from case_envelopes where case_id = ${c.caseId} and recipient_type = 'user' and recipient_id in (${bintou.id}, ${cheick.id})`)[0]!.n, 0, 'nothing written');
});

t.test('the case supervisor is part of the case; another supervisor is not', async (t) => {
  const c = await admitted();
  t.equal(await sealedRead(cheick, c), REFUSED, 'before');
  await assignCaseSupervisor(T, c.caseId, cheick);
  t.equal(await sealedRead(cheick, c), SERVED, 'the case supervisor');
  t.equal(await sealedRead(bintou, c), REFUSED, 'another supervisor');
});

t.test('a measure to approve makes every supervisor but its proposer part of the case, until it is decided', async (t) => {
  const c = await inDecision();
  const id = randomUUID();
  await must(as(officer, 'POST', url(c, '/measures'), { id, code: 'security_training', implementer: 'cndh', details: sealField({ text: 'Formation' }, c.defender.dek, measureDetailsAd(id)) }), 201);
  t.equal(await sealedRead(bintou, c), REFUSED, 'proposed: it waits on the defender, not on a supervisor');
  await must(as(c.defender, 'POST', `/v1/measures/${id}/consent`, { decision: 'consent' }));
  t.equal(await sealedRead(bintou, c), SERVED, 'consented: it waits on a supervisor');
  const listed = await must<{ items: Array<{ details: string | null; sealedWithheld?: boolean }> }>(as(bintou, 'GET', url(c, '/measures')));
  t.ok(listed.items[0]?.details?.startsWith('v2.'), 'the approver reads the details');
  const approved = await must<{ details: string | null }>(as(bintou, 'POST', `/v1/measures/${id}/decision`, { decision: 'approve', reason: 'Menaces confirmées par l’évaluation.' }));
  t.ok(approved.details?.startsWith('v2.'), 'and gets them back with the decision');
  t.equal(await sealedRead(bintou, c), REFUSED, 'approved: nothing waits on them any more');
  const after = await must<{ items: Array<{ code: string; status: string; details: string | null; sealedWithheld?: boolean }> }>(as(bintou, 'GET', url(c, '/measures')));
  t.match(after.items[0], { code: 'security_training', status: 'approved', details: null, sealedWithheld: true }, 'the measure stays in view, its details withheld');
  const implementing = await must<{ details: string | null; sealedWithheld?: boolean }>(as(bintou, 'POST', `/v1/measures/${id}/implement`, { reason: 'Prestataire mandaté.' }));
  t.match(implementing, { details: null, sealedWithheld: true }, 'acting on a measure is not reading the case');
  const officerView = await must<{ items: Array<{ details: string | null; sealedWithheld?: boolean }> }>(as(officer, 'GET', url(c, '/measures')));
  t.ok(officerView.items[0]?.details?.startsWith('v2.'), 'the assigned officer reads them as before');
  t.notOk('sealedWithheld' in officerView.items[0]!);

  // The defender's check-in note: metadata for every supervisor, the note only for readers.
  const checkin = randomUUID();
  await must(as(c.defender, 'POST', url(c, '/checkins'), { id: checkin, code: 'need_contact', note: sealField({ text: 'Appelez-moi' }, c.defender.dek, caseReportNoteAd('checkin', checkin)) }), 201);
  const reports = await must<{ items: Array<{ id: string; code: string; note: string | null; sealedWithheld?: boolean }> }>(as(bintou, 'GET', url(c, '/reports')));
  t.match(reports.items.find((r) => r.id === checkin), { code: 'need_contact', note: null, sealedWithheld: true });

  // Its proposer is not made part of a case by their own measure.
  const c2 = await inDecision();
  const id2 = randomUUID();
  await must(as(cheick, 'POST', url(c2, '/measures'), { id: id2, code: 'security_training', implementer: 'cndh' }), 201);
  await must(as(c2.defender, 'POST', `/v1/measures/${id2}/consent`, { decision: 'consent' }));
  t.equal(await sealedRead(cheick, c2), REFUSED, 'the proposer: they may not approve it');
  t.equal(await sealedRead(bintou, c2), SERVED, 'another supervisor may');
});

t.test('an appeal to decide makes every supervisor but the one who took the decision part of the case, until it is decided', async (t) => {
  const c = await fileCase(T, dep);
  await step(officer, c, 'acknowledge');
  await grant(dep.supervisor, c, officer);
  // A supervisor declines the case: the appeal is not theirs to decide.
  await step(cheick, c, 'decline', { reason: 'Hors du mandat du mécanisme', declineReason: 'outside_mandate' });
  t.equal(await sealedRead(bintou, c), REFUSED, 'declined: closed, nothing waits');
  const id = randomUUID();
  await must(as(c.defender, 'POST', url(c, '/appeals'), { id, subject: 'decline', grounds: sealField({ text: 'Je suis bien défenseure' }, c.defender.dek, appealGroundsAd(id)) }), 201);
  t.equal(await sealedRead(bintou, c), SERVED, 'an appeal waits on a supervisor');
  t.equal(await sealedRead(cheick, c), REFUSED, 'not on the one who declined');
  const listed = await must<{ items: Array<{ grounds: string | null }> }>(as(bintou, 'GET', url(c, '/appeals')));
  t.ok(listed.items[0]?.grounds?.startsWith('v2.'), 'the decider reads the grounds');
  await must(as(bintou, 'POST', `/v1/appeals/${id}/decision`, { outcome: 'dismissed', reason: 'Hors du mandat, confirmé.' }));
  t.equal(await sealedRead(bintou, c), REFUSED, 'decided: nothing waits');
  const after = await must<{ items: Array<{ state: string; grounds: string | null; sealedWithheld?: boolean }> }>(as(bintou, 'GET', url(c, '/appeals')));
  t.match(after.items[0], { state: 'dismissed', grounds: null, sealedWithheld: true }, 'the appeal stays in view, its grounds withheld');
});

t.test('an assigned officer with no envelope yet: 409 no_envelope, audited once as refused, and told to ask a supervisor', async (t) => {
  const c = await fileCase(T, dep);
  await step(officerB, c, 'acknowledge');
  const before = (await sql`select count(*)::int as n from audit_events where actor = ${`u:${officerB.id}`} and case_id = ${c.caseId}`)[0]!.n as number;
  const r = await as(officerB, 'GET', url(c, '/sealed'));
  t.equal(r.statusCode, 409, r.body);
  t.equal(code(r.body), 'no_envelope');
  t.match(JSON.parse(r.body).detail, /ask a supervisor/);
  const events = await sql`select action, outcome, reason from audit_events where actor = ${`u:${officerB.id}`} and case_id = ${c.caseId} order by id`;
  t.equal(events.length, before + 1, 'one event');
  t.match(events[events.length - 1], { action: 'case.read_sealed', outcome: 'denied', reason: 'no_envelope' });
  // Out of scope is still a 404: another officer's case.
  const other = await as(officer, 'GET', url(c, '/sealed'));
  t.equal(other.statusCode, 404);
  t.equal(code(other.body), 'not_found');
  await grant(bintou, c, officerB);
  t.equal(await sealedRead(officerB, c), SERVED, 'once granted');
});

t.test('an escalation addressed to a supervisor makes them part of the case while its deadline is open', async (t) => {
  const c = await admitted();
  t.equal(await sealedRead(bintou, c), REFUSED, 'before');
  const db = T.database.db;
  const escalation = createEscalationService({ db, repo: createEscalationRepository(db), cases: createCaseRepository(db), outbox: createOutbox(), audit: T.app.container.services.audit, clock: T.clock, policy: loadDeadlinePolicy(policiesPath(T.config)) });
  const d = (await sql`select id, due_at from deadlines where case_id = ${c.caseId} and rule = 'assessment' and state = 'open'`)[0]!;
  T.clock.set(new Date(new Date(d.due_at as string).getTime() + 1000));
  t.match(await escalation.fire(d.id as string, 'level1'), { outcome: 'fired' });
  t.equal(await sealedRead(bintou, c), SERVED, 'level 1: to every supervisor while the case has none of its own');
  await record(c);
  await step(officer, c, 'complete-assessment');
  // The assessment deadline is settled; the decision now waits on the supervisors through its own deadline only once it escalates.
  t.equal(await sealedRead(bintou, c), REFUSED, 'settled: the escalation no longer waits on them');
});
