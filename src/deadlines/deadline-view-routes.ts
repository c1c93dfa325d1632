import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import { type DeadlineListFilters, type DeadlineViewService } from './deadline-view-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/deadline-view.js';

/** Deadline visibility: the staff list across cases (keyset by due time) and one case's deadlines. */
const deadlineViewRoutes: FastifyPluginAsyncTypebox<{ deadlineViews: DeadlineViewService }> = async (fastify, { deadlineViews }) => {
  fastify.route({
    ...routeOf(api.listDeadlines),
    config: { action: 'deadline.list' },
    handler: async (request) => {
      const q = request.query;
      const filters: DeadlineListFilters = {};
      if (q.state !== undefined) filters.state = q.state as 'open' | 'paused';
      if (q.overdue !== undefined) filters.overdue = q.overdue === 'true';
      if (q.rule !== undefined) filters.rule = q.rule;
      return deadlineViews.list(ctxOf(request), filters, { ...(q.limit !== undefined ? { limit: Number(q.limit) } : {}), ...(q.after !== undefined ? { after: q.after } : {}) });
    },
  });

  fastify.route({
    ...routeOf(api.listCaseDeadlines),
    config: { action: 'deadline.list' },
    handler: async (request) => deadlineViews.ofCase(ctxOf(request), request.params.caseId),
  });
};

export default deadlineViewRoutes;
