import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/custody.js';
import type { CustodyService } from './custody-service.js';
import type { CustodyRewrapService } from './custody-rewrap-service.js';

export interface CustodyRoutesOptions {
  custody: CustodyService;
  rewrap: CustodyRewrapService;
}

/** Custody of the mechanism key: holders, split backups recorded, restore with proof of possession, cases moved onto the current key. */
const custodyRoutes: FastifyPluginAsyncTypebox<CustodyRoutesOptions> = async (fastify, { custody, rewrap }) => {
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

  fastify.route({
    ...routeOf(api.getCustodyRewrap),
    config: { action: 'custody.rewrap' },
    handler: async (request) => rewrap.remaining(ctxOf(request), Number(request.query.limit ?? 20)),
  });

  fastify.route({
    ...routeOf(api.rewrapCustodyCase),
    config: { action: 'custody.rewrap' },
    handler: async (request) => rewrap.rewrap(ctxOf(request), request.params.caseId, request.body),
  });
};

export default custodyRoutes;
