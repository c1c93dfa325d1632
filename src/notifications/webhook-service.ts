import { randomBytes, randomUUID } from 'node:crypto';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { AppError } from '../lib/problem.js';
import type { ServerKeys } from '../lib/server-keys.js';
import type { RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import type { Outbox } from '../outbox/outbox.js';
import { WEBHOOK_TEST } from '../outbox/topics.js';
import type { WebhookDeliveryRow, WebhookEndpointRow, WebhookRepository } from './webhook-repository.js';
import { sealWebhookSecret } from './webhook-secret.js';
import { sealWebhookUrl, webhookOrigin } from './webhook-url.js';
import { checkWebhookTarget, type Resolver } from './webhook-target.js';

export type WebhookService = ReturnType<typeof createWebhookService>;

/** Never the URL itself (it may carry the partner's token): its origin only. */
const view = (e: Pick<WebhookEndpointRow, 'id' | 'orgId' | 'urlOrigin' | 'createdAt' | 'disabledAt'>) => ({ id: e.id, orgId: e.orgId, origin: e.urlOrigin ?? '', createdAt: e.createdAt.toISOString(), disabledAt: e.disabledAt?.toISOString() ?? null });

const ACTION = 'webhook.manage';

/** A row of the delivery log: never the body (the partner has it) nor the URL. */
const deliveryView = (d: WebhookDeliveryRow) => ({
  id: d.id,
  topic: d.topic,
  status: d.status,
  attempts: d.attempts,
  round: d.round,
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  createdAt: d.createdAt.toISOString(),
  nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
  deliveredAt: d.deliveredAt?.toISOString() ?? null,
});

/**
 * Partner organisations' webhooks, as an admin manages them: register (the signing secret is
 * shown once; the URL is sealed at rest and never shown again, only its origin), list, disable.
 * Deliveries are the worker's (src/notifications/webhook-delivery.ts), the only code that opens a
 * sealed URL.
 */
export function createWebhookService(deps: {
  db: Db;
  webhooks: Pick<WebhookRepository, 'insert' | 'ofOrg' | 'disable' | 'byId' | 'deliveries' | 'deliveryForUpdate' | 'redeliver'>;
  outbox: Outbox;
  orgs: Pick<OrgRepository, 'byId'>;
  access: Pick<AccessService, 'authorize' | 'permits'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  keys: Pick<ServerKeys, 'webhookSecretKey' | 'webhookUrlKey'>;
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS: http and local receivers, for development and tests only */
  allowPrivateTargets?: boolean;
  /** how registration resolves a name (tests answer chosen addresses); the system resolver by default */
  resolve?: Resolver;
}) {
  const { db, webhooks, orgs, access, clock, keys } = deps;
  const command = createCommandRunner({ db, audit: deps.audit });
  const target = (url: string) => checkWebhookTarget(url, { allowPrivate: deps.allowPrivateTargets === true, ...(deps.resolve ? { resolve: deps.resolve } : {}) });

  const orgOf = (orgId: string) => orgs.byId(orgId);

  async function partnerOrg(ctx: RequestContext, orgId: string, resource: string, tx?: Tx, action = ACTION, opts?: { read: true }) {
    const org = await orgOf(orgId);
    // Decided with the policy, so that a refused list holds one event: its denial.
    const refusal = org && org.kind !== 'partner' ? notPartner() : null;
    await access.authorize(ctx, action, { resource, found: org !== undefined, facts: { orgId: org?.id ?? null }, refusal }, tx, opts);
  }
  const notPartner = () => new AppError('validation_failed', 'webhooks are for partner organisations', { errors: [{ field: '/params/orgId', message: 'is not a partner organisation' }] });

  return {
    /**
     * The URL's name is resolved and checked before the transaction opens: a slow or hanging DNS
     * answer holds this request only, never a pooled connection. It is resolved only for a caller
     * the policy lets register (decided first, audited once in the transaction below), so nobody
     * else can make the service look a name up. A refused URL is audited as the denial.
     */
    async register(ctx: RequestContext, orgId: string, input: { url: string }) {
      const id = randomUUID();
      const resource = `org:${orgId}/webhooks/${id}`;
      const org = await orgOf(orgId);
      const facts = { orgId: org?.id ?? null };
      let url: URL | null = null;
      let refused: AppError | null = null;
      if (access.permits(ctx.principal, ACTION, facts) && org?.kind === 'partner') {
        try {
          url = await target(input.url);
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          refused = err;
        }
      }
      return command(ctx, { action: ACTION, resource, caseId: null }, async (tx) => {
        await access.authorize(ctx, ACTION, { resource, facts }, tx);
        if (!org) throw new AppError('not_found');
        if (org.kind !== 'partner') throw notPartner();
        if (refused || !url) throw refused ?? new AppError('webhook_target_refused');
        const secret = randomBytes(32).toString('base64url');
        const row = await webhooks.insert({ id, orgId, urlSealed: sealWebhookUrl(url.toString(), id, keys.webhookUrlKey), urlOrigin: webhookOrigin(url), secret: sealWebhookSecret(secret, id, keys.webhookSecretKey), createdAt: clock.now() }, tx);
        return { ...view(row), secret };
      });
    },

    async list(ctx: RequestContext, orgId: string) {
      await partnerOrg(ctx, orgId, `org:${orgId}/webhooks`);
      const rows = await webhooks.ofOrg(orgId);
      return rows.map(view);
    },

    /** An endpoint's delivery log, newest first (keyset pages: `before` is the last row's cursor). */
    async deliveries(ctx: RequestContext, orgId: string, id: string, page: { limit: number; before?: { at: Date; id: string } }) {
      await partnerOrg(ctx, orgId, `org:${orgId}/webhooks/${id}/deliveries`, undefined, 'webhook.deliveries', { read: true });
      const endpoint = await webhooks.byId(orgId, id);
      if (!endpoint) throw new AppError('not_found');
      const rows = await webhooks.deliveries(id, { limit: page.limit + 1, ...(page.before ? { before: page.before } : {}) });
      const items = rows.slice(0, page.limit);
      const last = items.at(-1);
      return { items: items.map(deliveryView), next: rows.length > page.limit && last ? `${last.createdAt.toISOString()}_${last.id}` : null };
    },

    /**
     * A `webhook.test` event for one endpoint, written to the outbox in the command's
     * transaction: the relay, the delivery log and the worker then treat it as any event, so a
     * test that arrives proves the whole path (signature, name check, retries) and not a shortcut.
     */
    async test(ctx: RequestContext, orgId: string, id: string) {
      const resource = `org:${orgId}/webhooks/${id}`;
      return command(ctx, { action: 'webhook.test', resource, caseId: null }, async (tx) => {
        await partnerOrg(ctx, orgId, resource, tx, 'webhook.test');
        const endpoint = await webhooks.byId(orgId, id, tx);
        if (!endpoint) throw new AppError('not_found');
        if (endpoint.disabledAt) throw new AppError('webhook_disabled');
        const testId = randomUUID();
        const at = clock.now();
        await deps.outbox.add(tx, WEBHOOK_TEST, { orgId, endpointId: id, testId }, at);
        return { testId, topic: 'webhook.test' as const, queuedAt: at.toISOString() };
      });
    },

    /** A failed delivery sent again, with a fresh budget of attempts; the delivery id (and so the receiver's de-duplication key) stays. */
    async redeliver(ctx: RequestContext, orgId: string, id: string, deliveryId: string) {
      const resource = `org:${orgId}/webhooks/${id}/deliveries/${deliveryId}`;
      return command(ctx, { action: 'webhook.redeliver', resource, caseId: null }, async (tx) => {
        await partnerOrg(ctx, orgId, resource, tx, 'webhook.redeliver');
        const endpoint = await webhooks.byId(orgId, id, tx);
        const delivery = endpoint ? await webhooks.deliveryForUpdate(id, deliveryId, tx) : undefined;
        if (!endpoint || !delivery) throw new AppError('not_found');
        if (endpoint.disabledAt) throw new AppError('webhook_disabled');
        if (delivery.status !== 'failed') throw new AppError('delivery_not_failed', `this delivery is ${delivery.status}`);
        return deliveryView(await webhooks.redeliver(deliveryId, clock.now(), tx));
      });
    },

    /** Stops the endpoint; deliveries not yet made are cancelled by their next attempt. */
    async disable(ctx: RequestContext, orgId: string, id: string) {
      return command(ctx, { action: ACTION, resource: `org:${orgId}/webhooks/${id}`, caseId: null }, async (tx) => {
        await partnerOrg(ctx, orgId, `org:${orgId}/webhooks/${id}`, tx);
        const row = await webhooks.disable(orgId, id, clock.now(), tx);
        if (!row) throw new AppError('not_found');
        return view(row);
      });
    },
  };
}
