import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/custody.js';
import type { CustodyService } from './custody-service.js';

export interface CustodyRoutesOptions {
  custody: CustodyService;
}

/** Custody of the mechanism key: holders, split backups recorded, restore with proof of possession. */
const custodyRoutes: FastifyPluginAsyncTypebox<CustodyRoutesOptions> = async (fastify, { custody }) => {
  fastify.route({
    ...routeOf(api.getCustody),
    config: { action: 'custody.read' },
    handler: async (request) => custody.overview(ctxOf(request)),
  });

  fastify.route({
    ...routeOf(api.recordCustodyBackup),
    config: { action: 'custody.backup.record' },
    handler: async (request, reply) => reply.code(201).send(await custody.recordBackup(ctxOf(request), request.body)),
  });

  fastify.route({
    ...routeOf(api.startCustodyRestore),
    config: { action: 'custody.restore' },
    handler: async (request) => custody.startRestore(ctxOf(request)),
  });

  fastify.route({
    ...routeOf(api.finishCustodyRestore),
    config: { action: 'custody.restore' },
    handler: async (request, reply) => reply.code(201).send(await custody.finishRestore(ctxOf(request), request.body)),
  });
};

export default custodyRoutes;
