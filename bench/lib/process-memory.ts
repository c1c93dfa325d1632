/** The resident memory of another process (a server under load), read from /proc as `ps` does (Linux). */
import { readFile } from 'node:fs/promises';

/** VmRSS of `pid` in bytes: the pages of it in RAM now (the page cache of the files it writes is not counted). */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

export interface RssSample {
  /** ms since sampling started */
  at: number;
  bytes: number;
  /** what the caller says was happening (e.g. bytes uploaded so far) */
  mark: number;
}

/** Samples `pid`'s RSS every `everyMs` until stopped; `mark()` is read at each sample. */
export function sampleRss(pid: number, everyMs: number, mark: () => number = () => 0): { stop(): Promise<RssSample[]> } {
  const samples: RssSample[] = [];
  const t0 = performance.now();
  let pending: Promise<void> = Promise.resolve();
  const take = () => {
    pending = pending.then(async () => {
      const at = performance.now() - t0;
      samples.push({ at, bytes: await rssOf(pid), mark: mark() });
    });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      take();
      await pending;
      return samples;
    },
  };
}
