/**
 * A case's history for staff (workflow.md: "every transition is recorded on the case's timeline
 * with actor, time and reason"): every entry oldest first, in keyset pages, each read audited;
 * the assigned officer and supervisors only.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, enrolActor, act, fileCase, headersOf, type Caller } from '../helpers/world.js';
import { ready, type ResponseOf } from '../../src/sdk/index.js';
import { clientOf } from '../helpers/api-client.js';

await ready();
const T = await buildTestApp(t, { now: '2026-06-01T09:00:00.000Z' });
const { dep, officers: { awa, moussa } } = await buildWorld(T, { officers: ['awa', 'moussa'] });
const org = (await T.app.inject({ method: 'POST', url: '/v1/orgs', headers: dep.admin.auth(), payload: { name: 'Amnesty Mali' } })).json();
const partner = await enrolActor(T, dep.admin, { username: 'partner-am', role: 'partner', orgId: org.id });
const sup = dep.supervisor;

const timeline = (who: Caller, caseId: string, query = '') => T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/timeline${query}`, headers: headersOf(who) });

// Drive one case through its procedure, each step by the role that takes it, a minute apart.
const f = await fileCase(T, dep);
const steps: Array<[Caller, string, object]> = [
  [awa, 'acknowledge', {}],
  [awa, 'request-info', { reason: 'Préciser les dates des menaces.' }],
  [f.defender, 'provide-info', {}],
  [awa, 'urgency', { urgent: true, reason: 'Menace de mort répétée cette semaine.' }],
  [awa, 'admit', {}],
  [sup, 'close', { reason: 'Doublon du dossier ouvert à Gao.', closeReason: 'duplicate' }],
  [sup, 'reopen', { reason: 'Nouvel incident signalé.' }],
  [awa, 'decline', { reason: 'Hors mandat après vérification.', declineReason: 'outside_mandate' }],
];
for (const [who, step, body] of steps) {
  T.clock.advance(60_000);
  const r = await act(T, who, f.caseId, step, body);
  if (r.statusCode !== 200) throw new Error(`${step}: ${r.statusCode} ${r.body}`);
}
const expected = [
  { actor: 'defender', action: 'filed', fromState: null, toState: 'received' },
  { actor: `u:${awa.id}`, action: 'acknowledge', fromState: 'received', toState: 'triage', reason: null },
  { actor: `u:${awa.id}`, action: 'request_info', fromState: 'triage', toState: 'info_requested', reason: 'Préciser les dates des menaces.' },
  { actor: `d:${f.caseId}`, action: 'provide_info', fromState: 'info_requested', toState: 'triage', reason: null },
  { actor: `u:${awa.id}`, action: 'urgency_confirmed', fromState: 'triage', toState: 'triage', reason: 'Menace de mort répétée cette semaine.' },
  { actor: `u:${awa.id}`, action: 'admit', fromState: 'triage', toState: 'assessment', reason: null },
  { actor: `u:${sup.id}`, action: 'close', fromState: 'assessment', toState: 'closed', reason: 'Doublon du dossier ouvert à Gao.' },
  { actor: `u:${sup.id}`, action: 'reopen', fromState: 'closed', toState: 'triage', reason: 'Nouvel incident signalé.' },
  { actor: `u:${awa.id}`, action: 'decline', fromState: 'triage', toState: 'closed', reason: 'Hors mandat après vérification.' },
];

const params = { caseId: f.caseId };

t.test('every transition, oldest first, with actor, time, states and reason', async (t) => {
  const { items, nextAfterId } = await clientOf(T.app, awa).call('getCaseTimeline', { params });
  t.match(items, expected);
  t.equal(items.length, expected.length);
  t.equal(nextAfterId, null, 'one page holds it all');
  const times = items.map((e) => Date.parse(e.at));
  t.same(times, [...times].sort((a, b) => a - b), 'in time order');
  t.ok(times.slice(1).every((x, i) => x > times[i]!), 'each step a minute after the last');
  t.same((await clientOf(T.app, sup).call('getCaseTimeline', { params })).items, items, 'a supervisor sees the same history');
});

t.test('pages after an entry id', async (t) => {
  const client = clientOf(T.app, sup);
  const { items: all } = await client.call('getCaseTimeline', { params });
  const seen: unknown[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const query: { limit: string; afterId?: string } = { limit: '2', ...(after ? { afterId: after } : {}) };
    const page: ResponseOf<'getCaseTimeline'> = await client.call('getCaseTimeline', { params, query });
    t.ok(page.items.length <= 2);
    seen.push(...page.items);
    after = page.nextAfterId;
    pages++;
  } while (after && pages < 20);
  t.equal(pages, Math.ceil(expected.length / 2));
  t.same(seen, all, 'the pages together are the whole history, once each');
  const tail = await client.call('getCaseTimeline', { params, query: { afterId: all[all.length - 2]!.id } });
  t.same(tail.items, [all[all.length - 1]]);
  t.equal((await client.call('getCaseTimeline', { params, query: { afterId: all[all.length - 1]!.id } })).items.length, 0, 'nothing after the last');
  // What the types refuse, sent raw: the app refuses it too.
  for (const q of ['?limit=0', '?limit=201', '?limit=abc', '?afterId=-1', '?afterId=x', '?order=desc']) {
    const bad = await timeline(sup, f.caseId, q);
    t.equal(bad.statusCode, 400, q);
    t.equal(bad.json().code, 'validation_failed');
  }
});

t.test('staff only: another officer is told nothing exists, partners, admins and the defender are refused', async (t) => {
  const denied = async () => (await T.database.sql`select count(*)::int as n from audit_events where action = 'case.timeline' and outcome = 'denied' and resource like 'case:%'`)[0]!.n;
  const before = await denied();
  const other = await timeline(moussa, f.caseId);
  t.equal(other.statusCode, 404, 'an officer not assigned');
  t.equal(other.json().code, 'not_found');
  for (const who of [partner, dep.admin, f.defender]) {
    const r = await timeline(who, f.caseId);
    t.equal(r.statusCode, 403);
    t.equal(r.json().code, 'forbidden');
  }
  t.equal((await timeline(sup, randomUUID())).statusCode, 404, 'no such case');
  t.equal(await denied(), before + 2, 'the out-of-scope refusal and the read of a case that does not exist are audited as denied (role refusals are audited at the route)');
  t.equal((await T.app.inject({ method: 'GET', url: `/v1/cases/${f.caseId}/timeline` })).statusCode, 401);
});

t.test('each read is audited', async (t) => {
  const [row] = await T.database.sql`select count(*)::int as n from audit_events where action = 'case.timeline' and outcome = 'allowed' and case_id = ${f.caseId} and actor = ${`u:${awa.id}`}`;
  t.ok(row!.n >= 1, 'the officer read');
  const [sups] = await T.database.sql`select count(*)::int as n from audit_events where action = 'case.timeline' and outcome = 'allowed' and case_id = ${f.caseId} and actor = ${`u:${sup.id}`}`;
  t.ok(sups!.n >= 9, 'every page a supervisor read');
});
