/**
 * Reassignment (policies/workflow.yaml `reassign`): a supervisor gives an open case to another
 * officer with a reason; the request carries the case key sealed to the new officer's current
 * key (made by the supervisor's client with the SDK), written with the assignment in one
 * transaction; the timeline records `case.reassigned`. The previous officer loses the case at
 * once; a refused reassignment changes nothing.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { act, assignCaseSupervisor, buildWorld, caseKeyOf, caseRow, mechanismKeyOf, type StagedCase } from '../helpers/world.js';
import { fromB64u, keyIdOf, openRekeyDek, prepareRekey, ready, sealEnvelope, toB64u, type RekeyBundle } from '../../src/sdk/index.js';

await ready();
t.setTimeout(600_000);
const T = await buildTestApp(t, { now: '2026-06-01T09:00:00.000Z' });
const w = await buildWorld(T, { officers: ['a', 'b'] });
const { a: officerA, b: officerB } = w.officers;
const sup = w.supervisor;
const sql = T.database.sql;

const reason = { reason: 'Congé de longue durée de l’agent' };

/** The body the supervisor's client sends: the case key (opened through the mechanism key) sealed to the new officer. */
async function handOver(c: StagedCase, to = officerB) {
  // The case's own supervisor: part of the case, so their client opens its key (through the mechanism key).
  await assignCaseSupervisor(T, c.caseId, sup);
  const dek = await caseKeyOf(T, sup, c.caseId);
  return { ...reason, assigneeId: to.id, ...sealEnvelope(dek, to.keyPair.publicKey) };
}

const envelopeOf = async (caseId: string, userId: string) => (await sql`select key_id from case_envelopes where case_id = ${caseId} and recipient_type = 'user' and recipient_id = ${userId}`)[0];

t.test('from every open state, the case goes to the new officer with its key, in its state', async (t) => {
  for (const stage of ['triage', 'info_requested', 'assessment', 'decision', 'protection'] as const) {
    const c = await w.caseAt(stage, { officer: officerA });
    const before = await caseRow(T, c.caseId);
    const res = await act(T, sup, c.caseId, 'reassign', await handOver(c));
    t.equal(res.statusCode, 200, `${stage}: ${res.body}`);
    const after = await caseRow(T, c.caseId);
    t.equal(after.assignee_id, officerB.id, `${stage}: assigned to the new officer`);
    t.equal(after.state, before.state, `${stage}: the state is unchanged`);
    // The new officer reads the sealed content with their own key.
    const sealed = await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/sealed`, headers: officerB.auth() });
    t.equal(sealed.statusCode, 200, `${stage}: the new officer reads the case`);
    t.same(Buffer.from(await caseKeyOf(T, officerB, c.caseId)), Buffer.from(c.dek), `${stage}: with the case key`);
    // The previous officer no longer sees it at all.
    t.equal((await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}`, headers: officerA.auth() })).statusCode, 404, `${stage}: the previous officer is out of scope`);
    const [entry] = await sql`select action, from_state, to_state, reason, actor from case_timeline where case_id = ${c.caseId} order by id desc limit 1`;
    t.same([entry!.action, entry!.from_state, entry!.to_state, entry!.reason, entry!.actor], ['case.reassigned', before.state, before.state, reason.reason, `u:${sup.id}`], `${stage}: on the timeline`);
  }
});

