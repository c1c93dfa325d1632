/**
 * Every rule of policies/deadlines.yaml starts and settles on its events, through the
 * API as each role: a deadline row is created by each of its start events with the due time of
 * the policy (ordinary or urgent), settled by each of its end events (or cancelled by the closing
 * of the case), paused and resumed where the rule says so. Coverage is read from the policy: a
 * rule, start or end event added there without a proof here fails the last test.
 *
 * Five cases: A (ordinary, the long path), B (urgent), C (no measures, appeal upheld), D
 * (declined), E (unreachable); then ten years pass and A is purged.
 */
import t from 'tap';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, buildPacket, enrolActor, reauth, fileCase, grantCaseKey, partnerOrg, type FiledCase } from '../helpers/world.js';
import { createCaller, deadlineStates, type Who } from '../workflow/story-kit.js';
import { loadDeadlinePolicy, type DeadlineName, type DurationRule } from '../../src/deadlines/deadline-policy.js';
import { assessmentFieldAd, ready, sealField } from '../../src/sdk/index.js';

await ready();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const policy = loadDeadlinePolicy(join(process.cwd(), 'policies'));
// Monday 1 June 2026, 08:00 in Bamako (UTC+0): no public holiday in the working-day windows below.
const T = await buildTestApp(t, { now: '2026-06-01T08:00:00.000Z', env: { REFRESH_TOKEN_TTL_SECONDS: String(30 * 24 * 3600) } });
const dep = await bootstrap(T);
const { admin, supervisor } = dep;
const awa = await enrolActor(T, admin, { username: 'officer-awa', role: 'officer', orgId: dep.mechanismId });
// A second supervisor: the four eyes of the urgent track, and the one who hears appeals.
const fatou = await enrolActor(T, admin, { username: 'supervisor-fatou', role: 'supervisor', orgId: dep.mechanismId });
const asf = await partnerOrg(T, admin, { name: 'Avocats sans frontières Mali', username: 'partner-asf' });
const { as, must, fresh, loggedIn, caseKey } = createCaller(T);
/** The supervisor gives the officer the case key (with a fresh token). */
async function grant(c: string): Promise<void> {
  await fresh(supervisor);
  await grantCaseKey(T, supervisor, c, awa);
}
const iso = (ms: number) => new Date(ms).toISOString();
const now = () => iso(T.clock.now().getTime());

type Row = Awaited<ReturnType<typeof deadlineStates>>[number];
/** `<rule> starts on <event>`, `<rule> ends on <event>`, `<rule> pauses on ...`, `<rule> resumes on ...` */
const proved = new Set<string>();

/** The due time the policy gives a calendar duration (independent of src/deadlines/due-time.ts). */
function calendarDue(d: DurationRule | null, startMs: number): string | null {
  if (!d) return null;
  if ('hours' in d) return iso(startMs + d.hours * HOUR);
  if ('days' in d) return iso(startMs + d.days * DAY);
  if ('years' in d) {
    const x = new Date(startMs);
    x.setUTCFullYear(x.getUTCFullYear() + d.years);
    return iso(x.getTime());
  }
  return null; // working days, measure end, risk level: given explicitly by the caller
}

/**
 * The one deadline of `rule` (on `subject`) that `event` has just opened: open, started now, with
 * the due time of the policy for the mode, or `due` when the policy's duration is not calendar time.
 */
async function started(t: Tap, c: string, rule: DeadlineName, event: string, opts: { urgent?: boolean; subject?: string | null; due?: string } = {}): Promise<Row> {
  const urgent = opts.urgent ?? false;
  const fresh = (await deadlineStates(T, c)).filter((d) => d.rule === rule && d.subjectId === (opts.subject ?? null) && d.state === 'open' && d.startedAt === now());
  const r = policy.rules.get(rule)!;
  t.ok(r.starts.includes(event), `${event} is a start event of ${rule}`);
  t.equal(fresh.length, 1, `${event} opens one ${rule} deadline`);
  const d = fresh[0]!;
  const due = opts.due ?? calendarDue(urgent ? r.urgent : r.ordinary, T.clock.now().getTime());
  t.ok(due, `a due time to check for ${rule}`);
  t.equal(d?.dueAt, due, `${rule} (${urgent ? 'urgent' : 'ordinary'}) due ${due}`);
  t.equal(d?.urgent, urgent);
  if (fresh.length === 1 && d.dueAt === due && r.starts.includes(event)) proved.add(`${rule} starts on ${event}`);
  return d;
}

