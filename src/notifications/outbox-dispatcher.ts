import type { Tx } from '../db/client.js';
import type { OutboxRow } from '../outbox/outbox.js';
import type { TopicPattern, TopicsMatching } from '../outbox/topics.js';
import type { NotificationService } from './notification-service.js';

/**
 * The outbox topics that are notifications, as the relay registers them (exact topics, or
 * families ending in `.*`). `deadline.opened` is not one: it schedules ladder jobs (escalation).
 * A topic a service adds outside these families stays in the outbox, undispatched, and the relay
 * warns about it until it is added here: a notification is never dropped silently.
 */
export const NOTIFICATION_TOPICS = ['account.*', 'message.*', 'file.added', 'alert.*', 'incident.*', 'checkin.*', 'measure.*', 'referral.*', 'appeal.*', 'case.*', 'deadline.step', 'oncall.*', 'webhook.test'] as const satisfies readonly TopicPattern[];

/** The topics the notifications deliver. */
export type NotificationTopic = TopicsMatching<(typeof NOTIFICATION_TOPICS)[number]>;

/**
 * The notifications' outbox handler, registered with the single outbox relay for every topic of
 * NOTIFICATION_TOPICS: in the relay's claiming transaction each row becomes inbox rows and webhook
 * deliveries (safe to run twice: unique per outbox row and recipient or endpoint); after commit
 * the deliveries are queued (a lost queueing is caught by the delivery sweep, `due()` of src/notifications/webhook-delivery.ts).
 */
export function notificationOutboxHandler(deps: { notifications: Pick<NotificationService, 'deliver'>; queueDeliveries: (ids: string[]) => Promise<void> }) {
  return async (rows: Array<OutboxRow<NotificationTopic>>, tx: Tx): Promise<() => Promise<void>> => {
    const deliveries: string[] = [];
    for (const r of rows) deliveries.push(...(await deps.notifications.deliver(r, tx)).deliveries);
    return () => deps.queueDeliveries(deliveries);
  };
}

