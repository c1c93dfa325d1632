import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { CaseActionsService } from './case-actions-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/case-actions.js';

/** What the caller may do on a case now (GET /v1/cases/:caseId/actions), for the console's buttons. */
const caseActionsRoutes: FastifyPluginAsyncTypebox<{ caseActions: CaseActionsService }> = async (fastify, { caseActions }) => {
  fastify.route({
    ...routeOf(api.getCaseActions),
    config: { action: 'case.read' },
    handler: async (request) => caseActions.list(ctxOf(request), request.params.caseId),
  });
};

export default caseActionsRoutes;