/** `row` was settled (or cancelled, for the closing of the case) by `event`, just now. */
async function ended(t: Tap, row: Row | undefined, event: string, state: 'settled' | 'cancelled' = 'settled'): Promise<void> {
  if (!row) return void t.fail(`no deadline to end with ${event}`);
  const [r] = await T.database.sql`select state, settled_at from deadlines where id = ${row.id}`;
  const after = r ? { state: r.state as string, settledAt: r.settled_at ? new Date(r.settled_at as string).toISOString() : null } : undefined;
  const listed = policy.rules.get(row.rule as DeadlineName)!.ends.includes(event);
  // Closing a case stops every deadline it has, whether or not the rule lists case.closed.
  if (event !== 'case.closed') t.ok(listed, `${event} is an end event of ${row.rule}`);
  t.match(after, { state, settledAt: now() }, `${event} ${state} ${row.rule}`);
  if (after?.state === state && after.settledAt === now()) proved.add(listed ? `${row.rule} ends on ${event}` : `${row.rule} cancelled on ${event}`);
}

type Tap = Pick<typeof t, 'ok' | 'equal' | 'match' | 'fail' | 'same'>;
const one = async (c: string, rule: string, subject: string | null = null, state = 'open') => (await deadlineStates(T, c)).find((d) => d.rule === rule && d.subjectId === subject && d.state === state);
const step = async (who: Who, c: string, name: string, body: object = {}) => must(as(who, 'POST', `/v1/cases/${c}/${name}`, body));

async function assess(c: string, imminent = false): Promise<void> {
  const id = randomUUID();
  const dek = await caseKey(awa, c);
  await must(
    as(awa, 'POST', `/v1/cases/${c}/assessments`, {
      id,
      threats: [{ kind: 'declared', source: 'criminal_group', canBeCarriedOut: 'yes', imminent, rating: 4 }],
      vulnerability: { factors: ['exposed_location', 'family_exposed'], rating: 3 },
      capacity: { factors: ['support_network'], rating: 2 },
      sealed: { 'threats.0.facts': sealField('Menaces par SMS.', dek, assessmentFieldAd(id, 'threats.0.facts')) },
    }),
    201,
  );
}
const propose = (c: string, id: string, by: Who = awa, code = 'securing_premises') => must(as(by, 'POST', `/v1/cases/${c}/measures`, { id, code, implementer: 'cndh' }), 201);
const consent = (f: FiledCase, id: string, decision: 'consent' | 'refuse' = 'consent') => must(as(f.defender, 'POST', `/v1/measures/${id}/consent`, { decision }));

// ---------------------------------------------------------------- case A: ordinary, long path
const filedAt = T.clock.now().getTime();
const A = await fileCase(T, dep);
loggedIn(A.defender);
const a = A.caseId;
const m1 = randomUUID();
const m2 = randomUUID();
const m3 = randomUUID();

t.test('A: acknowledge (48 h), triage (5 working days) paused and resumed, info_reply (14 days)', async (t) => {
  const ack = await started(t, a, 'acknowledge', 'case.received');
  t.equal(ack.dueAt, iso(filedAt + 48 * HOUR), 'acknowledged within 48 h');
  await step(awa, a, 'acknowledge');
  await ended(t, ack, 'case.acknowledged');
  const triage = await started(t, a, 'triage', 'case.acknowledged', { due: '2026-06-08T23:59:59.000Z' });
  await grant(a);

  await step(awa, a, 'request-info', { reason: 'Date de la dernière menace manquante' });
  t.match(await one(a, 'triage', null, 'paused'), { id: triage.id, dueAt: triage.dueAt }, 'triage paused');
  proved.add('triage pauses on case.info_requested');
  const info = await started(t, a, 'info_reply', 'case.info_requested');

  T.clock.advance(DAY); // the defender answers on Tuesday
  await step(A.defender, a, 'provide-info');
  await ended(t, info, 'case.info_provided');
  t.match(await one(a, 'triage'), { id: triage.id, dueAt: '2026-06-09T23:59:59.000Z' }, 'triage resumed, the waiting day given back');
  proved.add('triage resumes on case.info_provided');

  await step(awa, a, 'admit');
  await ended(t, triage, 'case.admitted');
});

