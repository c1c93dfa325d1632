import type { Worker } from 'bullmq';
import type { Clock } from './lib/clock.js';
import type { Config } from './config/config.js';
import type { Database } from './db/client.js';
import type { AppModule } from './module.js';
import type { Container } from './container.js';
import type { Logger } from './lib/logger.js';

/**
 * The workers' public interface, as the entry points (src/main.ts) and the module definitions
 * see it; workers/worker.ts implements it.
 */


export interface StartWorkersOptions {
  config: Config;
  /** The process's object graph, when the caller built it; by default the workers build their own (and close it). */
  container?: Container;
  /** A pool to share (then not closed here); by default the workers open one of their own. */
  database?: Database;
  logger?: Logger;
  clock?: Clock;
  /** How often the heartbeat (WORKER_HEARTBEAT_FILE) is written; tests shorten it. */
  heartbeatIntervalMs?: number;
  /** The domain modules whose queues, processors and outbox topics run here (src/modules.ts by default). */
  modules?: readonly AppModule[];
}

export interface Workers {
  workers: Array<Pick<Worker, 'name' | 'close' | 'isRunning'>>;
  /** Stops taking jobs, lets the running ones finish, then closes the connections the workers opened. */
  close(): Promise<void>;
}
