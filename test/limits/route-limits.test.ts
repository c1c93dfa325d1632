/**
 * The limits of policies/limits.yaml on routes, with short values in a copy of the policies:
 * heavy authenticated routes (case list, audit export and verify) are limited per user, not
 * per address; anonymous filing has an hourly byte ceiling per address past which only small
 * filings go through (counted in /metrics for the operators); every 429 carries Retry-After and
 * RateLimit-* headers, and the OpenAPI document says so.
 */
import t, { type Test } from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, baseMetadata } from '../helpers/world.js';
import { policiesWith } from '../helpers/policies.js';
import { prepareFiling, ready } from '../../src/sdk/index.js';
import { parseLimitsPolicy } from '../../src/limits/limits-policy.js';
import { PolicyError } from '../../src/access/policy.js';

await ready();
const CEILING = 65_536;
const dir = policiesWith(t, {
  'limits.yaml': (doc) => {
    doc.perUser.caseList = { max: 3, windowSeconds: 60 };
    doc.perUser.auditExport = { max: 2, windowSeconds: 60 };
    doc.perUser.auditVerify = { max: 1, windowSeconds: 60 };
    doc.filing = { ...doc.filing, ceilingBytesPerHour: CEILING, smallFieldMaxChars: 8192 };
  },
});
const T = await buildTestApp(t, { env: { POLICIES_DIR: dir } });
const { app } = T;
const { dep, officers: { a: officerA, b: officerB } } = await buildWorld(T, { officers: ['a', 'b'] });
const intakeKey = (await app.inject({ method: 'GET', url: '/v1/keys/intake' })).json();

