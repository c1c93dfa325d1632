import { randomUUID } from 'node:crypto';
import { AppError } from '../lib/problem.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { BodyOf } from '../contracts/operation.js';
import type { createSavedView } from '../contracts/saved-view.js';
import type { LimitsPolicy } from '../limits/limits-policy.js';
import { savedViewView, type SavedViewRepository } from './saved-view-repository.js';

export type SavedViewService = ReturnType<typeof createSavedViewService>;

/**
 * Each staff member's saved views of the case list: a label and the list's filters and sort.
 * Scope `self` (policies/access.yaml, view.*): only the owner lists, saves and deletes them;
 * another person's view is not there for the caller (404, audited). At most
 * policies/limits.yaml `savedViews.maxPerUser` each.
 */
export function createSavedViewService(deps: { db: Db; views: SavedViewRepository; access: Pick<AccessService, 'authorize'>; audit: Pick<AuditService, 'record'>; clock: Clock; limits: Pick<LimitsPolicy, 'savedViews'> }) {
  const { db, views, access, clock, limits } = deps;
  const command = createCommandRunner({ db, audit: deps.audit });
  const ownerOf = (ctx: RequestContext): string => {
    // Only staff hold the view actions; the check narrows the principal.
    if (ctx.principal.kind !== 'user') throw new AppError('forbidden');
    return ctx.principal.userId;
  };

  return {
    async list(ctx: RequestContext) {
      await access.authorize(ctx, 'view.list', { resource: 'views', facts: { self: true } }, undefined, { read: true });
      return { items: await views.forUser(ownerOf(ctx)) };
    },

    async create(ctx: RequestContext, input: BodyOf<typeof createSavedView>) {
      const id = randomUUID();
      return command(ctx, { action: 'view.create', resource: `view:${id}`, caseId: null }, async (tx) => {
        await access.authorize(ctx, 'view.create', { resource: `view:${id}`, facts: { self: true } }, tx);
        const userId = ownerOf(ctx);
        const max = limits.savedViews.maxPerUser;
        if ((await views.countForUpdate(userId, tx)) >= max) throw new AppError('conflict', `at most ${max} saved views each: delete one first`);
        return savedViewView(await views.insert({ id, userId, name: input.name.trim(), query: input.query, createdAt: clock.now() }, tx));
      });
    },

    async remove(ctx: RequestContext, viewId: string) {
      await command(ctx, { action: 'view.delete', resource: `view:${viewId}`, caseId: null }, async (tx) => {
        const v = await views.byId(viewId, tx);
        const mine = v !== undefined && ctx.principal.kind === 'user' && v.userId === ctx.principal.userId;
        // Someone else's view is out of scope: 404, as if it did not exist.
        await access.authorize(ctx, 'view.delete', { resource: `view:${viewId}`, found: v !== undefined, facts: { self: mine } }, tx);
        await views.delete(viewId, ownerOf(ctx), tx);
      });
    },
  };
}
