import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { MIGRATIONS_DIR, runMigrations } from '../../src/db/migrate.js';

export const PG_BASE = process.env.TEST_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** The template's name changes whenever a migration does, so a stale template is never used. */
function templateName(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort()) h.update(f).update(readFileSync(join(MIGRATIONS_DIR, f)));
  return `egide_tpl_${h.digest('hex').slice(0, 12)}`;
}

const TEMPLATE_LOCK = 7_220_002;

/** Creates (once, under an advisory lock, since test files run in parallel) the migrated template database. */
async function ensureTemplate(admin: postgres.Sql): Promise<string> {
  const name = templateName();
  const reserved = await admin.reserve();
  try {
    await reserved`select pg_advisory_lock(${TEMPLATE_LOCK})`;
    const [exists] = await reserved`select 1 from pg_database where datname = ${name}`;
    if (!exists) {
      await reserved.unsafe(`create database "${name}_build"`).catch(async () => {
        await reserved.unsafe(`drop database if exists "${name}_build" with (force)`);
        await reserved.unsafe(`create database "${name}_build"`);
      });
      await runMigrations(`${PG_BASE}/${name}_build`);
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
  url: string;
  drop(): Promise<void>;
}

/** A fresh database for one test file, copied from the migrated template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = postgres(`${PG_BASE}/postgres`, { max: 2, onnotice: () => undefined });
  try {
    const template = await ensureTemplate(admin);
    const name = `egide_t_${randomBytes(6).toString('hex')}`;
    await admin.unsafe(`create database "${name}" template "${template}"`);
    return {
      name,
      url: `${PG_BASE}/${name}`,
      async drop() {
        const a = postgres(`${PG_BASE}/postgres`, { max: 1, onnotice: () => undefined });
        await a.unsafe(`drop database if exists "${name}" with (force)`);
        await a.end();
      },
    };
  } finally {
    await admin.end();
  }
}
