import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { CaseReportInput, CaseReportService } from './case-report-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/case-report.js';

/** Incidents, check-ins and alerts of a case (workflow.md, "Cross-cutting"); the note is sealed on the client. */
const caseReportRoutes: FastifyPluginAsyncTypebox<{ reports: CaseReportService }> = async (fastify, { reports }) => {
  for (const [op, r] of [[api.reportIncident, api.REPORT_KINDS[0]], [api.checkIn, api.REPORT_KINDS[1]], [api.raiseAlert, api.REPORT_KINDS[2]]] as const) {
    fastify.route({
      ...routeOf(op),
      config: { action: r.action },
      handler: async (request, reply) => reply.code(201).send(await reports.record(ctxOf(request), request.params.caseId, r.kind, request.body as CaseReportInput)),
    });
  }

  fastify.route({
    ...routeOf(api.listCaseReports),
    config: { action: 'report.read' },
    handler: async (request) => {
      const { kind, beforeAt, beforeId, limit } = request.query;
      return { items: await reports.list(ctxOf(request), request.params.caseId, { limit: Number(limit ?? 50), ...(kind ? { kind } : {}), ...(beforeAt && beforeId ? { before: { at: beforeAt, id: beforeId } } : {}) }) };
    },
  });
};

export default caseReportRoutes;
