import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { NotificationService } from './notification-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/notification.js';

/** The caller's own inbox, and the defender's notices on their case. */
const notificationRoutes: FastifyPluginAsyncTypebox<{ notifications: NotificationService }> = async (fastify, { notifications }) => {
  fastify.route({
    ...routeOf(api.listNotifications),
    config: { action: 'notification.read' },
    handler: async (request) => {
      const { unread, limit, afterAt, afterId } = request.query;
      return { items: await notifications.list(ctxOf(request), { unread: unread === 'true', limit: Number(limit ?? 50), ...(afterAt && afterId ? { after: { at: afterAt, id: afterId } } : {}) }) };
    },
  });

  fastify.route({
    ...routeOf(api.markNotificationRead),
    config: { action: 'notification.mark' },
    handler: async (request) => notifications.markRead(ctxOf(request), request.params.id),
  });

  fastify.route({
    ...routeOf(api.markAllNotificationsRead),
    config: { action: 'notification.mark' },
    handler: async (request) => notifications.markAllRead(ctxOf(request)),
  });

  fastify.route({
    ...routeOf(api.listCaseNotices),
    config: { action: 'case.notices' },
    handler: async (request) => ({ items: await notifications.notices(ctxOf(request), request.params.caseId, Number(request.query.limit ?? 50)) }),
  });
};

export default notificationRoutes;
