import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { WebhookService } from './webhook-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/webhook.js';

/** A partner organisation's webhook endpoints (admin). */
const webhookRoutes: FastifyPluginAsyncTypebox<{ webhooks: WebhookService }> = async (fastify, { webhooks }) => {
  fastify.route({
    ...routeOf(api.createWebhook),
    config: { action: 'webhook.manage' },
    handler: async (request, reply) => reply.code(201).send(await webhooks.register(ctxOf(request), request.params.orgId, request.body)),
  });

  fastify.route({
    ...routeOf(api.listWebhooks),
    config: { action: 'webhook.manage' },
    handler: async (request) => ({ items: await webhooks.list(ctxOf(request), request.params.orgId) }),
  });

  fastify.route({
    ...routeOf(api.disableWebhook),
    config: { action: 'webhook.manage' },
    handler: async (request) => webhooks.disable(ctxOf(request), request.params.orgId, request.params.id),
  });

  fastify.route({
    ...routeOf(api.listWebhookDeliveries),
    config: { action: 'webhook.deliveries' },
    handler: async (request) => {
      const { before, limit } = request.query;
      const cursor = before ? { at: new Date(before.slice(0, 24)), id: before.slice(25) } : undefined;
      return webhooks.deliveries(ctxOf(request), request.params.orgId, request.params.id, { limit: Number(limit ?? 50), ...(cursor ? { before: cursor } : {}) });
    },
  });

  fastify.route({
    ...routeOf(api.pingWebhook),
    config: { action: 'webhook.test' },
    handler: async (request, reply) => reply.code(202).send(await webhooks.test(ctxOf(request), request.params.orgId, request.params.id)),
  });

  fastify.route({
    ...routeOf(api.redeliverWebhookDelivery),
    config: { action: 'webhook.redeliver' },
    handler: async (request) => webhooks.redeliver(ctxOf(request), request.params.orgId, request.params.id, request.params.deliveryId),
  });
};

export default webhookRoutes;
