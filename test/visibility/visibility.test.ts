/**
 * Visibility: the deadline lists (across cases for staff, one case's for whoever may see
 * its deadlines), queue health in /metrics, and the bull-board dashboard behind the admin role.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, enrolActor, reauth, act, admitCase, fileCase, headersOf, type Caller } from '../helpers/world.js';
import { ready } from '../../src/sdk/index.js';

await ready();
const T = await buildTestApp(t, { now: '2026-06-01T08:00:00.000Z' });
const { dep, officers: { awa, moussa, idle } } = await buildWorld(T, { officers: ['awa', 'moussa', 'idle'] });
const get = (who: Caller | null, url: string) => T.app.inject({ method: 'GET', url, ...(who ? { headers: headersOf(who) } : {}) });
const org = (await T.app.inject({ method: 'POST', url: '/v1/orgs', headers: headersOf(dep.admin), payload: { name: 'Avocats sans frontières Mali' } })).json();
if (!org.id) throw new Error('partner org creation failed');
const partner = await enrolActor(T, dep.admin, { username: 'partner-asf', role: 'partner', orgId: org.id });

// Case A: admitted by Awa (assessment deadline). Case B: acknowledged by Moussa, who asks the
// defender for information (info_reply, the defender's; triage paused).
const A = await fileCase(T, dep);
await admitCase(T, dep, awa, A.caseId);
const B = await fileCase(T, dep);
if ((await act(T, moussa, B.caseId, 'acknowledge')).statusCode !== 200) throw new Error('acknowledge failed');
const asked = await act(T, moussa, B.caseId, 'request-info', { reason: 'date of the last threat missing' });
if (asked.statusCode !== 200) throw new Error(`request-info failed: ${asked.body}`);

type Item = { id: string; caseId: string; reference: string; rule: string; state: string; dueAt: string; levelReached: number; urgent: boolean; overdue: boolean };
const list = async (who: Caller, query = '') => {
  const r = await get(who, `/v1/deadlines${query}`);
  if (r.statusCode !== 200) throw new Error(`list failed: ${r.statusCode} ${r.body}`);
  return r.json() as { items: Item[]; nextCursor: string | null };
};
const dbOpen = async (caseId?: string) =>
  (await T.database.sql`select id from deadlines where state in ('open', 'paused') ${caseId ? T.database.sql`and case_id = ${caseId}` : T.database.sql``} order by due_at, id`).map((r) => r.id as string);

t.test('the list across cases: a supervisor sees every case, an officer their assigned cases', async (t) => {
  const all = await list(dep.supervisor, '?limit=100');
  t.same(all.items.map((d) => d.id), await dbOpen(), 'the supervisor: every open or paused deadline, earliest due first');
  t.ok(all.items.some((d) => d.caseId === A.caseId) && all.items.some((d) => d.caseId === B.caseId), 'both cases');
  const a = all.items.find((d) => d.caseId === A.caseId)!;
  t.match(a, { reference: A.reference, rule: String, state: 'open', levelReached: 0, urgent: Boolean, overdue: false });
  t.same((await list(awa)).items.map((d) => d.id), await dbOpen(A.caseId), "Awa: her case's only");
  t.same((await list(moussa)).items.map((d) => d.id), await dbOpen(B.caseId), "Moussa: his case's only");
  t.same((await list(idle)).items, [], 'an officer with no case: nothing');
  const paused = await list(dep.supervisor, '?state=paused');
  t.ok(paused.items.length >= 1 && paused.items.every((d) => d.state === 'paused' && d.caseId === B.caseId), 'state=paused: the paused triage clock of case B');
  const rule = (await list(dep.supervisor, '?rule=info_reply')).items;
  t.ok(rule.length === 1 && rule[0]!.caseId === B.caseId, 'rule filter');
});

t.test('the list refuses the roles it is not for', async (t) => {
  const none = await get(null, '/v1/deadlines');
  t.equal(none.statusCode, 401);
  t.equal(none.json().code, 'unauthenticated');
  const admin = await get(dep.admin, '/v1/deadlines');
  t.equal(admin.statusCode, 403, 'the admin role never');
  t.equal(admin.json().code, 'forbidden');
  const r = await get(A.defender, '/v1/deadlines');
  t.equal(r.statusCode, 404, 'defender: the list across cases is out of its scope');
  t.equal(r.json().code, 'not_found');
  const theirs = await get(partner, '/v1/deadlines');
  t.equal(theirs.statusCode, 200, "a partner member lists its organisation's referral deadlines");
  t.same(theirs.json().items, [], 'none here: no case was referred to it');
  const denied = await T.database.sql`select count(*)::int as n from audit_events where action = 'deadline.list' and outcome = 'denied'`;
  t.ok(denied[0]!.n >= 2, 'the refusals are audited');
  const bad = await get(dep.supervisor, '/v1/deadlines?after=bm90LWEtY3Vyc29y');
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().code, 'validation_failed');
  const forged = Buffer.from(JSON.stringify({ d: '2026-02-30T00:00:00.000Z', i: randomUUID() })).toString('base64url');
  const feb30 = await get(dep.supervisor, `/v1/deadlines?after=${forged}`);
  t.equal(feb30.statusCode, 400, 'a cursor with a date PostgreSQL refuses is a 400, not a 500');
  t.equal((await get(dep.supervisor, '/v1/deadlines?rule=no_such_rule')).json().code, 'validation_failed', 'an unknown rule');
  t.equal((await get(dep.supervisor, '/v1/deadlines?limit=0')).statusCode, 400, 'limit 0');
});

t.test('keyset paging by due time: pages of one add up to the whole list, no repeat', async (t) => {
  const whole = (await list(dep.supervisor, '?limit=100')).items.map((d) => d.id);
  t.ok(whole.length >= 3, 'several deadlines to page through');
  const seen: string[] = [];
  let after: string | null = null;
  for (let i = 0; i < 50; i++) {
    const page: { items: Item[]; nextCursor: string | null } = await list(dep.supervisor, `?limit=1${after ? `&after=${after}` : ''}`);
    seen.push(...page.items.map((d) => d.id));
    if (!page.nextCursor) break;
    after = page.nextCursor;
  }
  t.same(seen, whole);
});

t.test("one case's deadlines: staff in scope see all, the defender theirs, others 404", async (t) => {
  const staff = await get(moussa, `/v1/cases/${B.caseId}/deadlines`);
  t.equal(staff.statusCode, 200, staff.body);
  const rules = (staff.json().items as Item[]).map((d) => d.rule).sort();
  t.ok(rules.includes('info_reply') && rules.length >= 2, `staff see every rule (${rules.join(', ')})`);
  t.equal((await get(dep.supervisor, `/v1/cases/${B.caseId}/deadlines`)).json().items.length, rules.length, 'the supervisor too');

  const own = await get(B.defender, `/v1/cases/${B.caseId}/deadlines`);
  t.equal(own.statusCode, 200, own.body);
  t.same((own.json().items as Item[]).map((d) => d.rule), ['info_reply'], 'the defender: only what they must act on');

  for (const [who, name] of [
    [awa, 'an officer not assigned'],
    [A.defender, "another case's defender"],
    [partner, 'a partner (referral deadlines are not shown on the case)'],
  ] as const) {
    const r = await get(who, `/v1/cases/${B.caseId}/deadlines`);
    t.equal(r.statusCode, 404, name);
    t.equal(r.json().code, 'not_found', name);
  }
  const admin = await get(dep.admin, `/v1/cases/${B.caseId}/deadlines`);
  t.equal(admin.statusCode, 403, 'the admin role never');
  const missing = await get(dep.supervisor, `/v1/cases/${randomUUID()}/deadlines`);
  t.equal(missing.statusCode, 404, 'an unknown case');
});

t.test('overdue: only open deadlines past due, once the clock passes them', async (t) => {
  t.same((await list(dep.supervisor, '?overdue=true')).items, [], 'nothing is late yet');
  const [first] = await T.database.sql`select due_at from deadlines where state = 'open' order by due_at limit 1`;
  T.clock.set(new Date(new Date(first!.due_at as string | Date).getTime() + 60_000).toISOString());
  await reauth(T, dep.supervisor);
  const late = (await list(dep.supervisor, '?overdue=true')).items;
  const expected = (await T.database.sql`select id from deadlines where state = 'open' and due_at < ${T.clock.now().toISOString()}::timestamptz order by due_at, id`).map((r) => r.id);
  t.ok(late.length >= 1, 'at least one overdue');
  t.same(late.map((d) => d.id), expected);
  t.ok(late.every((d) => d.overdue && d.state === 'open'), 'each flagged overdue');
  t.ok((await list(dep.supervisor, '?limit=100')).items.some((d) => !d.overdue), 'the others are not');
});

t.test('/metrics shows each queue of the registry by state', async (t) => {
  const r = await get({ authorization: `Bearer ${T.config.METRICS_TOKEN}` }, '/metrics');
  t.equal(r.statusCode, 200);
  for (const queue of ['deadline-steps', 'webhooks', 'audit-checkpoint']) {
    t.match(r.body, new RegExp(`egide_queue_up\\{queue="${queue}"\\} 1`), `${queue} read`);
    for (const state of ['waiting', 'delayed', 'active', 'failed']) t.match(r.body, new RegExp(`egide_queue_jobs\\{queue="${queue}",state="${state}"\\} \\d+`), `${queue} ${state}`);
  }
});

t.test('/admin/queues: the admin only', async (t) => {
  const none = await get(null, '/admin/queues/');
  t.equal(none.statusCode, 401, none.body);
  t.equal(none.json().code, 'unauthenticated');
  await reauth(T, awa);
  for (const who of [dep.supervisor, awa]) {
    const r = await get(who, '/admin/queues/');
    t.equal(r.statusCode, 403);
    t.equal(r.json().code, 'forbidden');
  }
  t.equal((await get(dep.supervisor, '/admin/queues/api/queues')).statusCode, 403, 'its API too');
  await reauth(T, dep.admin);
  const page = await get(dep.admin, '/admin/queues/');
  t.equal(page.statusCode, 200, page.body.slice(0, 200));
  t.match(page.headers['content-type'], /text\/html/);
  const api = await get(dep.admin, '/admin/queues/api/queues');
  t.equal(api.statusCode, 200, api.body.slice(0, 300));
  const names = (api.json().queues as Array<{ name: string; readOnlyMode: boolean }>).map((q) => q.name).sort();
  t.ok(names.includes('deadline-steps') && names.includes('webhooks'), `the registry's queues (${names.join(', ')})`);
  t.ok((api.json().queues as Array<{ readOnlyMode: boolean }>).every((q) => q.readOnlyMode), 'read-only');
  const audited = await T.database.sql`select count(*)::int as n from audit_events where action = 'queues.dashboard' and outcome = 'allowed'`;
  t.ok(audited[0]!.n >= 2, 'the admin’s views are audited');
});