t.test('a refused reassignment changes nothing', async (t) => {
  const c = await w.caseAt('assessment', { officer: officerA });
  const unchanged = async (label: string) => {
    t.equal((await caseRow(T, c.caseId)).assignee_id, officerA.id, `${label}: still the first officer's`);
    t.equal(await envelopeOf(c.caseId, officerB.id), undefined, `${label}: no envelope for the other officer`);
  };
  const good = await handOver(c);
  const cases: Array<[string, object, number, string]> = [
    ['no envelope', { ...reason, assigneeId: officerB.id }, 400, 'validation_failed'],
    ['no reason', { assigneeId: officerB.id, keyId: good.keyId, envelope: good.envelope }, 400, 'validation_failed'],
    ['sealed to the wrong key', { ...(await handOver(c, officerA)), assigneeId: officerB.id }, 400, 'validation_failed'],
    ['a malformed envelope', { ...good, envelope: `v1.${toB64u(randomBytes(20))}` }, 400, 'validation_failed'],
    ['to the officer who has it', await handOver(c, officerA), 400, 'validation_failed'],
    ['to a supervisor', { ...good, assigneeId: sup.id }, 400, 'validation_failed'],
  ];
  for (const [label, body, status, code] of cases) {
    const res = await act(T, sup, c.caseId, 'reassign', body);
    t.equal(res.statusCode, status, `${label}: ${res.body}`);
    t.equal(res.json().code, code, label);
    await unchanged(label);
  }
  const wrongKey = await act(T, sup, c.caseId, 'reassign', { ...(await handOver(c, officerA)), assigneeId: officerB.id });
  t.match(wrongKey.json().errors, [{ field: '/body/keyId' }], 'the wrong key is named');
  // Officers do not reassign, not even their own case.
  const byOfficer = await act(T, officerA, c.caseId, 'reassign', good);
  t.equal(byOfficer.statusCode, 403);
  await unchanged('by an officer');
  // Not from the intake pool (acknowledge assigns there) nor a closed case.
  for (const stage of ['received', 'declined'] as const) {
    const other = await w.caseAt(stage, { officer: officerA });
    const res = await act(T, sup, other.caseId, 'reassign', await handOver(other));
    t.equal(res.statusCode, 409, `${stage}: ${res.body}`);
    t.equal(res.json().code, 'invalid_transition');
  }
  const [denied] = await sql`select outcome, reason from audit_events where action = 'case.reassign' and case_id = ${c.caseId} order by id desc limit 1`;
  t.equal(denied!.outcome, 'denied', 'refusals are audited');
});

t.test('a supervisor outside the case is sent to open a break-glass first', async (t) => {
  const c = await w.caseAt('assessment', { officer: officerA });
  const body = await handOver(c);
  await sql`update cases set supervisor_id = null where id = ${c.caseId}`;
  // The mechanism-key holder, no longer the case's supervisor and with no envelope of their own, is outside the case.
  const res = await act(T, sup, c.caseId, 'reassign', body);
  t.equal(res.statusCode, 403, res.body);
  t.equal(res.json().code, 'break_glass_required');
  t.equal((await caseRow(T, c.caseId)).assignee_id, officerA.id);
});

t.test('the list of what a supervisor may do offers it, with what it requires', async (t) => {
  const c = await w.caseAt('triage', { officer: officerA });
  const list = (await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/actions`, headers: sup.auth() })).json();
  t.same(list.transitions.find((x: { name: string }) => x.name === 'reassign'), { name: 'reassign', to: 'triage', requires: ['reason', 'assigneeId', 'envelope'] });
  const forOfficer = (await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/actions`, headers: officerA.auth() })).json();
  t.notOk(forOfficer.transitions.some((x: { name: string }) => x.name === 'reassign'), 'not offered to an officer');
});

t.test("the previous officer's envelope stays until the supervisor re-keys the case, which revokes it", async (t) => {
  const c = await w.caseAt('assessment', { officer: officerA });
  t.equal((await act(T, sup, c.caseId, 'reassign', await handOver(c))).statusCode, 200);
  const keyA = keyIdOf(officerA.keyPair.publicKey);
  t.ok(await envelopeOf(c.caseId, officerA.id), 'still there after the hand-over: removing a reader is a re-key');
  const bundle = (await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/rekey`, headers: sup.auth() })).json() as RekeyBundle;
  const mechanism = await mechanismKeyOf(T, sup);
  const oldDek = openRekeyDek(bundle, [mechanism]);
  const recipients = bundle.envelopes
    .filter((e) => e.keyId !== keyA)
    .map((e) => ({ keyId: e.currentKeyId!, publicKey: e.recipientType === 'org' ? mechanism.publicKey : fromB64u(e.publicKey!), recipientType: e.recipientType, recipientId: e.recipientId }));
  const { body } = prepareRekey({ bundle, oldDek, revoke: [keyA], recipients });
  const res = await T.app.inject({ method: 'POST', url: `/v1/cases/${c.caseId}/rekey`, headers: sup.auth(), payload: body as object });
  t.equal(res.statusCode, 200, res.body);
  t.equal(await envelopeOf(c.caseId, officerA.id), undefined, 'the previous officer holds no envelope any more');
  t.ok(await envelopeOf(c.caseId, officerB.id), 'the new officer keeps theirs, under the new key');
});