t.test('A: assessment (10 days) and decision (3 working days); consent (7 days) refused', async (t) => {
  const assessment = await started(t, a, 'assessment', 'case.admitted');
  await assess(a);
  await step(awa, a, 'complete-assessment');
  await ended(t, assessment, 'assessment.completed');
  // Completed on Tuesday 2 June: the 3rd working day after it is Friday 5 June.
  await started(t, a, 'decision', 'assessment.completed', { due: '2026-06-05T23:59:59.000Z' });

  await propose(a, m1);
  const c1 = await started(t, a, 'consent', 'measure.proposed', { subject: m1 });
  t.equal(c1.dueAt, iso(T.clock.now().getTime() + 7 * DAY), '7 calendar days');
  await consent(A, m1, 'refuse');
  await ended(t, c1, 'measure.refused');
});

t.test('A: consent given, approval (3 working days) rejected; then a measure approved, implemented, reviewed, lifted', async (t) => {
  await propose(a, m2);
  const c2 = await started(t, a, 'consent', 'measure.proposed', { subject: m2 });
  await consent(A, m2);
  await ended(t, c2, 'measure.consented');
  const ap2 = await started(t, a, 'approval', 'measure.consented', { subject: m2, due: '2026-06-05T23:59:59.000Z' });
  await must(as(supervisor, 'POST', `/v1/measures/${m2}/decision`, { decision: 'reject', reason: 'Mesure disproportionnée.' }));
  await ended(t, ap2, 'measure.rejected');

  const decision = await one(a, 'decision');
  await propose(a, m3);
  await consent(A, m3);
  const ap3 = await one(a, 'approval', m3);
  await must(as(supervisor, 'POST', `/v1/measures/${m3}/decision`, { decision: 'approve', reason: 'Menaces établies.' }));
  await ended(t, ap3, 'measure.approved');
  await ended(t, decision, 'measure.approved');
  const impl = await started(t, a, 'implementation', 'measure.approved', { subject: m3 });
  // Assessed high: the defender checks in every 24 h, plus 2 h of grace.
  await started(t, a, 'checkin', 'case.protection_started', { due: iso(T.clock.now().getTime() + 26 * HOUR) });

  await must(as(awa, 'POST', `/v1/measures/${m3}/implement`, { reason: 'Devis accepté.' }));
  const active = await must<{ endsAt: string }>(as(awa, 'POST', `/v1/measures/${m3}/activate`, {}));
  await ended(t, impl, 'measure.activated');
  const review = await started(t, a, 'review', 'measure.activated', { subject: m3, due: active.endsAt });

  T.clock.advance(HOUR);
  const reviewed = await must<{ endsAt: string }>(as(awa, 'POST', `/v1/measures/${m3}/review`, { reason: 'Menaces toujours actives.', extendDays: 30 }));
  await ended(t, review, 'measure.reviewed');
  await started(t, a, 'review', 'measure.activated', { subject: m3, due: reviewed.endsAt });
});

