import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
export type Db = PostgresJsDatabase<Schema>;
/** A transaction handle; repositories take one as an optional last argument. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** What a repository runs queries on: the pool or the caller's transaction. */
export type Queryable = Db | Tx;

export interface Database {
  db: Db;
  sql: postgres.Sql;
  close(): Promise<void>;
}

export function createDatabase(url: string, options: { max?: number; onnotice?: (n: postgres.Notice) => void } = {}): Database {
  const sql = postgres(url, {
    max: options.max ?? 10,
    // Fail fast while PostgreSQL is down so /readyz answers 503 instead of hanging.
    connect_timeout: 5,
    idle_timeout: 30,
    onnotice: options.onnotice ?? (() => undefined),
  });
  const db = drizzle(sql, { schema });
  return { db, sql, // A short timeout: after a connection reset postgres.js may wait out the whole timeout (porsager/postgres#1130).
    close: () => sql.end({ timeout: 2 }) };
}
