import t from 'tap';
import Fastify from 'fastify';
import { buildTestApp, testConfig } from '../helpers/app.js';
import { bootstrap, nextTotp } from '../helpers/world.js';
import { parseAccessPolicy, PolicyError } from '../../src/access/policy.js';
import app from '../../src/app.js';
import { createDatabase } from '../../src/db/client.js';
import { Redis } from 'ioredis';
import { createTestDatabase } from '../helpers/db.js';
import { REDIS_URL } from '../helpers/app.js';
import { enrol, toB64u } from '../../src/sdk/index.js';
import { generateTotpSecret } from '../../src/auth/totp.js';

const T = await buildTestApp(t, { env: { BODY_LIMIT: '4096' } });
const dep = await bootstrap(T);
const count = async (table: string) => Number((await T.database.sql.unsafe(`select count(*)::int as n from ${table}`))[0]!.n);

t.test('the app refuses to start when a route declares no access action, or an unknown one', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  for (const [label, routeConfig] of [
    ['no action', {}],
    ['unknown action', { action: 'case.teleport' }],
  ] as const) {
    const database = createDatabase(db.url, { max: 1 });
    const redis = new Redis(REDIS_URL);
    const f = Fastify({ logger: false });
    await f.register(app, { config: await testConfig({ DATABASE_URL: db.url }), database, redis });
    f.get('/v1/sneaky', { config: routeConfig }, async () => ({ ok: true }));
    await t.rejects(async () => { await f.ready(); }, /routes without a valid access action[\s\S]*\/v1\/sneaky/, label);
    await f.close().catch(() => undefined);
    await database.close();
    redis.disconnect();
  }
});

t.test('an access policy with an unknown scope, role or shape is refused at start', async (t) => {
  t.throws(() => parseAccessPolicy({ version: 1, actions: { 'case.read': { description: 'x', roles: { officer: ['everywhere'] } } } }), PolicyError);
  t.throws(() => parseAccessPolicy({ version: 1, actions: { 'case.read': { description: 'x', roles: { janitor: ['all'] } } } }), PolicyError);
  t.throws(() => parseAccessPolicy({ version: 1, actions: { 'case.read': { description: 'x', public: true, roles: { officer: ['all'] } } } }), /either public or list roles/);
  t.throws(() => parseAccessPolicy({ version: 1, actions: { 'case.read': { description: 'x' } } }), /either public or list roles/);
  const ok = parseAccessPolicy({ version: 1, actions: { 'case.read': { description: 'x', roles: { officer: { scopes: ['assigned'], unless: ['proposer'] } } } } });
  t.same(ok.get('case.read')?.roles.officer, { scopes: ['assigned'], unless: ['proposer'] });
});

t.test('bad input gets a problem document with a stable code, naming the field', async (t) => {
  const bad = await T.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: 'Not Valid!', authKey: 'x', totp: '12' } });
  t.equal(bad.statusCode, 400);
  t.match(bad.headers['content-type'], /^application\/problem\+json/);
  t.equal(bad.json().code, 'validation_failed');
  t.match(bad.json().errors[0].field, /^\/body\//);

  const extra = await T.app.inject({ method: 'POST', url: '/v1/auth/prelogin', payload: { username: 'someone', isAdmin: true } });
  t.equal(extra.statusCode, 400, 'unknown properties are refused, not ignored');

  const json = await T.app.inject({ method: 'POST', url: '/v1/auth/prelogin', headers: { 'content-type': 'application/json' }, payload: '{"username": ' });
  t.equal(json.statusCode, 400);
  t.equal(json.json().code, 'bad_json');

  const type = await T.app.inject({ method: 'POST', url: '/v1/auth/prelogin', headers: { 'content-type': 'text/xml' }, payload: '<username/>' });
  t.equal(type.statusCode, 415);
  t.equal(type.json().code, 'unsupported_media_type');

  const big = await T.app.inject({ method: 'POST', url: '/v1/auth/prelogin', payload: { username: 'a'.repeat(10_000) } });
  t.equal(big.statusCode, 413);
  t.equal(big.json().code, 'payload_too_large');
});

t.test('a refused enrolment writes nothing', async (t) => {
  const before = { users: await count('users'), invitations: await count('invitations') };
  const e = enrol('some password');
  const totpSecret = generateTotpSecret();
  const wrongToken = await T.app.inject({ method: 'POST', url: '/v1/enrolments', payload: { token: toB64u(new Uint8Array(32)), ...e.upload, totpSecret, totpCode: nextTotp(T, totpSecret) } });
  t.equal(wrongToken.statusCode, 409);
  t.equal(wrongToken.json().code, 'invitation_invalid');
  const inv = (await T.app.inject({ method: 'POST', url: '/v1/invitations', headers: dep.admin.auth(), payload: { username: 'officer-x', role: 'officer', orgId: dep.mechanismId } })).json();
  const badKey = await T.app.inject({ method: 'POST', url: '/v1/enrolments', payload: { token: inv.token, ...e.upload, keyId: 'AAAAAAAAAAAAAAAAAAAAAA', totpSecret, totpCode: nextTotp(T, totpSecret) } });
  t.equal(badKey.statusCode, 400);
  t.equal(badKey.json().errors[0].field, '/body/keyId');
  const badTotp = await T.app.inject({ method: 'POST', url: '/v1/enrolments', payload: { token: inv.token, ...e.upload, totpSecret, totpCode: '000000' } });
  t.equal(badTotp.statusCode, 400);
  t.same({ users: await count('users'), invitations: await count('invitations') }, { users: before.users, invitations: before.invitations + 1 }, 'only the invitation exists');
  const ok = await T.app.inject({ method: 'POST', url: '/v1/enrolments', payload: { token: inv.token, ...e.upload, totpSecret, totpCode: nextTotp(T, totpSecret) } });
  t.equal(ok.statusCode, 201);
  const twice = await T.app.inject({ method: 'POST', url: '/v1/enrolments', payload: { token: inv.token, ...enrol('x').upload, totpSecret, totpCode: nextTotp(T, totpSecret) } });
  t.equal(twice.json().code, 'invitation_invalid', 'an invitation works once');
  t.equal(await count('users'), before.users + 1);
});

t.test('login is rate limited per address', async (t) => {
  const L = await buildTestApp(t, { env: { LOGIN_RATE_LIMIT_PER_MINUTE: '3' } });
  const codes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await L.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: 'nobody', authKey: 'A'.repeat(43), totp: '123456' } });
    codes.push(r.statusCode);
  }
  t.same(codes, [401, 401, 401, 429, 429]);
  const last = await L.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: 'nobody', authKey: 'A'.repeat(43), totp: '123456' } });
  t.equal(last.json().code, 'rate_limited');
  t.ok(last.headers['retry-after'], 'tells when to retry');
});
