import { defineModule, route } from '../module.js';
import { NOTIFICATION_TOPICS } from './outbox-dispatcher.js';
import type { WebhookDelivery } from '../../workers/notification-delivery.js';

/**
 * The inbox and the partners' webhooks; in the workers, every notification topic of the outbox
 * (inbox rows and webhook deliveries) and the `webhooks` queue that POSTs them.
 */
export default defineModule<WebhookDelivery>({
  name: 'notifications',
  permissions: ['notification.read', 'notification.mark', 'case.notices', 'webhook.manage', 'webhook.deliveries', 'webhook.test', 'webhook.redeliver'],
  routes: [route(() => import('./notification-routes.js'), (c) => ({ notifications: c.services.notifications })), route(() => import('./webhook-routes.js'), (c) => ({ webhooks: c.services.webhooks }))],
  worker: {
    async start({ container, connection, producer, log, watch }) {
      const { startWebhookDelivery } = await import('../../workers/notification-delivery.js');
      const delivery = await startWebhookDelivery({ container, connection, producer, log });
      watch(delivery.worker);
      return delivery;
    },
    outbox: Object.fromEntries(NOTIFICATION_TOPICS.map((topic) => [topic, (delivery: WebhookDelivery) => delivery.outboxHandler])),
  },
});
