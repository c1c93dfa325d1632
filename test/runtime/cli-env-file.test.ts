/**
 * The `egide` CLI reads `.env` as `npm start` does. On a fresh clone the operator runs
 * `npm start` (which writes `.env`) and then the README's first-admin command with nothing
 * exported but the two passwords: the command must find the database and the server secrets in
 * `.env`. Here a copy of the project in a temporary directory is that clone, and the README's own
 * command line is run in it through npm, as a person would.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import postgres from 'postgres';
import { freshEnvFile } from '../../src/cli/env-init.js';
import { ConfigError } from '../../src/config/config.js';
import { loadEnvFile } from '../../src/config/env-file.js';
import { projectRoot } from '../../src/lib/paths.js';
import { createTestDatabase } from '../helpers/db.js';

// A child npm and tsx compile the CLI: slower than an in-process test on a busy 2-core machine.
t.setTimeout(180_000);

const root = projectRoot();

/** The README's bootstrap command: the variables it sets and the arguments after `npm run egide --`. */
function readmeBootstrapCommand(): { variables: string[]; args: string[] } {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.split('\n').findIndex((line) => line.includes('npm run egide -- bootstrap'));
  if (start < 0) throw new Error('the README has no `npm run egide -- bootstrap` command');
  let line = '';
  for (const part of readme.split('\n').slice(start)) {
    line += part.trimEnd().replace(/\\$/, ' ');
    if (!part.trimEnd().endsWith('\\')) break;
  }
  const [before, after] = line.split('npm run egide --') as [string, string];
  const words = [...after.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
  const variables = [...before.matchAll(/([A-Z_]+)=/g)].map((m) => m[1]!);
  return { variables, args: words };
}

/** A copy of the project as a clone has it (sources, migrations, policies), sharing node_modules. */
function freshClone(): string {
  const dir = mkdtempSync(join(tmpdir(), 'egide-clone-'));
  for (const file of ['package.json', 'package-lock.json', '.npmrc', 'tsconfig.json']) copyFileSync(join(root, file), join(dir, file));
  for (const sub of ['src', 'workers', 'drizzle', 'policies']) cpSync(join(root, sub), join(dir, sub), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

function run(cmd: string, args: string[], opts: { cwd: string; env: Record<string, string> }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Only PATH (this Node.js first) and HOME are inherited: nothing else of the test's environment.
  const env = { PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter), HOME: process.env.HOME ?? tmpdir(), ...opts.env };
  const child = spawn(cmd, args, { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
  return new Promise((resolve) => child.on('exit', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr }))));
}

t.test("the README's first-admin command works on a fresh clone, from .env alone", async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const clone = freshClone();
  t.teardown(() => rmSync(clone, { recursive: true, force: true }));
  // What `npm start` wrote (fresh secrets), plus the database the operator pointed it at.
  writeFileSync(join(clone, '.env'), `${await freshEnvFile()}DATABASE_URL=${db.url}\n`, { mode: 0o600 });

  const { variables, args } = readmeBootstrapCommand();
  t.same(variables, ['EGIDE_ADMIN_PASSWORD', 'EGIDE_SUPERVISOR_PASSWORD'], 'the README passes the two passwords in the environment');
  const passwords = { EGIDE_ADMIN_PASSWORD: 'admin correct horse battery', EGIDE_SUPERVISOR_PASSWORD: 'supervisor staple paper clip' };
  const r = await run('npm', ['run', '--silent', 'egide', '--', ...args], { cwd: clone, env: passwords });
  t.equal(r.code, 0, 'exit 0');
  if (r.code !== 0) t.comment(r.stdout + r.stderr);

  const option = (name: string) => args[args.indexOf(name) + 1];
  t.match(r.stdout, `bootstrapped ${option('--mechanism-name')}`);
  t.equal([...r.stdout.matchAll(/otpauth:\/\/totp\//g)].length, 2, 'a TOTP URI for each person');
  t.notMatch(r.stdout + r.stderr, /correct horse|staple paper/, 'no password printed');
  t.notMatch(r.stderr, /others can read it/, 'the .env of mode 0600 raises no warning');

  const sql = postgres(db.url, { max: 1, onnotice: () => undefined });
  t.teardown(() => sql.end());
  const orgs = await sql`select kind, name from organisations`;
  t.same(orgs.map((o) => [o.kind, o.name]), [['mechanism', option('--mechanism-name')]], 'the mechanism is in the database .env names');
  const users = await sql`select username, role from users order by role`;
  t.same(users.map((u) => [u.username, u.role]), [[option('--admin'), 'admin'], [option('--supervisor'), 'supervisor']]);
});

t.test('the loader: the file fills what the environment lacks, the environment wins', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'egide-envfile-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'custom.env');
  writeFileSync(file, '# a comment\nDATABASE_URL=postgres://from-file/egide\nLOG_LEVEL=debug\nQUOTED="two words"\n', { mode: 0o600 });

  const env: Record<string, string | undefined> = { EGIDE_ENV_FILE: file, LOG_LEVEL: 'warn' };
  t.same(loadEnvFile(env), { path: file, warnings: [] });
  t.equal(env.DATABASE_URL, 'postgres://from-file/egide', 'missing from the environment: taken from the file');
  t.equal(env.LOG_LEVEL, 'warn', 'set in the environment: kept');
  t.equal(env.QUOTED, 'two words', "parsed as Node's --env-file parses it");

  const none: Record<string, string | undefined> = { EGIDE_ENV_FILE: 'none' };
  t.same(loadEnvFile(none), { path: null, warnings: [] });
  t.same(none, { EGIDE_ENV_FILE: 'none' }, 'EGIDE_ENV_FILE=none reads nothing');

  t.throws(() => loadEnvFile({ EGIDE_ENV_FILE: join(dir, 'missing.env') }), ConfigError, 'a named file that does not exist stops the start');

  chmodSync(file, 0o644);
  t.match(loadEnvFile({ EGIDE_ENV_FILE: file }).warnings, [/others can read it: chmod 600/]);
});
