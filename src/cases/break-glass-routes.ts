import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { BreakGlassService } from './break-glass-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/break-glass.js';

/** Break-glass: a supervisor outside a case opens its sealed content for a window, with a written reason. */
const breakGlassRoutes: FastifyPluginAsyncTypebox<{ breakGlass: BreakGlassService }> = async (fastify, { breakGlass }) => {
  fastify.route({
    ...routeOf(api.openBreakGlass),
    config: { action: 'case.break_glass' },
    handler: async (request, reply) => reply.code(201).send(await breakGlass.open(ctxOf(request), request.params.caseId, request.body)),
  });
};

export default breakGlassRoutes;
