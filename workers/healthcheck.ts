import { stat } from 'node:fs/promises';
import { isEntryPoint } from '../src/lib/entry-point.js';
import { HEARTBEAT_INTERVAL_MS } from './heartbeat.js';

/** A heartbeat older than this (six missed beats) means the worker is stuck or cut off. */
export const DEFAULT_MAX_AGE_MS = 6 * HEARTBEAT_INTERVAL_MS;

/**
 * Whether the worker's heartbeat (workers/heartbeat.ts) is fresh: what docker-compose.yml's worker
 * healthcheck runs, `node dist/workers/healthcheck.js <file> [maxAgeSeconds]`. Exit 0 healthy, 1 not.
 */
export async function checkHeartbeat(file: string, maxAgeMs = DEFAULT_MAX_AGE_MS, now = Date.now()): Promise<{ healthy: boolean; message: string }> {
  let mtime: number;
  try {
    mtime = (await stat(file)).mtimeMs;
  } catch {
    return { healthy: false, message: `no heartbeat at ${file}: the worker is not running, or has not reached PostgreSQL and Redis yet` };
  }
  const age = Math.max(0, now - mtime);
  if (age > maxAgeMs) return { healthy: false, message: `the heartbeat at ${file} is ${Math.round(age / 1000)} s old (more than ${Math.round(maxAgeMs / 1000)} s): the worker is stuck or cannot reach PostgreSQL or Redis` };
  return { healthy: true, message: `heartbeat ${Math.round(age / 1000)} s old` };
}

if (isEntryPoint(import.meta.url)) {
  const [file = process.env.WORKER_HEARTBEAT_FILE, maxAge] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: healthcheck <heartbeat file> [max age in seconds] (or set WORKER_HEARTBEAT_FILE)\n');
    process.exitCode = 2;
  } else {
    const result = await checkHeartbeat(file, maxAge ? Number(maxAge) * 1000 : DEFAULT_MAX_AGE_MS);
    (result.healthy ? process.stdout : process.stderr).write(`${result.message}\n`);
    process.exitCode = result.healthy ? 0 : 1;
  }
}
