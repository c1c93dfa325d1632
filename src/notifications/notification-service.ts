import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { AppError } from '../lib/problem.js';
import type { RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { CaseService } from '../cases/case-service.js';
import type { NewNotification, NotificationRepository } from './notification-repository.js';
import type { WebhookRepository } from './webhook-repository.js';
import type { OutboxRow } from '../outbox/outbox.js';
import { audienceOf, contentFree, PARTNER_KEYS } from './notification-audience.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { AuditService } from '../audit/audit-service.js';

export type NotificationService = ReturnType<typeof createNotificationService>;

/**
 * The in-app inbox and the defender's notices. `deliver` turns one outbox event into inbox rows
 * (and webhook deliveries for partner organisations), in the dispatcher's transaction; the rest
 * serves the caller's own inbox.
 */
export function createNotificationService(deps: {
  db: Db;
  notifications: NotificationRepository;
  webhooks: Pick<WebhookRepository, 'activeOf' | 'insertDelivery'>;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  cases: Pick<CaseService, 'sealedFacts'>;
  clock: Clock;
}) {
  const { db, notifications, webhooks, access, clock } = deps;
  const command = createCommandRunner({ db, audit: deps.audit });

  const selfTarget = (ctx: RequestContext, resource: string, owner: string | null) => ({
    resource,
    facts: { self: ctx.principal.kind === 'user' && owner !== null && owner === ctx.principal.userId },
  });

  return {
    /**
     * Inbox rows for an event's recipients, and a pending webhook delivery per active endpoint of
     * a partner organisation it concerns; returns the delivery ids to queue after commit. Safe to
     * run twice for the same outbox row (unique per outbox row and recipient).
     */
    async deliver(event: OutboxRow, tx: Queryable): Promise<{ inbox: number; deliveries: string[] }> {
      const { topic, payload } = event;
      const audience = audienceOf(topic, payload);
      const caseId = typeof payload.caseId === 'string' ? payload.caseId : null;
      const c = caseId ? await notifications.caseOf(caseId, tx) : undefined;
      const named = [...audience.userIds, ...(audience.assignee && c?.assigneeId ? [c.assigneeId] : [])];
      // No officer on the case yet: the supervisors answer for it.
      const supervisors = audience.supervisors || (audience.assignee && !c?.assigneeId);
      const staff = await notifications.activeRecipients(named, supervisors, tx);
      const body = contentFree(payload);
      const at = clock.now();
      const base = { caseId: c?.id ?? null, reference: c?.reference ?? null, topic, payload: body, outboxId: event.id, createdAt: at };
      const rows: NewNotification[] = staff.map((id) => ({ id: randomUUID(), audience: 'user' as const, recipientUserId: id, ...base }));
      if (audience.defender && c) rows.push({ id: randomUUID(), audience: 'defender' as const, recipientUserId: null, ...base });
      const inserted = await notifications.insert(rows, tx);

      const deliveries: string[] = [];
      if (audience.orgIds.length > 0) {
        // A test names its one endpoint: the organisation's other endpoints are not disturbed.
        const only = topic === 'webhook.test' && typeof payload.endpointId === 'string' ? payload.endpointId : null;
        const endpoints = (await webhooks.activeOf(audience.orgIds, tx)).filter((e) => only === null || e.id === only);
        for (const e of endpoints) {
          const id = randomUUID();
          const partnerBody = JSON.stringify({ id, event: topic, occurredAt: event.createdAt.toISOString(), data: contentFree({ ...payload, orgId: e.orgId }, PARTNER_KEYS) });
          const r = await webhooks.insertDelivery({ id, endpointId: e.id, outboxId: event.id, topic, body: partnerBody, status: 'pending', nextAttemptAt: at, createdAt: at }, tx);
          if (r) deliveries.push(r);
        }
      }
      return { inbox: inserted, deliveries };
    },

    /** The caller's own inbox, newest first, in pages before a (createdAt, id) cursor. */
    async list(ctx: RequestContext, page: { unread: boolean; limit: number; after?: { at: string; id: string } }) {
      const me = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
      await access.authorize(ctx, 'notification.read', selfTarget(ctx, `user:${me ?? 'none'}/notifications`, me), undefined, { read: true });
      return notifications.inbox(me!, page);
    },

    /** Marks one of the caller's notifications read; another user's is not found (404). */
    async markRead(ctx: RequestContext, id: string) {
      return command(ctx, { action: 'notification.mark', resource: `notification:${id}`, caseId: null }, async (tx) => {
        const n = await notifications.inboxByIdForUpdate(id, tx);
        await access.authorize(ctx, 'notification.mark', selfTarget(ctx, `notification:${id}`, n?.recipientUserId ?? null), tx);
        if (!n) throw new AppError('not_found');
        if (n.view.readAt) return n.view;
        return notifications.markRead(id, clock.now(), tx);
      });
    },

    async markAllRead(ctx: RequestContext) {
      const me = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
      return command(ctx, { action: 'notification.mark', resource: `user:${me ?? 'none'}/notifications`, caseId: null }, async (tx) => {
        await access.authorize(ctx, 'notification.mark', selfTarget(ctx, `user:${me ?? 'none'}/notifications`, me), tx);
        return { marked: await notifications.markAllRead(me!, clock.now(), tx) };
      });
    },

    /**
     * What the defender has been told on their case (a defender has no inbox): newest first, each
     * with whether the deadline it reminds of is still open.
     */
    async notices(ctx: RequestContext, caseId: string, limit: number) {
      const { c, facts } = await deps.cases.sealedFacts(ctx, caseId);
      await access.authorize(ctx, 'case.notices', { resource: `case:${caseId}/notices`, caseId: c ? caseId : null, facts }, undefined, { read: true });
      return notifications.defenderNotices(caseId, limit);
    },
  };
}
