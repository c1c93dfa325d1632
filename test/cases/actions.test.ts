/**
 * What the caller may do on a case (GET /v1/cases/:caseId/actions), tied to enforcement: for
 * several roles and states, every transition the list offers succeeds when performed through
 * HTTP (on a fresh case at the same state), and every transition it leaves out is refused and
 * changes nothing; the commands it marks allowed or refused answer so when tried, with the code
 * it names. Reading the list is audited like a read of the case.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { act, buildWorld, caseRow, enrolActor, headersOf, type Caller, type CaseStage, type StagedCase } from '../helpers/world.js';
import { generateDek, ready, sealEnvelope, sealField } from '../../src/sdk/index.js';
import type { CaseActionsView } from '../../src/contracts/case-actions.js';
import { loadWorkflowPolicy } from '../../src/cases/workflow-policy.js';
import { loadAccessPolicy } from '../../src/access/policy.js';
import { policiesPath } from '../../src/lib/paths.js';

await ready();
t.setTimeout(900_000);
const T = await buildTestApp(t, { now: '2026-06-01T09:00:00.000Z' });
const w = await buildWorld(T, { officers: ['a', 'b'], supervisors: ['s2'] });
const { a: officerA, b: officerB } = w.officers;
const { s2 } = w.supervisors;
const org = (await T.app.inject({ method: 'POST', url: '/v1/orgs', headers: w.admin.auth(), payload: { name: 'Avocats du Sahel' } })).json();
const partner = await enrolActor(T, w.admin, { username: 'partner-sahel', role: 'partner', orgId: org.id });
const workflow = loadWorkflowPolicy(policiesPath(T.config), loadAccessPolicy(policiesPath(T.config)));
const sql = T.database.sql;

type Who = 'assigned officer' | 'other officer' | 'supervisor' | 'other supervisor' | 'defender';
const callerOf = (who: Who, c: StagedCase): Caller => {
  switch (who) {
    case 'assigned officer':
      return officerA;
    case 'other officer':
      return officerB;
    case 'supervisor':
      return w.supervisor;
    case 'other supervisor':
      return s2;
    case 'defender':
      return c.defender;
  }
};
const WHO: Who[] = ['assigned officer', 'other officer', 'supervisor', 'other supervisor', 'defender'];

const actions = (who: Caller, caseId: string) => T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/actions`, headers: headersOf(who) });

/**
 * The body a transition takes, as the list says it requires; a hand-over (reassign) goes to the
 * other officer, with the case key sealed to them as the supervisor's client would.
 */
function bodyFor(tr: CaseActionsView['transitions'][number], c: StagedCase): Record<string, string> {
  const handsOver = tr.requires.includes('envelope');
  const to = handsOver ? officerB : officerA;
  return {
    ...(tr.requires.includes('reason') ? { reason: `Motif de ${tr.name}, sans détail sensible` } : {}),
    ...(tr.requires.includes('closeReason') ? { closeReason: tr.closeReasons![0]! } : {}),
    ...(tr.requires.includes('declineReason') ? { declineReason: workflow.declineReasons[0]!.code } : {}),
    ...(tr.requires.includes('assigneeId') ? { assigneeId: to.id } : {}),
    ...(handsOver ? sealEnvelope(c.dek, to.keyPair.publicKey) : {}),
  };
}

/** A body for a transition the list leaves out: everything any transition may need, so that only the rule refuses. */
const fullBody = (name: string) => {
  const rule = workflow.transitions.get(name)!;
  return {
    ...(rule.requires.includes('reason') || rule.to === 'closed' ? { reason: `Motif de ${name}, sans détail sensible` } : {}),
    ...(rule.requires.includes('closeReason') ? { closeReason: 'duplicate' } : {}),
    ...(rule.requires.includes('declineReason') ? { declineReason: 'other' } : {}),
    ...(rule.assigns ? { assigneeId: officerA.id } : {}),
    ...(rule.handsOver ? { keyId: 'AAAAAAAAAAAAAAAAAAAAAA', envelope: 'v1.AAAA' } : {}),
  };
};

const STAGES: CaseStage[] = ['received', 'triage', 'info_requested', 'assessment', 'assessed', 'decision', 'protection', 'reassessed', 'declined'];

