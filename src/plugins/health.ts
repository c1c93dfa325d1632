import fp from 'fastify-plugin';
import { Type } from 'typebox';
import { problemDocument } from '../lib/problem.js';
import { problemResponse } from '../lib/schemas.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Extra readiness warnings (e.g. too few holders of the mechanism key). */
    readinessWarnings: Array<() => Promise<string | null>>;
  }
}

const Check = Type.Union([Type.Literal('up'), Type.Literal('down')]);
const Ready = Type.Object({
  status: Type.Literal('ready'),
  checks: Type.Object({ database: Check, redis: Check }),
  warnings: Type.Array(Type.String({ maxLength: 500 }), { maxItems: 20 }),
});
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

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}

/**
 * /healthz says the process runs; /readyz says it can serve: PostgreSQL and Redis answer. While
 * either is down /readyz answers 503 with a problem document naming which, and turns ready again
 * by itself when they are back (connections are re-established lazily, no restart needed).
 */
export default fp(
  async function healthPlugin(fastify) {
    fastify.decorate('readinessWarnings', []);
    let lastWarnings = '';

    fastify.get('/healthz', { config: { action: 'health.read' }, schema: { operationId: 'getLiveness', security: [], tags: ['health'], summary: 'Liveness: the process answers', response: { 200: Type.Object({ status: Type.Literal('ok') }), 400: BadQuery } } }, async () => ({ status: 'ok' as const }));

    fastify.get('/readyz', { config: { action: 'health.read' }, schema: { operationId: 'getReadiness', security: [], tags: ['health'], summary: 'Readiness: PostgreSQL and Redis answer (503 while one is down), with operational warnings', response: { 200: Ready, 400: BadQuery, 503: { description: 'PostgreSQL or Redis does not answer', content: { 'application/problem+json': { schema: NotReady } } } } } }, async (request, reply) => {
      const [database, redis] = await Promise.all([
        withTimeout(fastify.database.sql`select 1`, 2000).then(() => 'up' as const, () => 'down' as const),
        withTimeout(fastify.redis.ping(), 2000).then(() => 'up' as const, () => 'down' as const),
      ]);
      if (database === 'down' || redis === 'down') {
        const down = [database === 'down' ? 'PostgreSQL' : null, redis === 'down' ? 'Redis' : null].filter(Boolean).join(' and ');
        request.log.warn({ database, redis }, 'not ready');
        return reply
          .code(503)
          .header('retry-after', '5')
          .type('application/problem+json; charset=utf-8')
          .send({ ...problemDocument('service_unavailable', `${down} unavailable`, request.id), checks: { database, redis } });
      }
      const warnings = (await Promise.all(fastify.readinessWarnings.map((w) => w().catch(() => null)))).filter((w): w is string => w !== null);
      // Probes call this every few seconds: log a warning when it appears or changes, not on every probe.
      const key = warnings.join('\n');
      if (key !== lastWarnings) {
        for (const w of warnings) request.log.warn(w);
        lastWarnings = key;
      }
      return { status: 'ready' as const, checks: { database, redis }, warnings };
    });
  },
  { name: 'health', dependencies: ['infra'] },
);
