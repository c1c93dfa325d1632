import t from 'tap';
import { startAppBehindProxies } from '../helpers/app-behind-proxies.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * While running, PostgreSQL or Redis going away turns /readyz into a 503 problem document that
 * names it, and the app turns ready again by itself once it is back. The outage is a TCP proxy
 * between the app and the real servers, cut and restored by the test.
 */
const { app, pgProxy, redisProxy } = await startAppBehindProxies(t);

interface Readiness {
  status: number;
  contentType: string;
  body: { code?: string; detail?: string; status?: number | string; type?: string; checks?: { database: string; redis: string } };
}

async function readyz(): Promise<Readiness> {
  const r = await app.inject({ method: 'GET', url: '/readyz' });
  return { status: r.statusCode, contentType: String(r.headers['content-type']), body: r.json() };
}

/** Polls /readyz until it answers `status`. */
const until = (status: number): Promise<Readiness> => waitFor(async () => {
  const r = await readyz();
  return r.status === status ? r : null;
}, { what: `/readyz answering ${status}`, everyMs: 100 });

t.test('ready while both answer', async (t) => {
  const r = await until(200);
  t.same(r.body, { status: 'ready' });
});

t.test('PostgreSQL down: 503 naming PostgreSQL, then ready again without a restart', async (t) => {
  await pgProxy.cut();
  const down = await until(503);
  t.match(down.contentType, /^application\/problem\+json/);
  t.match(down.body, { status: 503, code: 'service_unavailable', type: 'urn:egide:problem:service_unavailable', checks: { database: 'down', redis: 'up' } });
  t.match(down.body.detail, /PostgreSQL/);
  t.notMatch(down.body.detail, /Redis/);
  await pgProxy.restore();
  const up = await until(200);
  t.same(up.body, { status: 'ready' });
});

t.test('Redis down: 503 naming Redis, then ready again without a restart', async (t) => {
  await redisProxy.cut();
  const down = await until(503);
  t.match(down.contentType, /^application\/problem\+json/);
  t.match(down.body, { status: 503, code: 'service_unavailable', checks: { database: 'up', redis: 'down' } });
  t.match(down.body.detail, /Redis/);
  t.notMatch(down.body.detail, /PostgreSQL/);
  await redisProxy.restore();
  const up = await until(200);
  t.same(up.body, { status: 'ready' });
});

t.test('both down: the problem names both; both come back', async (t) => {
  await pgProxy.cut();
  await redisProxy.cut();
  const down = await until(503);
  t.match(down.body, { checks: { database: 'down', redis: 'down' } });
  t.match(down.body.detail, /PostgreSQL and Redis/);
  await pgProxy.restore();
  await redisProxy.restore();
  await until(200);
});
