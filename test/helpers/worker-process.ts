/**
 * Worker processes as operators run them (`workers/main.ts`, real clock), pointed at a test's own
 * database and Redis prefix, for the tests that kill, race or stop workers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { REDIS_URL, type TestApp } from './app.js';

export interface WorkerProcess {
  child: ChildProcess;
  /** resolves with the exit code once the process has exited */
  exited: Promise<number | null>;
  /** everything it wrote to stdout and stderr so far */
  output(): string;
}

/** Starts a worker child; the test's teardown kills it (SIGKILL) if it is still running. */
export function launchWorker(T: Pick<TestApp, 'config'>, teardown: (fn: () => void) => void, opts: { logLevel?: string; env?: Record<string, string> } = {}): WorkerProcess {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    EGIDE_ENV_FILE: 'none',
    LOG_LEVEL: opts.logLevel ?? 'warn',
    DATABASE_URL: T.config.DATABASE_URL,
    ...(T.config.DATABASE_OWNER_URL ? { DATABASE_OWNER_URL: T.config.DATABASE_OWNER_URL } : {}),
    REDIS_URL,
    REDIS_PREFIX: T.config.REDIS_PREFIX,
    JWT_SIGNING_KEY: String(T.config.JWT_SIGNING_KEY),
    AUDIT_SIGNING_KEY: String(T.config.AUDIT_SIGNING_KEY),
    SERVER_SECRET: String(T.config.SERVER_SECRET),
    ...opts.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, exited, output: () => out };
}

