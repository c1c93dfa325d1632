/** What the backup tests share: the CLI run in-process with a configuration as its environment, and an empty database to restore into. */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { main } from '../../src/cli/main.js';
import type { Config } from '../../src/config/config.js';
import type { Teardown } from '../helpers/app.js';
import { APP_ROLE, OWNER_ROLE, PG_BASE, roleUrl, type TestDatabase } from '../helpers/db.js';

/** `egide <args>` in-process, its environment made of a configuration (what `.env` would hold). */
export async function egide(args: string[], config: Config): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const env = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)]));
  const code = await main(args, { env, stdin: process.stdin, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

/** An empty database owned by the owner role (no schema, no migration), dropped at the end: where a backup is restored. */
export async function emptyDatabase(t: Teardown): Promise<TestDatabase> {
  const name = `egide_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(`${PG_BASE}/postgres`, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database "${name}" owner ${OWNER_ROLE}`);
  await admin.end();
  const db: TestDatabase = {
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
  t.teardown(() => db.drop());
  return db;
}
