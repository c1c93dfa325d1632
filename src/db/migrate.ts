import { join } from 'node:path';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { projectRoot } from '../lib/paths.js';
import { createDatabase } from './client.js';

export const MIGRATIONS_DIR = join(projectRoot(), 'drizzle');

/** Any fixed number: the advisory lock that keeps two starting processes from migrating at once. */
const MIGRATION_LOCK = 7_220_001;

/** Applies the drizzle-kit migrations in `drizzle/`; idempotent and safe from several processes. */
export async function runMigrations(url: string): Promise<void> {
  const database = createDatabase(url, { max: 1 });
  try {
    await database.sql`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(database.db, { migrationsFolder: MIGRATIONS_DIR });
    await database.sql`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await database.close();
  }
}
