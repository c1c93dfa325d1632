import { randomBytes, randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, lte } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { AppError } from '../lib/problem.js';
import type { RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import { organisations, webhookDeliveries, webhookEndpoints } from '../db/schema/index.js';
import { openWebhookSecret, sealWebhookSecret, webhookSignature } from './webhook-secret.js';
import { fetch } from 'undici';
import { checkWebhookTarget, guardedDispatcher, type ConnectLookup, type Resolver } from './webhook-target.js';

export type WebhookService = ReturnType<typeof createWebhookService>;

type EndpointRow = typeof webhookEndpoints.$inferSelect;
const view = (e: EndpointRow) => ({ id: e.id, orgId: e.orgId, url: e.url, createdAt: e.createdAt.toISOString(), disabledAt: e.disabledAt?.toISOString() ?? null });

/** What one attempt did: `retry` asks the queue to try again later (it throws for BullMQ's backoff). */
export type AttemptOutcome = { outcome: 'delivered' | 'skipped' | 'failed' | 'retry'; statusCode: number | null; error: string | null };

/**
 * Partner organisations' webhooks: an admin registers an endpoint (the secret is shown once),
 * and each delivery (a row of the log, written by the notification dispatcher) is POSTed with
 * `X-Egide-Timestamp` and `X-Egide-Signature: sha256=<hex HMAC(secret, timestamp.body)>`.
 */
/** fetch reports connection failures as "fetch failed" with the reason in `cause`. */
const causeOf = (err: Error): string => (err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message);

export function createWebhookService(deps: {
  db: Db;
  access: Pick<AccessService, 'authorize'>;
  clock: Clock;
  secretKey: Uint8Array;
  timeoutMs?: number;
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS: http and local receivers, for development and tests only */
  allowPrivateTargets?: boolean;
  resolve?: Resolver;
  /** the name resolution deliveries connect with (tests simulate a re-pointed name) */
  connectLookup?: ConnectLookup;
}) {
  const { db, access, clock, secretKey } = deps;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const target = (url: string) => checkWebhookTarget(url, { allowPrivate: deps.allowPrivateTargets === true, ...(deps.resolve ? { resolve: deps.resolve } : {}) });
  // Deliveries connect only to addresses that pass the same check, at connection time.
  const dispatcher = deps.allowPrivateTargets === true ? undefined : guardedDispatcher(deps.connectLookup);

  async function partnerOrg(ctx: RequestContext, orgId: string, action: string, resource: string, tx?: Tx) {
    const [org] = await db.select({ id: organisations.id, kind: organisations.kind }).from(organisations).where(eq(organisations.id, orgId));
    // Decided with the policy, so that a refused list holds one event: its denial.
    const refusal = org && org.kind !== 'partner' ? new AppError('validation_failed', 'webhooks are for partner organisations', { errors: [{ field: '/params/orgId', message: 'is not a partner organisation' }] }) : null;
    await access.authorize(ctx, action, { resource, found: org !== undefined, facts: { orgId: org?.id ?? null }, refusal }, tx);
  }

  return {
    async register(ctx: RequestContext, orgId: string, input: { url: string }) {
      return db.transaction(async (tx) => {
        const id = randomUUID();
        await partnerOrg(ctx, orgId, 'webhook.manage', `org:${orgId}/webhooks/${id}`, tx);
        // After authorisation, so that only an admin can make the service resolve a name.
        const url = await target(input.url);
        const secret = randomBytes(32).toString('base64url');
        const [row] = await tx.insert(webhookEndpoints).values({ id, orgId, url: url.toString(), secret: sealWebhookSecret(secret, id, secretKey), createdAt: clock.now() }).returning();
        return { ...view(row!), secret };
      });
    },

    async list(ctx: RequestContext, orgId: string) {
      await partnerOrg(ctx, orgId, 'webhook.manage', `org:${orgId}/webhooks`);
      const rows = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.orgId, orgId)).orderBy(asc(webhookEndpoints.createdAt));
      return rows.map(view);
    },

    /** Stops the endpoint; deliveries not yet made are cancelled by their next attempt. */
    async disable(ctx: RequestContext, orgId: string, id: string) {
      return db.transaction(async (tx) => {
        await partnerOrg(ctx, orgId, 'webhook.manage', `org:${orgId}/webhooks/${id}`, tx);
        const [row] = await tx.update(webhookEndpoints).set({ disabledAt: clock.now() }).where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.orgId, orgId))).returning();
        if (!row) throw new AppError('not_found');
        return view(row);
      });
    },

    /** Deliveries waiting for a (first or next) attempt, for the dispatcher to (re)queue. */
    async due(limit = 100): Promise<string[]> {
      const rows = await db.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(and(inArray(webhookDeliveries.status, ['pending', 'retrying']), lte(webhookDeliveries.nextAttemptAt, clock.now()))).orderBy(asc(webhookDeliveries.nextAttemptAt)).limit(limit);
      return rows.map((r) => r.id);
    },

    /**
     * One attempt. The delivery row stays locked during the POST, so two workers never post the
     * same delivery at once, and one that is delivered is never posted again.
     */
    async attempt(deliveryId: string, final: boolean, nextDelayMs: number): Promise<AttemptOutcome> {
      return db.transaction(async (tx) => {
        const [d] = await tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId)).for('update');
        if (!d || d.status === 'delivered' || d.status === 'failed' || d.status === 'cancelled') return { outcome: 'skipped', statusCode: null, error: null };
        const [e] = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, d.endpointId));
        if (!e || e.disabledAt) {
          await tx.update(webhookDeliveries).set({ status: 'cancelled', nextAttemptAt: null }).where(eq(webhookDeliveries.id, d.id));
          return { outcome: 'skipped', statusCode: null, error: 'endpoint disabled' };
        }
        const timestamp = String(Math.floor(clock.now().getTime() / 1000));
        const signature = webhookSignature(openWebhookSecret(e.secret, e.id, secretKey), timestamp, d.body);
        let statusCode: number | null = null;
        let error: string | null = null;
        try {
          // Again at each delivery: the name may resolve elsewhere now than at registration.
          await target(e.url);
          const res = await fetch(e.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-egide-timestamp': timestamp, 'x-egide-signature': signature, 'x-egide-delivery': d.id, 'x-egide-event': d.topic },
            body: d.body,
            redirect: 'manual',
            signal: AbortSignal.timeout(timeoutMs),
            ...(dispatcher ? { dispatcher } : {}),
          });
          statusCode = res.status;
          await res.body?.cancel();
          if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
        } catch (err) {
          error = err instanceof AppError ? `refused: ${err.message}`.slice(0, 200) : err instanceof Error ? `${err.name}: ${causeOf(err)}`.slice(0, 200) : 'request failed';
        }
        const now = clock.now();
        const ok = error === null;
        const status = ok ? 'delivered' : final ? 'failed' : 'retrying';
        await tx
          .update(webhookDeliveries)
          .set({ status, attempts: d.attempts + 1, lastStatusCode: statusCode, lastError: error, deliveredAt: ok ? now : null, nextAttemptAt: status === 'retrying' ? new Date(now.getTime() + nextDelayMs) : null })
          .where(eq(webhookDeliveries.id, d.id));
        return { outcome: ok ? 'delivered' : final ? 'failed' : 'retry', statusCode, error };
      });
    },
  };
}
