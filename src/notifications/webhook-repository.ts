import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { webhookDeliveries, webhookEndpoints } from '../db/schema/index.js';

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
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

    /** A delivery to make; null when this outbox row already has one for the endpoint. */
    async insertDelivery(row: typeof webhookDeliveries.$inferInsert, tx: Queryable = db): Promise<string | null> {
      const [out] = await tx.insert(webhookDeliveries).values(row).onConflictDoNothing().returning({ id: webhookDeliveries.id });
      return out?.id ?? null;
    },
  };
}