const metric = async (line: RegExp) => {
  const text = (await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${T.config.METRICS_TOKEN}` } })).body;
  const m = text.split('\n').find((l) => line.test(l));
  return m ? Number(m.split(' ').pop()) : 0;
};

function expectLimited(t: Test, r: { statusCode: number; headers: Record<string, unknown>; json(): any }, max: number | null, what: string) {
  t.equal(r.statusCode, 429, `${what}: 429`);
  t.equal(r.json().code, 'rate_limited', `${what}: rate_limited`);
  t.ok(Number(r.headers['retry-after']) >= 1, `${what}: Retry-After ${r.headers['retry-after']}`);
  if (max !== null) {
    t.equal(Number(r.headers['ratelimit-limit']), max, `${what}: RateLimit-Limit`);
    t.equal(Number(r.headers['ratelimit-remaining']), 0, `${what}: RateLimit-Remaining`);
    t.ok(Number(r.headers['ratelimit-reset']) >= 1, `${what}: RateLimit-Reset`);
  }
}

t.test('the case list is limited per user, not per address', async (t) => {
  const list = (who: typeof officerA) => app.inject({ method: 'GET', url: '/v1/cases?limit=5', headers: who.auth() });
  for (let i = 0; i < 3; i++) {
    const r = await list(officerA);
    t.equal(r.statusCode, 200);
    t.equal(Number(r.headers['ratelimit-remaining']), 2 - i, 'RateLimit-Remaining counts down');
  }
  expectLimited(t, await list(officerA), 3, 'the fourth list');
  t.equal((await list(officerB)).statusCode, 200, 'another user from the same address is not limited');
});

t.test('audit export and verify are limited per supervisor', async (t) => {
  const get = () => app.inject({ method: 'GET', url: '/v1/audit/export?action=none.such', headers: dep.supervisor.auth() });
  t.equal((await get()).statusCode, 200);
  t.equal((await get()).statusCode, 200);
  expectLimited(t, await get(), 2, 'the third export');
  const verify = () => app.inject({ method: 'POST', url: '/v1/audit/verify', headers: dep.supervisor.auth() });
  t.equal((await verify()).statusCode, 200);
  expectLimited(t, await verify(), 1, 'the second verification');
});

t.test('login answers 429 with Retry-After and RateLimit-* headers past its per-address limit', async (t) => {
  const L = await buildTestApp(t, { env: { LOGIN_RATE_LIMIT_PER_MINUTE: '2' } });
  const login = () => L.app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress: '10.7.0.1', payload: { username: 'nobody', authKey: 'A'.repeat(43), totp: '123456' } });
  await login();
  await login();
  expectLimited(t, await login(), 2, 'the third login');
});

t.test('past the hourly byte ceiling of an address, large filings wait and small ones still go through', async (t) => {
  const file = (ip: string, narrative: string) =>
    app.inject({ method: 'POST', url: '/v1/cases', remoteAddress: ip, payload: prepareFiling({ intakeKey, pinnedKeyId: dep.mechanismKeyId, metadata: baseMetadata, secrets: { identity: 'I', contact: 'C', narrative } }).body });
  const large = 'Récit détaillé des menaces. '.repeat(800);
  const [refusedBefore, smallBefore] = [await metric(/^egide_filing_ceiling_exceeded_total\{outcome="refused"\}/), await metric(/^egide_filing_ceiling_exceeded_total\{outcome="accepted_small"\}/)];
  let accepted = 0;
  let refused: Awaited<ReturnType<typeof file>> | null = null;
  for (let i = 0; i < 10 && !refused; i++) {
    const r = await file('10.8.0.1', large);
    if (r.statusCode === 201) accepted++;
    else refused = r;
  }
  t.ok(accepted >= 1 && accepted <= 3, `${accepted} large filings fit under ${CEILING} bytes`);
  t.equal(refused?.statusCode, 429, 'the next large filing is refused');
  t.equal(refused?.json().code, 'filing_quota_exceeded');
  const wait = Number(refused?.headers['retry-after']);
  t.ok(wait >= 1 && wait <= 7200, `Retry-After ${wait} s`);
  const cases = async () => (await T.database.sql`select count(*)::int as n from cases`)[0]!.n as number;
  t.equal(await cases(), accepted, 'the refused filing wrote nothing');

  // Small filings (every sealed field under 8192 characters) keep going through, past the ceiling too.
  const small = 'Ils sont devant ma porte, appelez-moi au numéro convenu. '.repeat(80);
  const smallCodes: number[] = [];
  for (let i = 0; i < 20 && (await metric(/^egide_filing_ceiling_exceeded_total\{outcome="accepted_small"\}/)) === smallBefore; i++) smallCodes.push((await file('10.8.0.1', small)).statusCode);
  t.ok(smallCodes.every((c) => c === 201), `every small filing from the same address goes through (${smallCodes.length})`);
  t.equal(await metric(/^egide_filing_ceiling_exceeded_total\{outcome="accepted_small"\}/), smallBefore + 1, 'a small filing past the ceiling is counted for the operators');
  t.equal((await file('10.8.0.1', large)).json().code, 'filing_quota_exceeded', 'a large one still waits');
  t.equal((await file('10.8.0.2', large)).statusCode, 201, 'another address files a large one');
  t.equal(await metric(/^egide_filing_ceiling_exceeded_total\{outcome="refused"\}/), refusedBefore + 2, 'the refusals are counted for the operators');

  T.clock.advance(2 * 3600_000);
  t.equal((await file('10.8.0.1', large)).statusCode, 201, 'two hours later the address files large again');
});

t.test('the OpenAPI document describes the 429 answer and its headers where it can happen', async (t) => {
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
  const ops: Array<[string, string]> = [
    ['/v1/auth/login', 'post'],
    ['/v1/auth/prelogin', 'post'],
    ['/v1/auth/recovery/finish', 'post'],
    ['/v1/auth/totp-reset', 'post'],
    ['/v1/cases', 'post'],
    ['/v1/cases', 'get'],
    ['/v1/audit/export', 'get'],
    ['/v1/audit/verify', 'post'],
  ];
  for (const [path, method] of ops) {
    const r = doc.paths[path]?.[method]?.responses?.['429'];
    t.ok(r, `${method.toUpperCase()} ${path}: 429 documented`);
    t.same(Object.keys(r?.headers ?? {}).sort(), ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After'], `${method.toUpperCase()} ${path}: its headers`);
    t.match(JSON.stringify(r?.content ?? {}), /Problem/, `${method.toUpperCase()} ${path}: a problem document`);
  }
});

t.test('the limits policy is validated at start', async (t) => {
  const good = { version: 1, password: { forgetAfterSeconds: 900, perAddress: { freeFailures: 5, firstWaitSeconds: 30, maxWaitSeconds: 900 }, perAccount: { freeFailures: 20, firstWaitSeconds: 60, maxWaitSeconds: 900, trustedAddressDays: 30 } }, totp: { failuresBeforeLock: 5, forgetAfterSeconds: 900, firstLockSeconds: 300, maxLockSeconds: 86400, locksForgottenAfterSeconds: 86400 }, recovery: { failuresBeforeLock: 3, forgetAfterSeconds: 900, firstLockSeconds: 900, maxLockSeconds: 86400, locksForgottenAfterSeconds: 86400 }, perUser: { auditExport: { max: 6, windowSeconds: 600 }, auditVerify: { max: 3, windowSeconds: 600 }, caseList: { max: 300, windowSeconds: 60 } }, savedViews: { maxPerUser: 20 }, filing: { ceilingBytesPerHour: 16777216, smallFieldMaxChars: 4096, uploadCeilingBytesPerHour: 4294967296 } };
  t.ok(parseLimitsPolicy(good));
  const bad = (edit: (d: any) => void) => {
    const d = structuredClone(good);
    edit(d);
    return () => parseLimitsPolicy(d);
  };
  t.throws(bad((d) => delete d.filing.ceilingBytesPerHour), PolicyError, 'a missing ceiling');
  t.throws(bad((d) => (d.filing.ceilingBytesPerHour = 10)), PolicyError, 'a ceiling too small to file anything');
  t.throws(bad((d) => delete d.filing.uploadCeilingBytesPerHour), PolicyError, 'a missing upload ceiling');
  t.throws(bad((d) => (d.password.perAccount.freeFailures = 5)), /higher than/, 'an account threshold not above the per-address one');
  t.throws(bad((d) => (d.totp.maxLockSeconds = 10)), /shorter than/, 'a maximum lock under the first');
  t.throws(bad((d) => (d.perUser.caseList = { max: 0, windowSeconds: 60 })), PolicyError, 'a per-user limit of zero');
});
