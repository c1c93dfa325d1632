/**
 * Bulk loading for benchmarks: rows streamed into PostgreSQL with COPY (postgres.js
 * `copy ... from stdin` writables), and a table's secondary indexes dropped for the load and
 * built again afterwards (one sort per index instead of a b-tree insertion per row).
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type postgres from 'postgres';

/** A value in COPY's text format: `\N` for null, the four characters COPY gives a meaning escaped. */
export function copyValue(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number') return String(v);
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : v;
}

/** A text[] literal of plain codes (no quotes, commas, braces or spaces in them). */
export const copyArray = (codes: readonly string[]): string => `{${codes.join(',')}}`;

/** A timestamp in COPY's text format (ISO 8601, UTC), or null. */
export const copyTime = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '\\N' : new Date(ms).toISOString());

/**
 * One table being filled by COPY: lines are gathered into chunks of about 256 KiB and written
 * with backpressure. `flushed()` is to be awaited when `add` returns true (a chunk is ready);
 * `end()` finishes the COPY and resolves once PostgreSQL has committed the rows to the statement.
 */
export class CopySink {
  rows = 0;
  private parts: string[] = [];
  private size = 0;
  private readonly input = new PassThrough({ highWaterMark: 1 << 20 });
  private readonly done: Promise<void>;

  constructor(
    readonly table: string,
    writable: Promise<NodeJS.WritableStream>,
  ) {
    this.done = writable.then((w) => pipeline(this.input, w as never));
    // Surfaced by flushed()/end(); without a handler a failure before them would be unhandled.
    this.done.catch(() => undefined);
  }

  /** A chunk is ready: `flushed()` should be awaited before adding more. */
  get full(): boolean {
    return this.size >= 1 << 18;
  }

  /** One row: its values already in COPY's text format, joined by tabs. */
  add(values: string[]): boolean {
    const line = `${values.join('\t')}\n`;
    this.parts.push(line);
    this.size += line.length;
    this.rows++;
    return this.full;
  }

  async flushed(): Promise<void> {
    if (this.size === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.input.write(chunk)) await Promise.race([once(this.input, 'drain'), this.done.then(() => Promise.reject(new Error(`COPY into ${this.table} ended early`)))]);
  }

  async end(): Promise<void> {
    await this.flushed();
    this.input.end();
    await this.done;
  }
}

/** Starts `copy <table> (<columns>) from stdin` on one of `sql`'s connections. */
export function copyInto(sql: postgres.Sql, table: string, columns: readonly string[]): CopySink {
  return new CopySink(table, sql.unsafe(`copy ${table} (${columns.join(', ')}) from stdin`).writable() as Promise<NodeJS.WritableStream>);
}

/**
 * Runs `load` with the secondary indexes of `tables` dropped (those that back no constraint:
 * primary keys and unique constraints stay), then builds them again with the same definitions.
 * Returns how long the builds took, in milliseconds.
 */
export async function withoutSecondaryIndexes(sql: postgres.Sql, tables: readonly string[], load: () => Promise<void>): Promise<number> {
  const indexes = await sql<Array<{ name: string; def: string }>>`
    select i.indexname as name, i.indexdef as def from pg_indexes i
    where i.schemaname = 'public' and i.tablename in ${sql(tables)}
      and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`;
  for (const i of indexes) await sql.unsafe(`drop index "${i.name}"`);
  await load();
  const t0 = performance.now();
  // Two at a time: the machine has two cores, and each build is one sort.
  const queue = [...indexes];
  await Promise.all([0, 1].map(async () => {
    for (let i = queue.shift(); i; i = queue.shift()) await sql.unsafe(`set maintenance_work_mem = '512MB'; ${i.def}`).simple();
  }));
  return performance.now() - t0;
}
