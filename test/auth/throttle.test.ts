/**
 * Per-account throttling (ASVS V6.3), with policies/limits.yaml as shipped and the test clock:
 * wrong passwords slow down per (username, address) and, with a higher threshold, per username
 * from every address, while the owner's own address keeps working; wrong one-time codes (only
 * possible with the password) and failed recoveries (only possible with the recovery code) lock
 * that step of the account for a growing time, tell the user in the in-app inbox, and are
 * audited. Unknown usernames are throttled exactly like known ones.
 */
import t from 'tap';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { buildTestApp, REDIS_URL } from '../helpers/app.js';
import { bootstrap, enrolActor, type Actor } from '../helpers/world.js';
import { changePassword, login, openSecret, recoverKeyPair, renewRecoveryCode, toB64u } from '../../src/sdk/index.js';
import { totpCode } from '../../src/auth/totp.js';
import { loadLimitsPolicy } from '../../src/limits/limits-policy.js';
import { policiesPath } from '../../src/lib/paths.js';
import { startNotificationDelivery } from '../../workers/notification-delivery.js';

const T = await buildTestApp(t, { env: { REFRESH_TOKEN_TTL_SECONDS: String(30 * 24 * 3600) } });
const { app } = T;
const dep = await bootstrap(T);
const sql = T.database.sql;
const limits = loadLimitsPolicy(policiesPath(T.config));

const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const delivery = await startNotificationDelivery({ container: T.app.container, connection, log: pino({ level: 'silent' }), intervalMs: 60_000 });
t.teardown(async () => {
  await delivery.close();
  connection.disconnect();
});

/** The authKey a client derives for `password` (prelogin salt, Argon2id), memoised per account and password. */
const authKeys = new Map<string, string>();
async function authKeyOf(username: string, password: string): Promise<string> {
  const k = `${username}\n${password}`;
  if (!authKeys.has(k)) {
    const pre = (await app.inject({ method: 'POST', url: '/v1/auth/prelogin', payload: { username } })).json();
    authKeys.set(k, toB64u(login(password, pre).authKey));
  }
  return authKeys.get(k)!;
}

/**
 * A login attempt from `ip`; `totp` defaults to the current right code. Only a right code
 * consumes a time step, so only then does the clock move past it (and shorten the waits).
 */
async function attempt(who: { username: string; password: string; totpSecret?: string }, ip: string, totp?: string) {
  if (who.totpSecret && totp === undefined) T.clock.advance(31_000);
  const code = totp ?? (who.totpSecret ? totpCode(who.totpSecret, T.clock.now()) : '123456');
  return app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress: ip, payload: { username: who.username, authKey: await authKeyOf(who.username, who.password), totp: code } });
}
const wrongCode = (who: Actor) => (totpCode(who.totpSecret, T.clock.now()) === '000000' ? '111111' : '000000');
const lastEvent = async (action: string) => (await sql`select resource, outcome, reason from audit_events where action = ${action} order by id desc limit 1`)[0]!;

const pw = limits.password;

t.test('wrong passwords from one address slow that address down; the owner elsewhere still logs in', async (t) => {
  const owner = await enrolActor(T, dep.admin, { username: 'officer-pair', role: 'officer', orgId: dep.mechanismId });
  const thief = { username: owner.username, password: 'a wrong guess' };
  for (let i = 1; i <= pw.perAddress.freeFailures; i++) t.equal((await attempt(thief, '10.0.0.1')).statusCode, 401, `guess ${i}: 401`);
  const slowed = await attempt(thief, '10.0.0.1');
  t.equal(slowed.statusCode, 429, 'past the free failures: 429');
  t.equal(slowed.json().code, 'rate_limited');
  const wait = Number(slowed.headers['retry-after']);
  t.ok(wait > 0 && wait <= pw.perAddress.firstWaitSeconds, `Retry-After ${wait} s`);
  t.match(await lastEvent('auth.login'), { resource: `user:${owner.id}`, outcome: 'denied', reason: /throttled/ }, 'the throttled attempt is audited');
  t.equal((await attempt(owner, '10.0.0.1', totpCode(owner.totpSecret, T.clock.now()))).statusCode, 429, 'even the right password waits at that address');

  t.equal((await attempt(owner, '10.0.0.2')).statusCode, 200, "the owner's own address is not locked out");

  T.clock.advance(pw.perAddress.firstWaitSeconds * 1000);
  t.equal((await attempt(thief, '10.0.0.1')).statusCode, 401, 'after the wait, one more guess');
  const longer = await attempt(thief, '10.0.0.1');
  t.equal(longer.statusCode, 429);
  t.ok(Number(longer.headers['retry-after']) > pw.perAddress.firstWaitSeconds, `the wait grows (${longer.headers['retry-after']} s)`);
});

