/**
 * A PostgreSQL and a Redis of the faults run's own, so that stopping, restarting and flushing
 * them harms nobody else on the machine (other engineers' tests use the shared servers on 5432
 * and 6379). Both live in one temporary directory, removed with them.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { holdsWithin } from '../helpers/wait-for.js';

const PG_BIN = process.env.FAULTS_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** uid and gid of the `postgres` OS user, when we run as root (initdb refuses to run as root). */
function postgresUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export interface OwnPostgres {
  /** As the superuser by default (created by initdb, trusted on loopback), or as `user`. */
  url(database: string, user?: string): string;
  port: number;
  /** Stops the server as a crash would (`-m immediate`: no checkpoint, unlogged tables lost on restart). */
  stop(): void;
  start(): void;
  /** Stops it if running and removes its files; safe to call twice, synchronous (runs from exit handlers). */
  destroy(): void;
}

export async function startOwnPostgres(root: string): Promise<OwnPostgres> {
  const user = postgresUser();
  const data = join(root, 'pgdata');
  const socketDir = join(root, 'pgsock');
  mkdirSync(socketDir);
  if (user) {
    chownSync(root, user.uid, user.gid);
    chownSync(socketDir, user.uid, user.gid);
  }
  const port = await freePort();
  const run = (bin: string, args: string[]) =>
    execFileSync(join(PG_BIN, bin), args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...(user ? { uid: user.uid, gid: user.gid } : {}), env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8' } });
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--locale=C.UTF-8']);
  // fsync off: the run crashes the server process, never the machine, so what reached the OS
  // survives. synchronous_commit stays on: with it off, an acknowledged commit can be lost in a
  // server crash, which is what the run checks never happens (a first run caught exactly that).
  const options = `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=100`;
  let running = false;
  let destroyed = false;
  const pg: OwnPostgres = {
    port,
    url: (database, user = 'postgres') => `postgres://${user}@127.0.0.1:${port}/${database}`,
    start() {
      run('pg_ctl', ['-D', data, '-l', join(root, 'postgres.log'), '-o', options, '-w', '-t', '60', 'start']);
      running = true;
    },
    stop() {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      running = false;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      if (running) {
        try {
          run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
        } catch {
          // already stopped
        }
      }
    },
  };
  pg.start();
  return pg;
}

export interface OwnRedis {
  url: string;
  destroy(): void;
}

export async function startOwnRedis(root: string): Promise<OwnRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', root, '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const pong = () => {
    try {
      execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'pipe' });
      return true;
    } catch {
      return false;
    }
  };
  if (await holdsWithin(pong, 10_000, 100)) return { url, destroy: () => void (child.exitCode === null && child.kill('SIGKILL')) };
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on port ${port}`);
}

/** The run's temporary directory; `remove` is synchronous for exit handlers. */
export function makeRunDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'egide-faults-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
