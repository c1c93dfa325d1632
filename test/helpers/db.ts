import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { MIGRATIONS_DIR, runMigrations } from '../../src/db/migrate.js';
import { ensureRoles } from '../../src/db/roles.js';
import { projectRoot } from '../../src/lib/paths.js';

/** The shared server, as its superuser: creates and drops the test databases (and plays the attacker with superuser rights). */
export const PG_BASE = process.env.TEST_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432';

/**
 * The two roles, as in production (README, "Database roles"): the tests' app connects as the
 * application role, the migrations run as the owner role. Role names are cluster-wide; each test
 * database grants them its own privileges (copied with the template).
 */
export const OWNER_ROLE = 'egide_owner';
export const APP_ROLE = 'egide_app';

/** `PG_BASE` (the superuser's) with another user, for `database`. */
export function roleUrl(role: string, database: string): string {
  const url = new URL(`${PG_BASE}/${database}`);
  url.username = role;
  url.password = '';
  return url.toString();
}

/** The template's name changes whenever a migration or the grants do, so a stale template is never used. */
function templateName(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort()) h.update(f).update(readFileSync(join(MIGRATIONS_DIR, f)));
  h.update(readFileSync(join(projectRoot(), 'src/db/roles.ts')));
  return `egide_tpl_${h.digest('hex').slice(0, 12)}`;
}

const TEMPLATE_LOCK = 7_220_002;

/** Creates (once, under an advisory lock, since test files run in parallel) the roles and the migrated template database. */
async function ensureTemplate(admin: postgres.Sql): Promise<string> {
  const name = templateName();
  const reserved = await admin.reserve();
  try {
    await reserved`select pg_advisory_lock(${TEMPLATE_LOCK})`;
    // Idempotent and safe against a concurrent creation (e.g. another worktree's tests on this server).
    await ensureRoles(reserved, [{ name: OWNER_ROLE }, { name: APP_ROLE }]);
    const [exists] = await reserved`select 1 from pg_database where datname = ${name}`;
    if (!exists) {
      await reserved.unsafe(`drop database if exists "${name}_build" with (force)`);
      await reserved.unsafe(`create database "${name}_build" owner ${OWNER_ROLE}`);
      await runMigrations(roleUrl(OWNER_ROLE, `${name}_build`), { appRole: APP_ROLE });
      await reserved.unsafe(`alter database "${name}_build" rename to "${name}"`);
    }
    await reserved`select pg_advisory_unlock(${TEMPLATE_LOCK})`;
  } finally {
    reserved.release();
  }
  return name;
}

export interface TestDatabase {
  name: string;
  /** As the application role: what the app under test connects with. */
  url: string;
  /** As the owner role (what the migrations run as). */
  ownerUrl: string;
  /** As the server's superuser. */
  adminUrl: string;
  drop(): Promise<void>;
}

/** A fresh database for one test file, copied from the migrated template, owned by the owner role. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = postgres(`${PG_BASE}/postgres`, { max: 2, onnotice: () => undefined });
  try {
    const template = await ensureTemplate(admin);
    const name = `egide_t_${randomBytes(6).toString('hex')}`;
    await admin.unsafe(`create database "${name}" template "${template}" owner ${OWNER_ROLE}`);
    // A test database is thrown away at the end: waiting for each commit's WAL flush (about 3 ms
    // on this disk, thousands of commits per file) buys no durability a test looks at. The
    // crash-recovery tests (test:faults) run on servers of their own with the default.
    await admin.unsafe(`alter database "${name}" set synchronous_commit = off`);
    return testDatabaseNamed(name);
  } finally {
    await admin.end();
  }
}

/** An empty database owned by the owner role (no schema, no migration): where a backup is restored. Dropped at the end. */
export async function createEmptyDatabase(t: { teardown(fn: () => unknown): void }): Promise<TestDatabase> {
  const name = `egide_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(`${PG_BASE}/postgres`, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database "${name}" owner ${OWNER_ROLE}`);
  await admin.end();
  const db = testDatabaseNamed(name);
  t.teardown(() => db.drop());
  return db;
}

function testDatabaseNamed(name: string): TestDatabase {
  return {
    name,
    url: roleUrl(APP_ROLE, name),
    ownerUrl: roleUrl(OWNER_ROLE, name),
    adminUrl: `${PG_BASE}/${name}`,
    async drop() {
      const a = postgres(`${PG_BASE}/postgres`, { max: 1, onnotice: () => undefined });
      await a.unsafe(`drop database if exists "${name}" with (force)`);
      await a.end();
    },
  };
}

/**
 * A database of its own at the release before a migration (the one whose tag ends with `tagEnd`):
 * every migration before it applied by the owner role, for a test that writes rows as that release
 * did and then upgrades (`runMigrations(roleUrl(OWNER_ROLE, name))`). Dropped at the end.
 */
export async function databaseBefore(t: { teardown(fn: () => unknown): void }, tagEnd: string): Promise<{ name: string }> {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ tag: string }> };
  const cut = journal.entries.findIndex((e) => e.tag.endsWith(tagEnd));
  if (cut <= 0) throw new Error(`no migration ending in ${tagEnd} in the journal`);
  const before = mkdtempSync(join(tmpdir(), 'egide-migrations-'));
  t.teardown(() => rmSync(before, { recursive: true, force: true }));
  cpSync(MIGRATIONS_DIR, before, { recursive: true });
  writeFileSync(join(before, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }));

  const name = `egide_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(`${PG_BASE}/postgres`, { max: 1, onnotice: () => undefined });
  await ensureRoles(admin, [{ name: OWNER_ROLE }, { name: APP_ROLE }]);
  await admin.unsafe(`create database "${name}" owner ${OWNER_ROLE}`);
  t.teardown(async () => {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  });
  const owner = postgres(roleUrl(OWNER_ROLE, name), { max: 1, onnotice: () => undefined });
  try {
    await migrate(drizzle(owner), { migrationsFolder: before });
  } finally {
    await owner.end();
  }
  return { name };
}
