import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { AppError, validationFailed, type FieldError } from '../lib/problem.js';
import type { RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { BodyOf } from '../contracts/operation.js';
import type { PageShape, RosterEntryShape, replaceOnCallRoster } from '../contracts/on-call.js';
import type { OnCallRepository, PageRow, RosterRow } from './on-call-repository.js';

export type OnCallService = ReturnType<typeof createOnCallService>;

const ROSTER = 'oncall:roster';

function pageView(p: PageRow, reference: string | null): PageShape {
  return {
    id: p.id,
    caseId: p.caseId,
    reference,
    topic: p.topic,
    rank: p.rank,
    createdAt: p.createdAt.toISOString(),
    acknowledgedAt: p.acknowledgedAt?.toISOString() ?? null,
    email: p.emailStatus,
    sms: p.smsStatus,
  };
}

/**
 * The on-call roster (supervisors keep it; officers and supervisors read it) and the pages put to
 * the caller, which only they acknowledge. The contact points are staff personal data: shown to
 * those who may edit the roster only, never logged.
 */
export function createOnCallService(deps: { db: Db; repo: OnCallRepository; access: Pick<AccessService, 'authorize' | 'permits'>; audit: Pick<AuditService, 'record'>; clock: Clock }) {
  const { db, repo, access, clock } = deps;
  const command = createCommandRunner({ db, audit: deps.audit });

  const entryView = (e: RosterRow, contacts: boolean): RosterEntryShape => ({
    id: e.id,
    userId: e.userId,
    username: e.username,
    role: e.role,
    position: e.position,
    startsAt: e.startsAt.toISOString(),
    endsAt: e.endsAt.toISOString(),
    email: contacts ? e.email : null,
    phone: contacts ? e.phone : null,
    language: e.language,
  });

  return {
    async roster(ctx: RequestContext) {
      await access.authorize(ctx, 'oncall.read', { resource: ROSTER }, undefined, { read: true });
      const contacts = access.permits(ctx.principal, 'oncall.manage', {});
      return { items: (await repo.roster()).map((e) => entryView(e, contacts)) };
    },

    async replace(ctx: RequestContext, input: BodyOf<typeof replaceOnCallRoster>) {
      return command(ctx, { action: 'oncall.manage', resource: ROSTER, caseId: null }, async (tx) => {
        await access.authorize(ctx, 'oncall.manage', { resource: ROSTER }, tx);
        const staff = await repo.activeStaff([...new Set(input.entries.map((e) => e.userId))], tx);
        const errors: FieldError[] = [];
        input.entries.forEach((e, i) => {
          if (!staff.has(e.userId)) errors.push({ field: `/body/entries/${i}/userId`, message: 'not an active officer or supervisor' });
          if (Date.parse(e.endsAt) <= Date.parse(e.startsAt)) errors.push({ field: `/body/entries/${i}/endsAt`, message: 'must come after startsAt' });
        });
        if (errors.length > 0) throw validationFailed('the roster is not valid', errors);
        const by = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
        if (!by) throw new AppError('forbidden');
        const now = clock.now();
        await repo.replace(
          input.entries.map((e) => ({ id: randomUUID(), userId: e.userId, position: e.position, startsAt: new Date(e.startsAt), endsAt: new Date(e.endsAt), email: e.email, phone: e.phone, language: e.language, createdBy: by, createdAt: now })),
          tx,
        );
        return { items: (await repo.roster(tx)).map((e) => entryView(e, true)) };
      });
    },

    async myPages(ctx: RequestContext) {
      const me = ctx.principal.kind === 'user' ? ctx.principal.userId : 'none';
      await access.authorize(ctx, 'oncall.read', { resource: `user:${me}/pages` }, undefined, { read: true });
      return { items: (await repo.pagesOf(me, 50)).map((r) => pageView(r.page, r.reference)) };
    },

    /** The recipient acknowledges: the chain stops (the escalation job finds it acknowledged). */
    async acknowledge(ctx: RequestContext, pageId: string) {
      return command(ctx, { action: 'oncall.acknowledge', resource: `oncall-page:${pageId}`, caseId: null }, async (tx) => {
        const p = await repo.pageForUpdate(pageId, tx);
        const mine = p !== undefined && ctx.principal.kind === 'user' && p.recipientUserId === ctx.principal.userId;
        // Someone else's page is out of scope: 404, as if it did not exist.
        await access.authorize(ctx, 'oncall.acknowledge', { resource: `oncall-page:${pageId}`, found: p !== undefined, facts: { self: mine } }, tx);
        if (!p!.acknowledgedAt) await repo.acknowledge(pageId, clock.now(), tx);
        const r = (await repo.pageWithReference(pageId, tx))!;
        return pageView(r.page, r.reference);
      });
    },
  };
}
