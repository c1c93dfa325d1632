import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { CaseWorkflowService } from './case-workflow-service.js';
import type { WorkflowPolicy } from './workflow-policy.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/case-workflow.js';

/**
 * One route per transition of policies/workflow.yaml (POST /v1/cases/:caseId/<transition>), each
 * declaring the transition's own action, so the access matrix and the OpenAPI document follow
 * the policy.
 */
const caseWorkflowRoutes: FastifyPluginAsyncTypebox<{ workflow: WorkflowPolicy; service: CaseWorkflowService }> = async (fastify, { workflow, service }) => {
  for (const rule of workflow.transitions.values()) {
    fastify.route({
      ...api.transitionOperation(rule, workflow),
      config: { action: rule.action },
      handler: async (request) => service.transition(ctxOf(request), request.params.caseId, rule.name, request.body as api.TransitionBody),
    });
  }

  fastify.route({
    ...routeOf(api.setCaseUrgency),
    config: { action: 'case.urgency' },
    handler: async (request) => service.setUrgency(ctxOf(request), request.params.caseId, request.body.urgent, request.body.reason),
  });

  fastify.route({
    ...routeOf(api.setCaseVerification),
    config: { action: 'case.verify' },
    handler: async (request) => service.setVerification(ctxOf(request), request.params.caseId, request.body.status, request.body.reason),
  });
};

export default caseWorkflowRoutes;
