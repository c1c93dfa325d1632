import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { responses } from '../lib/schemas.js';
import { ctxOf } from '../plugins/context.js';
import type { HealthService } from './health-service.js';

const Check = Type.Union([Type.Literal('up'), Type.Literal('down')]);
const Count = Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'null while PostgreSQL does not answer' });

/** The service's health with its detail, for admins only (readiness stays a bare 200/503). */
const adminHealthRoutes: FastifyPluginAsyncTypebox<{ health: Pick<HealthService, 'report'> }> = async (fastify, { health }) => {
  fastify.get('/v1/admin/health', {
    config: { action: 'admin.health' },
    schema: {
      operationId: 'getAdminHealth',
      tags: ['health'],
      summary: 'Service health for admins: dependencies, holders of the mechanism key, active admins, and what to fix',
      security: [{ bearer: [] }],
      response: responses(
        {
          200: Type.Object({
            status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
            checks: Type.Object({ database: Check, redis: Check }),
            mechanismKeyHolders: Count,
            activeAdmins: Count,
            warnings: Type.Array(Type.String({ maxLength: 500 }), { maxItems: 20 }),
          }),
        },
        [401, 403],
      ),
    },
    handler: async (request) => health.report(ctxOf(request)),
  });
};

export default adminHealthRoutes;
