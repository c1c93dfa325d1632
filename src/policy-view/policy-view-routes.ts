import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/policy-view.js';
import type { PolicyViewService } from './policy-view-service.js';

/** The loaded policies, read-only. */
const policyViewRoutes: FastifyPluginAsyncTypebox<{ policyView: PolicyViewService }> = async (fastify, { policyView }) => {
  fastify.route({
    ...routeOf(api.getPolicies),
    config: { action: 'policy.read' },
    handler: async (request) => policyView.read(ctxOf(request)),
  });
};

export default policyViewRoutes;
