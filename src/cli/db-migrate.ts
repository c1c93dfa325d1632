import { loadConfig } from '../config/config.js';
import { setUpDatabase } from '../db/setup.js';
import type { CliIo } from './cli-io.js';

/**
 * `egide db migrate`: what the start does to the database, alone (a one-shot step before the API
 * and the workers, which then run without the owner's credentials: docker-compose.yml's
 * `migrate` service). Creates the roles and the database if missing and a superuser is reachable,
 * applies the migrations as the owner role, grants the application role, and checks it.
 */
export async function dbMigrateCommand(io: Pick<CliIo, 'env' | 'stdout' | 'stderr'>): Promise<number> {
  const config = loadConfig(io.env);
  if (!config.DATABASE_OWNER_URL) {
    io.stderr.write('egide: set DATABASE_OWNER_URL: the migrations run as the owner role (README, "Database roles")\n');
    return 1;
  }
  const setup = await setUpDatabase(config);
  for (const line of setup.info) io.stdout.write(`${line}\n`);
  for (const line of setup.warnings) io.stderr.write(`warning: ${line}\n`);
  if (setup.problems.length > 0) {
    io.stderr.write(`egide: the database is not ready:\n${setup.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return 1;
  }
  io.stdout.write('the database is migrated; the application role can append to the audit log and cannot change it\n');
  return 0;
}
