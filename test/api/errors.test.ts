/** The one error handler: 5xx detail stays in the log, dependency failures are 503 problems. */
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { buildTestApp } from '../helpers/app.js';
import { generateKeyPair, keyIdOf, prepareFiling, ready, toB64u } from '../../src/sdk/index.js';

const MARK = `MARQUEUR-${Date.now()}`;

const T = await buildTestApp(t, {
  extraPlugins: [
    {
      plugin: async (f: FastifyInstance) => {
        f.get('/test/boom', { config: { action: 'health.read' } }, async () => {
          throw new Error('secret internal detail: connection string postgres://admin:hunter2@db');
        });
        f.get('/test/db-down', { config: { action: 'health.read' } }, async () => {
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        });
        // What drizzle throws when PostgreSQL is down mid-query: the cause carries the code.
        f.get('/test/db-down-in-query', { config: { action: 'health.read' } }, async () => {
          throw new DrizzleQueryError('select 1', [MARK], Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' }));
        });
        // A real failing statement whose parameter PostgreSQL echoes in its message.
        f.get('/test/db-error', { config: { action: 'health.read' } }, async () => {
          await f.container.services.db.execute(sql`select ${MARK}::int`);
          return {};
        });
      },
    },
  ],
});

t.test('an unexpected error is a 500 problem that reveals nothing, logged with the request id', async (t) => {
  const r = await T.app.inject({ method: 'GET', url: '/test/boom' });
  t.equal(r.statusCode, 500);
  t.match(r.headers['content-type'], /^application\/problem\+json/);
  const body = r.json();
  t.equal(body.code, 'internal');
  t.notMatch(r.body, /hunter2|secret internal|postgres:\/\//, 'no internals in the response');
  const requestId = body.instance.replace('urn:egide:request:', '');
  t.ok(T.logs.some((l) => l.includes(requestId) && l.includes('secret internal detail')), 'the log has the detail, under the request id');
});

t.test('a dependency that is down is a 503 problem with Retry-After', async (t) => {
  const r = await T.app.inject({ method: 'GET', url: '/test/db-down' });
  t.equal(r.statusCode, 503);
  t.equal(r.json().code, 'service_unavailable');
  t.equal(r.headers['retry-after'], '5');
  t.notMatch(r.body, /5432|ECONNREFUSED/);
});

t.test('a database error is logged by its code, never with the values of the query', async (t) => {
  const r = await T.app.inject({ method: 'GET', url: '/test/db-error' });
  t.equal(r.statusCode, 500);
  const line = T.logs.find((l) => l.includes(r.json().instance.replace('urn:egide:request:', '')) && l.includes('unhandled error'));
  t.ok(line, 'the failure is logged');
  t.match(line, /"code":"22P02"/, 'with its SQLSTATE');
  t.notOk(T.logs.join('\n').includes(MARK), 'the parameter is in no log line');
});

t.test('a connection lost inside a query is a 503, not a 500', async (t) => {
  const r = await T.app.inject({ method: 'GET', url: '/test/db-down-in-query' });
  t.equal(r.statusCode, 503);
  t.equal(r.json().code, 'service_unavailable');
  t.notOk(T.logs.join('\n').includes(MARK), 'the query parameters are in no log line');
});

t.test('a filing before the deployment is bootstrapped is a 503 problem, and nothing is written', async (t) => {
  await ready();
  const publicKey = generateKeyPair().publicKey;
  const intakeKey = { keyId: keyIdOf(publicKey), publicKey: toB64u(publicKey), receiptSalt: toB64u(new Uint8Array(16)) };
  const filing = prepareFiling({ intakeKey, pinnedKeyId: intakeKey.keyId, metadata: { region: 'mopti', defenderCategory: 'journalist', gender: 'female', disability: 'none', threatTypes: ['surveillance'], claimedUrgent: false, preferredLanguage: 'fr', contactChannel: 'signal', filedFor: 'self' }, secrets: { identity: 'x', contact: 'y', narrative: 'z' } });
  const r = await T.app.inject({ method: 'POST', url: '/v1/cases', payload: filing.body });
  t.equal(r.statusCode, 503, r.body);
  t.equal(r.json().code, 'service_unavailable');
  const [n] = await T.database.sql`select (select count(*)::int from cases) + (select count(*)::int from case_fields) + (select count(*)::int from case_envelopes) as n`;
  t.equal(n!.n, 0);
});
