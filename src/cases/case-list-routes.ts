import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { CaseListFilters, CaseListPage, CaseListService } from './case-list-service.js';
import type { CaseState, RiskLevel } from '../contracts/shared.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/case-list.js';

/** The case lists of staff (GET /v1/cases): filters, urgent first then by next due time, keyset pages. */
const caseListRoutes: FastifyPluginAsyncTypebox<{ caseList: CaseListService }> = async (fastify, { caseList }) => {
  fastify.route({
    ...routeOf(api.listCases),
    config: { action: 'case.list', limit: 'caseList' },
    handler: async (request) => {
      const q = request.query;
      const filters: CaseListFilters = {};
      if (q.state !== undefined) filters.state = [...new Set(q.state.split(','))] as CaseState[];
      if (q.riskLevel !== undefined) filters.riskLevel = q.riskLevel as RiskLevel;
      if (q.urgent !== undefined) filters.urgent = q.urgent === 'true';
      if (q.region !== undefined) filters.region = q.region;
      if (q.category !== undefined) filters.category = q.category;
      if (q.dueWithin !== undefined) filters.dueWithin = Number(q.dueWithin);
      if (q.assignee !== undefined) filters.assignee = q.assignee.toLowerCase();
      if (q.overdue !== undefined) filters.overdue = q.overdue === 'true';
      const page: CaseListPage = {};
      if (q.limit !== undefined) page.limit = Number(q.limit);
      if (q.cursor !== undefined) page.cursor = q.cursor;
      if (q.sort !== undefined) page.sort = q.sort;
      return caseList.list(ctxOf(request), filters, page);
    },
  });

  fastify.route({
    ...routeOf(api.countCases),
    config: { action: 'case.list', limit: 'caseList' },
    handler: async (request) => caseList.counts(ctxOf(request)),
  });
};

export default caseListRoutes;
