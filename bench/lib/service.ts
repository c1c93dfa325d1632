import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse, stringify } from 'yaml';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { loadConfig, type Config } from '../../src/config/config.js';
import { fixedClock } from '../../src/lib/clock.js';
import { generateSecrets } from '../../src/lib/server-keys.js';
import { buildServer } from '../../src/server.js';
import { projectRoot } from '../../src/lib/paths.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.js';

/**
 * A real service for HTTP benchmarks: its own database (from the migrated template) and Redis
 * prefix, listening on loopback. Several app instances may share it (e.g. audited and not).
 */
export interface BenchService {
  db: TestDatabase;
  config: Config;
  clock: ReturnType<typeof fixedClock>;
  /** An app in this process, not listening: for setting up data through `inject`. */
  start(opts?: { auditReads?: boolean }): Promise<{ app: FastifyInstance; url: string }>;
  /**
   * A server in a child process (what the load is aimed at), sharing the database. `entry` is
   * another server script (default ./serve.ts) that prints `listening <url>` the same way.
   * `pid` is the server's own process (for reading its memory).
   */
  spawn(opts?: { auditReads?: boolean; entry?: string }): Promise<{ url: string; pid: number }>;
  close(): Promise<void>;
}

const discard = new Writable({ write: (_c, _e, cb) => cb() });

/**
 * The project's policies with the per-user limits and the filing byte ceiling of limits.yaml
 * lifted: a benchmark measures how fast a route serves one user or one address, which those
 * limits exist to stop (their cost, a Redis round trip, stays in the figures).
 */
function unlimitedPolicies(): string {
  const dir = mkdtempSync(join(tmpdir(), 'egide-bench-policies-'));
  cpSync(join(projectRoot(), 'policies'), dir, { recursive: true });
  const limits = parse(readFileSync(join(dir, 'limits.yaml'), 'utf8'));
  for (const name of Object.keys(limits.perUser)) limits.perUser[name] = { max: 1_000_000, windowSeconds: 1 };
  limits.filing.ceilingBytesPerHour = 1024 ** 4;
  writeFileSync(join(dir, 'limits.yaml'), stringify(limits));
  return dir;
}

/** `env` overrides the configuration (e.g. POLICIES_DIR) of the app in this process and of the children. */
export async function benchService(opts: { env?: Record<string, string> } = {}): Promise<BenchService> {
  const db = await createTestDatabase();
  const prefix = `egide-bench:${randomBytes(4).toString('hex')}`;
  const policies = opts.env?.POLICIES_DIR ? null : unlimitedPolicies();
  const config = loadConfig({ ...(await generateSecrets()), DATABASE_URL: db.url, REDIS_PREFIX: prefix, LOG_LEVEL: 'warn', LOGIN_RATE_LIMIT_PER_MINUTE: '10000', DATABASE_POOL_SIZE: '10', ...(policies ? { POLICIES_DIR: policies } : {}), ...opts.env });
  const clock = fixedClock(new Date());
  const apps: FastifyInstance[] = [];
  const children: ChildProcess[] = [];
  const env = { ...process.env, ...Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)])), EGIDE_ENV_FILE: 'none' };
  return {
    db,
    config,
    clock,
    async start(opts = {}) {
      const app = await buildServer({ config, clock, logStream: discard, ...(opts.auditReads !== undefined ? { auditReads: opts.auditReads } : {}) });
      await app.listen({ host: '127.0.0.1', port: 0 });
      apps.push(app);
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      return { app, url: `http://127.0.0.1:${port}` };
    },
    async spawn(opts = {}) {
      const child = spawn(process.execPath, [...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', opts.entry ?? fileURLToPath(new URL('./serve.ts', import.meta.url))], {
        env: { ...env, BENCH_AUDIT_READS: String(opts.auditReads !== false) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening (\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
      });
      return { url, pid: child.pid! };
    },
    async close() {
      await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : (c.once('exit', r), c.kill('SIGTERM'))))));
      // Let the last requests autocannon abandoned drain before the pools end.
      await new Promise((r) => setTimeout(r, 1000));
      for (const app of apps) await app.close();
      const r = new Redis(config.REDIS_URL);
      const keys = await r.keys(`${prefix}:*`);
      if (keys.length > 0) await r.del(...keys);
      r.disconnect();
      if (policies) rmSync(policies, { recursive: true, force: true });
      await db.drop();
    },
  };
}

/**
 * Runs `fn` on a connection as the owner role (what the migrations run as): for seeding that
 * needs an owner's rights (disabling a trigger, ANALYZE), which the app's application role lacks.
 */
export async function withOwner<T>(ownerUrl: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(ownerUrl, { max: 1, onnotice: () => undefined });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  requests: number;
}

/** One autocannon run against loopback; bounded in time and connections. */
export async function load(opts: {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** a fresh body for each request (e.g. a new case id), instead of `body` */
  nextBody?: () => string;
  /** an open-loop run at this many requests per second in all (default: closed loop, as fast as answered) */
  rate?: number;
  connections: number;
  seconds: number;
}): Promise<LoadResult> {
  const r = await autocannon({
    url: opts.url,
    method: opts.method ?? 'GET',
    connections: opts.connections,
    duration: opts.seconds,
    ...(opts.headers ? { headers: opts.headers } : {}),
    ...(opts.body ? { body: opts.body } : {}),
    ...(opts.rate ? { overallRate: opts.rate } : {}),
    ...(opts.nextBody ? { requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, body: opts.nextBody!() }) }] } : {}),
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, requests: r.requests.total };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