t.test('guessing spread over many addresses slows the account for new addresses only', async (t) => {
  const owner = await enrolActor(T, dep.admin, { username: 'officer-spread', role: 'officer', orgId: dep.mechanismId });
  t.equal((await attempt(owner, '10.1.0.1')).statusCode, 200, 'the owner logs in from the office');
  const thief = { username: owner.username, password: 'a wrong guess' };
  for (let i = 1; i <= pw.perAccount.freeFailures; i++) {
    const r = await attempt(thief, `10.2.0.${i}`);
    if (r.statusCode !== 401) t.fail(`guess ${i} from a new address: ${r.statusCode}`);
  }
  const next = await attempt(thief, '10.2.0.200');
  t.equal(next.statusCode, 429, 'the account waits for any new address');
  t.ok(Number(next.headers['retry-after']) <= pw.perAccount.firstWaitSeconds);
  t.equal((await attempt(owner, '10.3.0.1')).statusCode, 429, 'the owner from an unknown address waits too (a minute, not a lock-out)');
  t.equal((await attempt(owner, '10.1.0.1')).statusCode, 200, "the owner's own address still logs in");
});

t.test('an unknown username is throttled exactly like a known one', async (t) => {
  const ghost = { username: 'nobody-at-all', password: 'a wrong guess' };
  const real = await enrolActor(T, dep.admin, { username: 'officer-real', role: 'officer', orgId: dep.mechanismId });
  const fake = { username: real.username, password: 'a wrong guess' };
  const run = async (who: typeof ghost, ip: string) => {
    const codes: number[] = [];
    for (let i = 0; i < pw.perAddress.freeFailures + 2; i++) codes.push((await attempt(who, ip)).statusCode);
    return codes;
  };
  const [a, b] = [await run(ghost, '10.5.0.1'), await run(fake, '10.5.0.2')];
  t.same(a, b, `the same answers: ${a.join(' ')}`);
  t.same(a.slice(-2), [429, 429]);
});

