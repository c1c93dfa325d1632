import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { AppealService } from './appeal-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/appeal.js';

/** Appeals (Mexico's law arts. 57-58): the defender files, a supervisor other than the decider rules. */
const appealRoutes: FastifyPluginAsyncTypebox<{ appeals: AppealService }> = async (fastify, { appeals }) => {
  fastify.route({
    ...routeOf(api.fileAppeal),
    config: { action: 'appeal.file' },
    handler: async (request, reply) => reply.code(201).send(await appeals.file(ctxOf(request), request.params.caseId, request.body)),
  });

  fastify.route({
    ...routeOf(api.decideAppeal),
    config: { action: 'appeal.decide' },
    handler: async (request) => appeals.decide(ctxOf(request), request.params.appealId, request.body),
  });

  fastify.route({
    ...routeOf(api.listCaseAppeals),
    config: { action: 'appeal.read' },
    handler: async (request) => ({ items: await appeals.list(ctxOf(request), request.params.caseId) }),
  });
};

export default appealRoutes;
