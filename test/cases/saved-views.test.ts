/**
 * Each staff member's saved views of the case list (GET/POST /v1/me/views, DELETE
 * /v1/me/views/:id): a name and the list's filters and sort, validated by the list's own query
 * schema; at most policies/limits.yaml savedViews.maxPerUser each; only the owner sees and deletes
 * them; every decision audited.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, enrolActor, type Actor } from '../helpers/world.js';
import { ready } from '../../src/sdk/index.js';
import { loadLimitsPolicy } from '../../src/limits/limits-policy.js';
import { policiesPath } from '../../src/lib/paths.js';

await ready();
const T = await buildTestApp(t, { now: '2026-06-01T09:00:00.000Z' });
const w = await buildWorld(T, { officers: ['a', 'b'] });
const { a: officerA, b: officerB } = w.officers;
const sql = T.database.sql;
const max = loadLimitsPolicy(policiesPath(T.config)).savedViews.maxPerUser;
const org = (await T.app.inject({ method: 'POST', url: '/v1/orgs', headers: w.admin.auth(), payload: { name: 'Juristes du Nord' } })).json();
const partner = await enrolActor(T, w.admin, { username: 'partner-nord', role: 'partner', orgId: org.id });

const save = (who: { auth(): Record<string, string> }, payload: unknown) => T.app.inject({ method: 'POST', url: '/v1/me/views', headers: who.auth(), payload: payload as object });
const list = async (who: Actor) => (await T.app.inject({ method: 'GET', url: '/v1/me/views', headers: who.auth() })).json().items as Array<{ id: string; name: string; query: Record<string, string> }>;
const del = (who: { auth(): Record<string, string> }, id: string) => T.app.inject({ method: 'DELETE', url: `/v1/me/views/${id}`, headers: who.auth() });

t.test('an officer saves, lists and deletes their own views; the list applies them as they are', async (t) => {
  const res = await save(officerA, { name: 'Urgents de Mopti', query: { region: 'mopti', urgent: 'true', sort: 'risk', dueWithin: '7' } });
  t.equal(res.statusCode, 201, res.body);
  const view = res.json();
  t.same(view.query, { region: 'mopti', urgent: 'true', sort: 'risk', dueWithin: '7' });
  t.same((await list(officerA)).map((v) => v.name), ['Urgents de Mopti']);
  t.same(await list(officerB), [], "another officer's views are not theirs");
  // A saved query is a query the list takes.
  const applied = await T.app.inject({ method: 'GET', url: `/v1/cases?${new URLSearchParams(view.query).toString()}`, headers: officerA.auth() });
  t.equal(applied.statusCode, 200);
  t.equal((await del(officerB, view.id)).statusCode, 404, 'nobody else deletes it (not found for them)');
  t.equal((await list(officerA)).length, 1);
  t.equal((await del(officerA, view.id)).statusCode, 204);
  t.same(await list(officerA), []);
  t.equal((await del(officerA, view.id)).statusCode, 404, 'gone');
});

t.test('names and filters are validated by the list’s own schema', async (t) => {
  for (const payload of [
    { name: '', query: {} },
    { name: 'x'.repeat(61), query: {} },
    { name: '   ', query: {} },
    { name: 'Mauvais tri', query: { sort: 'oldest' } },
    { name: 'Curseur', query: { cursor: 'abc' } },
    { name: 'Page', query: { limit: '10' } },
    { name: 'Inconnu', query: { colour: 'red' } },
    { name: 'Échéance', query: { dueWithin: '0' } },
  ]) {
    const res = await save(officerA, payload);
    t.equal(res.statusCode, 400, JSON.stringify(payload));
    t.equal(res.json().code, 'validation_failed');
  }
  t.equal((await save(officerA, { name: 'x'.repeat(60), query: {} })).statusCode, 201, 'sixty characters is the limit');
  await sql`delete from saved_views`;
});

t.test('at most the policy’s number of views each', async (t) => {
  for (let i = 0; i < max; i++) t.equal((await save(officerA, { name: `Vue ${i}`, query: { state: 'triage' } })).statusCode, 201);
  const over = await save(officerA, { name: 'Une de trop', query: {} });
  t.equal(over.statusCode, 409);
  t.equal(over.json().code, 'conflict');
  t.equal((await list(officerA)).length, max);
  t.equal((await save(officerB, { name: 'La sienne', query: {} })).statusCode, 201, 'the limit is per person');
  const [denied] = await sql`select outcome, reason from audit_events where action = 'view.create' and actor = ${`u:${officerA.id}`} order by id desc limit 1`;
  t.equal(denied!.outcome, 'denied');
  t.match(denied!.reason, /^conflict/);
});

t.test('partners, admins and defenders have no views; every decision is audited', async (t) => {
  t.equal((await save(partner, { name: 'Partenaire', query: {} })).statusCode, 403);
  t.equal((await T.app.inject({ method: 'GET', url: '/v1/me/views', headers: w.admin.auth() })).statusCode, 403);
  const reads = await sql`select outcome from audit_events where action = 'view.list' and actor = ${`u:${officerA.id}`}`;
  t.ok(reads.length >= 3 && reads.every((r) => r.outcome === 'allowed'), 'each list of views is an audited read');
  const deletes = await sql`select outcome from audit_events where action = 'view.delete' and actor = ${`u:${officerB.id}`}`;
  t.same(deletes.map((r) => r.outcome), ['denied'], "the attempt on another's view is audited");
});