t.test('wrong one-time codes lock the TOTP step for a growing time, tell the user and are audited', async (t) => {
  const u = await enrolActor(T, dep.admin, { username: 'officer-totp', role: 'officer', orgId: dep.mechanismId });
  const ip = '10.4.0.1';
  for (let i = 1; i < limits.totp.failuresBeforeLock; i++) {
    const r = await attempt(u, ip, wrongCode(u));
    t.equal(r.json().code, 'invalid_credentials', `wrong code ${i}`);
  }
  const outboxBefore = (await sql`select count(*)::int as n from outbox where topic = 'account.totp_locked'`)[0]!.n;
  const locking = await attempt(u, ip, wrongCode(u));
  t.equal(locking.statusCode, 429, 'the last allowed failure locks the step');
  t.equal(locking.json().code, 'totp_locked');
  t.equal(Number(locking.headers['retry-after']), limits.totp.firstLockSeconds);
  t.match(await lastEvent('auth.login'), { resource: `user:${u.id}`, outcome: 'denied', reason: /wrong TOTP code; the one-time code step locked until .* \(lock 1\)/ });
  t.equal((await sql`select count(*)::int as n from outbox where topic = 'account.totp_locked'`)[0]!.n, outboxBefore + 1, 'one notification');

  const right = await attempt(u, ip);
  t.equal(right.json().code, 'totp_locked', 'while locked, even the right code is refused');
  t.match(await lastEvent('auth.login'), { outcome: 'denied', reason: /locked until/ });
  t.equal((await attempt({ ...u, password: 'a wrong guess' }, ip)).json().code, 'invalid_credentials', 'a wrong password says nothing about the lock');

  T.clock.advance(limits.totp.firstLockSeconds * 1000);
  const back = await attempt(u, ip);
  t.equal(back.statusCode, 200, 'after the lock, the right code logs in');
  // The user reads in the inbox why the login was refused.
  await delivery.tick();
  const inbox = (await app.inject({ method: 'GET', url: '/v1/notifications', headers: { authorization: `Bearer ${back.json().accessToken}` } })).json().items as Array<{ topic: string; payload: Record<string, string> }>;
  const note = inbox.find((n) => n.topic === 'account.totp_locked');
  t.ok(note, 'the notification is in the inbox');
  t.match(note?.payload, { code: 'totp_locked', action: 'auth.login' });

  for (let i = 1; i < limits.totp.failuresBeforeLock; i++) await attempt(u, ip, wrongCode(u));
  const again = await attempt(u, ip, wrongCode(u));
  t.equal(again.json().code, 'totp_locked');
  t.equal(Number(again.headers['retry-after']), Math.min(2 * limits.totp.firstLockSeconds, limits.totp.maxLockSeconds), 'the second lock lasts twice as long');
});

t.test('failed recoveries past the recovery-code proof lock recovery, tell the user and are audited', async (t) => {
  const u = await enrolActor(T, dep.admin, { username: 'officer-lost', role: 'officer', orgId: dep.mechanismId });
  const tryRecovery = async (totp?: string) => {
    const s = (await app.inject({ method: 'POST', url: '/v1/auth/recovery/start', payload: { username: u.username } })).json();
    const kp = recoverKeyPair(u.recoveryCode, s.recoveryWrap);
    const next = changePassword(kp, 'recovered passphrase');
    T.clock.advance(31_000);
    return app.inject({
      method: 'POST',
      url: '/v1/auth/recovery/finish',
      payload: { username: u.username, challengeId: s.challengeId, answer: toB64u(openSecret(s.challenge, kp, 'challenge')), totp: totp ?? totpCode(u.totpSecret, T.clock.now()), publicKey: toB64u(kp.publicKey), salt: next.salt, verifier: next.verifier, wrappedPrivateKey: next.wrappedPrivateKey, recoveryWrap: renewRecoveryCode(kp).recoveryWrap },
    });
  };
  for (let i = 1; i < limits.recovery.failuresBeforeLock; i++) t.equal((await tryRecovery(wrongCode(u))).json().code, 'invalid_credentials', `failure ${i}`);
  const locking = await tryRecovery(wrongCode(u));
  t.equal(locking.statusCode, 429);
  t.equal(locking.json().code, 'recovery_locked');
  t.equal(Number(locking.headers['retry-after']), limits.recovery.firstLockSeconds);
  t.match(await lastEvent('auth.recover'), { resource: `user:${u.id}`, outcome: 'denied', reason: /recovery locked until/ });
  t.equal((await sql`select count(*)::int as n from outbox where topic = 'account.recovery_locked' and payload->'recipients' ? ${u.id}`)[0]!.n, 1, 'the user is told');
  t.equal((await tryRecovery()).json().code, 'recovery_locked', 'while locked, a right recovery is refused too');
  t.equal((await attempt(u, '10.6.0.1')).statusCode, 200, 'logging in is another step: not locked');
  T.clock.advance(limits.recovery.firstLockSeconds * 1000);
  t.equal((await tryRecovery()).statusCode, 204, 'after the lock, the recovery goes through');
  t.equal((await attempt({ ...u, password: 'recovered passphrase' }, '10.6.0.1')).statusCode, 200, 'the new password logs in');
});
