import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MIGRATIONS_DIR } from '../db/migrate.js';

const run = promisify(execFile);

/**
 * pg_dump and pg_restore (PostgreSQL's client programs, 15 or later) run against a URL whose
 * password goes through PGPASSWORD, never the command line, where `ps` would show it to every
 * user of the machine.
 */
function connection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { dbname: parsed.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

async function pgProgram(program: 'pg_dump' | 'pg_restore', args: string[], url: string): Promise<void> {
  const { dbname, env } = connection(url);
  try {
    await run(program, [...args, `--dbname=${dbname}`], { env, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message?: string };
    if (e.code === 'ENOENT') throw new Error(`${program} is not installed: install the PostgreSQL client programs (Debian: apt-get install postgresql-client-15)`);
    throw new Error(`${program} failed: ${(e.stderr || e.message || String(err)).trim().split('\n').slice(0, 8).join('\n')}`);
  }
}

/** The custom-format dump of the database as seen by `snapshot` (pg_export_snapshot of an open transaction). */
export async function dumpDatabase(url: string, file: string, snapshot: string): Promise<void> {
  await pgProgram('pg_dump', ['--format=custom', `--snapshot=${snapshot}`, `--file=${file}`], url);
}

/**
 * Loads a dump into an empty database as the connecting role (the owner role): objects are made
 * its own and no grant of the dumped server is replayed, since the application role may bear
 * another name here; the caller grants it afterwards. One transaction: all or nothing.
 */
export async function restoreDatabase(url: string, file: string): Promise<void> {
  await pgProgram('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', file], url);
}

/** The tag of the migration applied at `createdAt` (drizzle's folderMillis), from drizzle/meta/_journal.json. */
export function migrationTag(createdAt: number | null): string | null {
  if (createdAt === null) return null;
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ when: number; tag: string }> };
  return journal.entries.find((e) => e.when === createdAt)?.tag ?? null;
}
