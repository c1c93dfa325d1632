import { loggableError } from './lib/loggable-error.js';
import { isEntryPoint } from './lib/entry-point.js';
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { ConfigError, loadConfig, type Config } from './config/config.js';
import { loadEnvFile, type EnvFileResult } from './config/env-file.js';
import { errorText, migrateDatabase, preparePostgres, redactUrl } from './db/setup.js';
import { createDatabase } from './db/client.js';
import { loadServerKeys } from './lib/server-keys.js';
import { sealPlaintextWebhookUrls } from './notifications/webhook-url-migration.js';
import type { Logger } from './lib/logger.js';
import type { Workers } from './worker-api.js';
import { probeRedisPersistence } from './lib/redis-persistence.js';

/**
 * Process entry points. `npm start` runs this file (API and workers in one process);
 * `src/api-main.ts` and `workers/main.ts` run one role each so each scales out on its own.
 *
 * Every entry, before serving:
 *  1. loads `.env` from the project root if there is one (variables already in the environment
 *     win; EGIDE_ENV_FILE=<path> reads another file, EGIDE_ENV_FILE=none reads none);
 *  2. validates the configuration, with one line per bad or missing variable;
 *  3. checks that PostgreSQL and Redis answer, and says which does not and how to start it; warns
 *     when Redis would lose or evict queued jobs (appendonly, maxmemory-policy), or refuses to
 *     start with REDIS_REQUIRE_PERSISTENCE=true;
 *     with DATABASE_OWNER_URL, creates the two database roles and the database when they are
 *     missing and a superuser is reachable, or prints the two SQL lines to run (src/db/setup.ts);
 *  4. with DATABASE_OWNER_URL, applies the migrations in `drizzle/` as the owner role (under an
 *     advisory lock, so instances starting together are safe, and an up-to-date database is a
 *     no-op) and grants the application role its privileges, then does what no SQL migration can
 *     do because it needs the server's keys (`sealLegacyPlaintext`); then checks, as the application
 *     role (DATABASE_URL), that it cannot rewrite the audit log and that the schema is current.
 * Any failure there prints to stderr and exits 1. Once serving, an outage of PostgreSQL or
 * Redis does not stop the process: /readyz answers 503 and everything reconnects by itself.
 */

export type Role = 'api' | 'worker';

/** What stops the start: printed as a list, then the process exits 1. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(readonly problems: string[]) {
    super(`cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const SECRETS = ['JWT_SIGNING_KEY', 'AUDIT_SIGNING_KEY', 'SERVER_SECRET'];

export { redactUrl };

/** The configuration, or a StartupError naming every bad or missing variable. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const problems = [...err.problems];
    if (err.problems.some((p) => SECRETS.some((s) => p.startsWith(`${s} is required`)))) {
      problems.push('to generate the secrets: `npm run egide -- env init` writes a .env with fresh ones (see .env.example)');
    }
    throw new StartupError(problems);
  }
  const problems: string[] = [];
  const protocols: Array<[keyof Config & string, string[]]> = [
    ['DATABASE_URL', ['postgres:', 'postgresql:']],
    ['REDIS_URL', ['redis:', 'rediss:']],
  ];
  for (const [key, allowed] of protocols) {
    let url: URL | null = null;
    try {
      url = new URL(String(config[key]));
    } catch {
      url = null;
    }
    if (!url || !allowed.includes(url.protocol)) problems.push(`${key} is invalid (must be a ${allowed.map((p) => `${p}//`).join(' or ')} URL)`);
  }
  if (problems.length > 0) throw new StartupError(problems);
  return config;
}

const REDIS_HOW_TO_START = 'start it (`redis-server --daemonize yes`, `sudo systemctl start redis-server`, or `docker compose up -d redis`), or point REDIS_URL at a running server';

interface Check {
  problem: string | null;
  /** What the check did on the way (e.g. created the database). */
  info: string[];
  warnings: string[];
}

/**
 * Whether Redis answers, and keeps the queues (appendonly yes, maxmemory-policy noeviction): a
 * warning when it does not or will not say, a refusal to start when REDIS_REQUIRE_PERSISTENCE is set.
 */
async function checkRedis(url: string, requirePersistence: boolean): Promise<Check> {
  const shown = redactUrl(url);
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 3000, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    const persistence = await probeRedisPersistence(redis);
    if (requirePersistence && persistence.status !== 'ok') {
      const why = persistence.problems.join('; ');
      return { problem: `Redis at ${shown} is not set up to keep the queues, and REDIS_REQUIRE_PERSISTENCE=true: ${why} (or set REDIS_REQUIRE_PERSISTENCE=false to start anyway)`, info: [], warnings: [] };
    }
    return { problem: null, info: [], warnings: persistence.problems };
  } catch (err) {
    const text = errorText(err);
    if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(text)) return { problem: `Redis at ${shown} refused the login (${text}): fix the password in REDIS_URL`, info: [], warnings: [] };
    return { problem: `Redis is unreachable at ${shown} (${text}): ${REDIS_HOW_TO_START}`, info: [], warnings: [] };
  } finally {
    redis.disconnect();
  }
}

