import t from 'tap';
import { buildTestApp } from '../helpers/app.js';

const { app, config } = await buildTestApp(t);

t.test('healthz and readyz answer when PostgreSQL and Redis are up', async (t) => {
  const h = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(h.statusCode, 200);
  t.same(h.json(), { status: 'ok' });
  const r = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(r.statusCode, 200);
  t.same(r.json(), { status: 'ready' }, 'a bare answer: the detail is for admins (GET /v1/admin/health)');
});

t.test('an unknown route is a problem document', async (t) => {
  const r = await app.inject({ method: 'GET', url: '/nope' });
  t.equal(r.statusCode, 404);
  t.match(r.headers['content-type'], /^application\/problem\+json/);
  t.match(r.json(), { code: 'route_not_found', status: 404, type: 'urn:egide:problem:route_not_found' });
});

t.test('the OpenAPI document is generated', async (t) => {
  const r = await app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(r.statusCode, 200);
  const doc = r.json();
  t.equal(doc.openapi, '3.1.0');
  t.ok(doc.paths['/readyz'], 'readyz is documented');
});

t.test('metrics are exposed to the Prometheus scraper that presents METRICS_TOKEN, to nobody else', async (t) => {
  const r = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${config.METRICS_TOKEN}` } });
  t.equal(r.statusCode, 200);
  t.match(r.body, /egide_http_request_duration_seconds/);
  for (const authorization of [undefined, 'Bearer ', `Bearer ${config.METRICS_TOKEN}x`, `Bearer ${config.METRICS_TOKEN.slice(1)}`, config.METRICS_TOKEN]) {
    const refused = await app.inject({ method: 'GET', url: '/metrics', ...(authorization !== undefined ? { headers: { authorization } } : {}) });
    t.equal(refused.statusCode, 401, `refused: ${authorization === undefined ? 'no token' : 'a wrong one'}`);
    t.equal(refused.json().code, 'unauthenticated');
    t.notMatch(refused.body, /egide_/, 'no metric in the refusal');
  }
});
