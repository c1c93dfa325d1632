/**
 * The OpenAPI document is generated from the routes' own schemas: every route is in it with a
 * summary, a tag, its request and response schemas, its security, and an example of each request
 * body, so a partner writing their own client needs nothing else (crypto aside: docs/crypto-v1.md).
 */
import t from 'tap';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { buildTestApp } from '../helpers/app.js';

const T = await buildTestApp(t);
const res = await T.app.inject({ method: 'GET', url: '/docs/json' });
if (res.statusCode !== 200) throw new Error(`/docs/json answered ${res.statusCode}`);
interface Operation {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  requestBody?: { content?: Record<string, { schema?: Record<string, unknown>; example?: unknown; examples?: Record<string, { value: unknown }> }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
const doc = res.json() as { openapi: string; paths: Record<string, Record<string, Operation>> };
const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));
const publicActions = new Set(T.app.routeTable().filter((r) => T.app.services.access.isPublic(r.action)).map((r) => `${r.method} ${r.url}`));
const toOpenApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

t.test('every route of the app is documented', async (t) => {
  t.equal(doc.openapi, '3.1.0');
  const documented = new Set(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`));
  const missing = T.app
    .routeTable()
    .filter((r) => !r.url.startsWith('/docs') && !r.url.startsWith('/admin/queues') && r.method !== 'HEAD')
    .map((r) => `${r.method} ${toOpenApiPath(r.url)}`)
    .filter((k) => !documented.has(k));
  t.same(missing, [], 'no route missing from the document');
});

t.test('each operation has a summary, a tag, a success response schema and its security', async (t) => {
  const faults: string[] = [];
  for (const { path, method, op } of operations) {
    const key = `${method.toUpperCase()} ${path}`;
    if (!op.summary) faults.push(`${key}: no summary`);
    if (!op.tags?.length) faults.push(`${key}: no tag`);
    const ok = Object.entries(op.responses ?? {}).filter(([code]) => code.startsWith('2'));
    if (ok.length === 0) faults.push(`${key}: no 2xx response`);
    if (!publicActions.has(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`) && !op.security?.length) faults.push(`${key}: no security`);
  }
  t.same(faults, [], faults.join('\n'));
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