/** Checks both dependencies at once and reports every one that fails. */
export async function checkDependencies(config: Pick<Config, 'DATABASE_URL' | 'DATABASE_OWNER_URL' | 'DATABASE_ADMIN_URL' | 'REDIS_URL' | 'REDIS_REQUIRE_PERSISTENCE'>): Promise<Omit<Check, 'problem'>> {
  const [pg, redis] = await Promise.all([preparePostgres(config), checkRedis(config.REDIS_URL, config.REDIS_REQUIRE_PERSISTENCE)]);
  const problems = [...pg.problems, redis.problem].filter((p): p is string => p !== null);
  if (problems.length > 0) throw new StartupError(problems);
  return { info: [...pg.info, ...redis.info], warnings: [...pg.warnings, ...redis.warnings] };
}

export interface Running {
  config: Config;
  app: FastifyInstance | null;
  workers: Workers | null;
  log: Logger;
  close(): Promise<void>;
}

/**
 * Values an earlier release stored in clear that this one keeps sealed under a SERVER_SECRET
 * subkey: sealed before serving, since a SQL migration cannot hold the key. Returns what it did.
 */
async function sealLegacyPlaintext(config: Config): Promise<string[]> {
  const database = createDatabase(config.DATABASE_URL, { max: 1 });
  try {
    const n = await sealPlaintextWebhookUrls(database.db, (await loadServerKeys(config)).webhookUrlKey);
    return n > 0 ? [`sealed ${n} webhook URL(s) that an earlier release stored in clear`] : [];
  } catch (err) {
    throw new StartupError([`the webhook URLs stored in clear could not be sealed in ${redactUrl(config.DATABASE_URL)}: ${errorText(err)}`]);
  } finally {
    await database.close();
  }
}

/** Steps 1-4, then starts the roles asked for. Throws StartupError for anything the operator must fix. */
export async function start(roles: readonly Role[]): Promise<Running> {
  let envFile: EnvFileResult;
  try {
    envFile = loadEnvFile();
  } catch (err) {
    throw err instanceof ConfigError ? new StartupError(err.problems) : err;
  }
  const config = readConfig();
  const checks = await checkDependencies(config);
  const migrated = await migrateDatabase(config);
  if (migrated.problems.length > 0) throw new StartupError(migrated.problems);
  const sealed = await sealLegacyPlaintext(config);

  // Loaded on demand, so a worker-only process does not load the HTTP stack and vice versa.
  let app: FastifyInstance | null = null;
  if (roles.includes('api')) {
    const { buildServer } = await import('./server.js');
    app = await buildServer({ config });
  }
  const log: Logger = app?.log ?? pino({ level: config.LOG_LEVEL });
  if (envFile.path) log.info({ envFile: envFile.path }, 'loaded environment file');
  for (const line of [...checks.info, ...sealed]) log.info(line);
  for (const line of [...envFile.warnings, ...checks.warnings]) log.warn(line);

  let workers: Workers | null = null;
  const close = async () => {
    await app?.close();
    await workers?.close();
  };
  try {
    if (roles.includes('worker')) {
      const { startWorkers } = await import('../workers/worker.js');
      // A container of their own (src/container.ts): their own pools, so a busy relay or step
      // worker never takes the connections the API's requests wait for.
      workers = await startWorkers({ config, logger: app ? app.log.child({ component: 'worker' }) : log });
    }
    if (app) {
      try {
        await app.listen({ host: config.HOST, port: config.PORT });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
          throw new StartupError([`cannot listen on ${config.HOST}:${config.PORT} (${errorText(err)}): set HOST and PORT to a free address`]);
        }
        throw err;
      }
    }
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  log.info({ roles }, 'egide started');
  return { config, app, workers, log, close };
}

/** Runs the roles until SIGTERM/SIGINT, then closes gracefully (exit 0), or exits 1 on a fatal error. */
export async function run(roles: readonly Role[]): Promise<void> {
  let running: Running;
  try {
    running = await start(roles);
  } catch (err) {
    // Anything else (an invalid policy file, say) also stops the start with its message; the
    // stack only helps when it is not one of the operator-facing errors.
    const operatorFacing = err instanceof StartupError || (err as Error | null)?.name === 'PolicyError';
    const text = err instanceof StartupError ? err.message : `cannot start: ${errorText(err)}${operatorFacing ? '' : `\n${(err as Error | null)?.stack ?? ''}`}`;
    process.stderr.write(`egide: ${text}\n`);
    process.exit(1);
  }
  const { log } = running;
  closeWithGrace({ delay: 10_000, logger: { error: (m: unknown) => log.error(m) } }, async ({ signal, err }) => {
    if (err) log.error({ err: loggableError(err) }, 'fatal error, closing');
    else log.info({ signal }, 'closing');
    await running.close();
  });
}


if (isEntryPoint(import.meta.url)) await run(['api', 'worker']);
