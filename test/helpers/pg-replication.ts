/**
 * A PostgreSQL primary and a streaming replica of its own for one test (the shared server on 5432
 * has no replica, and stopping servers must harm nobody else): initdb, a primary with
 * wal_level=replica, `pg_basebackup -R` into a second directory, a hot standby on another port.
 * As root (CI) the servers run as the `postgres` OS user: PostgreSQL refuses to run as root.
 * Both live in one temporary directory, removed with them.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { runMigrations } from '../../src/db/migrate.js';
import { ensureRoles } from '../../src/db/roles.js';
import { freePort } from '../faults/own-servers.js';
import { APP_ROLE, OWNER_ROLE, type TestDatabase } from './db.js';
import { waitFor } from './wait-for.js';

/** The server's binaries: TEST_PG_BIN, else Debian's for the newest installed major version (15 here and in CI). */
function pgBin(): string {
  if (process.env.TEST_PG_BIN) return process.env.TEST_PG_BIN;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'pg_basebackup'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no PostgreSQL server binaries under ${base}: install postgresql, or set TEST_PG_BIN`);
  return join(base, newest, 'bin');
}
const PG_BIN = pgBin();

/** uid and gid of the `postgres` OS user when we run as root. */
function postgresUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

export interface Server {
  port: number;
  /** As the superuser (trusted on loopback). */
  url(database: string, user?: string): string;
  /** The server's log (the replica logs every statement with its application_name). */
  log(): string;
  /** Stops it as a crash would (`-m immediate`). */
  stop(): void;
  /** Starts it again (a replica recovers and resumes streaming). */
  start(): void;
}

export interface Replication {
  primary: Server;
  replica: Server;
  /** The application's database on the primary (roles and migrations as in production), replicated. */
  db: TestDatabase;
  /** Waits until the replica has replayed everything the primary has written so far. */
  caughtUp(): Promise<void>;
  /** Stops both servers and removes their files; safe to call twice. */
  destroy(): void;
}

export async function startReplication(): Promise<Replication> {
  const user = postgresUser();
  // As root the servers run as `postgres`, which must reach the directory: under /tmp, whatever
  // TMPDIR says (CI's may sit in root's home).
  const root = mkdtempSync(join(user ? '/tmp' : tmpdir(), 'egide-replication-'));
  if (user) chownSync(root, user.uid, user.gid);
  const run = (bin: string, args: string[]) =>
    execFileSync(join(PG_BIN, bin), args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...(user ? { uid: user.uid, gid: user.gid } : {}), env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8' } });
  const running: string[] = [];
  const server = (name: string, port: number): Server => {
    const data = join(root, name);
    const sock = join(root, `${name}-sock`);
    mkdirSync(sock);
    if (user) chownSync(sock, user.uid, user.gid);
    const logFile = join(root, `${name}.log`);
    // fsync off: nothing here outlives the test. Every statement is logged with the client's
    // application_name, so the test sees which reads reached which server.
    const options = `-p ${port} -k ${sock} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60 -c shared_buffers=16MB -c wal_level=replica -c max_wal_senders=4 -c hot_standby=on -c log_statement=all -c log_line_prefix=%a@@`;
    const start = () => {
      run('pg_ctl', ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '60', 'start']);
      running.push(data);
    };
    start();
    return {
      start,
      port,
      url: (database, u = 'postgres') => `postgres://${u}@127.0.0.1:${port}/${database}`,
      log: () => readFileSync(logFile, 'utf8'),
      stop() {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
        running.splice(running.indexOf(data), 1);
      },
    };
  };
  const destroy = () => {
    for (const data of [...running]) {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
    }
    running.length = 0;
    rmSync(root, { recursive: true, force: true });
  };
  // A test killed midway leaves no server behind.
  process.once('exit', destroy);
  try {
    run('initdb', ['-D', join(root, 'primary'), '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--locale=C.UTF-8']);
    const primary = server('primary', await freePort());
    const name = 'egide';
    const admin = postgres(primary.url('postgres'), { max: 1, onnotice: () => undefined });
    try {
      await ensureRoles(admin, [{ name: OWNER_ROLE }, { name: APP_ROLE }]);
      await admin.unsafe(`create database ${name} owner ${OWNER_ROLE}`);
    } finally {
      await admin.end();
    }
    await runMigrations(primary.url(name, OWNER_ROLE), { appRole: APP_ROLE });
    // The replica: a base backup with its WAL streamed, and -R writes standby.signal and primary_conninfo.
    run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', join(root, 'replica'), '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync']);
    const replica = server('replica', await freePort());
    const lsn = async (url: string, fn: string) => {
      const c = postgres(url, { max: 1, onnotice: () => undefined });
      try {
        return String((await c.unsafe(`select ${fn}::text as l`))[0]!.l);
      } finally {
        await c.end();
      }
    };
    const caughtUp = async () => {
      const target = await lsn(primary.url('postgres'), 'pg_current_wal_lsn()');
      const c = postgres(replica.url('postgres'), { max: 1, onnotice: () => undefined });
      try {
        await waitFor(async () => Boolean((await c`select pg_last_wal_replay_lsn() >= ${target}::pg_lsn as ok`)[0]!.ok), { what: `the replica replaying up to ${target}`, timeoutMs: 20_000, everyMs: 20 });
      } finally {
        await c.end();
      }
    };
    await caughtUp();
    const db: TestDatabase = {
      name,
      url: primary.url(name, APP_ROLE),
      ownerUrl: primary.url(name, OWNER_ROLE),
      adminUrl: primary.url(name),
      drop: async () => undefined,
    };
    return { primary, replica, db, caughtUp, destroy };
  } catch (err) {
    destroy();
    throw err;
  }
}
