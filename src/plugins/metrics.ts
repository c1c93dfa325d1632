import fp from 'fastify-plugin';
import { Type } from 'typebox';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

/** Prometheus metrics at /metrics; a registry per app instance so tests can build many apps. */
export default fp(
  async function metricsPlugin(fastify) {
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
    fastify.decorate('metrics', registry);

    fastify.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
    fastify.addHook('onSend', async (_request, reply, payload) => {
      if (reply.statusCode >= 400 && typeof payload === 'string' && payload.startsWith('{"type":"urn:egide:problem:')) {
        problems.inc({ code: payload.slice(27, payload.indexOf('"', 27)) });
      }
      return payload;
    });

    fastify.get(
      '/metrics',
      {
        config: { action: 'health.read' },
        // Prometheus text; counters and timings only, never a case id or anything from a request.
        schema: { tags: ['health'], summary: 'Prometheus metrics (request counts and timings, problem codes, queue health)', response: { 200: Type.String({ description: 'Prometheus text exposition format' }) } },
      },
      async (_request, reply) => {
        return reply.type(registry.contentType).send(await registry.metrics());
      },
    );
  },
  { name: 'metrics' },
);
