/**
 * Break-glass (access.md, "Separation of duties"; docs/break-glass.md): a supervisor outside a
 * case is refused its sealed content and the mechanism's envelope (403 break_glass_required,
 * audited) until they open a break-glass with a written reason. Opening one writes the row, a
 * timeline entry staff see (never the defender), the audit event and a notification to every
 * other supervisor, in one transaction; every read in the window is audited as break_glass.read
 * with its id; when the window (policies/break-glass.yaml, 8 h) is over, the refusal is back.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { buildTestApp, REDIS_URL } from '../helpers/app.js';
import { partnerOrg, bootstrap, enrolActor, type Actor, admitCase, fileCase, mechanismKeyOf } from '../helpers/world.js';
import { createCaller } from '../workflow/story-kit.js';
import { startNotificationDelivery } from '../../workers/notification-delivery.js';
import { assessmentFieldAd, caseFieldAd, keyIdOf, messageBodyAd, openField, openRekeyDek, ready, sealField, sealKeyringEntry } from '../../src/sdk/index.js';

await ready();
// Sessions outlive the 8 h the window test moves the clock by.
const T = await buildTestApp(t, { now: '2026-09-07T08:00:00.000Z', env: { REFRESH_TOKEN_TTL_SECONDS: String(7 * 24 * 3600) } });
const sql = T.database.sql;
const { as, must } = createCaller(T);
const dep = await bootstrap(T);
const mechanism = await mechanismKeyOf(T, dep.supervisor);
const officer = await enrolActor(T, dep.admin, { username: 'officer-awa', role: 'officer', orgId: dep.mechanismId });
const bintou = await enrolActor(T, dep.admin, { username: 'supervisor-bintou', role: 'supervisor', orgId: dep.mechanismId });
const cheick = await enrolActor(T, dep.admin, { username: 'supervisor-cheick', role: 'supervisor', orgId: dep.mechanismId });
const partner = await partnerOrg(T, dep.admin, { name: 'Avocats sans frontières', username: 'partner-asf' });
// Every supervisor holds the mechanism key: the keyring is not what keeps them out of a case.
for (const s of [bintou, cheick]) {
  await must(as(dep.supervisor, 'POST', `/v1/orgs/${dep.mechanismId}/keyring`, { userId: s.id, entry: sealKeyringEntry(mechanism.privateKey, s.keyPair.publicKey).entry }), 201);
}
const bintouMechanism = await mechanismKeyOf(T, bintou);

const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const delivery = await startNotificationDelivery({ container: T.app.container, connection, log: pino({ level: 'silent' }), intervalMs: 60_000 });
t.teardown(async () => {
  await delivery.close();
  connection.disconnect();
});

/** A case past triage: acknowledged and granted to the officer, admitted, with a message and an assessment version. */
async function caseOutsideIntake() {
  const MARK = `MARQUEUR-${randomUUID()}`;
  const filed = await fileCase(T, dep, { secrets: { identity: `Aminata ${MARK}`, contact: `+223 ${MARK}`, narrative: `Menaces ${MARK}` } });
  await admitCase(T, dep, officer, filed.caseId);
  const messageId = randomUUID();
  const sender = `d:${filed.caseId}`;
  await must(as(filed.defender, 'POST', `/v1/cases/${filed.caseId}/messages`, { id: messageId, body: sealField({ text: `Ils reviennent ${MARK}` }, filed.defender.dek, messageBodyAd(messageId, sender)) }), 201);
  const assessmentId = randomUUID();
  await must(
    as(officer, 'POST', `/v1/cases/${filed.caseId}/assessments`, {
      id: assessmentId,
      threats: [{ kind: 'declared', source: 'armed_group', canBeCarriedOut: 'yes', imminent: false, rating: 4 }],
      vulnerability: { factors: ['exposed_location'], rating: 3 },
      capacity: { factors: ['support_network'], rating: 2 },
      sealed: { 'threats.0.facts': sealField(`Des hommes armés ${MARK}`, filed.defender.dek, assessmentFieldAd(assessmentId, 'threats.0.facts')) },
    }),
    201,
  );
  return { ...filed, MARK };
}

const main = await caseOutsideIntake();
const url = (path: string, caseId = main.caseId) => `/v1/cases/${caseId}${path}`;
const code = (body: string) => (JSON.parse(body) as { code?: string }).code;
/** The last audit event `who` caused (reads are on disk before their answer goes out). */
const lastEvent = async (who: Actor) => (await sql`select action, outcome, reason, case_id from audit_events where actor = ${`u:${who.id}`} order by id desc limit 1`)[0]!;
const REASON = "Alerte levée à 2 h du matin, l'agente en charge est injoignable : lecture du dossier pour décider d'une mesure urgente.";

