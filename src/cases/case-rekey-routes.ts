import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { CaseRekeyService } from './case-rekey-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/case-rekey.js';

/**
 * Revoking a reader of a case is a re-key, always (there is no route that only deletes an
 * envelope): the client fetches the bundle, re-seals everything under a new DEK (SDK
 * `prepareRekey`) and posts it back.
 */
const caseRekeyRoutes: FastifyPluginAsyncTypebox<{ rekey: CaseRekeyService }> = async (fastify, { rekey }) => {
  fastify.route({
    ...routeOf(api.getCaseRekeyBundle),
    config: { action: 'case.rekey' },
    handler: async (request) => rekey.bundle(ctxOf(request), request.params.caseId),
  });

  fastify.route({
    ...routeOf(api.rekeyCase),
    config: { action: 'case.rekey' },
    bodyLimit: Math.max(fastify.config.BODY_LIMIT, api.REKEY_BODY_LIMIT),
    handler: async (request) => rekey.rekey(ctxOf(request), request.params.caseId, request.body),
  });
};

export default caseRekeyRoutes;
