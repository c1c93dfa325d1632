/**
 * Recovery with the recovery code, as a client written from docs/crypto-v1.md does it (the
 * project's SDK, real crypto): recovery/start tells nothing about which usernames exist (an
 * unknown one gets the same decoy every time, of the real shape), every start is audited, and a
 * completed recovery replaces the recovery wrap, so the code just used stops working.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, logIn, nextTotp, type Actor } from '../helpers/world.js';
import { CryptoError, changePassword, openSecret, recoverKeyPair, renewRecoveryCode, toB64u, type BoxKeyPair } from '../../src/sdk/index.js';

const T = await buildTestApp(t);
const { app } = T;
const dep = await bootstrap(T);
const sql = T.database.sql;

const start = (username: string) => app.inject({ method: 'POST', url: '/v1/auth/recovery/start', payload: { username } });
const recoverEvents = async () => (await sql`select count(*)::int as n from audit_events where action = 'auth.recover'`)[0]!.n as number;

/** The finish request a client sends after opening the challenge with the recovered key pair. */
function finishBody(u: Actor, s: { challengeId: string; challenge: string }, kp: BoxKeyPair, password: string, recoveryWrap?: string) {
  const next = changePassword(kp, password);
  return {
    username: u.username,
    challengeId: s.challengeId,
    answer: toB64u(openSecret(s.challenge, kp, 'challenge')),
    totp: nextTotp(T, u.totpSecret),
    publicKey: toB64u(kp.publicKey),
    salt: next.salt,
    verifier: next.verifier,
    wrappedPrivateKey: next.wrappedPrivateKey,
    ...(recoveryWrap !== undefined ? { recoveryWrap } : {}),
  };
}
const finish = (payload: object) => app.inject({ method: 'POST', url: '/v1/auth/recovery/finish', payload });

t.test('an unknown username gets the same answer every time, shaped like a real one', async (t) => {
  const known = await enrolActor(T, dep.admin, { username: 'officer-known', role: 'officer', orgId: dep.mechanismId });
  const [a, b, c, k1, k2] = await Promise.all([start('nobody-here'), start('nobody-here'), start('somebody-else'), start(known.username), start(known.username)]);
  for (const r of [a, b, c, k1, k2]) t.equal(r.statusCode, 200);
  const [ja, jb, jc, jk1, jk2] = [a, b, c, k1, k2].map((r) => r.json());
  t.equal(ja.recoveryWrap, jb.recoveryWrap, 'the unknown name gets the same wrap twice, as a known name does');
  t.equal(jk1.recoveryWrap, jk2.recoveryWrap);
  t.not(ja.recoveryWrap, jc.recoveryWrap, 'another unknown name gets another wrap');
  const shape = /^v1\.[A-Za-z0-9_-]{32}\.[A-Za-z0-9_-]{64}$/;
  for (const j of [ja, jc, jk1]) {
    t.match(j.recoveryWrap, shape, 'v1.<24-byte nonce>.<48-byte box>');
    t.same(Object.keys(j).sort(), ['challenge', 'challengeId', 'recoveryWrap']);
  }
  t.equal(ja.challenge.length, jk1.challenge.length, 'challenges of one length');
  t.not(ja.challengeId, jb.challengeId, 'a fresh challenge every time');
  t.throws(() => recoverKeyPair(known.recoveryCode, ja.recoveryWrap), CryptoError, 'the decoy opens with no code');
  t.ok(recoverKeyPair(known.recoveryCode, jk1.recoveryWrap), 'the real wrap opens with the real code');
});

t.test('every start is audited once, known or unknown username', async (t) => {
  const before = await recoverEvents();
  await start('nobody-here');
  t.equal(await recoverEvents(), before + 1, 'an unknown username: one event');
  await start(dep.supervisor.username);
  t.equal(await recoverEvents(), before + 2, 'a known username: one event');
  const rows = await sql`select resource, outcome, reason from audit_events where action = 'auth.recover' order by id desc limit 2`;
  t.match(rows[0], { resource: `user:${dep.supervisor.id}`, outcome: 'allowed', reason: /recovery started/ });
  t.match(rows[1], { resource: 'user:unknown', outcome: 'denied', reason: /unknown username/ });
});

t.test('the new recovery wrap is mandatory, and after a recovery the old code no longer opens anything', async (t) => {
  const u = await enrolActor(T, dep.admin, { username: 'officer-forgot', role: 'officer', orgId: dep.mechanismId });
  const s1 = (await start(u.username)).json();
  const kp = recoverKeyPair(u.recoveryCode, s1.recoveryWrap);

  const noWrap = await finish(finishBody(u, s1, kp, 'recovered passphrase'));
  t.equal(noWrap.statusCode, 400, 'a finish without a new recovery wrap is refused');
  t.equal(noWrap.json().code, 'validation_failed');
  t.equal(noWrap.json().errors?.[0]?.field, '/body/recoveryWrap');

  const s2 = (await start(u.username)).json();
  const before = await recoverEvents();
  const sameWrap = await finish(finishBody(u, s2, kp, 'recovered passphrase', s2.recoveryWrap));
  t.equal(sameWrap.statusCode, 400, 'sending the old wrap back is refused');
  t.equal(sameWrap.json().code, 'recovery_wrap_unchanged');
  t.equal(await recoverEvents(), before + 1, 'the refusal is audited once');
  await t.resolves(logIn(T, u), 'nothing changed: the old password still logs in');

  const s3 = (await start(u.username)).json();
  const renewed = renewRecoveryCode(kp);
  const ok = await finish(finishBody(u, s3, kp, 'recovered passphrase', renewed.recoveryWrap));
  t.equal(ok.statusCode, 204, ok.body);
  u.password = 'recovered passphrase';
  await t.resolves(logIn(T, u));

  // Recovering again with the old code: the client cannot open the wrap the server now holds.
  const s4 = (await start(u.username)).json();
  t.equal(s4.recoveryWrap, renewed.recoveryWrap, 'the server holds the new wrap');
  t.throws(() => recoverKeyPair(u.recoveryCode, s4.recoveryWrap), { name: 'CryptoError', code: 'decrypt_failed' }, 'the old recovery code is refused');
  // The new code works, once more through the whole recovery.
  const kp2 = recoverKeyPair(renewed.recoveryCode, s4.recoveryWrap);
  t.equal(toB64u(kp2.publicKey), toB64u(u.keyPair.publicKey), 'the same key pair: envelopes and keyring entries still open');
  const again = await finish(finishBody(u, s4, kp2, 'second recovered passphrase', renewRecoveryCode(kp2).recoveryWrap));
  t.equal(again.statusCode, 204, again.body);
});
