import { join } from 'node:path';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type postgres from 'postgres';
import { projectRoot } from '../lib/paths.js';
import { createDatabase } from './client.js';
import { grantApplicationRole } from './roles.js';

export const MIGRATIONS_DIR = join(projectRoot(), 'drizzle');

/** Any fixed number: the advisory lock that keeps two starting processes from migrating at once. */
const MIGRATION_LOCK = 7_220_001;

/**
 * Applies the drizzle-kit migrations in `drizzle/` as the owner role (`ownerUrl`), then grants
 * the application role (`appRole`, when given) what it may do (src/db/roles.ts). Idempotent and
 * safe from several processes.
 */
export async function runMigrations(ownerUrl: string, opts: { appRole?: string } = {}): Promise<void> {
  const database = createDatabase(ownerUrl, { max: 1 });
  try {
    await database.sql`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(database.db, { migrationsFolder: MIGRATIONS_DIR });
    if (opts.appRole) await grantApplicationRole(database.sql, opts.appRole);
    await database.sql`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await database.close();
  }
}

/**
 * How many of the migrations in `drizzle/` the database has (read as any role the owner granted
 * SELECT on drizzle's table to): a process that does not migrate refuses to serve an old schema.
 */
export async function migrationStatus(sql: postgres.Sql): Promise<{ applied: number; expected: number; current: boolean }> {
  const files = readMigrationFiles({ migrationsFolder: MIGRATIONS_DIR });
  const latest = Math.max(0, ...files.map((m) => m.folderMillis));
  let rows: Array<{ n: number; last: string | null }>;
  try {
    rows = await sql<Array<{ n: number; last: string | null }>>`select count(*)::int as n, max(created_at)::text as last from drizzle.__drizzle_migrations`;
  } catch (err) {
    // No drizzle schema or table yet (3F000, 42P01): nothing applied.
    const code = (err as { code?: string }).code;
    if (code === '42P01' || code === '3F000') return { applied: 0, expected: files.length, current: files.length === 0 };
    throw err;
  }
  const applied = rows[0]?.n ?? 0;
  const last = Number(rows[0]?.last ?? 0);
  return { applied, expected: files.length, current: last >= latest };
}
