/**
 * The OpenAPI document is generated from the routes' own schemas: every route is in it with a
 * summary, a tag, a stable operationId, its request and response schemas (each answer under its
 * own media type), its security, and an example of each request
 * body, so a partner writing their own client needs nothing else (crypto aside: docs/crypto-v1.md).
 */
import t from 'tap';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { buildTestApp } from '../helpers/app.js';
import { contracts, ROUTES } from '../../src/contracts/index.js';
import { transitionOperationId } from '../../src/contracts/case-workflow.js';

const T = await buildTestApp(t);
const res = await T.app.inject({ method: 'GET', url: '/docs/json' });
if (res.statusCode !== 200) throw new Error(`/docs/json answered ${res.statusCode}`);
interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  requestBody?: { content?: Record<string, { schema?: Record<string, unknown>; example?: unknown; examples?: Record<string, { value: unknown }> }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
const doc = res.json() as { openapi: string; paths: Record<string, Record<string, Operation>> };
const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));
const publicActions = new Set(T.app.routeTable().filter((r) => T.app.container.services.access.isPublic(r.action)).map((r) => `${r.method} ${r.url}`));
const toOpenApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

t.test('every route of the app is documented', async (t) => {
  t.equal(doc.openapi, '3.1.0');
  const documented = new Set(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`));
  const missing = T.app
    .routeTable()
    .filter((r) => !r.url.startsWith('/docs') && !r.url.startsWith('/admin/queues') && r.url !== '/console/*' && r.method !== 'HEAD')
    .map((r) => `${r.method} ${toOpenApiPath(r.url)}`)
    .filter((k) => !documented.has(k));
  t.same(missing, [], 'no route missing from the document');
});

t.test('each operation has a summary, a tag and a success response schema', async (t) => {
  const faults: string[] = [];
  for (const { path, method, op } of operations) {
    const key = `${method.toUpperCase()} ${path}`;
    if (!op.summary) faults.push(`${key}: no summary`);
    if (!op.tags?.length) faults.push(`${key}: no tag`);
    const ok = Object.entries(op.responses ?? {}).filter(([code]) => code.startsWith('2'));
    if (ok.length === 0) faults.push(`${key}: no 2xx response`);
  }
  t.same(faults, [], faults.join('\n'));
});

t.test('each operation says how it is authenticated, as the access policy does', async (t) => {
  // Public actions need no session (`security: []`, so a client sends no token); /metrics is
  // public to the policy (no user) but takes the scraper's own token; every other route a session.
  const faults: string[] = [];
  for (const { path, method, op } of operations) {
    const key = `${method.toUpperCase()} ${path}`;
    const expected = path === '/metrics' ? [{ metricsToken: [] }] : publicActions.has(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`) ? [] : [{ bearer: [] }];
    if (JSON.stringify(op.security) !== JSON.stringify(expected)) faults.push(`${key}: security ${JSON.stringify(op.security)}, expected ${JSON.stringify(expected)}`);
  }
  t.same(faults, [], faults.join('\n'));
});

t.test('every route declares a camelCase operationId in its schema, unique across the API', async (t) => {
  // A typed client is generated from these ids: each must be there, readable and unique.
  const documented = T.app.routeTable().filter((r) => !r.hidden);
  t.ok(documented.length >= 90, `${documented.length} documented routes`);
  const missing = documented.filter((r) => !r.operationId).map((r) => `${r.method} ${r.url} (action ${r.action}): add operationId: '<verbNoun>' to its route schema`);
  t.same(missing, [], `routes whose schema declares no operationId:\n  ${missing.join('\n  ')}`);
  const malformed = documented.filter((r) => r.operationId && !/^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*$/.test(r.operationId)).map((r) => `${r.method} ${r.url}: ${r.operationId}`);
  t.same(malformed, [], `operationIds not in camelCase:\n  ${malformed.join('\n  ')}`);
  const routesOf = new Map<string, string[]>();
  for (const r of documented) if (r.operationId) routesOf.set(r.operationId, [...(routesOf.get(r.operationId) ?? []), `${r.method} ${r.url}`]);
  const duplicates = [...routesOf].filter(([, routes]) => routes.length > 1).map(([id, routes]) => `${id}: ${routes.join(', ')}`);
  t.same(duplicates, [], `operationIds used by more than one route:\n  ${duplicates.join('\n  ')}`);
  const inDocument = new Map(operations.map(({ path, method, op }) => [`${method.toUpperCase()} ${path}`, op.operationId]));
  // @fastify/swagger names a HEAD operation `<operationId>-head` (the tus offset is the only one).
  const documentedId = (r: { method: string; operationId?: string | undefined }) => (r.method === 'HEAD' ? `${r.operationId}-head` : r.operationId);
  const changed = documented.filter((r) => inDocument.get(`${r.method} ${toOpenApiPath(r.url)}`) !== documentedId(r)).map((r) => `${r.method} ${r.url}`);
  t.same(changed, [], 'the document carries each route\'s own operationId');
});