t.test('A: check-in, reassessment, protection continued; the measure lifted, an appeal heard', async (t) => {
  const checkin = await one(a, 'checkin');
  T.clock.advance(HOUR);
  await must(as(A.defender, 'POST', `/v1/cases/${a}/checkins`, { id: randomUUID() }), 201);
  await ended(t, checkin, 'checkin.received');
  await started(t, a, 'checkin', 'checkin.received', { due: iso(T.clock.now().getTime() + 26 * HOUR) });

  await step(awa, a, 'reassess', { reason: 'Nouvel incident signalé par téléphone' });
  const assessment = await started(t, a, 'assessment', 'case.reassessment_started');
  await assess(a);
  await step(awa, a, 'complete-assessment');
  await ended(t, assessment, 'assessment.completed');
  const decision = await started(t, a, 'decision', 'assessment.completed', { due: '2026-06-05T23:59:59.000Z' });
  await step(supervisor, a, 'continue-protection', { reason: 'Les mesures restent adaptées.' });
  await ended(t, decision, 'case.protection_continued');

  const review = await one(a, 'review', m3);
  T.clock.advance(HOUR);
  await must(as(awa, 'POST', `/v1/measures/${m3}/lift`, { reason: 'Les menaces ont cessé.' }));
  await ended(t, review, 'measure.lifted');

  const appealId = randomUUID();
  await must(as(A.defender, 'POST', `/v1/cases/${a}/appeals`, { id: appealId, subject: 'measure_lifted', subjectId: m3 }), 201);
  const appeal = await started(t, a, 'appeal', 'appeal.filed', { subject: appealId });
  await must(as(supervisor, 'POST', `/v1/appeals/${appealId}/decision`, { outcome: 'dismissed', reason: 'Les auteurs sont détenus.' }));
  await ended(t, appeal, 'appeal.decided');
});

t.test('A: referrals: response (5 working days) accepted, declined, withdrawn; reports (30 days) recurring, closed, withdrawn', async (t) => {
  const awaDek = await caseKey(awa, a);
  const fields = ['identity', 'narrative'];
  async function send(): Promise<{ id: string; row: Row }> {
    const id = randomUUID();
    await must(as(awa, 'POST', `/v1/cases/${a}/referrals`, { id, orgId: asf.id, fields, purpose: 'legal_assistance' }), 201);
    await must(as(A.defender, 'POST', `/v1/referrals/${id}/consent`, { decision: 'consent' }));
    const packet = await buildPacket(T, awa, awaDek, a, id, fields, asf.id);
    await must(as(awa, 'POST', `/v1/referrals/${id}/packet`, packet.body));
    // Sent on Tuesday 2 June: the 5th working day after it is Tuesday 9 June.
    return { id, row: await started(t, a, 'referral_response', 'referral.sent', { subject: id, due: '2026-06-09T23:59:59.000Z' }) };
  }
  const r1 = await send();
  await must(as(asf.member, 'POST', `/v1/referrals/${r1.id}/decline`, { reason: 'Capacité atteinte.' }));
  await ended(t, r1.row, 'referral.declined');

  const r2 = await send();
  await must(as(asf.member, 'POST', `/v1/referrals/${r2.id}/accept`));
  await ended(t, r2.row, 'referral.accepted');
  const rep1 = await started(t, a, 'referral_report', 'referral.accepted', { subject: r2.id });
  T.clock.advance(HOUR);
  await must(as(asf.member, 'POST', `/v1/referrals/${r2.id}/reports`, { id: randomUUID(), status: 'in_progress' }), 201);
  await ended(t, rep1, 'referral.progress_reported');
  const rep2 = await started(t, a, 'referral_report', 'referral.progress_reported', { subject: r2.id });
  T.clock.advance(HOUR);
  await must(as(asf.member, 'POST', `/v1/referrals/${r2.id}/reports`, { id: randomUUID(), status: 'completed' }), 201);
  await ended(t, rep2, 'referral.closed');
  t.equal(await one(a, 'referral_report', r2.id), undefined, 'a closed referral reports no more');

  const r3 = await send();
  await must(as(awa, 'POST', `/v1/referrals/${r3.id}/withdraw`, { reason: 'Besoin couvert autrement.' }));
  await ended(t, r3.row, 'referral.withdrawn');

  const r4 = await send();
  await must(as(asf.member, 'POST', `/v1/referrals/${r4.id}/accept`));
  const rep4 = await one(a, 'referral_report', r4.id);
  await must(as(awa, 'POST', `/v1/referrals/${r4.id}/withdraw`, { reason: 'Besoin couvert autrement.' }));
  await ended(t, rep4, 'referral.withdrawn');
});

