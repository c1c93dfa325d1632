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
import type { WebhookEndpointRow, WebhookRepository } from './webhook-repository.js';
import { sealWebhookSecret } from './webhook-secret.js';
import { sealWebhookUrl, webhookOrigin } from './webhook-url.js';
import { checkWebhookTarget, type Resolver } from './webhook-target.js';

export type WebhookService = ReturnType<typeof createWebhookService>;

/** Never the URL itself (it may carry the partner's token): its origin only. */
const view = (e: Pick<WebhookEndpointRow, 'id' | 'orgId' | 'urlOrigin' | 'createdAt' | 'disabledAt'>) => ({ id: e.id, orgId: e.orgId, origin: e.urlOrigin ?? '', createdAt: e.createdAt.toISOString(), disabledAt: e.disabledAt?.toISOString() ?? null });

const ACTION = 'webhook.manage';

/**
 * Partner organisations' webhooks, as an admin manages them: register (the signing secret is
 * shown once; the URL is sealed at rest and never shown again, only its origin), list, disable.
 * Deliveries are the worker's (src/notifications/webhook-delivery.ts), the only code that opens a
 * sealed URL.
 */
export function createWebhookService(deps: {
  db: Db;
  webhooks: Pick<WebhookRepository, 'insert' | 'ofOrg' | 'disable'>;
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

  async function partnerOrg(ctx: RequestContext, orgId: string, resource: string, tx?: Tx) {
    const org = await orgOf(orgId);
    // Decided with the policy, so that a refused list holds one event: its denial.
    const refusal = org && org.kind !== 'partner' ? notPartner() : null;
    await access.authorize(ctx, ACTION, { resource, found: org !== undefined, facts: { orgId: org?.id ?? null }, refusal }, tx);
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
