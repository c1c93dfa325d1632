import fp from 'fastify-plugin';
import { timingSafeEqual } from 'node:crypto';
import { Type } from 'typebox';
import { AppError } from '../lib/problem.js';
import { problemResponse } from '../lib/schemas.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { queueNames } from '../queues/registry.js';
import { WATCHED_JOB_STATES, type QueueReaders } from '../queues/queue-readers.js';
import type { ReadReplica } from '../db/read-replica.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

export interface MetricsOptions {
  /** With them, the queues of the registry are counted at each scrape (the composition root's handles). */
  queues?: Pick<QueueReaders, 'counts'>;
  /** what the scraper must present as a bearer token; empty or absent: /metrics answers 404 */
  token?: string;
  /** How long a scrape waits for Redis before reporting the queues down (default 1 s). */
  queueTimeoutMs?: number;
  /** The statistics' and audit exports' replica: its state is exported when one is configured. */
  readReplica?: Pick<ReadReplica, 'fallbacks' | 'replicaDown'>;
}

/** Prometheus metrics at /metrics; a registry per app instance so tests can build many apps. */
export default fp<MetricsOptions>(
  async function metricsPlugin(fastify, opts) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'egide_' });
    const duration = new Histogram({
      name: 'egide_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    const problems = new Counter({ name: 'egide_http_problems_total', help: 'Problem responses by code', labelNames: ['code'] as const, registers: [registry] });
    // Refusals a service decided are in the audit chain; these are the ones no service saw.
    const refusedBeforeService = new Counter({
      name: 'egide_http_refused_before_service_total',
      help: 'Requests refused before any service ran (schema, token, rate limit, unknown route), by problem code: counted and logged, never written to the audit chain',
      labelNames: ['code'] as const,
      registers: [registry],
    });
    fastify.decorate('metrics', registry);

    const replica = opts.readReplica;
    if (replica && replica.replicaDown() !== null) {
      new Gauge({
        name: 'egide_db_replica_up',
        help: '1 while the database replica (DATABASE_REPLICA_URL) answers, 0 while the statistics and audit exports read the primary instead',
        registers: [registry],
        collect() {
          this.set(replica.replicaDown() ? 0 : 1);
        },
      });
      new Counter({
        name: 'egide_db_replica_fallback_reads_total',
        help: 'Statistics and audit export reads the primary answered because the replica failed or lagged behind an export',
        registers: [registry],
        collect() {
          this.reset();
          this.inc(replica.fallbacks());
        },
      });
    }

    let refreshQueues = async (): Promise<void> => undefined;
    if (opts.queues) {
      // Queue health, read at scrape time through the API's own Redis connection (fail-fast: no
      // offline queue), so the numbers are never stale.
      const queues = opts.queues;
      const timeoutMs = opts.queueTimeoutMs ?? 1000;
      const up = new Gauge({ name: 'egide_queue_up', help: '1 when the queue counts could be read from Redis at this scrape, 0 otherwise', labelNames: ['queue'] as const, registers: [registry] });
      const jobs = new Gauge({
        name: 'egide_queue_jobs',
        help: 'Jobs per queue and state (waiting, delayed, active, failed), read at scrape time; absent while Redis does not answer',
        labelNames: ['queue', 'state'] as const,
        registers: [registry],
      });
      refreshQueues = async () => {
        const read = await Promise.all(queueNames.map(async (name) => ({ name, counts: await queues.counts(name, timeoutMs).catch(() => null) })));
        jobs.reset();
        up.reset();
        for (const { name, counts } of read) {
          up.set({ queue: name }, counts ? 1 : 0);
          if (counts) for (const state of WATCHED_JOB_STATES) jobs.set({ queue: name, state }, counts[state]);
        }
      };
    }

    fastify.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
    fastify.addHook('onSend', async (request, reply, payload) => {
      if (reply.statusCode >= 400 && typeof payload === 'string' && payload.startsWith('{"type":"urn:egide:problem:')) {
        const code = payload.slice(27, payload.indexOf('"', 27));
        problems.inc({ code });
        if (reply.statusCode < 500 && !request.serviceContext) refusedBeforeService.inc({ code });
      }
      return payload;
    });

    const token = opts.token ?? '';
    const expected = Buffer.from(`Bearer ${token}`);
    fastify.get(
      '/metrics',
      {
        config: { action: 'health.read' },
        // Prometheus text; counters and timings only, never a case id or anything from a request.
        // Public in the access policy (no user session), but guarded by its own bearer token.
        schema: {
          operationId: 'getMetrics',
          tags: ['health'],
          summary: 'Prometheus metrics (request counts and timings, problem codes, queue health, deadline, outbox, audit and disk figures), for a scraper presenting METRICS_TOKEN',
          security: [{ metricsToken: [] }],
          response: {
            200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: Type.String() } } },
            401: problemResponse('the METRICS_TOKEN bearer token is missing or wrong (unauthenticated)'),
            404: problemResponse('metrics are off: METRICS_TOKEN is not set (route_not_found)'),
          },
        },
      },
      async (request, reply) => {
        if (!token) throw new AppError('route_not_found', 'metrics are off: set METRICS_TOKEN');
        const sent = Buffer.from(String(request.headers.authorization ?? ''));
        if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) throw new AppError('unauthenticated', 'the scraper presents METRICS_TOKEN: Authorization: Bearer <token>');
        await refreshQueues();
        return reply.type(registry.contentType).send(await registry.metrics());
      },
    );
  },
  { name: 'metrics' },
);
