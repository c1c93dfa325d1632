import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { CaseTimelineService } from './case-timeline-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/case-timeline.js';

/** The case's history (staff only), oldest first. */
const caseTimelineRoutes: FastifyPluginAsyncTypebox<{ timeline: CaseTimelineService }> = async (fastify, { timeline }) => {
  fastify.route({
    ...routeOf(api.getCaseTimeline),
    config: { action: 'case.timeline' },
    handler: async (request) => {
      const { afterId, limit } = request.query;
      return timeline.list(ctxOf(request), request.params.caseId, { limit: Number(limit ?? 50), ...(afterId ? { afterId: Number(afterId) } : {}) });
    },
  });
};

export default caseTimelineRoutes;
