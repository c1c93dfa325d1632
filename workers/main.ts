import { run } from '../src/main.js';

/**
 * `npm run start:worker`: the BullMQ workers alone (no HTTP). Start as many as the load needs;
 * they share the queues in Redis. Like `npm start`, it checks the configuration and
 * dependencies and applies pending migrations first (advisory-locked, a no-op when current).
 */
await run(['worker']);
