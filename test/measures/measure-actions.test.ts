/**
 * What the list of a case's measures says each staff member may do on each measure now: a
 * command listed as allowed is taken, one listed as refused is refused with the code given
 * (four eyes: never the proposer's approval; the defender's consent before any decision; the
 * officer records an oral consent, the supervisor does not). The defender's list carries none.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, caseAt, headersOf, measureAt, type Caller } from '../helpers/world.js';
import { MEASURE_COMMANDS, type MeasureView } from '../../src/contracts/measure.js';

const T = await buildTestApp(t, { now: '2026-03-02T08:00:00.000Z' });
const { dep, officers: { awa } } = await buildWorld(T, { officers: ['awa'] });
const c = await caseAt(T, dep, 'decision', { officer: awa });

const inject = (who: Caller, method: 'GET' | 'POST', url: string, payload?: object) => T.app.inject({ method, url, headers: headersOf(who), ...(payload ? { payload } : {}) });
async function measureOf(who: Caller, id: string): Promise<MeasureView> {
  const r = await inject(who, 'GET', `/v1/cases/${c.caseId}/measures`);
  if (r.statusCode !== 200) throw new Error(r.body);
  return (r.json().items as MeasureView[]).find((m) => m.id === id)!;
}
const allowed = (m: MeasureView) => (m.actions ?? []).filter((a) => a.allowed).map((a) => a.command).sort();
const refusal = (m: MeasureView, command: string) => m.actions?.find((a) => a.command === command)?.refusal;

const attestation = () => ({ channel: 'phone_call', takenAt: T.clock.now().toISOString(), statement: 'Accord donné par téléphone à l’officier.' });

t.test('each measure lists every command with whether it is taken now, and the list holds at each step', async (t) => {
  const id = await measureAt(T, c, { officer: awa, supervisor: dep.supervisor }, 'proposed');
  let m = await measureOf(awa, id);
  t.same(m.actions?.map((a) => a.command), [...MEASURE_COMMANDS], 'every command, in order');
  t.same(allowed(m), ['consent'], 'the officer may record the consent, nothing else yet');
  t.equal(refusal(m, 'approve'), 'forbidden', 'an officer never approves');
  let s = await measureOf(dep.supervisor, id);
  t.same(allowed(s), [], 'the supervisor has nothing to do on a proposal');
  t.equal(refusal(s, 'approve'), 'consent_required', 'approval waits for the consent');
  t.equal(refusal(s, 'consent'), 'forbidden', 'a supervisor does not record a consent');

  t.equal((await inject(awa, 'POST', `/v1/measures/${id}/consent`, { decision: 'consent', attestation: attestation() })).statusCode, 200);
  s = await measureOf(dep.supervisor, id);
  t.same(allowed(s), ['approve', 'reject'], 'a supervisor who did not propose it decides');
  m = await measureOf(awa, id);
  t.same(allowed(m), [], 'the officer waits');
  t.equal(refusal(m, 'consent'), 'invalid_transition', 'the consent is on record already');

  t.equal((await inject(dep.supervisor, 'POST', `/v1/measures/${id}/decision`, { decision: 'approve', reason: 'Menaces confirmées.' })).statusCode, 200);
  t.same(allowed(await measureOf(awa, id)), ['implement', 'lift']);
  t.equal((await inject(awa, 'POST', `/v1/measures/${id}/implement`, {})).statusCode, 200);
  t.same(allowed(await measureOf(awa, id)), ['activate', 'lift']);
  t.equal((await inject(awa, 'POST', `/v1/measures/${id}/activate`, {})).statusCode, 200);
  t.same(allowed(await measureOf(awa, id)), ['lift', 'review']);
  t.equal((await inject(awa, 'POST', `/v1/measures/${id}/lift`, { reason: 'Risque redevenu faible.' })).statusCode, 200);
  m = await measureOf(awa, id);
  t.same(allowed(m), [], 'a lifted measure takes nothing more');
  const refused = await inject(awa, 'POST', `/v1/measures/${id}/review`, { reason: 'Revue prévue.' });
  t.equal(refused.statusCode, 409);
  t.equal(refused.json().code, refusal(m, 'review'), 'refused with the code the list gave');
});

t.test('the supervisor who proposed a measure is not offered its approval, and is refused it', async (t) => {
  const id = await measureAt(T, c, { officer: dep.supervisor, supervisor: dep.supervisor }, 'consented');
  const s = await measureOf(dep.supervisor, id);
  t.notOk(allowed(s).includes('approve'), 'no approval for the proposer');
  const r = await inject(dep.supervisor, 'POST', `/v1/measures/${id}/decision`, { decision: 'approve', reason: 'Menaces confirmées.' });
  t.equal(r.statusCode, 409, "four eyes");
  t.equal(r.json().code, refusal(s, 'approve'), 'refused with the code the list gave');
});

t.test('the defender sees the measures without the staff commands', async (t) => {
  const r = await inject(c.defender, 'GET', `/v1/cases/${c.caseId}/measures`);
  t.equal(r.statusCode, 200);
  const items = r.json().items as MeasureView[];
  t.ok(items.length > 0);
  t.ok(items.every((m) => m.actions === undefined), 'no actions in the defender’s list');
});
