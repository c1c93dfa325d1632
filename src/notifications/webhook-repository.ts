import { and, asc, desc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { webhookDeliveries, webhookEndpoints } from '../db/schema/index.js';

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookRepository = ReturnType<typeof createWebhookRepository>;

/** Partner organisations' webhook endpoints, and the deliveries written for them. */
export function createWebhookRepository(db: Queryable) {
  return {
    async insert(row: typeof webhookEndpoints.$inferInsert, tx: Queryable = db): Promise<WebhookEndpointRow> {
      const [out] = await tx.insert(webhookEndpoints).values(row).returning();
      return out!;
    },

    /** An organisation's endpoints, oldest first. */
    async ofOrg(orgId: string, tx: Queryable = db): Promise<WebhookEndpointRow[]> {
      return tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.orgId, orgId)).orderBy(asc(webhookEndpoints.createdAt));
    },

    /** Disables one endpoint of an organisation; null when it has no such endpoint. */
    async disable(orgId: string, id: string, at: Date, tx: Queryable = db): Promise<WebhookEndpointRow | null> {
      const [row] = await tx.update(webhookEndpoints).set({ disabledAt: at }).where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.orgId, orgId))).returning();
      return row ?? null;
    },

    /** The endpoints not disabled of these organisations. */
    async activeOf(orgIds: string[], tx: Queryable = db): Promise<Array<{ id: string; orgId: string }>> {
      return tx.select({ id: webhookEndpoints.id, orgId: webhookEndpoints.orgId }).from(webhookEndpoints).where(and(inArray(webhookEndpoints.orgId, orgIds), isNull(webhookEndpoints.disabledAt)));
    },

    /** One endpoint of an organisation. */
    async byId(orgId: string, id: string, tx: Queryable = db): Promise<WebhookEndpointRow | undefined> {
      const [row] = await tx.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.orgId, orgId)));
      return row;
    },

    /** An endpoint's delivery log, newest first, in pages before a (createdAt, id) cursor (the endpoint index serves it). */
    async deliveries(endpointId: string, page: { limit: number; before?: { at: Date; id: string } }, tx: Queryable = db): Promise<WebhookDeliveryRow[]> {
      const b = page.before;
      return tx
        .select()
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.endpointId, endpointId), b ? or(lt(webhookDeliveries.createdAt, b.at), and(eq(webhookDeliveries.createdAt, b.at), lt(webhookDeliveries.id, b.id))) : undefined))
        .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
        .limit(page.limit);
    },

    async deliveryForUpdate(endpointId: string, id: string, tx: Queryable): Promise<WebhookDeliveryRow | undefined> {
      const [row] = await tx.select().from(webhookDeliveries).where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.endpointId, endpointId))).for('update');
      return row;
    },

    /** A failed delivery back to pending with a fresh budget of attempts, in a new round (a queue job of its own). */
    async redeliver(id: string, at: Date, tx: Queryable = db): Promise<WebhookDeliveryRow> {
      const [row] = await tx
        .update(webhookDeliveries)
        .set({ status: 'pending', attempts: 0, nextAttemptAt: at, leaseExpiresAt: null, round: sql`${webhookDeliveries.round} + 1` })
        .where(eq(webhookDeliveries.id, id))
        .returning();
      return row!;
    },

    /** A delivery to make; null when this outbox row already has one for the endpoint. */
    async insertDelivery(row: typeof webhookDeliveries.$inferInsert, tx: Queryable = db): Promise<string | null> {
      const [out] = await tx.insert(webhookDeliveries).values(row).onConflictDoNothing().returning({ id: webhookDeliveries.id });
      return out?.id ?? null;
    },
  };
}