t.test('every transition listed succeeds through HTTP, every other one is refused and changes nothing', async (t) => {
  let offered = 0;
  let refused = 0;
  for (const stage of STAGES) {
    const c = await w.caseAt(stage, { officer: officerA });
    for (const who of WHO) {
      const caller = callerOf(who, c);
      const res = await actions(caller, c.caseId);
      // An officer sees a case in the pool or assigned to them; anything else is not there for them (404).
      if (who === 'other officer' && stage !== 'received') {
        t.equal(res.statusCode, 404, `${stage}, ${who}: not in scope`);
        continue;
      }
      t.equal(res.statusCode, 200, `${stage}, ${who}: ${res.body}`);
      const list = res.json() as CaseActionsView;
      t.equal(list.state, (await caseRow(T, c.caseId)).state);
      const listed = new Set(list.transitions.map((x) => x.name));
      // Those left out: refused on this very case, which stays as it was.
      for (const name of workflow.transitions.keys()) {
        if (listed.has(name)) continue;
        const before = await caseRow(T, c.caseId);
        const r = await act(T, caller, c.caseId, name.replace(/_/g, '-'), fullBody(name));
        t.ok(r.statusCode >= 400, `${stage}, ${who}: ${name} not listed, refused (${r.statusCode} ${r.json().code})`);
        const after = await caseRow(T, c.caseId);
        t.same([after.state, after.assignee_id], [before.state, before.assignee_id], `${stage}, ${who}: ${name} changed nothing`);
        refused++;
      }
      // Those listed: performed on a fresh case at the same stage, as the list describes them.
      for (const tr of list.transitions) {
        const fresh = await w.caseAt(stage, { officer: officerA });
        const r = await act(T, callerOf(who, fresh), fresh.caseId, tr.name.replace(/_/g, '-'), bodyFor(tr, fresh));
        t.equal(r.statusCode, 200, `${stage}, ${who}: ${tr.name} listed, performed (${r.body.slice(0, 200)})`);
        const row = await caseRow(T, fresh.caseId);
        t.equal(row.state, tr.to, `${stage}, ${who}: ${tr.name} led to ${tr.to}`);
        if (tr.requires.includes('envelope')) t.equal(row.assignee_id, officerB.id, `${stage}, ${who}: ${tr.name} handed the case over`);
        offered++;
      }
    }
  }
  // The walk met both sides of the property, more than once.
  t.ok(offered >= 20, `${offered} listed transitions performed`);
  t.ok(refused >= 50, `${refused} unlisted transitions refused`);
});

