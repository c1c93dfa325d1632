/**
 * The service as operators run it, in separate OS processes: API instances (src/api-main.ts)
 * and worker instances (workers/main.ts), all on the same PostgreSQL and Redis prefix, with a
 * copy of the policies whose deadlines fall due within seconds. Shared by the faults run and the
 * scale-out test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { projectRoot } from '../../src/lib/paths.js';

/**
 * A copy of policies/ in `dir` where the deadlines the load runs into (acknowledge, triage,
 * info_reply, assessment) last `windowSeconds` of calendar time, so each one's reminder, level 1
 * and level 2 fall due at ½, 1 and 1½ windows after it starts. Everything else is unchanged.
 */
export function shortDeadlinePolicies(dir: string, windowSeconds: number): string {
  cpSync(join(projectRoot(), 'policies'), dir, { recursive: true });
  const file = join(dir, 'deadlines.yaml');
  const doc = parse(readFileSync(file, 'utf8')) as { deadlines: Record<string, { ordinary: unknown; urgent: unknown }> };
  const span = { hours: windowSeconds / 3600 };
  for (const name of ['acknowledge', 'triage', 'info_reply', 'assessment']) {
    const rule = doc.deadlines[name]!;
    rule.ordinary = span;
    if (rule.urgent !== null) rule.urgent = span;
  }
  writeFileSync(file, stringify(doc));
  return dir;
}

export interface ServiceProcess {
  name: string;
  role: 'api' | 'worker';
  child: ChildProcess;
  pid: number;
  startedAt: number;
  /** resolves with the exit code (or signal name) once the process has exited */
  exited: Promise<number | string | null>;
  output(): string;
  /** Called with every complete line it writes (JSON log lines mostly). */
  onLine(fn: (line: string) => void): void;
  running(): boolean;
}

export function launchService(opts: { name: string; role: 'api' | 'worker'; env: Record<string, string> }): ServiceProcess {
  const script = opts.role === 'api' ? 'src/api-main.ts' : 'workers/main.ts';
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: projectRoot(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', EGIDE_ENV_FILE: 'none', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let partial = '';
  const listeners: Array<(line: string) => void> = [];
  const take = (d: Buffer) => {
    const s = d.toString();
    out += s;
    partial += s;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) for (const fn of listeners) fn(line);
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return {
    name: opts.name,
    role: opts.role,
    child,
    pid: child.pid ?? -1,
    startedAt: Date.now(),
    exited,
    output: () => out,
    onLine: (fn) => void listeners.push(fn),
    running: () => child.exitCode === null && child.signalCode === null,
  };
}

/** Parsed JSON log lines of a process (pino), skipping anything else it printed. */
export function logEntries(output: string): Array<Record<string, unknown>> {
  const entries: Array<Record<string, unknown>> = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      entries.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a partial line
    }
  }
  return entries;
}


/** Sends SIGTERM and waits up to `ms` for the exit; SIGKILL after that. Returns the exit code. */
export async function stopService(p: ServiceProcess, ms = 15_000): Promise<number | string | null> {
  if (!p.running()) return p.exited;
  p.child.kill('SIGTERM');
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());
  const r = await Promise.race([p.exited, timeout]);
  if (r === 'timeout') {
    p.child.kill('SIGKILL');
    await p.exited;
    return 'timeout';
  }
  return r;
}
