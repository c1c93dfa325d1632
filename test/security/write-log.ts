/**
 * "A refused request writes nothing", checked after each of thousands of requests: every row the
 * app inserts, updates or deletes (and every TRUNCATE) in the tables watched is logged by a trigger
 * of this test database, in the writing transaction, into a table outside the app's schema. A
 * committed write leaves a row of a higher id; a rolled-back one leaves none, as it leaves the
 * tables' row counts and newest row versions (xmin) as they were. One index lookup per request
 * instead of a scan of every table; the log is only appended to, so writers never wait on it.
 */
import postgres from 'postgres';
import type { Teardown, TestApp } from '../helpers/app.js';

export interface WriteLog {
  /** Where the log stands: two equal marks, nothing was written between them. */
  mark(): Promise<string>;
  /** The tables written since `mark`, each once. */
  writtenSince(mark: string): Promise<string[]>;
}

/** Installs the triggers (as the server's superuser) on every base table of the public schema but those `skip` names. */
export async function watchWrites(t: Teardown, T: TestApp, skip: (table: string) => boolean): Promise<WriteLog> {
  const sql = postgres(T.db.adminUrl, { max: 1, onnotice: () => undefined });
  t.teardown(() => sql.end({ timeout: 2 }));
  const tables = (await sql<Array<{ table_name: string }>>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`)
    .map((r) => r.table_name)
    .filter((n) => !skip(n));
  await sql.begin(async (tx) => {
    await tx.unsafe(`
      create schema egide_test_writes;
      create table egide_test_writes.log (id bigserial primary key, table_name text not null);
      -- Runs with its owner's rights: the app's role is given nothing on the log.
      create function egide_test_writes.logged() returns trigger language plpgsql security definer set search_path = pg_catalog as $$
      begin
        insert into egide_test_writes.log (table_name) values (TG_TABLE_NAME);
        return null;
      end $$;
      grant execute on function egide_test_writes.logged() to public;
    `);
    for (const table of tables) {
      await tx.unsafe(`
        create trigger egide_test_writes_rows after insert or update or delete on public."${table}" for each row execute function egide_test_writes.logged();
        create trigger egide_test_writes_truncate after truncate on public."${table}" for each statement execute function egide_test_writes.logged();
      `);
    }
  });
  return {
    async mark() {
      const [row] = await sql<Array<{ id: string }>>`select coalesce(max(id), 0)::text as id from egide_test_writes.log`;
      return row!.id;
    },
    async writtenSince(mark) {
      const rows = await sql<Array<{ table_name: string }>>`select table_name from egide_test_writes.log where id > ${mark} order by id`;
      return [...new Set(rows.map((r) => r.table_name))];
    },
  };
}

/**
 * The log checks itself before it is trusted: a committed update of the app role moves it, an
 * update rolled back (a savepoint) leaves no trace.
 */
export async function checkWriteLog(t: { not(a: unknown, b: unknown, m: string): void; same(a: unknown, b: unknown, m: string): void }, writes: WriteLog, T: TestApp, ids: { orgId: string; userId: string }): Promise<void> {
  const before = await writes.mark();
  await T.database.sql.begin(async (tx) => {
    await tx`update organisations set name = name where id = ${ids.orgId}`;
    await tx.savepoint(async (sp) => {
      await sp`update users set username = username where id = ${ids.userId}`;
      throw new Error('rolled back');
    }).catch(() => undefined);
  });
  t.not(await writes.mark(), before, 'a committed update moves the log');
  t.same(await writes.writtenSince(before), ['organisations'], 'the table written, and not the one whose update was rolled back');
}
