/**
 * A case's dossier printed or exported (POST /v1/cases/:id/exports): the client records it before
 * it prints, and the audit log holds one `case.export` event naming the reader, the case and the
 * sections (codes), never their content. Whoever may read the sealed fields may export: the
 * assigned officer, a supervisor part of the case or through a break-glass; a defender, a partner
 * and another officer are refused, and each refusal is audited.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { assignCaseSupervisor, buildWorld, caseAt, headersOf, partnerOrg, type Caller } from '../helpers/world.js';

const T = await buildTestApp(t, { now: '2026-06-01T09:00:00.000Z' });
const { dep, officers: { awa, moussa }, supervisors: { kadi } } = await buildWorld(T, { officers: ['awa', 'moussa'], supervisors: ['kadi'] });
const partner = await partnerOrg(T, dep.admin, { name: 'Avocats sans frontières Mali', username: 'asf-member' });
/** A case Awa holds, at `stage`. */
const staged = (stage: 'triage' | 'assessment') => caseAt(T, dep, stage, { officer: awa });
const admitted = await staged('assessment');

const exportAs = (who: Caller, caseId: string, sections: unknown = ['meta', 'facts', 'timeline', 'files']) =>
  T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/exports`, headers: headersOf(who), payload: { sections } });

const events = (caseId: string) =>
  T.database.sql<Array<{ actor: string; action: string; outcome: string; reason: string | null; request_id: string; at: Date }>>`
    select actor, action, outcome, reason, request_id, at from audit_events where case_id = ${caseId} and action in ('case.export', 'break_glass.read') order by id`;

t.test('the assigned officer records an export: one audit event with the sections, its request id and time answered', async (t) => {
  const r = await exportAs(awa, admitted.caseId, ['meta', 'facts', 'timeline', 'assessments', 'measures', 'referrals', 'files']);
  t.equal(r.statusCode, 201, r.body);
  const body = r.json();
  t.equal(body.caseId, admitted.caseId);
  t.same(body.sections, ['meta', 'facts', 'timeline', 'assessments', 'measures', 'referrals', 'files']);
  const rows = await events(admitted.caseId);
  t.equal(rows.length, 1, 'exactly one event');
  t.match(rows[0], { actor: `u:${awa.id}`, action: 'case.export', outcome: 'allowed', reason: 'sections: meta,facts,timeline,assessments,measures,referrals,files', request_id: body.exportId });
  t.equal(new Date(rows[0]!.at).toISOString(), body.at, 'the time answered is the time recorded');
});

t.test('refused: the defender, a partner, an admin (403), another officer (404); each refusal audited, nothing allowed', async (t) => {
  const c = await staged('assessment');
  t.equal((await exportAs(c.defender, c.caseId)).statusCode, 403, 'the defender');
  t.equal((await exportAs(partner.member, c.caseId)).json().code, 'forbidden', 'a partner');
  t.equal((await exportAs(dep.admin, c.caseId)).json().code, 'forbidden', 'an admin');
  const other = await exportAs(moussa, c.caseId);
  t.equal(other.statusCode, 404, 'another officer is told nothing of the case');
  t.equal(other.json().code, 'not_found');
  // A role the policy never allows is refused before the case is looked at (no case id on its event).
  const actors = [`d:${c.caseId}`, `u:${partner.member.id}`, `u:${dep.admin.id}`, `u:${moussa.id}`];
  const rows = await T.database.sql<Array<{ actor: string; outcome: string }>>`select actor, outcome from audit_events where action = 'case.export' and actor in ${T.database.sql(actors)} order by id`;
  t.same(rows.map((e) => e.actor), actors, 'one event each');
  t.ok(rows.every((e) => e.outcome === 'denied'), 'each denied');
  t.equal((await events(c.caseId)).filter((e) => e.outcome === 'allowed').length, 0, 'nothing allowed on the case');
});

t.test('a supervisor: part of the case during triage; outside an admitted case, a break-glass is required, then allowed through it', async (t) => {
  const triage = await staged('triage');
  t.equal((await exportAs(kadi, triage.caseId)).statusCode, 201, 'intake duty: part of the case');
  const c = await staged('assessment');
  const refused = await exportAs(kadi, c.caseId);
  t.equal(refused.statusCode, 403);
  t.equal(refused.json().code, 'break_glass_required');
  const bg = await T.app.inject({ method: 'POST', url: `/v1/cases/${c.caseId}/break-glass`, headers: headersOf(kadi), payload: { reason: 'Audience du tribunal demain matin, avocat commis d’office' } });
  t.equal(bg.statusCode, 201, bg.body);
  const r = await exportAs(kadi, c.caseId, ['meta']);
  t.equal(r.statusCode, 201, r.body);
  const allowed = (await events(c.caseId)).filter((e) => e.outcome === 'allowed' && e.action === 'case.export');
  t.equal(allowed.length, 1);
  t.match(allowed[0]!.reason, new RegExp(`^break_glass ${bg.json().id}: sections: meta$`), 'the export names the break-glass it went through');
  await assignCaseSupervisor(T, c.caseId, dep.supervisor);
  t.equal((await exportAs(dep.supervisor, c.caseId)).statusCode, 201, 'the case supervisor is part of the case');
});

t.test('the body is section codes only: anything else is refused (400), with nothing allowed on record', async (t) => {
  const c = await staged('assessment');
  for (const sections of [[], ['MARK-narrative'], ['meta', 'meta'], 'meta']) {
    const r = await exportAs(awa, c.caseId, sections);
    t.equal(r.statusCode, 400, JSON.stringify(sections));
    t.equal(r.json().code, 'validation_failed');
  }
  const extra = await T.app.inject({ method: 'POST', url: `/v1/cases/${c.caseId}/exports`, headers: headersOf(awa), payload: { sections: ['meta'], content: 'Le récit' } });
  t.equal(extra.statusCode, 400, 'no other property');
  t.equal((await events(c.caseId)).filter((e) => e.outcome === 'allowed').length, 0);
  const unknown = await exportAs(awa, '00000000-0000-4000-8000-000000000000');
  t.equal(unknown.statusCode, 404);
});
