/**
 * A domain added the way the module list says: the toy module is a folder (test/architecture/toy)
 * and one entry in the list the app and the workers are given, with its action in the access
 * policy. Nothing else learns of it, yet its route is served, documented and authorized (each
 * decision audited), and the worker's one outbox relay hands its topic to its handler.
 */
import t from 'tap';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { buildServer } from '../../src/server.js';
import { defaultModules } from '../../src/modules.js';
import { startWorkers } from '../../workers/worker.js';
import { buildTestApp, testConfig } from '../helpers/app.js';
import { bootstrap, enrolActor } from '../helpers/world.js';
import { policiesWith } from '../helpers/policies.js';
import { toyModule } from './toy/toy-module.js';
import { TOY_ACTION, TOY_TOPIC } from './toy/toy-routes.js';

const toyPolicies = policiesWith(t, {
  'access.yaml': (doc) => {
    doc.actions[TOY_ACTION] = { description: 'Ping the toy module (a test of the module list).', roles: { supervisor: ['all'] } };
  },
});

/** What the toy's outbox handler was handed, and a wait for a given row (no polling, no sleep). */
const handed: string[] = [];
const waiting = new Map<string, () => void>();
const toy = toyModule((ids) => {
  for (const id of ids) {
    handed.push(id);
    waiting.get(id)?.();
  }
});
const modules = [...defaultModules, toy];

const T = await buildTestApp(t, { env: { POLICIES_DIR: toyPolicies }, modules });
const dep = await bootstrap(T);
const officer = await enrolActor(T, dep.admin, { username: 'officer-toy', role: 'officer', orgId: dep.mechanismId });
const sql = T.database.sql;
const decisions = async (who: { id: string }, outcome: 'allowed' | 'denied') =>
  Number((await sql`select count(*)::int as n from audit_events where actor = ${`u:${who.id}`} and action = ${TOY_ACTION} and outcome = ${outcome}`)[0]!.n);

t.test('the route is served and in the OpenAPI document', async (t) => {
  t.ok(T.app.routeTable().some((r) => r.method === 'POST' && r.url === '/v1/toy/pings' && r.action === TOY_ACTION), 'registered with its action');
  const res = await T.app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(res.statusCode, 200);
  const doc = res.json() as { paths: Record<string, Record<string, { operationId?: string }>> };
  t.equal(doc.paths['/v1/toy/pings']?.post?.operationId, 'pingToy', 'documented under its operationId');
});

t.test('it is authorized from the policy, and each decision is audited', async (t) => {
  const refused = await T.app.inject({ method: 'POST', url: '/v1/toy/pings', headers: officer.auth() });
  t.equal(refused.statusCode, 403, 'an officer (no toy.ping) is refused');
  t.equal(await decisions(officer, 'denied'), 1, 'with a denied audit row');
  t.equal(await decisions(officer, 'allowed'), 0);

  const allowed = await T.app.inject({ method: 'POST', url: '/v1/toy/pings', headers: dep.supervisor.auth() });
  t.equal(allowed.statusCode, 201, 'a supervisor (toy.ping: all) is served');
  t.equal(await decisions(dep.supervisor, 'allowed'), 1, 'with an allowed audit row');
  t.equal(await decisions(dep.supervisor, 'denied'), 0);
});

t.test("its outbox topic is relayed to its handler by the workers' relay", async (t) => {
  const res = await T.app.inject({ method: 'POST', url: '/v1/toy/pings', headers: dep.supervisor.auth() });
  t.equal(res.statusCode, 201);
  const { id } = res.json() as { id: string };
  const [row] = await sql<Array<{ dispatched: boolean }>>`select dispatched_at is not null as dispatched from outbox where topic = ${TOY_TOPIC} and payload->>'id' = ${id}`;
  t.equal(row?.dispatched, false, 'written with the command, pending');

  const delivered = new Promise<void>((resolve) => waiting.set(id, resolve));
  const workers = await startWorkers({ config: T.config, container: T.app.container, modules, logger: pino({ level: 'silent' }) });
  t.teardown(() => workers.close());
  await delivered;
  t.ok(handed.includes(id), 'the toy handler was handed the row');
  await workers.close();
  const [after] = await sql<Array<{ dispatched: boolean }>>`select dispatched_at is not null as dispatched from outbox where topic = ${TOY_TOPIC} and payload->>'id' = ${id}`;
  t.equal(after?.dispatched, true, 'and the relay marked it dispatched');
});

const discard = new Writable({ write: (_chunk, _enc, cb) => cb() });

t.test('the start fails when the modules and the access policy disagree', async (t) => {
  const config = await testConfig({ DATABASE_URL: T.db.url, POLICIES_DIR: toyPolicies, REDIS_URL: T.config.REDIS_URL, REDIS_PREFIX: T.config.REDIS_PREFIX });
  await t.rejects(buildServer({ config, logStream: discard }), { name: 'PolicyError', message: /the action toy\.ping of policies\/access\.yaml belongs to no module/ }, 'an action no module names');
  const shipped = await testConfig({ DATABASE_URL: T.db.url, REDIS_URL: T.config.REDIS_URL, REDIS_PREFIX: T.config.REDIS_PREFIX });
  await t.rejects(buildServer({ config: shipped, modules, logStream: discard }), { name: 'PolicyError', message: /module toy names the action toy\.ping, which policies\/access\.yaml does not define/ }, 'a module action the policy lacks');
});