t.test('a supervisor outside the case is refused its sealed content and the mechanism envelope, and told to open a break-glass', async (t) => {
  for (const [method, path] of [
    ['GET', '/sealed'],
    ['GET', '/messages'],
    ['GET', '/rekey'],
  ] as const) {
    const r = await as(bintou, method, url(path));
    t.equal(r.statusCode, 403, `${path}: ${r.body}`);
    t.equal(code(r.body), 'break_glass_required', path);
    t.match(JSON.parse(r.body).detail, /break-glass/, `${path}: the problem says what to do`);
    t.notOk(/\bv[12]\./.test(r.body), `${path}: no envelope, no ciphertext`);
    t.match(await lastEvent(bintou), { outcome: 'denied', case_id: main.caseId, reason: 'outside the case: no open break-glass' }, `${path}: audited as denied`);
  }
  const id = randomUUID();
  const write = await as(bintou, 'POST', url('/messages'), { id, body: sealField({ text: 'x' }, main.defender.dek, messageBodyAd(id, `u:${bintou.id}`)) });
  t.equal(code(write.body), 'break_glass_required', 'nor writes to the defender');

  // Metadata stays in every supervisor's scope: the assessment's codes and level, without its sealed narrative.
  const a = await as(bintou, 'GET', url('/assessments'));
  t.equal(a.statusCode, 200);
  t.equal(a.json().versions[0].level, 'high', 'the level is metadata');
  t.same(a.json().versions[0].sealed, {}, 'the narrative is left out');
  t.equal(a.json().versions[0].sealedWithheld, true, 'and the answer says so');
  t.notOk(/\bv[12]\./.test(a.body));
  t.match(await lastEvent(bintou), { action: 'assessment.read', outcome: 'allowed', reason: null });

  const none = await as(bintou, 'GET', url('/sealed', randomUUID()));
  t.equal(none.statusCode, 404, 'a case that does not exist is still a 404');
  t.equal(code(none.body), 'not_found');

  // The supervisor who took the case in triage is not part of it for ever either.
  t.equal(code((await as(dep.supervisor, 'GET', url('/sealed'))).body), 'break_glass_required', 'granting in triage makes nobody part of the case afterwards');
});

t.test('only a supervisor opens a break-glass, with a reason of 1 to 1,000 characters; nothing is written otherwise', async (t) => {
  const rows = async () => (await sql`select count(*)::int as n from break_glass`)[0]!.n as number;
  const denied = async () => (await sql`select count(*)::int as n from audit_events where action = 'case.break_glass' and outcome = 'denied'`)[0]!.n as number;
  for (const [reason, why] of [
    ['x'.repeat(1001), 'over 1,000 characters'],
    ['', 'empty'],
    ['   \n ', 'only spaces'],
  ] as const) {
    const r = await as(bintou, 'POST', url('/break-glass'), { reason });
    t.equal(r.statusCode, 400, why);
    t.equal(code(r.body), 'validation_failed', why);
  }
  t.equal(code((await as(bintou, 'POST', url('/break-glass'), {})).body), 'validation_failed', 'a reason is required');
  const before = await denied();
  for (const who of [officer, partner.member, dep.admin, main.defender] as const) {
    const r = await as(who, 'POST', url('/break-glass'), { reason: REASON });
    t.equal(r.statusCode, 403, `${'role' in who ? who.role : 'defender'}: ${r.body}`);
    t.equal(code(r.body), 'forbidden');
  }
  t.equal(await denied(), before + 4, 'each refusal audited');
  t.equal(await rows(), 0, 'no break-glass written');
  t.equal((await sql`select count(*)::int as n from case_timeline where action = 'case.break_glass'`)[0]!.n, 0, 'no timeline entry');
  t.equal((await sql`select count(*)::int as n from outbox where topic = 'case.break_glass'`)[0]!.n, 0, 'nobody told');

  // 1,000 characters are accepted (on another case, so that this file's window stays the one below).
  const other = await caseOutsideIntake();
  const r = await as(cheick, 'POST', url('/break-glass', other.caseId), { reason: 'y'.repeat(1000) });
  t.equal(r.statusCode, 201, r.body);
});

