/**
 * protect() on a worker thread. A solve of a real year takes from hundreds of milliseconds to
 * seconds of synchronous WebAssembly; on the API's thread it would hold every other request for
 * as long. The pool has one thread, started on the first report and ended after a minute idle (an
 * idle thread does not keep the process alive); a second report meanwhile waits its turn rather
 * than taking the core the API runs on.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { DisclosureError, type CellStatus, type DisclosurePolicy, type LinkedCells } from './linked-cells.js';
import type { ProtectOutcome, ProtectTask } from './protect-worker.js';

export interface Protector {
  /** As protect(): the status of every cell, or a DisclosureError with its code and cells. */
  protect(cells: LinkedCells, policy: DisclosurePolicy): Promise<Map<string, CellStatus>>;
  /** Ends the thread; a solve under way is abandoned (its caller gets an error). */
  close(): Promise<void>;
}

// The worker beside this file, of the same kind: protect-worker.ts where tsx runs the sources
// (the tests, the CLI; worker threads inherit its loader), protect-worker.js in dist/.
const workerFile = new URL(`./protect-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

export function createProtector(options: { idleTimeoutMs?: number } = {}): Protector {
  const pool = new Piscina<ProtectTask, ProtectOutcome>({
    filename: workerFile.href,
    minThreads: 0,
    maxThreads: 1,
    idleTimeout: options.idleTimeoutMs ?? 60_000,
  });
  let closed = false;
  return {
    async protect(cells, policy) {
      if (closed) throw new Error('the disclosure control pool is closed');
      const outcome = await pool.run({ cells, policy });
      if ('refused' in outcome) throw new DisclosureError(outcome.refused.code, outcome.refused.message, outcome.refused.cells);
      return outcome.status;
    },
    async close() {
      closed = true;
      await pool.destroy();
    },
  };
}
