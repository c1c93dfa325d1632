import { rm, rename, writeFile } from 'node:fs/promises';
import { loggableError } from '../src/lib/loggable-error.js';
import type { WorkerLogger } from '../src/lib/worker-logger.js';
import { every } from './periodic.js';

/** How often a healthy worker touches its heartbeat file. */
export const HEARTBEAT_INTERVAL_MS = 5000;

/**
 * A worker serves no HTTP, so its health is a file (WORKER_HEARTBEAT_FILE) that it rewrites every
 * few seconds while its event loop turns, its BullMQ workers run, and PostgreSQL and Redis answer
 * (`probe`). `workers/healthcheck.ts` (the container's healthcheck) reads its age: a hung
 * process, or one cut off from either store, stops refreshing it and turns unhealthy. Written to a
 * temporary name and renamed, so a reader never sees half a file; removed on close.
 */
export function startHeartbeat(deps: { file: string; probe: () => Promise<void>; log: WorkerLogger; intervalMs?: number; now?: () => number }): { close(): Promise<void> } {
  const now = deps.now ?? Date.now;
  let failing = false;
  const beat = async () => {
    try {
      await deps.probe();
      const tmp = `${deps.file}.${process.pid}.tmp`;
      await writeFile(tmp, `${new Date(now()).toISOString()}\n`);
      await rename(tmp, deps.file);
      if (failing) deps.log.info('worker heartbeat resumed');
      failing = false;
    } catch (err) {
      if (!failing) deps.log.warn({ err: loggableError(err) }, 'worker heartbeat not written: a dependency does not answer');
      failing = true;
    }
  };
  const loop = every(deps.intervalMs ?? HEARTBEAT_INTERVAL_MS, beat, { now: true });
  return {
    async close() {
      await loop.close();
      await rm(deps.file, { force: true });
    },
  };
}
