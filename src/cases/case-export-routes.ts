import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { CaseExportService } from './case-export-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/case-export.js';

/** A case's dossier printed or exported: on record (audited) before the client prints it. */
const caseExportRoutes: FastifyPluginAsyncTypebox<{ exports: CaseExportService }> = async (fastify, { exports }) => {
  fastify.route({
    ...routeOf(api.recordCaseExport),
    config: { action: 'case.export' },
    handler: async (request, reply) => reply.code(201).send(await exports.record(ctxOf(request), request.params.caseId, request.body)),
  });
};

export default caseExportRoutes;
