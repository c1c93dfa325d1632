import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { NotificationService, OutboxEvent } from './notification-service.js';

/**
 * Topics this dispatcher leaves to the escalation relay: `deadline.opened` schedules ladder jobs,
 * it notifies nobody. Every other outbox topic is a notification.
 */
export const NOT_NOTIFICATIONS = ['deadline.opened'] as const;

/**
 * Claims a batch of undispatched notification rows of the outbox (`for update skip locked`, so
 * several workers share the work), turns each into inbox rows and webhook deliveries, and marks
 * it dispatched, all in one transaction: a crash before commit leaves the rows for the next run.
 * Returns the webhook deliveries to queue (after commit).
 */
export async function dispatchNotificationBatch(deps: { db: Db; notifications: Pick<NotificationService, 'deliver'> }, limit = 100): Promise<{ events: number; deliveries: string[] }> {
  return deps.db.transaction(async (tx) => {
    const rows = await tx.execute<{ id: string | number; topic: string; payload: Record<string, unknown>; created_at: string | Date }>(sql`
      select id, topic, payload, created_at from outbox
      where dispatched_at is null and topic <> all(${sql.raw(`array[${NOT_NOTIFICATIONS.map((t) => `'${t}'`).join(',')}]`)})
      order by id limit ${limit}
      for update skip locked`);
    const deliveries: string[] = [];
    for (const r of rows) {
      const event: OutboxEvent = { id: Number(r.id), topic: r.topic, payload: r.payload ?? {}, createdAt: new Date(r.created_at) };
      const out = await deps.notifications.deliver(event, tx);
      deliveries.push(...out.deliveries);
    }
    if (rows.length > 0) {
      const ids = rows.map((r) => Number(r.id));
      await tx.execute(sql`update outbox set dispatched_at = now() where id = any(${sql.raw(`array[${ids.join(',')}]::bigint[]`)})`);
    }
    return { events: rows.length, deliveries };
  });
}
