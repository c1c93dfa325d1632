import { randomUUID } from 'node:crypto';
import { AppError } from '../lib/problem.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { actorOf, type RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { BreakGlassPolicy } from '../access/break-glass-policy.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { UserRepository } from '../users/user-repository.js';
import type { CaseRepository } from './case-repository.js';
import type { BreakGlassRepository } from './break-glass-repository.js';
import type { Outbox } from '../outbox/outbox.js';
import { BREAK_GLASS } from '../outbox/topics.js';
import { caseScope } from '../access/case-scope.js';

export type BreakGlassService = ReturnType<typeof createBreakGlassService>;

/** Why a break-glass cannot be opened on the case, or null. */
export function breakGlassRefusal(c: { purgedAt: Date | null }): AppError | null {
  return c.purgedAt ? new AppError('case_purged', `the sealed content of this case was purged on ${c.purgedAt.toISOString()}: there is nothing to open`) : null;
}

/**
 * Break-glass (access.md, "Separation of duties"): a supervisor who is not part of a case opens
 * its sealed content for the window of policies/break-glass.yaml, with a written reason. One
 * transaction writes the break-glass row (with the reason), a timeline entry staff see (with the
 * reason), the audit event (the id, never the reason: the audit log cannot be purged, and a name
 * typed by mistake must not stay in it forever) and a content-free notification to every other
 * active supervisor. The reads it allows are checked and audited by src/access/case-participation.ts.
 */
export function createBreakGlassService(deps: {
  db: Db;
  cases: Pick<CaseRepository, 'byIdForUpdate' | 'addTimeline'>;
  breakGlass: BreakGlassRepository;
  users: Pick<UserRepository, 'activeSupervisorIdsExcept'>;
  outbox: Outbox;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  policy: Pick<BreakGlassPolicy, 'windowMs'>;
}) {
  const { db, cases, breakGlass, users, outbox, access, audit, clock, policy } = deps;
  const command = createCommandRunner({ db, audit });

  return {
    async open(ctx: RequestContext, caseId: string, input: { reason: string }) {
      const id = randomUUID();
      const resource = `case:${caseId}/break-glass/${id}`;
      return command(ctx, { action: 'case.break_glass', resource, caseId }, async (tx) => {
        // The case row locked: the window starts in the order the case's other commands run.
        const c = await cases.byIdForUpdate(caseId, tx);
        const openedAt = clock.now();
        const expiresAt = new Date(openedAt.getTime() + policy.windowMs);
        // Refusals decided with the policy: a refused opening holds one event, its denial.
        const refusal = c ? breakGlassRefusal(c) : null;
        await access.authorize(ctx, 'case.break_glass', { resource, caseId: c ? caseId : null, found: c !== undefined, facts: caseScope(c), refusal }, tx, {
          reason: `break_glass ${id} until ${expiresAt.toISOString()}`,
        });
        if (!c) throw new AppError('not_found');
        const p = ctx.principal;
        if (p.kind !== 'user') throw new AppError('forbidden');
        await breakGlass.insert({ id, caseId, supervisorId: p.userId, reason: input.reason, openedAt, expiresAt }, tx);
        await cases.addTimeline({ caseId, at: openedAt, actor: actorOf(p), action: 'case.break_glass', fromState: c.state, toState: c.state, reason: `until ${expiresAt.toISOString()}: ${input.reason}` }, tx);
        const others = await users.activeSupervisorIdsExcept(p.userId, tx);
        if (others.length > 0) {
          await outbox.add(tx, BREAK_GLASS, { caseId, reference: c.reference, breakGlassId: id, expiresAt: expiresAt.toISOString(), recipients: others }, openedAt);
        }
        return { id, caseId, supervisorId: p.userId, openedAt: openedAt.toISOString(), expiresAt: expiresAt.toISOString() };
      });
    },
  };
}
