import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { MessageService } from './message-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/message.js';

/** Messages on a case: sealed by the sender's client, with AD egide/v1/message/<id>/<sender>/body. */
const messageRoutes: FastifyPluginAsyncTypebox<{ messages: MessageService }> = async (fastify, { messages }) => {
  fastify.route({
    ...routeOf(api.sendMessage),
    config: { action: 'message.create' },
    handler: async (request, reply) => reply.code(201).send(await messages.send(ctxOf(request), request.params.caseId, request.body)),
  });

  fastify.route({
    ...routeOf(api.listCaseMessages),
    config: { action: 'message.read' },
    handler: async (request) => {
      const { afterAt, afterId, limit } = request.query;
      return messages.list(ctxOf(request), request.params.caseId, { limit: Number(limit ?? 50), ...(afterAt && afterId ? { after: { at: afterAt, id: afterId } } : {}) });
    },
  });

  fastify.route({
    ...routeOf(api.markMessagesRead),
    config: { action: 'message.mark_read' },
    handler: async (request) => messages.markRead(ctxOf(request), request.params.caseId, request.body),
  });
};

export default messageRoutes;
