import { run } from './main.js';

/**
 * `npm run start:api`: the HTTP API alone, for running several instances behind a load balancer
 * while the workers run elsewhere (`npm run start:worker`). Like `npm start`, it checks the
 * configuration and dependencies and applies pending migrations first (advisory-locked, a no-op
 * when the database is current), so any instance may be started first.
 */
await run(['api']);