t.test('what the list says of a command is what the command answers', async (t) => {
  for (const stage of ['triage', 'assessment', 'protection', 'declined'] as const) {
    const c = await w.caseAt(stage, { officer: officerA });
    for (const who of WHO) {
      if (who === 'other officer') continue;
      const caller = callerOf(who, c);
      const list = (await actions(caller, c.caseId)).json() as CaseActionsView;
      const cmd = (name: string) => list.commands.find((x) => x.command === name)!;
      // A read of the sealed content: served exactly when the list says so, refused with its code otherwise.
      const sealed = await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/sealed`, headers: headersOf(caller) });
      t.equal(sealed.statusCode === 200, cmd('read_sealed').allowed, `${stage}, ${who}: read_sealed ${sealed.statusCode}`);
      if (!cmd('read_sealed').allowed) t.equal(sealed.json().code, cmd('read_sealed').refusal, `${stage}, ${who}: read_sealed refused as listed`);
      // The urgency (changes no state, so it is tried on the same case).
      const urgency = await T.app.inject({ method: 'POST', url: `/v1/cases/${c.caseId}/urgency`, headers: headersOf(caller), payload: { urgent: true, reason: 'Menace confirmée cette semaine' } });
      t.equal(urgency.statusCode === 200, cmd('set_urgency').allowed, `${stage}, ${who}: set_urgency ${urgency.statusCode}`);
      if (!cmd('set_urgency').allowed) t.equal(urgency.json().code, cmd('set_urgency').refusal, `${stage}, ${who}: set_urgency refused as listed`);
      // The verification status (no state change either; a closed case may still be verified).
      const verification = await T.app.inject({ method: 'POST', url: `/v1/cases/${c.caseId}/verification`, headers: headersOf(caller), payload: { status: 'verified', reason: 'Confirmé par deux sources indépendantes' } });
      t.equal(verification.statusCode === 200, cmd('set_verification').allowed, `${stage}, ${who}: set_verification ${verification.statusCode}`);
      if (!cmd('set_verification').allowed) t.equal(verification.json().code, cmd('set_verification').refusal, `${stage}, ${who}: set_verification refused as listed`);
      // A message: its body only has to be a sealed field for the server, which never opens it.
      const message = await T.app.inject({ method: 'POST', url: `/v1/cases/${c.caseId}/messages`, headers: headersOf(caller), payload: { id: randomUUID(), body: sealField({ text: 'x' }, generateDek(), 'egide/v1/test') } });
      t.equal(message.statusCode === 201, cmd('send_message').allowed, `${stage}, ${who}: send_message ${message.statusCode}`);
      if (!cmd('send_message').allowed) t.equal(message.json().code, cmd('send_message').refusal, `${stage}, ${who}: send_message refused as listed`);
      // An assessment version: refused for the state before anything is sealed, so a refusal's code is checked without a body the client must seal.
      if (!cmd('record_assessment').allowed) {
        const r = await T.app.inject({ method: 'POST', url: `/v1/cases/${c.caseId}/assessments`, headers: headersOf(caller), payload: {} });
        t.ok(r.statusCode >= 400, `${stage}, ${who}: record_assessment refused`);
      }
    }
    // The break-glass last: it makes the supervisor part of the case.
    const list = (await actions(s2, c.caseId)).json() as CaseActionsView;
    const bg = list.commands.find((x) => x.command === 'break_glass')!;
    const r = await T.app.inject({ method: 'POST', url: `/v1/cases/${c.caseId}/break-glass`, headers: s2.auth(), payload: { reason: 'Alerte de nuit, agent injoignable' } });
    t.equal(r.statusCode === 201, bg.allowed, `${stage}: break_glass ${r.statusCode}`);
  }
});

t.test('the commands follow the role and the state', async (t) => {
  const c = await w.caseAt('protection', { officer: officerA });
  const of = async (who: Caller) => Object.fromEntries(((await actions(who, c.caseId)).json() as CaseActionsView).commands.map((x) => [x.command, x.refusal]));
  const officer = await of(officerA);
  t.equal(officer.check_in, null, 'the assigned officer checks in on behalf of the defender');
  t.equal(officer.record_assessment, 'invalid_transition', 'no assessment outside the assessment state');
  t.equal(officer.break_glass, 'forbidden', 'an officer never opens a break-glass');
  t.equal(officer.add_file, null, 'the assigned officer adds evidence files');
  t.equal(officer.read_files, null, 'and reads them');
  const defender = await of(c.defender);
  t.equal(defender.withdraw_consent, null, 'the defender may withdraw');
  t.equal(defender.set_urgency, 'forbidden');
  t.equal(defender.set_verification, 'forbidden', 'staff verify what the defender alleges');
  t.equal(officer.set_verification, null, 'the assigned officer records whether it was verified');
  const other = await of(s2);
  t.equal(other.read_sealed, 'break_glass_required', 'a supervisor outside the case is told what opens it');
  t.equal(other.propose_measure, null, 'every supervisor proposes a measure');
  t.equal(other.add_file, 'break_glass_required', 'a supervisor outside the case adds no file without a break-glass');
  // A partner and an admin do not read cases at all.
  t.equal((await actions(partner, c.caseId)).statusCode, 403);
  t.equal((await actions(w.admin, c.caseId)).statusCode, 403);
  // No such case: 404, as for GET /v1/cases/:caseId.
  t.equal((await actions(w.supervisor, randomUUID())).statusCode, 404);
});

t.test('reading the list is audited like a read of the case', async (t) => {
  const c = await w.caseAt('triage', { officer: officerA });
  const reads = async () => sql`select action, outcome, resource from audit_events where case_id = ${c.caseId} and actor = ${`u:${officerA.id}`} and action = 'case.read' order by id`;
  const before = (await reads()).length;
  const res = await actions(officerA, c.caseId);
  t.equal(res.statusCode, 200);
  const after = await reads();
  t.same(after.slice(before).map((e) => [e.action, e.outcome, e.resource]), [['case.read', 'allowed', `case:${c.caseId}`]], 'one allowed read of the case');
  const out = await actions(officerB, c.caseId);
  t.equal(out.statusCode, 404);
  const denied = await sql`select action, outcome from audit_events where request_id = ${out.json().instance.replace('urn:egide:request:', '')}`;
  t.same(denied.map((e) => [e.action, e.outcome]), [['case.read', 'denied']], 'one denied read, nothing else');
});
