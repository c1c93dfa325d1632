import fp from 'fastify-plugin';
import { Type } from 'typebox';
import { problemDocument } from '../lib/problem.js';
import { problemResponse } from '../lib/schemas.js';
import type { HealthService } from '../health/health-service.js';

const Check = Type.Union([Type.Literal('up'), Type.Literal('down')]);
const Ready = Type.Object({ status: Type.Literal('ready') });
const NotReady = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String(),
  detail: Type.Optional(Type.String()),
  instance: Type.Optional(Type.String()),
  checks: Type.Object({ database: Check, redis: Check }),
});

/** Probes send no input, but the input guard still refuses unstorable text in a query string before any route. */
const BadQuery = problemResponse('a query string holding a NUL character or a lone surrogate (validation_failed)');

/**
 * /healthz says the process runs; /readyz says it can serve: PostgreSQL and Redis answer. While
 * either is down /readyz answers 503 with a problem document naming which, and turns ready again
 * by itself when they are back (connections are re-established lazily, no restart needed).
 * Readiness is anyone's to probe, so it says nothing else: operational warnings (how many people
 * hold the mechanism key, how many admins there are) go to the log when they change, and to
 * admins through GET /v1/admin/health.
 */
export default fp<{ health: Pick<HealthService, 'checks' | 'warnings'> }>(
  async function healthPlugin(fastify, { health }) {
    let lastWarnings = '';

    fastify.get('/healthz', { config: { action: 'health.read' }, schema: { operationId: 'getLiveness', security: [], tags: ['health'], summary: 'Liveness: the process answers', response: { 200: Type.Object({ status: Type.Literal('ok') }), 400: BadQuery } } }, async () => ({ status: 'ok' as const }));

    fastify.get('/readyz', { config: { action: 'health.read' }, schema: { operationId: 'getReadiness', security: [], tags: ['health'], summary: 'Readiness: PostgreSQL and Redis answer (503 while one is down); the detail is at GET /v1/admin/health', response: { 200: Ready, 400: BadQuery, 503: { description: 'PostgreSQL or Redis does not answer', content: { 'application/problem+json': { schema: NotReady } } } } } }, async (request, reply) => {
      const checks = await health.checks();
      if (checks.database === 'down' || checks.redis === 'down') {
        const down = [checks.database === 'down' ? 'PostgreSQL' : null, checks.redis === 'down' ? 'Redis' : null].filter(Boolean).join(' and ');
        request.log.warn(checks, 'not ready');
        return reply
          .code(503)
          .header('retry-after', '5')
          .type('application/problem+json; charset=utf-8')
          .send({ ...problemDocument('service_unavailable', `${down} unavailable`, request.id), checks });
      }
      // Probes call this every few seconds: log a warning when it appears or changes, not on every probe.
      const warnings = await health.warnings();
      const key = warnings.join('\n');
      if (key !== lastWarnings) {
        for (const w of warnings) request.log.warn(w);
        lastWarnings = key;
      }
      return { status: 'ready' as const };
    });
  },
  { name: 'health', dependencies: ['infra'] },
);