t.test('A: closing cancels what runs and starts retention (10 years); reopening settles it', async (t) => {
  const live = (await deadlineStates(T, a)).filter((d) => d.state === 'open' || d.state === 'paused');
  t.same(
    live.map((d) => d.rule),
    ['checkin'],
    'only the check-in still runs',
  );
  await step(awa, a, 'close', { reason: 'Les menaces ont cessé.', closeReason: 'risk_ceased' });
  await ended(t, live[0], 'case.closed', 'cancelled');
  const retention = await started(t, a, 'retention', 'case.closed');
  t.equal(retention.dueAt, `2036${now().slice(4)}`, '10 calendar years, to the second');
  T.clock.advance(HOUR);
  await step(supervisor, a, 'reopen', { reason: 'Nouvel incident' });
  await ended(t, retention, 'case.reopened');
  T.clock.advance(HOUR);
  await step(awa, a, 'close', { reason: 'Sans suite.', closeReason: 'risk_ceased' });
  await started(t, a, 'retention', 'case.closed');
});

// ---------------------------------------------------------------- case B: urgent
t.test('B (urgent): acknowledge 1 h, triage 3 h, consent 3 h, urgent confirmation 14 days, implementation 24 h, assessment 72 h, decision 3 h', async (t) => {
  const B = await fileCase(T, dep, { metadata: { claimedUrgent: true } });
  loggedIn(B.defender);
  const b = B.caseId;
  const ack = await started(t, b, 'acknowledge', 'case.received', { urgent: true });
  t.equal(ack.dueAt, iso(T.clock.now().getTime() + HOUR), 'acknowledged within the hour');
  await step(awa, b, 'acknowledge');
  await ended(t, ack, 'case.acknowledged');
  const triage = await started(t, b, 'triage', 'case.acknowledged', { urgent: true });
  await grant(b);

  const m = randomUUID();
  await propose(b, m, supervisor, 'emergency_relocation');
  const c = await started(t, b, 'consent', 'measure.proposed', { urgent: true, subject: m });
  t.equal(c.dueAt, iso(T.clock.now().getTime() + 3 * HOUR), 'consent within 3 h');
  await consent(B, m);
  await ended(t, c, 'measure.consented');
  const approval = await started(t, b, 'approval', 'measure.consented', { urgent: true, subject: m });
  await must(as(fatou, 'POST', `/v1/measures/${m}/decision`, { decision: 'approve', reason: 'Danger imminent.' }));
  await ended(t, approval, 'measure.approved');
  const confirmation = await started(t, b, 'urgent_confirmation', 'measure.urgent_approved', { urgent: true, subject: m });
  await started(t, b, 'implementation', 'measure.approved', { urgent: true, subject: m });

  await step(awa, b, 'admit');
  await ended(t, triage, 'case.admitted');
  const assessment = await started(t, b, 'assessment', 'case.admitted', { urgent: true });
  await assess(b, true);
  await step(awa, b, 'complete-assessment');
  await ended(t, assessment, 'assessment.completed');
  const decision = await started(t, b, 'decision', 'assessment.completed', { urgent: true });
  await must(as(fatou, 'POST', `/v1/measures/${m}/confirm`, { reason: 'L’évaluation confirme le besoin.' }));
  await ended(t, confirmation, 'measure.confirmed');
  await ended(t, decision, 'measure.confirmed');
});

// ---------------------------------------------------------------- case C: no measures, appeal upheld
t.test('C: no measures decided; the appeal (15 days) upheld reopens the decision and settles retention', async (t) => {
  const C = await fileCase(T, dep);
  loggedIn(C.defender);
  const c = C.caseId;
  await step(awa, c, 'acknowledge');
  await grant(c);
  await step(awa, c, 'admit');
  await assess(c);
  await step(awa, c, 'complete-assessment');
  const decision = await one(c, 'decision');
  await step(supervisor, c, 'decide-no-measures', { reason: 'Le risque est faible.' });
  await ended(t, decision, 'case.no_measures_decided');
  const retention = await started(t, c, 'retention', 'case.closed');

  const appealId = randomUUID();
  await must(as(C.defender, 'POST', `/v1/cases/${c}/appeals`, { id: appealId, subject: 'no_measures' }), 201);
  const appeal = await started(t, c, 'appeal', 'appeal.filed', { subject: appealId });
  t.equal(appeal.dueAt, iso(T.clock.now().getTime() + 15 * DAY), '15 days');
  T.clock.advance(HOUR);
  await must(as(fatou, 'POST', `/v1/appeals/${appealId}/decision`, { outcome: 'upheld', reason: 'Les menaces relèvent du mandat.' }));
  await ended(t, appeal, 'appeal.decided');
  await ended(t, retention, 'case.reopened');
  await started(t, c, 'decision', 'case.decision_reopened', { due: '2026-06-05T23:59:59.000Z' });
});

