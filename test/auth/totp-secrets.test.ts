/**
 * A TOTP secret is the second factor of every staff account: the server refuses one that is long
 * enough but predictable (twenty zero bytes, one repeated byte, a short repeated pattern, bytes
 * counting up) with `totp_secret_weak`, and a code that does not match the new secret with
 * `totp_invalid`; nothing is written and the refusal is audited.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { base32 } from '@scure/base';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap } from '../helpers/world.js';
import { enrol } from '../../src/sdk/index.js';
import { generateTotpSecret, totpCode, totpSecretWeakness } from '../../src/auth/totp.js';

const T = await buildTestApp(t);
const dep = await bootstrap(T);
const sql = T.database.sql;
const b32 = (bytes: Uint8Array) => base32.encode(bytes).replace(/=+$/, '');

const users = async () => (await sql`select count(*)::int as n from users`)[0]!.n as number;
const deniedEnrolments = async () => (await sql`select count(*)::int as n from audit_events where action = 'enrolment.complete' and outcome = 'denied'`)[0]!.n as number;

async function enrolWith(totpSecret: string, code?: string) {
  const inv = await T.app.inject({ method: 'POST', url: '/v1/invitations', headers: dep.admin.auth(), payload: { username: `officer-${randomBytes(3).toString('hex')}`, role: 'officer', orgId: dep.mechanismId } });
  if (inv.statusCode !== 201) throw new Error(`invite ${inv.statusCode} ${inv.body}`);
  T.clock.advance(31_000);
  return T.app.inject({ method: 'POST', url: '/v1/enrolments', payload: { token: inv.json().token, ...enrol('a long passphrase').upload, totpSecret, totpCode: code ?? totpCode(totpSecret, T.clock.now()) } });
}

const weak: Array<[string, string]> = [
  ['A x 32: twenty zero bytes', 'A'.repeat(32)],
  ['one repeated byte (0xff)', '7'.repeat(32)],
  ['one repeated byte, 40 bytes', b32(new Uint8Array(40).fill(0x42))],
  ['a 5-byte pattern repeated', 'ABCDEFGH'.repeat(4)],
  ['a 10-byte pattern twice', 'JBSWY3DPEHPK3PXP'.repeat(2)],
  ['two alternating bytes', b32(Uint8Array.from({ length: 20 }, (_, i) => (i % 2 ? 0x13 : 0x37)))],
  ['bytes counting up', b32(Uint8Array.from({ length: 20 }, (_, i) => i))],
  ['bytes stepping by 7', b32(Uint8Array.from({ length: 20 }, (_, i) => (i * 7 + 3) % 256))],
];

t.test('predictable secrets are refused at enrolment with totp_secret_weak, nothing written, audited', async (t) => {
  for (const [what, secret] of weak) {
    const [u, d] = [await users(), await deniedEnrolments()];
    const r = await enrolWith(secret);
    t.equal(r.statusCode, 400, `${what}: 400`);
    t.equal(r.json().code, 'totp_secret_weak', `${what}: totp_secret_weak`);
    t.equal(r.json().errors?.[0]?.field, '/body/totpSecret');
    t.equal(await users(), u, `${what}: no user`);
    t.equal(await deniedEnrolments(), d + 1, `${what}: one audit event`);
  }
});

t.test('a wrong code at enrolment answers totp_invalid, audited', async (t) => {
  const secret = generateTotpSecret();
  const right = totpCode(secret, T.clock.now());
  const [u, d] = [await users(), await deniedEnrolments()];
  const r = await enrolWith(secret, right === '000000' ? '111111' : '000000');
  t.equal(r.statusCode, 400);
  t.equal(r.json().code, 'totp_invalid');
  t.equal(r.json().errors?.[0]?.field, '/body/totpCode');
  t.equal(await users(), u, 'no user');
  t.equal(await deniedEnrolments(), d + 1, 'one audit event');
  t.match((await sql`select reason from audit_events where action = 'enrolment.complete' order by id desc limit 1`)[0]!.reason, /^totp_invalid/);
});

t.test('random secrets of every allowed length pass, and enrol', async (t) => {
  const refused: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const bytes = 20 + (i % 21);
    const secret = b32(randomBytes(bytes)).slice(0, Math.min(64, Math.ceil((bytes * 8) / 5)));
    const weakness = totpSecretWeakness(secret);
    if (weakness !== null) refused.push(`${secret}: ${weakness}`);
  }
  t.same(refused, [], '2000 random secrets accepted');
  const secret = generateTotpSecret();
  // The code of the moment the request is made (enrolWith moves the clock past the last used step first).
  const r = await enrolWith(secret);
  t.equal(r.statusCode, 201, r.body);
});
