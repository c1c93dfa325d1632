/**
 * `egide bootstrap` on a fresh database: the mechanism, its key and the first two people, with
 * keys made by the CLI; it refuses a second run; the supervisor logs in over HTTP with what the
 * CLI printed.
 */
import t from 'tap';
import { generateSecrets } from '../../src/lib/server-keys.js';
import type { CliIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { createTestDatabase } from '../helpers/db.js';
import { buildTestApp } from '../helpers/app.js';
import { logIn } from '../helpers/world.js';

const db = await createTestDatabase();
t.teardown(() => db.drop());
const secrets = await generateSecrets();
const env = { ...secrets, DATABASE_URL: db.url, EGIDE_ADMIN_PASSWORD: 'admin correct horse battery', EGIDE_SUPERVISOR_PASSWORD: 'supervisor staple paper clip' };

async function run(argv: string[], extraEnv: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const io: CliIo = { env: { ...env, ...extraEnv }, stdin: process.stdin, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } };
  return { code: await main(argv, io), out, err };
}

const args = ['bootstrap', '--mechanism-name', 'CNDH Mali', '--admin', 'first-admin', '--supervisor', 'first-sup'];
const first = await run(args);

t.test('creates the mechanism, its key, the admin and the supervisor', async (t) => {
  t.equal(first.code, 0, first.out + first.err);
  const keyId = /intake keyId to pin.*: ([A-Za-z0-9_-]{22})/.exec(first.out)?.[1];
  t.ok(keyId, 'prints the intake keyId');
  const app = await buildTestApp(t, { db, env: secrets });
  const sql = app.database.sql;
  const [org] = await sql`select id, kind, name from organisations`;
  t.same([org!.kind, org!.name], ['mechanism', 'CNDH Mali']);
  const [key] = await sql`select key_id from org_keys where org_id = ${org!.id}`;
  t.equal(key!.key_id, keyId);
  const users = await sql`select username, role from users order by username`;
  t.same(users.map((u) => [u.username, u.role]), [['first-admin', 'admin'], ['first-sup', 'supervisor']]);
  const entries = await sql`select count(*)::int as n from keyring_entries`;
  t.equal(entries[0]!.n, 1, 'the supervisor holds the mechanism key');
  const events = await sql`select action from audit_events order by id`;
  t.same(events.map((e) => e.action), ['bootstrap.user', 'bootstrap.user', 'bootstrap.mechanism']);
});

t.test('prints each otpauth URI and recovery code once, with a warning, and no password', async (t) => {
  const uris = [...first.out.matchAll(/otpauth:\/\/totp\/[^\s]+/g)].map((m) => m[0]);
  t.equal(uris.length, 2);
  t.match(uris[0], /first-admin/);
  t.match(uris[1], /first-sup/);
  t.equal([...first.out.matchAll(/recovery code: \S+/g)].length, 2);
  t.match(first.out, /only this once/i);
  t.match(first.out, /write them down/i);
  t.notMatch(first.out + first.err, /correct horse|staple paper/, 'passwords never printed');
});

t.test('the supervisor logs in over HTTP with the printed TOTP secret and the password', async (t) => {
  const uri = [...first.out.matchAll(/otpauth:\/\/totp\/[^\s]+/g)].map((m) => m[0])[1]!;
  const totpSecret = new URL(uri).searchParams.get('secret')!;
  t.match(totpSecret, /^[A-Z2-7]{32}$/);
  const app = await buildTestApp(t, { db, env: secrets });
  const tokens = await logIn(app, { username: 'first-sup', password: env.EGIDE_SUPERVISOR_PASSWORD, totpSecret });
  t.ok(tokens.accessToken);
  const me = await app.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${tokens.accessToken}` } });
  t.equal(me.statusCode, 200);
  t.equal(me.json().role, 'supervisor');
});

t.test('a second run refuses and changes nothing', async (t) => {
  const again = await run(args);
  t.equal(again.code, 1);
  t.match(again.err, /already bootstrapped/);
  t.notMatch(again.out, /otpauth/);
});

t.test('missing passwords without a terminal, bad names and short passwords are refused', async (t) => {
  const noPw = await run(args, { EGIDE_ADMIN_PASSWORD: '', EGIDE_SUPERVISOR_PASSWORD: '' });
  t.equal(noPw.code, 1);
  t.match(noPw.err, /EGIDE_ADMIN_PASSWORD/);
  const short = await run(args, { EGIDE_ADMIN_PASSWORD: 'short' });
  t.equal(short.code, 1);
  t.match(short.err, /at least 12 characters/);
  const badName = await run(['bootstrap', '--mechanism-name', 'X Y', '--admin', 'Bad Name', '--supervisor', 'sup-1']);
  t.equal(badName.code, 1);
  t.match(badName.err, /not a valid username/);
  const missing = await run(['bootstrap', '--admin', 'a-1']);
  t.equal(missing.code, 2, 'usage error');
});