// ---------------------------------------------------------------- cases D and E: declined, unreachable
t.test('D: declined at triage', async (t) => {
  const D = await fileCase(T, dep);
  await step(awa, D.caseId, 'acknowledge');
  const triage = await one(D.caseId, 'triage');
  await step(awa, D.caseId, 'decline', { reason: 'Hors mandat : litige commercial.', declineReason: 'unrelated_to_defence_work' });
  await ended(t, triage, 'case.declined');
});

t.test('E: closed as unreachable while information is awaited: info_reply and the paused triage are cancelled', async (t) => {
  const E = await fileCase(T, dep);
  await step(awa, E.caseId, 'acknowledge');
  await step(awa, E.caseId, 'request-info', { reason: 'Coordonnées manquantes' });
  const info = await one(E.caseId, 'info_reply');
  const triage = await one(E.caseId, 'triage', null, 'paused');
  T.clock.advance(HOUR);
  await step(awa, E.caseId, 'close-unreachable', { reason: 'Injoignable.' });
  await ended(t, info, 'case.closed', 'cancelled');
  t.match((await deadlineStates(T, E.caseId)).find((d) => d.id === triage?.id), { state: 'cancelled', settledAt: now() }, 'the paused triage stops too');
});

// ---------------------------------------------------------------- ten years later: A is purged
t.test('ten years on, the supervisor purges A: case.purged settles its retention', async (t) => {
  const retention = await one(a, 'retention');
  T.clock.set(iso(Date.parse(retention!.dueAt) + HOUR));
  await reauth(T, supervisor);
  // A hold stops the clock; released five minutes later, the time it had left (none) runs again.
  await must(as(supervisor, 'POST', `/v1/cases/${a}/retention-hold`, { reason: 'Procédure judiciaire en cours.' }));
  t.match(await one(a, 'retention', null, 'paused'), { id: retention!.id, dueAt: retention!.dueAt }, 'retention paused');
  proved.add('retention pauses on case.retention_held');
  T.clock.advance(5 * 60_000);
  await must(as(supervisor, 'POST', `/v1/cases/${a}/retention-hold/release`, { reason: 'Procédure close.' }));
  t.match(await one(a, 'retention'), { id: retention!.id, dueAt: iso(Date.parse(retention!.dueAt) + 5 * 60_000) }, 'retention resumed, the five minutes on hold given back');
  proved.add('retention resumes on case.retention_released');
  await must(as(supervisor, 'POST', `/v1/cases/${a}/purge`, { reason: 'Conservation décennale échue.' }));
  await ended(t, retention, 'case.purged');
});

t.test('every rule of the policy, each of its start and end events, was proved here', async (t) => {
  const wanted = [...policy.rules.values()].flatMap((r) => [
    ...r.starts.map((e) => `${r.name} starts on ${e}`),
    ...r.ends.map((e) => `${r.name} ends on ${e}`),
    ...(r.pause ? [`${r.name} pauses on ${r.pause.on}`, `${r.name} resumes on ${r.pause.resume}`] : []),
  ]);
  t.ok(wanted.length >= 2 * policy.rules.size, `${wanted.length} starts, ends, pauses and resumes read from the policy`);
  t.same(
    wanted.filter((w) => !proved.has(w)),
    [],
    'nothing of the policy left without a proof',
  );
  t.same(
    [...policy.rules.keys()].filter((name) => ![...proved].some((p) => p.startsWith(`${name} starts`)) || ![...proved].some((p) => p.startsWith(`${name} ends`))),
    [],
    `all ${policy.rules.size} rules started and ended`,
  );
});
