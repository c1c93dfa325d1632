import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import { parseRetentionCursor, type RetentionService } from './retention-service.js';
import { notACursor } from '../lib/cursor.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/retention.js';

/** The end of retention: what is due for purging, and the supervisor's confirmation of one purge. */
const retentionRoutes: FastifyPluginAsyncTypebox<{ retention: RetentionService }> = async (fastify, { retention }) => {
  fastify.route({
    ...routeOf(api.listRetentionDue),
    config: { action: 'retention.read' },
    handler: async (request) => {
      const { limit, after, held } = request.query;
      const cursor = after === undefined ? undefined : parseRetentionCursor(after);
      if (cursor === null) throw notACursor('/querystring/after');
      const page = { limit: Number(limit ?? 50), ...(cursor ? { after: cursor } : {}) };
      return held === 'true' ? retention.listHeld(ctxOf(request), page) : retention.listDue(ctxOf(request), page);
    },
  });

  fastify.route({
    ...routeOf(api.purgeCase),
    config: { action: 'case.purge' },
    handler: async (request) => retention.purge(ctxOf(request), request.params.caseId, request.body),
  });

  fastify.route({
    ...routeOf(api.holdRetention),
    config: { action: 'retention.hold' },
    handler: async (request) => retention.hold(ctxOf(request), request.params.caseId, request.body),
  });

  fastify.route({
    ...routeOf(api.releaseRetentionHold),
    config: { action: 'retention.hold' },
    handler: async (request) => retention.release(ctxOf(request), request.params.caseId, request.body),
  });
};

export default retentionRoutes;
