import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface BenchWorker {
  child: ChildProcess;
  exited: Promise<void>;
  /** the last 20,000 characters it wrote to stdout and stderr */
  output(): string;
}

/** `npm run start:worker` as an operator runs it: workers/main.ts, real clock, its own pool and Redis connection. */
export function launchWorker(env: NodeJS.ProcessEnv): BenchWorker {
  const entry = fileURLToPath(new URL('../../workers/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited, output: () => out };
}
