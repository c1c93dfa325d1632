/**
 * While Redis does not answer, the limits behave as their purpose asks: credential routes fail
 * closed (503 `service_unavailable`: nobody may guess passwords without a counter), filing and
 * the per-user limits fail open (a defender in danger can still file; the request is let through,
 * logged and counted). Redis is cut by a TCP proxy between the app and the real server.
 */
import t from 'tap';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { createDatabase } from '../../src/db/client.js';
import { fixedClock } from '../../src/lib/clock.js';
import { buildServer } from '../../src/server.js';
import { REDIS_URL, testConfig, testRedisPrefix, type TestApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { hostPort, startTcpProxy, throughProxy } from '../helpers/tcp-proxy.js';
import { holdsWithin } from '../helpers/wait-for.js';
import { bootstrap, logIn, baseMetadata } from '../helpers/world.js';
import { login, prepareFiling, ready, toB64u } from '../../src/sdk/index.js';

await ready();
const db = await createTestDatabase();
const prefix = await testRedisPrefix(t);
const redisProxy = await startTcpProxy(hostPort(REDIS_URL, 6379));
const config = await testConfig({ DATABASE_URL: db.url, REDIS_URL: throughProxy(REDIS_URL, redisProxy), REDIS_PREFIX: prefix });
const database = createDatabase(db.url, { max: 5 });
const logs: string[] = [];
const clock = fixedClock(new Date().toISOString());
// The app's own Redis client (the infra plugin's, fail-fast), through the proxy.
const app = await buildServer({ config, clock, database, logStream: new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }) });
await app.ready();
const spare = new Redis(REDIS_URL);
const T: TestApp = { app, config, database, db, redis: spare, clock, logs };
t.teardown(async () => {
  await app.close();
  await database.close();
  spare.disconnect();
  await redisProxy.close();
  await db.drop();
});

const dep = await bootstrap(T);
const intakeKey = (await app.inject({ method: 'GET', url: '/v1/keys/intake' })).json();
const pre = (await app.inject({ method: 'POST', url: '/v1/auth/prelogin', payload: { username: dep.admin.username } })).json();
const authKey = toB64u(login(dep.admin.password, pre).authKey);
const metric = async (name: string) => {
  const text = (await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${config.METRICS_TOKEN}` } })).body;
  return text.split('\n').filter((l) => l.startsWith(name)).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
};

t.test('Redis down: credential routes answer 503, filing and case lists go on, logged', async (t) => {
  await redisProxy.cut();
  const errorsBefore = await metric('egide_rate_limit_errors_total');

  const credential = [
    ['/v1/auth/prelogin', { username: dep.admin.username }],
    ['/v1/auth/login', { username: dep.admin.username, authKey, totp: '123456' }],
    ['/v1/auth/recovery/start', { username: dep.admin.username }],
    ['/v1/auth/receipt', { authKey }],
  ] as const;
  for (const [url, payload] of credential) {
    const r = await app.inject({ method: 'POST', url, payload });
    t.equal(r.statusCode, 503, `${url}: 503`);
    t.equal(r.json().code, 'service_unavailable', `${url}: service_unavailable`);
    t.match(r.headers['content-type'], /application\/problem\+json/);
  }

  const filing = prepareFiling({ intakeKey, pinnedKeyId: dep.mechanismKeyId, metadata: baseMetadata, secrets: { identity: 'I', contact: 'C', narrative: 'Ils sont là.' } });
  const filed = await app.inject({ method: 'POST', url: '/v1/cases', payload: filing.body });
  t.equal(filed.statusCode, 201, 'a defender still files');
  const list = await app.inject({ method: 'GET', url: '/v1/cases', headers: dep.supervisor.auth() });
  t.equal(list.statusCode, 200, 'a supervisor still lists cases');
  t.ok(list.json().items.some((c: { id: string }) => c.id === filed.json().caseId));

  t.ok(logs.some((l) => l.includes('limit not enforced') && l.includes('"limit":"filing"')), 'the unenforced filing limit is logged');
  t.ok(logs.some((l) => l.includes('limit not enforced') && l.includes('"limit":"caseList"')), 'so is the case list limit');
  t.ok((await metric('egide_rate_limit_errors_total')) >= errorsBefore + 3, 'and counted for the operators');

  await redisProxy.restore();
  const back = await holdsWithin(async () => (await app.inject({ method: 'POST', url: '/v1/auth/prelogin', payload: { username: dep.admin.username } })).statusCode === 200, 10_000, 100);
  t.ok(back, 'Redis back: credential routes answer again without a restart');
  await t.resolves(logIn(T, dep.admin), 'and the admin logs in');
});
