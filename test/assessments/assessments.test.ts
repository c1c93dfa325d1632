/**
 * Risk assessments as the procedure says: the assigned officer records dated versions while the
 * case is in assessment, the narratives sealed on their client; the server computes the level
 * (R = T x V / C, the override) and sets it on the case; the assessment is completed only once
 * a version exists, and a reassessment needs a new one.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, assignCaseSupervisor, measureAt, act, admitCase, caseKeyOf, caseRow, fileCase, type Caller, headersOf } from '../helpers/world.js';
import { assessmentFieldAd, openField, ready, sealField } from '../../src/sdk/index.js';

await ready();
const T = await buildTestApp(t, { now: '2026-06-01T08:00:00.000Z' });
const { dep, officers: { awa, moussa } } = await buildWorld(T, { officers: ['awa', 'moussa'] });

const MARK = `MARQUEUR-${randomUUID()}`;
const main = await fileCase(T, dep);
await admitCase(T, dep, awa, main.caseId);
const awaDek = await caseKeyOf(T, awa, main.caseId);
// The supervisor who assesses beside the officer is the case's supervisor (part of the case, no
// break-glass needed).
await assignCaseSupervisor(T, main.caseId, dep.supervisor);
const supervisorDek = await caseKeyOf(T, dep.supervisor, main.caseId);

interface Threat {
  kind: 'declared' | 'possible';
  source: string;
  canBeCarriedOut: 'yes' | 'no' | 'unknown';
  imminent: boolean;
  rating: number;
}
const threat = (over: Partial<Threat> = {}): Threat => ({ kind: 'declared', source: 'armed_group', canBeCarriedOut: 'yes', imminent: false, rating: 4, ...over });
function body(dek: Uint8Array, opts: { id?: string; threats?: Threat[]; V?: number; C?: number; sealed?: Record<string, string>; plain?: Record<string, string> } = {}) {
  const id = opts.id ?? randomUUID();
  const threats = opts.threats ?? [threat()];
  const plain = opts.plain ?? { 'threats.0.facts': `Des hommes armés sont venus au domicile. ${MARK}`, 'reasoning.vulnerability': `Vit seule près du marché. ${MARK}` };
  const sealed = opts.sealed ?? Object.fromEntries(Object.entries(plain).map(([f, v]) => [f, sealField(v, dek, assessmentFieldAd(id, f))]));
  return { id, threats, vulnerability: { factors: ['exposed_location', 'family_exposed'], rating: opts.V ?? 3 }, capacity: { factors: ['support_network'], rating: opts.C ?? 2 }, sealed };
}
const record = (who: Caller, caseId: string, payload: object) => T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/assessments`, headers: headersOf(who), payload });
const versions = (who: Caller, caseId: string) => T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/assessments`, headers: headersOf(who) });
const count = async (caseId: string) => ({
  assessments: (await T.database.sql`select count(*)::int as n from assessments where case_id = ${caseId}`)[0]!.n as number,
  timeline: (await T.database.sql`select count(*)::int as n from case_timeline where case_id = ${caseId}`)[0]!.n as number,
});
const openDeadlines = async (caseId: string) => (await T.database.sql`select rule, started_at from deadlines where case_id = ${caseId} and state = 'open' order by rule`).map((d) => d.rule as string);

t.test('the assigned officer records a version with sealed narratives; who can read and open it', async (t) => {
  const steps = ['facts', 'pattern', 'objective', 'perpetrator', 'feasibility'];
  const plain = { ...Object.fromEntries(steps.map((s) => [`threats.0.${s}`, `${s}: ${MARK}`])), 'reasoning.vulnerability': `V ${MARK}`, 'reasoning.capacity': `C ${MARK}` };
  const b = body(awaDek, { plain });
  const r = await record(awa, main.caseId, b);
  t.equal(r.statusCode, 201, r.body);
  t.match(r.json(), { id: b.id, version: 1, level: 'high', score: 6, override: false, caseUrgent: false, createdBy: awa.id });
  t.equal((await caseRow(T, main.caseId)).risk_level, 'high', 'the case takes the level');

  for (const [who, dek] of [
    [awa, awaDek],
    [dep.supervisor, supervisorDek],
  ] as const) {
    const list = await versions(who, main.caseId);
    t.equal(list.statusCode, 200, list.body);
    const v = list.json().versions[0];
    t.equal(list.json().current, 'high');
    t.same(v.threats, b.threats, 'codes and ratings in the clear');
    for (const [field, text] of Object.entries(plain)) t.equal(openField(v.sealed[field], dek, assessmentFieldAd(v.id, field)), text, `${who.username} opens ${field}`);
  }
  const v = (await versions(awa, main.caseId)).json().versions[0];
  t.throws(() => openField(v.sealed['threats.0.facts'], awaDek, assessmentFieldAd(v.id, 'threats.0.pattern')), { code: 'decrypt_failed' }, 'moved to another field, it does not open');
  t.throws(() => openField(v.sealed['threats.0.facts'], awaDek, assessmentFieldAd(randomUUID(), 'threats.0.facts')), { code: 'decrypt_failed' }, 'nor under another assessment id');

  t.equal((await versions(moussa, main.caseId)).statusCode, 404, 'another officer: not found');
  t.equal((await record(moussa, main.caseId, body(awaDek))).statusCode, 404);
  const defenderRead = await versions(main.defender, main.caseId);
  t.equal(defenderRead.statusCode, 403, 'the defender never sees ratings');
  t.equal(defenderRead.json().code, 'forbidden');
  t.equal((await record(main.defender, main.caseId, body(main.defender.dek))).statusCode, 403);
  t.equal((await versions(dep.admin, main.caseId)).statusCode, 403, 'an admin sees no case content');
  t.equal((await record(dep.admin, main.caseId, body(awaDek))).statusCode, 403);
  t.equal((await count(main.caseId)).assessments, 1, 'the refused attempts wrote nothing');

  const timeline = await T.database.sql`select action, actor, reason from case_timeline where case_id = ${main.caseId} and action = 'assessment.recorded'`;
  t.same(timeline.map((e) => [e.actor, e.reason]), [[`u:${awa.id}`, 'version 1: level high']]);
  const audited = await T.database.sql`select action, outcome from audit_events where case_id = ${main.caseId} and action like 'assessment.%' order by id`;
  t.ok(audited.some((e) => e.action === 'assessment.create' && e.outcome === 'allowed'), 'the recording is audited');
  t.ok(audited.some((e) => e.action === 'assessment.read' && e.outcome === 'allowed'), 'so is every read');
  t.equal(audited.filter((e) => e.outcome === 'denied').length, 2, "and the other officer's refusals, against the case");
  const roleRefusals = await T.database.sql`select count(*)::int as n from audit_events where outcome = 'denied' and resource like ${`route:% /v1/cases/:caseId/assessments`}`;
  t.equal(roleRefusals[0]!.n, 4, "the defender's and the admin's, against the route");
});

t.test('bad input is refused with 400 and nothing is written', async (t) => {
  const before = await count(main.caseId);
  const bad: Array<[string, object, string]> = [
    ['unknown threat source', body(awaDek, { threats: [threat({ source: 'martians' })] }), '/body/threats/0/source'],
    ['unknown vulnerability factor', { ...body(awaDek), vulnerability: { factors: ['bad_luck'], rating: 3 } }, '/body/vulnerability/factors/0'],
    ['unknown capacity factor', { ...body(awaDek), capacity: { factors: ['exposed_location'], rating: 3 } }, '/body/capacity/factors/0'],
    ['threat rated 0', body(awaDek, { threats: [threat({ rating: 0 })] }), '/body/threats/0/rating'],
    ['threat rated 6', body(awaDek, { threats: [threat({ rating: 6 })] }), '/body/threats/0/rating'],
    ['V rated 6', body(awaDek, { V: 6 }), '/body/vulnerability/rating'],
    ['C rated 0', body(awaDek, { C: 0 }), '/body/capacity/rating'],
    ['a narrative for a threat that does not exist', body(awaDek, { plain: { 'threats.1.facts': MARK } }), '/body/sealed/threats.1.facts'],
    ['a narrative with no threat at all', body(awaDek, { threats: [], plain: { 'threats.0.facts': MARK } }), '/body/sealed/threats.0.facts'],
    ['an unknown step', body(awaDek, { plain: { 'threats.0.mood': MARK } }), '/body/sealed/threats.0.mood'],
    ['an unknown sealed field', body(awaDek, { plain: { 'reasoning.overall': MARK } }), '/body/sealed/reasoning.overall'],
    ['a plaintext value shaped like a sealed one', body(awaDek, { sealed: { 'threats.0.facts': 'v1.bonjour.en-clair' } }), '/body/sealed/threats.0.facts'],
  ];
  for (const [label, payload, field] of bad) {
    const r = await record(awa, main.caseId, payload);
    t.equal(r.statusCode, 400, `${label}: ${r.body}`);
    t.equal(r.json().code, 'validation_failed', label);
    t.ok((r.json().errors as Array<{ field: string }>).some((e) => e.field === field), `${label} names ${field}`);
  }
  const plain = await record(awa, main.caseId, body(awaDek, { sealed: { 'threats.0.facts': `en clair ${MARK}` } }));
  t.equal(plain.statusCode, 400, 'a value that is not sealed at all');
  t.equal(plain.json().code, 'validation_failed');
  t.equal((await record(awa, main.caseId, { ...body(awaDek), level: 'low' })).statusCode, 400, 'the level is the server’s to compute');
  t.same(await count(main.caseId), before, 'nothing written');
  t.equal((await caseRow(T, main.caseId)).risk_level, 'high', 'the level is unchanged');

  const existing = (await versions(awa, main.caseId)).json().versions[0].id;
  const dup = await record(awa, main.caseId, body(awaDek, { id: existing }));
  t.equal(dup.statusCode, 409);
  t.equal(dup.json().code, 'already_exists', 'an id is used once (it is in the AD)');
  t.same(await count(main.caseId), before);
});

t.test('the override makes the case urgent; every risk vector gets its level through the API', async (t) => {
  const c = await fileCase(T, dep);
  await admitCase(T, dep, awa, c.caseId);
  const dek = await caseKeyOf(T, awa, c.caseId);
  t.equal((await caseRow(T, c.caseId)).urgent, false);
  // Step 5 answered "yes", declared, imminent: extreme whatever R is (here R = 5 x 1 / 5 = 1).
  const r = await record(awa, c.caseId, body(dek, { threats: [threat({ rating: 5, imminent: true })], V: 1, C: 5 }));
  t.equal(r.statusCode, 201, r.body);
  t.match(r.json(), { level: 'extreme', score: 1, override: true, caseUrgent: true });
  const row = await caseRow(T, c.caseId);
  t.equal(row.urgent, true, 'the case is urgent');
  t.equal(row.risk_level, 'extreme');
  const urgency = await T.database.sql`select actor, reason from case_timeline where case_id = ${c.caseId} and action = 'urgency_confirmed'`;
  t.equal(urgency.length, 1, 'a timeline entry says why');
  t.match(urgency[0]!.reason, /version 1: a declared threat that can be carried out is imminent/);

  const vectors = JSON.parse(readFileSync(new URL('../fixtures/risk-v1.json', import.meta.url), 'utf8')) as {
    cases: Array<{ threats: Array<{ rating: number; kind: 'declared' | 'possible'; feasible: 'yes' | 'no' | 'unknown'; imminent: boolean }>; V: number; C: number; level: string; R: number | null }>;
  };
  let version = 1;
  for (const v of vectors.cases) {
    const threats = v.threats.map((x) => threat({ rating: x.rating, kind: x.kind, canBeCarriedOut: x.feasible, imminent: x.imminent, source: 'unknown' }));
    const res = await record(awa, c.caseId, body(dek, { threats, V: v.V, C: v.C, plain: {} }));
    t.equal(res.statusCode, 201, res.body);
    version += 1;
    t.match(res.json(), { level: v.level, score: v.R, version }, `T ${threats.map((x) => x.rating).join('/') || '-'}, V ${v.V}, C ${v.C} -> ${v.level}`);
  }
  const list = (await versions(dep.supervisor, c.caseId)).json();
  t.same(list.versions.map((v: { version: number }) => v.version), Array.from({ length: version }, (_, i) => i + 1), 'every version kept, oldest first');
  t.equal(list.current, vectors.cases.at(-1)!.level, 'the case shows the latest level');
  t.equal(list.urgent, true, 'a lower level does not lift urgency by itself');
  t.equal((await T.database.sql`select count(*)::int as n from case_timeline where case_id = ${c.caseId} and action = 'urgency_confirmed'`)[0]!.n, 1, 'urgency is recorded once');
});

t.test('completing the assessment needs a version; a reassessment needs a new one', async (t) => {
  const c = await fileCase(T, dep);
  await admitCase(T, dep, awa, c.caseId);
  const dek = await caseKeyOf(T, awa, c.caseId);
  const early = await act(T, awa, c.caseId, 'complete-assessment');
  t.equal(early.statusCode, 409);
  t.equal(early.json().code, 'assessment_required');
  t.equal((await caseRow(T, c.caseId)).state, 'assessment', 'nothing changed');

  const v1 = await record(awa, c.caseId, body(dek, { threats: [threat({ rating: 3, kind: 'possible', canBeCarriedOut: 'unknown' })], V: 3, C: 3 }));
  t.equal(v1.json().level, 'medium');
  T.clock.advance(60_000);
  const done = await act(T, awa, c.caseId, 'complete-assessment');
  t.equal(done.statusCode, 200, done.body);
  t.equal(done.json().state, 'decision');
  t.same(await openDeadlines(c.caseId), ['decision'], 'the assessment deadline is settled, the decision one runs');

  const before = await count(c.caseId);
  const late = await record(awa, c.caseId, body(dek));
  t.equal(late.statusCode, 409, 'no version outside assessment');
  t.equal(late.json().code, 'invalid_transition');
  t.same(await count(c.caseId), before, 'nothing written');
  const denied = await T.database.sql`select reason from audit_events where case_id = ${c.caseId} and action = 'assessment.create' and outcome = 'denied'`;
  t.match(denied.at(-1)?.reason, /in decision/, 'the refusal is audited with its rule');

  // A first measure approved moves the case to protection.
  await measureAt(T, { ...c, dek }, { officer: awa, supervisor: dep.supervisor }, 'approved');
  t.equal((await caseRow(T, c.caseId)).state, 'protection');
  T.clock.advance(60_000);
  t.equal((await act(T, awa, c.caseId, 'reassess', {})).statusCode, 400, 'a reassessment says why');
  const again = await act(T, awa, c.caseId, 'reassess', { reason: 'nouvelle menace signalée' });
  t.equal(again.statusCode, 200, again.body);
  t.equal(again.json().state, 'assessment');
  t.same(await openDeadlines(c.caseId), ['assessment', 'implementation'], 'the assessment deadline starts again (the approved measure’s implementation deadline runs on)');
  const started = (await T.database.sql`select started_at from deadlines where case_id = ${c.caseId} and rule = 'assessment' and state = 'open'`)[0]!.started_at as Date;
  t.equal(new Date(started).toISOString(), T.clock.now().toISOString());

  const stale = await act(T, awa, c.caseId, 'complete-assessment');
  t.equal(stale.json().code, 'assessment_required', 'the version made before the reassessment does not count');
  const v2 = await record(awa, c.caseId, body(dek, { threats: [threat({ rating: 5 })], V: 4, C: 2 }));
  t.equal(v2.statusCode, 201, v2.body);
  t.match(v2.json(), { version: 2, level: 'high', score: 10 });
  const list = (await versions(awa, c.caseId)).json();
  t.same(list.versions.map((v: { version: number; level: string }) => [v.version, v.level]), [
    [1, 'medium'],
    [2, 'high'],
  ], 'the history, oldest first');
  t.equal(list.current, 'high', 'and the current level');
  const completed = await act(T, awa, c.caseId, 'complete-assessment');
  t.equal(completed.statusCode, 200, completed.body);
  t.equal(completed.json().state, 'decision');
});

t.test('no plaintext marker in the database or the logs', async (t) => {
  const dump = (await T.database.sql`
    select coalesce((select string_agg(x::text, '|') from assessments x), '') ||
           coalesce((select string_agg(x::text, '|') from case_timeline x), '') ||
           coalesce((select string_agg(x::text, '|') from audit_events x), '') ||
           coalesce((select string_agg(x::text, '|') from outbox x), '') as s`)[0]!.s as string;
  t.ok(dump.includes('threats.0.facts'), 'the sealed fields are there');
  t.notOk(dump.includes(MARK), 'database');
  t.notOk(T.logs.join('\n').includes(MARK), 'logs');
});

t.test('the routes are in the OpenAPI document, with the sealed field names', async (t) => {
  const doc = (await T.app.inject({ method: 'GET', url: '/docs/json' })).json();
  const post = doc.paths['/v1/cases/{caseId}/assessments'].post;
  const requestBody = JSON.stringify(post.requestBody);
  t.match(requestBody, /armed_group/, 'the body has an example');
  t.match(requestBody, /threats\.<i>\.perpetrator/, 'the sealed field names are documented');
  t.ok(doc.paths['/v1/cases/{caseId}/assessments'].get, 'the list');
  t.ok(doc.paths['/v1/cases/{caseId}/reports'].get && doc.paths['/v1/cases/{caseId}/alerts'].post, 'and the reports');
});
