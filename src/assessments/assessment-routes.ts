import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { AssessmentService } from './assessment-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/assessment.js';

/** Risk assessment versions of a case (workflow.md, "Risk assessment"); never edited, so no update route. */
const assessmentRoutes: FastifyPluginAsyncTypebox<{ assessments: AssessmentService }> = async (fastify, { assessments }) => {
  fastify.route({
    ...routeOf(api.recordAssessment),
    config: { action: 'assessment.create' },
    handler: async (request, reply) => reply.code(201).send(await assessments.create(ctxOf(request), request.params.caseId, request.body)),
  });

  fastify.route({
    ...routeOf(api.listCaseAssessments),
    config: { action: 'assessment.read' },
    handler: async (request) => assessments.list(ctxOf(request), request.params.caseId),
  });
};

export default assessmentRoutes;
