/**
 * Whether the violation a case alleges was verified (POST /v1/cases/:caseId/verification): every
 * new case starts `alleged`; the assigned officer or a supervisor sets `verified`, `not_verified`
 * or `alleged` again with a reason, in one transaction with its timeline entry and its audit event
 * (the reason in both). Anyone else is refused and audited; an unknown status, `not_stated` (the
 * status of cases filed before it existed) or a missing reason is refused before anything is
 * decided; a purged case keeps the status it had. A refusal writes nothing. The migration gives
 * the cases filed before it `not_stated`, proven on a database migrated up to the release before.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { buildTestApp } from '../helpers/app.js';
import { OWNER_ROLE, databaseBefore, roleUrl } from '../helpers/db.js';
import { act, buildWorld, caseRow, fileCase, headersOf, partnerOrg, type Caller } from '../helpers/world.js';
import { runMigrations } from '../../src/db/migrate.js';
import { cases } from '../../src/db/schema/cases.js';
import { VERIFICATION_NOT_STATED, VERIFICATION_STATUSES } from '../../src/contracts/case-verification.js';
import type { CaseActionsView } from '../../src/contracts/case-actions.js';

const T = await buildTestApp(t, { now: '2026-07-01T09:00:00.000Z' });
const w = await buildWorld(T, { officers: ['awa', 'moussa'] });
const { awa, moussa } = w.officers;
const partner = (await partnerOrg(T, w.admin, { name: 'Juristes sans frontières', username: 'partner-jsf' })).member;
const sql = T.database.sql;

const verify = (who: Caller, caseId: string, body: object) => act(T, who, caseId, 'verification', body);
const requestIdOf = (r: { json(): { instance?: string } }) => (r.json().instance ?? '').replace('urn:egide:request:', '');
const auditOf = async (requestId: string) =>
  (await sql`select action, outcome, reason, case_id from audit_events where request_id = ${requestId} order by id`).map((e) => ({ action: e.action, outcome: e.outcome, reason: e.reason, caseId: e.case_id }));
/** What a command on the case writes: the row, its timeline, its allowed decisions. */
const written = async (caseId: string) => ({
  row: await caseRow(T, caseId),
  timeline: (await sql`select count(*)::int as n from case_timeline where case_id = ${caseId}`)[0]!.n,
  allowed: (await sql`select count(*)::int as n from audit_events where case_id = ${caseId} and action = 'case.verify' and outcome = 'allowed'`)[0]!.n,
});
const commandOf = async (who: Caller, caseId: string) => {
  const list = (await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/actions`, headers: headersOf(who) })).json() as CaseActionsView;
  return list.commands.find((c) => c.command === 'set_verification');
};

t.test('the column holds the codes staff choose and not_stated, nothing else', async (t) => {
  t.same(cases.verification.enumValues, [VERIFICATION_NOT_STATED, ...VERIFICATION_STATUSES]);
  const c = await fileCase(T, w.dep);
  await t.rejects(sql`update cases set verification = 'confirmed' where id = ${c.caseId}`, /cases_verification/, 'the database refuses any other value');
});

t.test('a new case is alleged: the staff view says so, the defender view does not carry it', async (t) => {
  const c = await fileCase(T, w.dep);
  t.equal((await caseRow(T, c.caseId)).verification, 'alleged');
  const staff = await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}`, headers: w.supervisor.auth() });
  t.equal(staff.statusCode, 200, staff.body);
  t.equal(staff.json().case.verification, 'alleged');
  const own = await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}`, headers: c.defender.auth() });
  t.equal(own.statusCode, 200, own.body);
  t.notOk('verification' in own.json().case, "staff's assessment of the allegation is not in the defender's view");
});

t.test('the assigned officer sets each status: the case view, the timeline and the audit event carry it with the reason', async (t) => {
  const c = await w.caseAt('triage', { officer: awa });
  t.match(await commandOf(awa, c.caseId), { action: 'case.verify', allowed: true, refusal: null }, 'the actions list offers it');
  let audited = 0;
  for (const status of ['verified', 'not_verified', 'alleged'] as const) {
    T.clock.advance(60_000);
    const reason = `Statut ${status} : registre du commissariat et deux témoins consultés`;
    const r = await verify(awa, c.caseId, { status, reason });
    t.equal(r.statusCode, 200, r.body);
    t.match(r.json(), { id: c.caseId, state: 'triage', verification: status }, `${status}: the staff view answers`);
    const row = await caseRow(T, c.caseId);
    t.equal(row.verification, status);
    t.equal(new Date(String(row.updated_at)).getTime(), T.clock.now().getTime());
    const [entry] = await sql`select actor, action, from_state, to_state, reason from case_timeline where case_id = ${c.caseId} order by id desc limit 1`;
    t.same({ ...entry }, { actor: `u:${awa.id}`, action: `verification_${status}`, from_state: 'triage', to_state: 'triage', reason }, `${status}: on the timeline with its reason`);
    const events = await sql`select outcome, reason, actor from audit_events where case_id = ${c.caseId} and action = 'case.verify' order by id`;
    t.same({ ...events.at(-1) }, { outcome: 'allowed', reason, actor: `u:${awa.id}` }, `${status}: audited as allowed, with the reason`);
    t.equal(events.length, ++audited, `${status}: one audit event`);
  }
  const timeline = await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/timeline`, headers: awa.auth() });
  t.same(
    (timeline.json().items as Array<{ action: string }>).map((i) => i.action).filter((a) => a.startsWith('verification_')),
    ['verification_verified', 'verification_not_verified', 'verification_alleged'],
    'the timeline the API serves shows each change',
  );
});

