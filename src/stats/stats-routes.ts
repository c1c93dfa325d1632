import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/statistics.js';
import type { StatsService } from './stats-service.js';

const csvFile = (name: string) => ({ 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}.csv"` });

/** The statistics: tables, response times, workload, service figures, the annual report and its publication. Authorised and audited in the service. */
const statsRoutes: FastifyPluginAsyncTypebox<{ stats: StatsService }> = async (fastify, { stats }) => {
  fastify.route({ ...routeOf(api.getStatsCatalogue), config: { action: 'stats.service' }, handler: async (request) => stats.catalogue(ctxOf(request)) });
  fastify.route({ ...routeOf(api.getStatsTable), config: { action: 'stats.read' }, handler: async (request) => stats.table(ctxOf(request), request.query) });
  fastify.route({
    ...routeOf(api.exportStatsTable),
    config: { action: 'stats.read' },
    handler: async (request, reply) => reply.headers(csvFile(`egide-${request.query.series}${request.query.by ? `-${request.query.by}` : ''}-${request.query.from}-${request.query.to}`)).send(await stats.tableCsv(ctxOf(request), request.query, request.query.lang)),
  });
  fastify.route({ ...routeOf(api.getStatsResponseTimes), config: { action: 'stats.read' }, handler: async (request) => stats.responseTimes(ctxOf(request), request.query) });
  fastify.route({ ...routeOf(api.getServiceStats), config: { action: 'stats.service' }, handler: async (request) => stats.service(ctxOf(request), request.query) });
  fastify.route({ ...routeOf(api.getStatsWorkload), config: { action: 'stats.read' }, handler: async (request) => stats.workload(ctxOf(request), request.query) });
  fastify.route({ ...routeOf(api.getStatsReport), config: { action: 'stats.read' }, handler: async (request) => stats.report(ctxOf(request), Number(request.params.year), request.query.variant) });
  fastify.route({
    ...routeOf(api.getStatsReportTable),
    config: { action: 'stats.read' },
    handler: async (request) => stats.reportTable(ctxOf(request), Number(request.params.year), request.params.tableId, request.query.variant),
  });
  fastify.route({
    ...routeOf(api.exportStatsReportTable),
    config: { action: 'stats.read' },
    handler: async (request, reply) => {
      const { year, tableId } = request.params;
      const variant = request.query.variant ?? 'published';
      return reply.headers(csvFile(`egide-${year}-${tableId}-${variant}`)).send(await stats.reportTableCsv(ctxOf(request), Number(year), tableId, variant, request.query.lang));
    },
  });
  fastify.route({
    ...routeOf(api.publishStatsReport),
    config: { action: 'stats.publish' },
    handler: async (request, reply) => reply.code(201).send(await stats.publish(ctxOf(request), Number(request.params.year))),
  });
  fastify.route({ ...routeOf(api.getStatsPublication), config: { action: 'stats.read' }, handler: async (request) => stats.publication(ctxOf(request), Number(request.params.year)) });
};

export default statsRoutes;