t.test('opening one: the row, a timeline entry staff see, the audit event (the id, not the words) and every other supervisor told', async (t) => {
  const opened = await as(bintou, 'POST', url('/break-glass'), { reason: REASON });
  t.equal(opened.statusCode, 201, opened.body);
  const bg = opened.json();
  t.match(bg, { caseId: main.caseId, supervisorId: bintou.id, openedAt: T.clock.now().toISOString() });
  t.equal(new Date(bg.expiresAt).getTime() - new Date(bg.openedAt).getTime(), 8 * 3600_000, 'the window of policies/break-glass.yaml: 8 h');
  t.match((await sql`select case_id, supervisor_id, reason from break_glass where id = ${bg.id}`)[0], { case_id: main.caseId, supervisor_id: bintou.id, reason: REASON }, 'the reason is kept, in clear, for the auditors');

  const event = (await sql`select outcome, reason, resource from audit_events where action = 'case.break_glass' and actor = ${`u:${bintou.id}`} and outcome = 'allowed'`)[0]!;
  t.ok(event, 'audited');
  t.match(event.reason, new RegExp(`break_glass ${bg.id} until ${bg.expiresAt}`));
  t.notOk(String(event.reason).includes('injoignable'), 'the audit log, which cannot be purged, holds the id, not the words');

  // Staff see it on the timeline (the case's supervisors and its officer); the defender has no timeline.
  for (const who of [dep.supervisor, officer]) {
    const items = (await must<{ items: Array<{ action: string; actor: string; reason: string }> }>(as(who, 'GET', url('/timeline')))).items;
    const entry = items.find((i) => i.action === 'case.break_glass');
    t.ok(entry, `${who.username} sees it on the timeline`);
    t.equal(entry?.actor, `u:${bintou.id}`);
    t.match(entry?.reason, REASON);
  }
  t.equal((await as(main.defender, 'GET', url('/timeline'))).statusCode, 403, 'the defender sees no timeline');

  // Every other active supervisor is told in-app, with ids only; the opener and the officer are not.
  await delivery.tick();
  const inbox = async (who: Actor) => (await must<{ items: Array<{ topic: string; caseId: string; reference: string; payload: Record<string, unknown> }> }>(as(who, 'GET', '/v1/notifications'))).items.filter((n) => n.topic === 'case.break_glass' && n.caseId === main.caseId);
  for (const who of [dep.supervisor, cheick]) {
    const n = await inbox(who);
    t.equal(n.length, 1, `${who.username} is told`);
    t.match(n[0]?.payload, { breakGlassId: bg.id, caseId: main.caseId, expiresAt: bg.expiresAt });
    t.equal(n[0]?.reference, main.reference);
    t.notOk(JSON.stringify(n).includes('injoignable'), 'the notification carries no words of the reason');
  }
  t.equal((await inbox(bintou)).length, 0, 'not the one who opened it');
  t.equal((await inbox(officer)).length, 0, 'not the officer');
  const notices = (await must<{ items: Array<{ topic: string }> }>(as(main.defender, 'GET', url('/notices')))).items;
  t.notOk(notices.some((n) => n.topic === 'case.break_glass'), 'nor the defender');
});

t.test('in the window: the mechanism envelope and the ciphertext are served, every read audited as break_glass.read with the id', async (t) => {
  // The window the subtest above opened, as the service keeps it.
  const [opened] = await sql`select id from break_glass where case_id = ${main.caseId} and supervisor_id = ${bintou.id} order by opened_at desc limit 1`;
  const breakGlassId = opened!.id as string;
  const sealed = await as(bintou, 'GET', url('/sealed'));
  t.equal(sealed.statusCode, 200, sealed.body);
  const envelopes = sealed.json().envelopes as Array<{ keyId: string; envelope: string }>;
  t.ok(envelopes.some((e) => e.keyId === dep.mechanismKeyId), 'the mechanism envelope');
  const dek = openRekeyDek({ own: envelopes }, [bintouMechanism]);
  t.equal(openField(sealed.json().fields.narrative, dek, caseFieldAd(main.caseId, 'narrative')), `Menaces ${main.MARK}`, 'which opens the case');
  t.same(await lastEvent(bintou), { action: 'break_glass.read', outcome: 'allowed', reason: `break_glass ${breakGlassId} (case.read_sealed)`, case_id: main.caseId });

  for (const [path, action] of [
    ['/messages', 'message.read'],
    ['/assessments', 'assessment.read'],
    ['/rekey', 'case.rekey'],
  ] as const) {
    const r = await as(bintou, 'GET', url(path));
    t.equal(r.statusCode, 200, `${path}: ${r.body}`);
    // Envelopes are format 1, sealed values format 2 (padded).
    t.ok(/\bv[12]\./.test(r.body), `${path}: with its sealed values`);
    t.notOk(r.body.includes('sealedWithheld'), `${path}: nothing withheld`);
    t.same(await lastEvent(bintou), { action: 'break_glass.read', outcome: 'allowed', reason: `break_glass ${breakGlassId} (${action})`, case_id: main.caseId }, `${path}: audited as a break-glass read`);
  }
  const reads = await sql`select count(*)::int as n from audit_events where action = 'break_glass.read' and reason like ${`break_glass ${breakGlassId} %`}`;
  t.equal(reads[0]!.n, 4, 'one filter finds every read of the window');

  const r = await as(cheick, 'GET', url('/sealed'));
  t.equal(code(r.body), 'break_glass_required', "a break-glass is its opener's only");
  t.not(keyIdOf(bintou.keyPair.publicKey), dep.mechanismKeyId);
});

t.test('when the window is over, the supervisor is refused again', async (t) => {
  T.clock.advance(8 * 3600_000 - 1000);
  t.equal((await as(bintou, 'GET', url('/sealed'))).statusCode, 200, 'a second before the end: still open');
  T.clock.advance(1000);
  const r = await as(bintou, 'GET', url('/sealed'));
  t.equal(r.statusCode, 403, r.body);
  t.equal(code(r.body), 'break_glass_required');
  t.match(await lastEvent(bintou), { action: 'case.read_sealed', outcome: 'denied' });
  const a = (await must<{ versions: Array<{ sealedWithheld?: boolean }> }>(as(bintou, 'GET', url('/assessments')))).versions;
  t.equal(a[0]?.sealedWithheld, true, 'the sealed values are withheld again');
});