t.test('the operationIds generated clients call keep their names', async (t) => {
  // Renaming one breaks every client generated before: add new ids freely, change these only on purpose.
  const pinned = JSON.parse(readFileSync(new URL('../fixtures/openapi-operation-ids.json', import.meta.url), 'utf8')) as Record<string, string>;
  const now = new Map(operations.map(({ path, method, op }) => [`${method.toUpperCase()} ${path}`, op.operationId]));
  const moved = Object.entries(pinned)
    .filter(([key, id]) => now.get(key) !== id)
    .map(([key, id]) => `${key}: was ${id}, now ${now.has(key) ? (now.get(key) ?? 'none') : 'no such operation'}`);
  t.same(moved, [], `operationIds renamed or gone (test/fixtures/openapi-operation-ids.json):\n  ${moved.join('\n  ')}`);
});

t.test('answers come with the media types the document gives them', async (t) => {
  const documentedTypes = (path: string, status: number): string[] => Object.keys(doc.paths[path]?.get?.responses?.[String(status)]?.content ?? {});
  const check = async (url: string, path: string, headers: Record<string, string> = {}) => {
    const r = await T.app.inject({ method: 'GET', url, headers });
    const type = String(r.headers['content-type']).split(';')[0]!;
    t.ok(documentedTypes(path, r.statusCode).includes(type), `GET ${url}: ${r.statusCode} ${type}, documented as ${JSON.stringify(documentedTypes(path, r.statusCode))}`);
    return r;
  };
  // Prometheus text for the scraper with its token; a problem document without it.
  t.equal((await check('/metrics', '/metrics', { authorization: `Bearer ${T.config.METRICS_TOKEN}` })).statusCode, 200);
  t.equal((await check('/metrics', '/metrics')).statusCode, 401);
  // The input guard refuses unstorable text in any query string, probes and pages included: the 4xx they document.
  t.equal((await check('/healthz?probe=%00', '/healthz')).statusCode, 400);
  t.equal((await check('/readyz?probe=%00', '/readyz')).statusCode, 400);
  t.equal((await check('/suivi?lang=%00', '/suivi')).statusCode, 400);
  t.equal((await check('/assets/no-such-asset.js', '/assets/{name}')).statusCode, 404);
  await check('/', '/');
  await check('/healthz', '/healthz');
  t.equal((await check('/v1/me', '/v1/me')).statusCode, 401);
});

t.test('every request body comes with an example its own schema accepts', async (t) => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const missing: string[] = [];
  const invalid: string[] = [];
  for (const { path, method, op } of operations) {
    const media = Object.values(op.requestBody?.content ?? {})[0];
    if (!media?.schema) continue;
    const key = `${method.toUpperCase()} ${path}`;
    // @fastify/swagger moves a schema's `examples` to the media type: `example` for one, `examples` for several.
    const examples = [...(media.example !== undefined ? [media.example] : []), ...Object.values(media.examples ?? {}).map((e) => e.value)];
    if (examples.length === 0) missing.push(key);
    const validate = ajv.compile(media.schema);
    for (const example of examples) if (!validate(example)) invalid.push(`${key}: ${ajv.errorsText(validate.errors)}`);
  }
  t.same(missing, [], `request bodies without an example:\n${missing.join('\n')}`);
  t.same(invalid, [], `examples their schema refuses:\n${invalid.join('\n')}`);
});

t.test('every operation of the contracts is the route the app serves, at its method and URL', async (t) => {
  const served = new Map(T.app.routeTable().filter((r) => r.operationId).map((r) => [r.operationId!, `${r.method} ${r.url}`]));
  const wrong = Object.entries(ROUTES)
    .filter(([id, [method, url]]) => served.get(id) !== `${method} ${url}`)
    .map(([id, [method, url]]) => `${id}: contract ${method} ${url}, served ${served.get(id) ?? 'nowhere'}`);
  t.same(wrong, [], wrong.join('\n'));
  for (const [id, op] of Object.entries(contracts)) t.equal(op.schema.operationId, id, `${id}: the schema carries its own operationId`);
  // The rest are the case transitions, made from policies/workflow.yaml (the typed client's
  // `transition()`), and what is not the JSON API: probes, metrics and the defender's page.
  const outside = [...served.keys()].filter((id) => !(id in ROUTES) && served.get(id)!.split(' ')[1]!.startsWith('/v1/'));
  const isTransition = (id: string) => {
    const name = /^POST \/v1\/cases\/:caseId\/([a-z-]+)$/.exec(served.get(id) ?? '')?.[1];
    return name !== undefined && transitionOperationId(name.replace(/-/g, '_')) === id;
  };
  t.ok(outside.length > 5, `the transitions of the workflow policy: ${outside.join(', ')}`);
  t.same(outside.filter((id) => !isTransition(id)), [], 'every other operation is a case transition');
});
