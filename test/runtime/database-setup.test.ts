/**
 * What the start (and `egide db migrate`) does to PostgreSQL on a fresh machine, on an old
 * installation and on a wrong configuration: creates the two roles and the database as a
 * superuser when it can (several processes at once included), or prints the two SQL lines to run;
 * hands an older installation's tables over to the owner role; refuses to serve as a role that
 * could rewrite the audit log, or on a schema it did not migrate.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { CliIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { migrateDatabase, preparePostgres, setUpDatabase } from '../../src/db/setup.js';
import { runMigrations } from '../../src/db/migrate.js';
import { applicationRoleProblems } from '../../src/db/roles.js';
import { generateSecrets } from '../../src/lib/server-keys.js';
import { PG_BASE, roleUrl, createTestDatabase } from '../helpers/db.js';

const secretsForConfig = await generateSecrets();
const admin = postgres(`${PG_BASE}/postgres`, { max: 2, onnotice: () => undefined });
const databases: string[] = [];
const roles: string[] = [];
t.teardown(async () => {
  for (const d of databases) await admin.unsafe(`drop database if exists "${d}" with (force)`);
  for (const r of roles) await admin.unsafe(`drop role if exists "${r}"`);
  await admin.end();
});

/** Names of this run's own (roles are cluster-wide), dropped at the end. */
function fresh(): { owner: string; app: string; database: string } {
  const id = randomBytes(4).toString('hex');
  const names = { owner: `egide_o_${id}`, app: `egide_a_${id}`, database: `egide_t_${id}` };
  roles.push(names.app, names.owner);
  databases.push(names.database);
  return names;
}

/** URLs with passwords, as `egide env init` writes them (the test server trusts local logins, so they are not checked). */
function urls(n: { owner: string; app: string; database: string }, passwords = { owner: 'owner-secret-hunter2', app: 'app-secret-hunter2' }) {
  const withPassword = (role: string, password: string) => {
    const u = new URL(roleUrl(role, n.database));
    u.password = password;
    return u.toString();
  };
  return { DATABASE_OWNER_URL: withPassword(n.owner, passwords.owner), DATABASE_URL: withPassword(n.app, passwords.app), DATABASE_ADMIN_URL: '' };
}

const withSql = async <T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> => {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
};

t.test('a fresh machine: the roles and the database are created, by several starting processes at once', async (t) => {
  const n = fresh();
  const config = urls(n);
  const results = await Promise.all([setUpDatabase(config), setUpDatabase(config), setUpDatabase(config)]);
  for (const r of results) t.same(r.problems, [], 'every process is ready');
  const info = results.flatMap((r) => r.info).join('\n');
  t.match(info, new RegExp(`created role`), 'the roles were created');
  t.match(info, new RegExp(`created database ${n.database} \\(owner ${n.owner}\\)`));
  t.notMatch(info, /hunter2/, 'no password in what is logged');

  const [rolesRow] = await admin`select count(*)::int as n, bool_or(rolsuper or rolbypassrls or rolcreaterole or rolcreatedb) as powers, bool_and(rolcanlogin) as login from pg_roles where rolname in (${n.owner}, ${n.app})`;
  t.same(rolesRow, { n: 2, powers: false, login: true }, 'two plain login roles');
  const [db] = await admin`select pg_get_userbyid(datdba) as owner from pg_database where datname = ${n.database}`;
  t.equal(db!.owner, n.owner, 'the database belongs to the owner role');
  await withSql(config.DATABASE_URL, async (sql) => {
    t.same(await applicationRoleProblems(sql), [], 'the application role cannot rewrite the audit log');
    await sql`select audit_record(now(), 'system', 'system', 'x.test', 'audit', null, 'allowed', null, 'req-1')`;
    const [c] = await sql`select audit_chain_pending() as n`;
    t.equal(Number(c!.n), 1, 'and appends to it');
  });

  const again = await setUpDatabase(config);
  t.same(again, { problems: [], info: [], warnings: [] }, 'a second start does nothing more');
});

