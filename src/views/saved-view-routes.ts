import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { SavedViewService } from './saved-view-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/saved-view.js';

/** Each staff member's saved views of the case list (GET/POST /v1/me/views, DELETE /v1/me/views/:id). */
const savedViewRoutes: FastifyPluginAsyncTypebox<{ views: SavedViewService }> = async (fastify, { views }) => {
  fastify.route({
    ...routeOf(api.listSavedViews),
    config: { action: 'view.list' },
    handler: async (request) => views.list(ctxOf(request)),
  });

  fastify.route({
    ...routeOf(api.createSavedView),
    config: { action: 'view.create' },
    handler: async (request, reply) => reply.code(201).send(await views.create(ctxOf(request), request.body)),
  });

  fastify.route({
    ...routeOf(api.deleteSavedView),
    config: { action: 'view.delete' },
    handler: async (request, reply) => {
      await views.remove(ctxOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  });
};

export default savedViewRoutes;
