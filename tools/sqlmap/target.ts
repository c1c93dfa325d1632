/**
 * A throwaway egide for tools/sqlmap-scan.sh: a database of its own (from the migrations), a
 * Redis prefix of its own, the deployment bootstrapped and a few people and cases made through
 * the API with the SDK (the test helpers), then listening on PORT. Writes what sqlmap needs (the
 * tokens, a case id) to the JSON file named by SQLMAP_STATE, and runs until killed.
 * Not part of the service and never run in CI.
 */
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/config.js';
import { createDatabase } from '../../src/db/client.js';
import { fixedClock } from '../../src/lib/clock.js';
import { generateSecrets } from '../../src/lib/server-keys.js';
import { buildServer } from '../../src/server.js';
import { bootstrap, enrolActor } from '../../test/helpers/world.js';
import { admitCase, fileCase } from '../../test/helpers/world.js';
import type { TestApp } from '../../test/helpers/app.js';
import { createTestDatabase } from '../../test/helpers/db.js';

// A database like the tests': migrated by the owner role, the app connected as the application role.
const testDb = await createTestDatabase();
const name = testDb.name;
const config = loadConfig({
  ...(await generateSecrets()),
  DATABASE_URL: testDb.url,
  REDIS_PREFIX: `egide-sqlmap-${randomBytes(3).toString('hex')}`,
  PORT: process.env.PORT ?? '3999',
  LOG_LEVEL: 'warn',
  // sqlmap sends thousands of requests from one address: the rate limits would answer them all 429.
  LOGIN_RATE_LIMIT_PER_MINUTE: '10000',
  FILING_RATE_LIMIT_PER_MINUTE: '1000000',
  REFRESH_TOKEN_TTL_SECONDS: String(24 * 3600),
  ACCESS_TOKEN_TTL_SECONDS: '900',
});
const database = createDatabase(config.DATABASE_URL, { max: 5 });
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
// A test clock: each TOTP login moves it past the last code used (the helpers do), and tokens stay valid while sqlmap runs.
const clock = fixedClock(new Date());
const logs: string[] = [];
const app = await buildServer({ config, clock, database, redis });
await app.ready();
// The test helpers drive the app the way the tests do (inject).
const T = { app, config, database, db: { ...testDb, drop: async () => undefined }, redis, clock, logs } as unknown as TestApp;
const dep = await bootstrap(T);
const officer = await enrolActor(T, dep.admin, { username: 'officer-sqlmap', role: 'officer', orgId: dep.mechanismId });
const filed = await fileCase(T, dep);
await admitCase(T, dep, officer, filed.caseId);
await app.listen({ port: config.PORT, host: '127.0.0.1' }).catch(async (err: unknown) => {
  // A port in use (a target left running): leave nothing behind.
  await app.close();
  await database.close();
  redis.disconnect();
  await testDb.drop();
  throw err;
});
writeFileSync(
  process.env.SQLMAP_STATE ?? '/tmp/egide-sqlmap-state.json',
  JSON.stringify({ base: `http://127.0.0.1:${config.PORT}`, database: name, supervisor: dep.supervisor.accessToken, officer: officer.accessToken, admin: dep.admin.accessToken, defender: filed.defender.auth().authorization.slice(7), caseId: filed.caseId, username: officer.username }),
);
console.log(`egide for sqlmap on ${config.PORT}, database ${name}`);
const stop = async () => {
  await app.close();
  for (let cursor = '0'; ; ) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${config.REDIS_PREFIX}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
  await database.close();
  redis.disconnect();
  await testDb.drop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
