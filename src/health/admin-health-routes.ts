import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { HealthService } from './health-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/admin-health.js';

/** The service's health with its detail, for admins only (readiness stays a bare 200/503). */
const adminHealthRoutes: FastifyPluginAsyncTypebox<{ health: Pick<HealthService, 'report'> }> = async (fastify, { health }) => {
  fastify.route({
    ...routeOf(api.getAdminHealth),
    config: { action: 'admin.health' },
    handler: async (request) => health.report(ctxOf(request)),
  });
};

export default adminHealthRoutes;
