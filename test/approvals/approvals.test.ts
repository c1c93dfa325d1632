import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { act, bootstrap, caseAt, enrolActor, expectStatus, measureAt } from '../helpers/world.js';

/**
 * GET /v1/approvals: what waits on a supervisor across cases, metadata only, each item with the
 * commands the caller may take on it. A supervisor sees the measure they proposed and the appeal
 * of their own decision listed, but not decidable; the commands refuse them too (four eyes);
 * another supervisor may take both. Decided items leave the list. Officers and admins are refused.
 */
t.setTimeout(300_000);
const T = await buildTestApp(t, { now: '2026-03-02T08:00:00.000Z' });
const dep = await bootstrap(T);
const sup = dep.supervisor;
const officer = await enrolActor(T, dep.admin, { username: 'awa', role: 'officer', orgId: dep.mechanismId });
const other = await enrolActor(T, dep.admin, { username: 'binta', role: 'supervisor', orgId: dep.mechanismId });

const c = await caseAt(T, dep, 'decision', { officer });
const byOfficer = await measureAt(T, c, { officer, supervisor: sup }, 'consented');
const bySupervisor = await measureAt(T, c, { officer: sup, supervisor: sup }, 'consented');
// A case the supervisor closed with no measure, appealed by its defender.
const d = await caseAt(T, dep, 'decision', { officer });
await expectStatus(act(T, sup, d.caseId, 'decide-no-measures', { reason: 'Risque faible selon l’évaluation' }));
const appealId = randomUUID();
await expectStatus(T.app.inject({ method: 'POST', url: `/v1/cases/${d.caseId}/appeals`, headers: d.defender.auth(), payload: { id: appealId, subject: 'no_measures' } }), 201);

type Listed = { measures: Array<{ id: string; caseId: string; reference: string; riskLevel: string | null; awaiting: string; proposedBy: string; actions: Array<{ command: string; allowed: boolean; refusal: string | null }> }>; appeals: Array<{ id: string; deciderId: string | null; actions: Array<{ command: string; allowed: boolean; refusal: string | null }> }> };
const list = async (who: { auth(): Record<string, string> }) => T.app.inject({ method: 'GET', url: '/v1/approvals', headers: who.auth() });
const allowed = (item: { actions: Array<{ command: string; allowed: boolean; refusal: string | null }> }) => Object.fromEntries(item.actions.map((a) => [a.command, a.allowed ? 'allowed' : a.refusal]));

t.test('the supervisor sees every pending item, and may decide only what is not theirs', async (t) => {
  const r = await list(sup);
  t.equal(r.statusCode, 200, r.body);
  const body = r.json() as Listed;
  const mine = body.measures.find((m) => m.id === bySupervisor);
  const theirs = body.measures.find((m) => m.id === byOfficer);
  t.match(theirs, { caseId: c.caseId, reference: c.reference, riskLevel: 'high', awaiting: 'decision', proposedBy: officer.id });
  t.same(allowed(theirs!), { approve: 'allowed', reject: 'allowed' }, 'the officer’s proposal is the supervisor’s to decide');
  t.same(allowed(mine!), { approve: 'separation_of_duties', reject: 'separation_of_duties' }, 'not their own');
  t.same(body.appeals.map((a) => [a.id, a.deciderId, allowed(a)]), [[appealId, sup.id, { decide: 'separation_of_duties' }]], 'the appeal of their own decision is listed, not theirs to rule on');
  t.notOk(JSON.stringify(body).includes('"details"'), 'no sealed value in the list');

  const refused = await T.app.inject({ method: 'POST', url: `/v1/measures/${bySupervisor}/decision`, headers: sup.auth(), payload: { decision: 'approve', reason: 'Je valide ma propre proposition' } });
  t.equal(refused.statusCode, 409, 'the API refuses their own proposal');
  t.equal(refused.json().code, 'separation_of_duties');
  const ruled = await T.app.inject({ method: 'POST', url: `/v1/appeals/${appealId}/decision`, headers: sup.auth(), payload: { outcome: 'dismissed', reason: 'Ma décision était juste' } });
  t.equal(ruled.statusCode, 409, 'and the appeal of their own decision');
  t.equal(ruled.json().code, 'separation_of_duties');
});

t.test('another supervisor may take both; decided items leave the list', async (t) => {
  const body = (await list(other)).json() as Listed;
  t.same(allowed(body.measures.find((m) => m.id === bySupervisor)!), { approve: 'allowed', reject: 'allowed' });
  t.same(allowed(body.appeals[0]!), { decide: 'allowed' });
  const r = await T.app.inject({ method: 'POST', url: `/v1/measures/${bySupervisor}/decision`, headers: other.auth(), payload: { decision: 'approve', reason: 'Menaces confirmées par l’évaluation' } });
  t.equal(r.statusCode, 200, r.body);
  const after = (await list(sup)).json() as Listed;
  t.same(after.measures.map((m) => m.id), [byOfficer], 'the approved measure is gone');
});

t.test('officers and admins are refused', async (t) => {
  for (const who of [officer, dep.admin]) {
    const r = await list(who);
    t.equal(r.statusCode, 403, who.role);
    t.equal(r.json().code, 'forbidden');
  }
});
