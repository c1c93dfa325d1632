import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { ApprovalService } from './approval-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/approval.js';

/** What awaits a supervisor's decision, across cases. */
const approvalRoutes: FastifyPluginAsyncTypebox<{ approvals: ApprovalService }> = async (fastify, { approvals }) => {
  fastify.route({
    ...routeOf(api.listApprovals),
    config: { action: 'approvals.read' },
    handler: async (request) => approvals.list(ctxOf(request)),
  });
};

export default approvalRoutes;