t.test('no superuser at hand: the two SQL lines to run, which are enough', async (t) => {
  const n = fresh();
  const config = { ...urls(n), DATABASE_ADMIN_URL: 'none' };
  const r = await preparePostgres(config);
  t.equal(r.problems.length, 1);
  const text = r.problems[0]!;
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('CREATE '));
  t.same(lines, [
    `CREATE ROLE "${n.owner}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '****'; CREATE ROLE "${n.app}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '****';`,
    `CREATE DATABASE "${n.database}" OWNER "${n.owner}";`,
  ], 'two lines: the roles, then the database');
  t.match(text, /as a superuser \(DATABASE_ADMIN_URL is none\)/);
  t.match(text, /with the passwords of DATABASE_OWNER_URL and DATABASE_URL in place of '\*\*\*\*'/);
  t.notMatch(text, /hunter2/, 'the passwords are not printed');
  const [none] = await admin`select count(*)::int as n from pg_roles where rolname in (${n.owner}, ${n.app})`;
  t.equal(none!.n, 0, 'nothing was created');

  // What the operator does: the lines, with the passwords filled in, then the start again.
  const [roleLine, dbLine] = lines as [string, string];
  const filled = roleLine.replace("PASSWORD '****'", "PASSWORD 'owner-secret-hunter2'").replace("PASSWORD '****'", "PASSWORD 'app-secret-hunter2'");
  for (const statement of filled.split(';').map((s) => s.trim()).filter(Boolean)) await admin.unsafe(statement);
  await admin.unsafe(dbLine.replace(/;$/, ''));
  const ready = await setUpDatabase(config);
  t.same(ready.problems, [], 'then the start migrates and serves');
});

t.test('an installation from before the split: its tables are handed over to the owner role', async (t) => {
  const n = fresh();
  await admin.unsafe(`create database "${n.database}"`);
  // Migrated as the superuser, as every start did before: everything belongs to postgres.
  await runMigrations(`${PG_BASE}/${n.database}`);
  await withSql(`${PG_BASE}/${n.database}`, (sql) => sql`select audit_record(now(), 'system', 'system', 'x.old', 'audit', null, 'allowed', null, 'req-old')`);
  const config = urls(n);
  const r = await setUpDatabase(config);
  t.same(r.problems, []);
  t.match(r.info.join('\n'), new RegExp(`handed database ${n.database} over to ${n.owner}`));
  await withSql(`${PG_BASE}/${n.database}`, async (sql) => {
    const [foreign] = await sql`
      select count(*)::int as n from pg_class c join pg_namespace s on s.oid = c.relnamespace
      where s.nspname in ('public', 'drizzle') and c.relkind in ('r', 'v', 'S') and pg_get_userbyid(c.relowner) <> ${n.owner}`;
    t.equal(foreign!.n, 0, 'every table, view and sequence now belongs to the owner role');
    const [fn] = await sql`select pg_get_userbyid(proowner) as owner from pg_proc where proname = 'audit_chain_pending'`;
    t.equal(fn!.owner, n.owner, 'the chainer runs with the owner\'s rights, not the superuser\'s');
  });
  await withSql(config.DATABASE_URL, async (sql) => {
    t.same(await applicationRoleProblems(sql), []);
    const [c] = await sql`select audit_chain_pending() as n`;
    t.equal(Number(c!.n), 1, 'the old event is chained by the application role');
  });
});

t.test('refused: an application role that could rewrite the audit log, or a schema nobody migrated', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const noOwner = { DATABASE_OWNER_URL: '', DATABASE_ADMIN_URL: '' };
  t.same((await migrateDatabase({ ...noOwner, DATABASE_URL: db.url })).problems, [], 'the application role is fine');
  const asSuperuser = await migrateDatabase({ ...noOwner, DATABASE_URL: db.adminUrl });
  t.match(asSuperuser.problems.join('\n'), /must connect as the application role.*is a superuser/s);
  const asOwner = await migrateDatabase({ ...noOwner, DATABASE_URL: db.ownerUrl });
  t.match(asOwner.problems.join('\n'), /owns \(or may act as the owner of\)/);
  t.throws(() => loadConfig({ ...secretsForConfig, DATABASE_URL: db.ownerUrl, DATABASE_OWNER_URL: db.ownerUrl }), ConfigError, 'one role in both URLs is a configuration error');

  const empty = fresh();
  await admin.unsafe(`create database "${empty.database}" owner egide_owner`);
  const stale = await migrateDatabase({ ...noOwner, DATABASE_URL: roleUrl('egide_app', empty.database) });
  t.match(stale.problems.join('\n'), /has 0 of the \d+ migrations in drizzle\/: apply them as the owner role/, 'a process without DATABASE_OWNER_URL does not serve an unmigrated schema');
});


t.test('egide db migrate: the same, as a step of its own', async (t) => {
  const n = fresh();
  const run = async (env: Record<string, string>) => {
    let out = '';
    let err = '';
    const io: CliIo = { env: { ...secretsForConfig, ...env }, stdin: process.stdin, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } };
    return { code: await main(['db', 'migrate'], io), out, err };
  };
  const { DATABASE_URL, DATABASE_OWNER_URL } = urls(n);
  const without = await run({ DATABASE_URL });
  t.equal(without.code, 1);
  t.match(without.err, /set DATABASE_OWNER_URL/);
  const ok = await run({ DATABASE_URL, DATABASE_OWNER_URL });
  t.equal(ok.code, 0, ok.err);
  t.match(ok.out, new RegExp(`created database ${n.database}`));
  t.match(ok.out, /the database is migrated/);
});
