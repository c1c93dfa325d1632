import t from 'tap';
import { buildTestApp } from '../helpers/app.js';

const { app } = await buildTestApp(t);

t.test('healthz and readyz answer when PostgreSQL and Redis are up', async (t) => {
  const h = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(h.statusCode, 200);
  t.same(h.json(), { status: 'ok' });
  const r = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(r.statusCode, 200);
  t.match(r.json(), { status: 'ready', checks: { database: 'up', redis: 'up' } });
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

t.test('metrics are exposed for Prometheus', async (t) => {
  const r = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(r.statusCode, 200);
  t.match(r.body, /egide_http_request_duration_seconds/);
});
