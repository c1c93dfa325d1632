/**
 * A worker process for bench/escalation.bench.ts when BENCH_ESCALATION_WORKER_POOL is set: the
 * same `startWorkers` as workers/main.ts, but with a database pool of that size instead of the
 * workers' own two connections, to see how much of the lateness is waiting for a connection.
 * Configuration from the environment, as workers/main.ts reads it; SIGTERM closes gracefully.
 */
import { loadConfig } from '../../src/config/config.js';
import { createDatabase } from '../../src/db/client.js';
import { startWorkers } from '../../workers/worker.js';

const config = loadConfig(process.env);
const database = createDatabase(config.DATABASE_URL, { max: Number(process.env.BENCH_ESCALATION_WORKER_POOL) });
const workers = await startWorkers({ config, database });
process.once('SIGTERM', () => {
  void workers.close().then(() => database.close()).then(() => process.exit(0));
});