t.test('another officer, the defender, a partner and an admin are refused, each audited once, nothing written', async (t) => {
  const c = await w.caseAt('triage', { officer: awa });
  const before = await written(c.caseId);
  const body = { status: 'verified', reason: 'Confirmé par deux sources indépendantes' };
  // An officer out of scope is answered 404, so that the case's existence does not leak (access.yaml).
  const cases: Array<[string, Caller, number, string]> = [
    ['another officer', moussa, 404, 'not_found'],
    ['the defender', c.defender, 403, 'forbidden'],
    ['a partner', partner, 403, 'forbidden'],
    ['an admin', w.admin, 403, 'forbidden'],
  ];
  for (const [who, caller, status, code] of cases) {
    const r = await verify(caller, c.caseId, body);
    t.equal(r.statusCode, status, `${who}: ${r.body}`);
    t.equal(r.json().code, code);
    const events = await auditOf(requestIdOf(r));
    t.match(events, [{ action: 'case.verify', outcome: 'denied', reason: new RegExp(`^${code}`) }], `${who}: one denial in the audit log`);
    t.equal(events.length, 1);
  }
  t.same(await written(c.caseId), before, 'the case, its timeline and its allowed decisions as they were');
  t.match(await commandOf(c.defender, c.caseId), { allowed: false, refusal: 'forbidden' }, "the defender's list says so");
});

t.test('a supervisor sets it on any case, a closed one included', async (t) => {
  for (const stage of ['received', 'protection', 'declined'] as const) {
    const c = await w.caseAt(stage, { officer: awa });
    t.match(await commandOf(w.supervisor, c.caseId), { allowed: true, refusal: null }, `${stage}: offered`);
    const r = await verify(w.supervisor, c.caseId, { status: 'not_verified', reason: 'Aucune source indépendante joignable' });
    t.equal(r.statusCode, 200, `${stage}: ${r.body}`);
    t.equal((await caseRow(T, c.caseId)).verification, 'not_verified');
  }
});

t.test('an unknown status, not_stated, a missing or short reason: 400 validation_failed, nothing written', async (t) => {
  const c = await w.caseAt('triage', { officer: awa });
  const before = await written(c.caseId);
  const reason = 'Confirmé par deux sources indépendantes';
  const bodies: Array<[string, object, string]> = [
    ['an unknown status', { status: 'confirmed', reason }, '/body/status'],
    ['not_stated, which nobody chooses', { status: 'not_stated', reason }, '/body/status'],
    ['no status', { reason }, '/body/status'],
    ['no reason', { status: 'verified' }, '/body/reason'],
    ['a reason too short', { status: 'verified', reason: 'ok' }, '/body/reason'],
  ];
  for (const [what, body, field] of bodies) {
    const r = await verify(awa, c.caseId, body);
    t.equal(r.statusCode, 400, `${what}: ${r.body}`);
    t.match(r.headers['content-type'], /^application\/problem\+json/);
    t.equal(r.json().code, 'validation_failed', what);
    t.ok((r.json().errors as Array<{ field: string }>).some((e) => e.field.startsWith(field)), `${what}: names ${field}`);
  }
  t.same(await written(c.caseId), before, 'nothing written');
});

t.test('a purged case keeps its status: 409, as the actions list says, nothing written', async (t) => {
  const c = await w.caseAt('declined', { officer: awa });
  await verify(w.supervisor, c.caseId, { status: 'verified', reason: 'Confirmé par le registre du tribunal' });
  // What the retention purge leaves (src/retention/): the metadata, marked purged.
  await sql`update cases set purged_at = ${T.clock.now().toISOString()} where id = ${c.caseId}`;
  t.match(await commandOf(w.supervisor, c.caseId), { allowed: false, refusal: 'invalid_transition' });
  const before = await written(c.caseId);
  const r = await verify(w.supervisor, c.caseId, { status: 'not_verified', reason: 'Relecture après la purge' });
  t.equal(r.statusCode, 409, r.body);
  t.equal(r.json().code, 'invalid_transition');
  t.match(await auditOf(requestIdOf(r)), [{ action: 'case.verify', outcome: 'denied', reason: /^invalid_transition/ }], 'one denial');
  t.same(await written(c.caseId), before, 'still verified, nothing written');
  t.equal(before.row.verification, 'verified');
});

t.test('no such case: 404, audited', async (t) => {
  const r = await verify(w.supervisor, randomUUID(), { status: 'verified', reason: 'Confirmé par deux sources' });
  t.equal(r.statusCode, 404);
  t.match(await auditOf(requestIdOf(r)), [{ action: 'case.verify', outcome: 'denied', reason: /^not_found/ }]);
});

t.test('the migration: a case filed before it is not_stated, a case filed after is alleged', async (t) => {
  // The release before, in a database of its own; its rows written by the owner role, which then upgrades it.
  const { name } = await databaseBefore(t, '_case_verification');
  const owner = postgres(roleUrl(OWNER_ROLE, name), { max: 1, onnotice: () => undefined });
  const insert = (id: string, reference: string) => owner`
    insert into cases (id, reference, state, consent, source, filed_for, region, defender_category, gender, disability, threat_types, preferred_language, contact_channel, mechanism_key_id, created_at, updated_at)
    values (${id}, ${reference}, 'triage', 'given', 'online', 'self', 'bamako', 'journalist', 'woman', 'none', ${['death_threat']}, 'fr', 'phone', 'k', now(), now())`;
  const old = randomUUID();
  await insert(old, '2025-00001');
  await runMigrations(roleUrl(OWNER_ROLE, name));
  const filedAfter = randomUUID();
  await insert(filedAfter, '2026-00001');
  const rows = Object.fromEntries((await owner`select id, verification from cases`).map((r) => [r.id, r.verification]));
  await owner.end();
  t.same(rows, { [old]: 'not_stated', [filedAfter]: 'alleged' });
});
