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

type UnsafeOptions = Parameters<postgres.Sql['unsafe']>[2];

/**
 * drizzle runs every query that is not explicitly `.prepare(name)`d as an unnamed statement, so
 * PostgreSQL parses and plans it again on each call: on this service's short statements that is
 * most of their cost. This hands drizzle a client whose queries are prepared (postgres.js names and
 * caches them per connection, keyed by the SQL text; our statements come in a bounded number of
 * shapes, and connections are recycled), inside transactions and savepoints too.
 */
function preparedStatements<T extends postgres.Sql | postgres.TransactionSql>(client: T): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (prop === 'unsafe') return (query: string, params?: never[], options?: UnsafeOptions) => target.unsafe(query, params, { ...options, prepare: true });
      if (prop === 'begin' || prop === 'savepoint') {
        return (...args: unknown[]) => {
          const body = args.pop() as (tx: postgres.TransactionSql) => unknown;
          return (value as (...a: unknown[]) => unknown).apply(target, [...args, (tx: postgres.TransactionSql) => body(preparedStatements(tx))]);
        };
      }
      return value;
    },
  });
}

export interface DatabaseOptions {
  max?: number;
  onnotice?: (n: postgres.Notice) => void;
  /** Seconds a connection attempt may take (5 by default). */
  connectTimeout?: number;
  /** Startup parameters of every connection (application_name, default_transaction_read_only...). */
  connection?: Partial<postgres.ConnectionParameters>;
}

export function createDatabase(url: string, options: DatabaseOptions = {}): Database {
  const sql = postgres(url, {
    max: options.max ?? 10,
    // Fail fast while PostgreSQL is down so /readyz answers 503 instead of hanging.
    connect_timeout: options.connectTimeout ?? 5,
    ...(options.connection ? { connection: options.connection } : {}),
    // postgres.js binds a waiting query to one closed connection and reconnects it after a
    // backoff that grows with every failed attempt of the pool (3^n/100 s, up to 20 s): during a
    // ten-second outage it reaches 20 s, so requests made then hung for up to 20 s, and past the
    // restart, while other connections were already serving (faults run, test/faults). Retrying
    // at most every second costs a down server a few connection attempts per second and answers
    // those requests within about a second: a 503 while it is down, the result once it is back.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
    idle_timeout: 30,
    onnotice: options.onnotice ?? (() => undefined),
  });
  const db = drizzle(preparedStatements(sql), { schema });
  return { db, sql, // A short timeout: after a connection reset postgres.js may wait out the whole timeout (porsager/postgres#1130).
    close: () => sql.end({ timeout: 2 }) };
}
