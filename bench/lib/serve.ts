/**
 * A benchmark server in its own process, as in production: the load generator (autocannon, in
 * the bench process) must not share the server's event loop. Config from the environment;
 * BENCH_AUDIT_READS=false starts the comparison instance with read auditing off. Prints
 * `listening <url>` once ready; exits on SIGTERM.
 */
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/config.js';
import { buildServer } from '../../src/server.js';

const config = loadConfig(process.env);
const discard = new Writable({ write: (_c, _e, cb) => cb() });
const app = await buildServer({ config, logStream: discard, auditReads: process.env.BENCH_AUDIT_READS !== 'false' });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(`listening http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`);
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
