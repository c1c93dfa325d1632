/** What the backup tests share: the CLI run in-process with a configuration as its environment. */
import { main } from '../../src/cli/main.js';
import type { Config } from '../../src/config/config.js';

/** `egide <args>` in-process, its environment made of a configuration (what `.env` would hold). */
export async function egide(args: string[], config: Config): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const env = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)]));
  const code = await main(args, { env, stdin: process.stdin, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}
