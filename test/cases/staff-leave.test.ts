/**
 * A staff member leaves: GET /v1/staff/:userId/holdings lists what they still hold (open cases
 * assigned to them, cases with an envelope of theirs, keyring entries, the search key), recomputed
 * from the database each time so that an interrupted hand-over resumes. Once an admin has disabled
 * the account, any supervisor is part of those cases (policies/break-glass.yaml `departed_staff`):
 * they hand each case over (reassign, the case key sealed to the new officer) and re-key it with
 * the leaver's envelope revoked; the holdings then come back empty. Other roles: 403, audited.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { act, buildWorld, caseKeyOf, expectStatus, mechanismKeyOf, reauth } from '../helpers/world.js';
import { keyIdOf, openRekeyDek, prepareRekey, ready, sealEnvelope, type RekeyBundle } from '../../src/sdk/index.js';

await ready();
t.setTimeout(300_000);
const T = await buildTestApp(t, { now: '2026-06-01T09:00:00.000Z' });
const w = await buildWorld(T, { officers: ['leaver', 'next'] });
const { leaver, next } = w.officers;
const sup = w.supervisor;
const sql = T.database.sql;

const open1 = await w.caseAt('assessment', { officer: leaver });
const open2 = await w.caseAt('triage', { officer: leaver });
const closed = await w.caseAt('declined', { officer: leaver });

type Holdings = { status: string; cases: Array<{ caseId: string; assigned: boolean; keyIds: string[] }>; keyring: unknown[]; searchKey: boolean };
const holdings = async (): Promise<Holdings> => expectStatus<Holdings>(T.app.inject({ method: 'GET', url: `/v1/staff/${leaver.id}/holdings`, headers: sup.auth() }));
const leaverKey = keyIdOf(leaver.keyPair.publicKey);

/** The supervisor's client: the case key through the mechanism key, sealed to the next officer. */
const handOver = async (caseId: string) => ({ reason: 'Départ de l’agent', assigneeId: next.id, ...sealEnvelope(await caseKeyOf(T, sup, caseId), next.keyPair.publicKey) });

/** The supervisor's client re-keys the case, revoking the leaver's envelope (the SDK's prepareRekey). */
async function revokeLeaver(caseId: string) {
  const bundle = await expectStatus<RekeyBundle>(T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/rekey`, headers: sup.auth() }));
  const mechanism = await mechanismKeyOf(T, sup);
  const revoke = bundle.envelopes.filter((e) => e.recipientType === 'user' && e.recipientId === leaver.id).map((e) => e.keyId);
  const recipients = bundle.envelopes.filter((e) => !revoke.includes(e.keyId)).map((e) => ({ keyId: e.currentKeyId!, publicKey: e.publicKey!, recipientType: e.recipientType, recipientId: e.recipientId }));
  const { body } = prepareRekey({ bundle, oldDek: openRekeyDek(bundle, [mechanism]), revoke, recipients });
  return T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/rekey`, headers: sup.auth(), payload: body as object });
}

t.test('the holdings list the open cases assigned and every case with an envelope of theirs', async (t) => {
  const h = await holdings();
  t.equal(h.status, 'active');
  const byId = new Map(h.cases.map((c) => [c.caseId, c]));
  t.match(byId.get(open1.caseId), { assigned: true, keyIds: [leaverKey] });
  t.match(byId.get(open2.caseId), { assigned: true, keyIds: [leaverKey] });
  t.match(byId.get(closed.caseId), { assigned: false, keyIds: [leaverKey] }, 'a closed case still holds their envelope: it is re-keyed too');
  t.same(h.keyring, [], 'an officer holds no mechanism keyring entry here');
  t.equal(h.searchKey, false);
});

t.test('while the leaver is active, a supervisor outside an admitted case needs a break-glass', async (t) => {
  // Outside the case, their client cannot open its key: a well-formed envelope of anything is refused all the same.
  const res = await act(T, sup, open1.caseId, 'reassign', { reason: 'Départ de l’agent', assigneeId: next.id, ...sealEnvelope(new Uint8Array(32).fill(7), next.keyPair.publicKey) });
  t.equal(res.statusCode, 403, res.body);
  t.equal(res.json().code, 'break_glass_required');
});

t.test('once disabled, every case is handed over and re-keyed away from the leaver, resumably', async (t) => {
  await expectStatus(T.app.inject({ method: 'POST', url: `/v1/users/${leaver.id}/disable`, headers: w.admin.auth(), payload: { reason: 'Fin de contrat' } }));
  // First case only: then the holdings are asked again, as a reloaded page would.
  t.equal((await act(T, sup, open1.caseId, 'reassign', await handOver(open1.caseId))).statusCode, 200);
  let h = await holdings();
  t.equal(h.status, 'disabled');
  t.match(h.cases.find((c) => c.caseId === open1.caseId), { assigned: false, keyIds: [leaverKey] }, 'handed over, their envelope still there until the re-key');
  const first = await revokeLeaver(open1.caseId);
  t.equal(first.statusCode, 200, first.body);
  h = await holdings();
  t.notOk(h.cases.some((c) => c.caseId === open1.caseId), 'the first case is done');
  t.equal(h.cases.length, 2, 'what remains is recomputed from the server');
  // The rest, resumed.
  t.equal((await act(T, sup, open2.caseId, 'reassign', await handOver(open2.caseId))).statusCode, 200);
  for (const c of [open2, closed]) {
    const res = await revokeLeaver(c.caseId);
    t.equal(res.statusCode, 200, res.body);
  }
  t.same((await holdings()).cases, [], 'nothing left');
  const rows = await sql`select count(*)::int as n from case_envelopes where recipient_type = 'user' and recipient_id = ${leaver.id}`;
  t.equal(rows[0]!.n, 0, 'the leaver holds no envelope in the database');
  t.same(Buffer.from(await caseKeyOf(T, next, open1.caseId)).length, 32, 'the next officer opens the re-keyed case');
  const [tl] = await sql`select action from case_timeline where case_id = ${open2.caseId} order by id desc limit 1`;
  t.equal(tl!.action, 'case.rekeyed');
});

t.test('once the leaver holds nothing, their closed cases are outside every supervisor again', async (t) => {
  const [row] = await sql`select assignee_id, state from cases where id = ${closed.caseId}`;
  t.same(row, { assignee_id: leaver.id, state: 'closed' }, 'the closed case still names the leaver as its last officer');
  const res = await T.app.inject({ method: 'GET', url: `/v1/cases/${closed.caseId}/rekey`, headers: sup.auth() });
  t.equal(res.statusCode, 403, res.body);
  t.equal(res.json().code, 'break_glass_required', 'departed_staff covers what the holdings list, not a closed case forever');
});

t.test('other roles are refused with 403 (audited); an unknown or non-staff account is not found', async (t) => {
  for (const who of [next, w.admin]) {
    await reauth(T, who);
    const res = await T.app.inject({ method: 'GET', url: `/v1/staff/${leaver.id}/holdings`, headers: who.auth() });
    t.equal(res.statusCode, 403, `${who.role}: ${res.body}`);
    const [row] = await sql`select outcome from audit_events where action = 'staff.holdings' and actor = ${`u:${who.id}`} order by id desc limit 1`;
    t.equal(row?.outcome, 'denied', `${who.role}: audited`);
  }
  for (const id of [w.admin.id, '00000000-0000-4000-8000-000000000000']) {
    const res = await T.app.inject({ method: 'GET', url: `/v1/staff/${id}/holdings`, headers: sup.auth() });
    t.equal(res.statusCode, 404, res.body);
  }
});
