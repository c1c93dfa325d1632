import { AppError } from '../lib/problem.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { actorOf, type RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { CaseRepository } from '../cases/case-repository.js';
import { computeRisk } from '../sdk/risk/risk-level.js';
import type { RiskPolicy } from '../risk/risk-policy.js';
import { RECORDED, assessmentView, type AssessmentRepository } from './assessment-repository.js';
import { checkAssessmentInput, type AssessmentInput } from './assessment-input.js';
import { assertKeyEpoch } from '../cases/key-epoch.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { CaseParticipation } from '../access/case-participation.js';
import { withheldFlag } from '../lib/sealed-withheld.js';
import { caseScope } from '../access/case-scope.js';

export type AssessmentService = ReturnType<typeof createAssessmentService>;

/** Why no assessment version can be recorded on the case now, or null. */
export function assessmentRefusal(c: { state: string }): AppError | null {
  return c.state !== 'assessment' ? new AppError('invalid_transition', `an assessment is recorded while the case is in assessment (it is in ${c.state})`) : null;
}

/**
 * Risk assessments (workflow.md, "Risk assessment"): dated versions, never edited. The server
 * computes the level from the codes and ratings with the risk policy, so that the same
 * assessment always gets the same level whoever records it; the case takes the level of its
 * latest version, and a level on the urgent track (or the override) makes the case urgent.
 */
export function createAssessmentService(deps: {
  db: Db;
  assessments: Pick<AssessmentRepository, 'nextVersion' | 'insert' | 'forCase'>;
  cases: Pick<CaseRepository, 'byId' | 'byIdForUpdate' | 'update' | 'addTimeline'>;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  participation: Pick<CaseParticipation, 'sealedAccess'>;
  clock: Clock;
  risk: RiskPolicy;
}) {
  const { db, assessments, cases, access, audit, participation, clock, risk } = deps;
  const command = createCommandRunner({ db, audit });

  return {
    async create(ctx: RequestContext, caseId: string, input: AssessmentInput) {
      checkAssessmentInput(input, risk);
      const result = computeRisk(
        {
          threats: input.threats.map((t) => ({ rating: t.rating, kind: t.kind, feasible: t.canBeCarriedOut, imminent: t.imminent })),
          vulnerability: input.vulnerability.rating,
          capacity: input.capacity.rating,
        },
        risk,
      );
      const resource = `assessment:${input.id}`;
      return command(ctx, { action: 'assessment.create', resource, caseId }, async (tx) => {
        const c = await cases.byIdForUpdate(caseId, tx);
        await access.authorize(ctx, 'assessment.create', { resource, caseId: c ? caseId : null, facts: caseScope(c) }, tx);
        if (!c) throw new AppError('not_found');
        assertKeyEpoch(c, input.keyEpoch);
        // Only staff hold assessment.create; the check narrows the principal for createdBy.
        if (ctx.principal.kind !== 'user') throw new AppError('forbidden');
        const refused = assessmentRefusal(c);
        if (refused) throw refused;
        const version = await assessments.nextVersion(caseId, tx);
        const now = clock.now();
        const row = {
          id: input.id,
          caseId,
          version,
          threats: input.threats.map((t) => ({ kind: t.kind, source: t.source, canBeCarriedOut: t.canBeCarriedOut, imminent: t.imminent, rating: t.rating })),
          vulnerabilityFactors: input.vulnerability.factors,
          vulnerabilityRating: input.vulnerability.rating,
          capacityFactors: input.capacity.factors,
          capacityRating: input.capacity.rating,
          score: result.R,
          level: result.level,
          override: result.override,
          sealed: input.sealed,
          createdBy: ctx.principal.userId,
          createdAt: now,
        };
        if (!(await assessments.insert(row, tx))) throw new AppError('already_exists', 'an assessment with this id exists; the client must choose a new id (and seal again)');
        // The case becomes urgent when the level is on the urgent track or the override fired;
        // a lower level never lifts urgency by itself (that is an officer's decision, with a reason).
        const becomesUrgent = result.urgent && !c.urgent;
        await cases.update(caseId, { riskLevel: result.level, ...(becomesUrgent ? { urgent: true } : {}), updatedAt: now }, tx);
        const actor = actorOf(ctx.principal);
        await cases.addTimeline({ caseId, at: now, actor, action: RECORDED, fromState: c.state, toState: c.state, reason: `version ${version}: level ${result.level}${result.override ? ' (override)' : ''}` }, tx);
        if (becomesUrgent) {
          const why = result.override ? 'a declared threat that can be carried out is imminent' : `risk level ${result.level} is on the urgent track`;
          await cases.addTimeline({ caseId, at: now, actor, action: 'urgency_confirmed', fromState: c.state, toState: c.state, reason: `assessment version ${version}: ${why}` }, tx);
        }
        return { ...assessmentView(row), caseUrgent: c.urgent || result.urgent };
      });
    },

    /** Every version, oldest first, with the case's current level. A read of sealed data: audited. */
    async list(ctx: RequestContext, caseId: string) {
      const c = await cases.byId(caseId);
      // Codes, ratings and levels are metadata every supervisor sees; the sealed narratives only a
      // supervisor part of the case, or through a break-glass (then audited as such).
      const sealed = c ? await participation.sealedAccess(ctx.principal, c) : { served: true as const, breakGlassId: null };
      await access.authorize(ctx, 'assessment.read', { resource: `case:${caseId}/assessments`, caseId: c ? caseId : null, found: c !== undefined, facts: caseScope(c) }, undefined, { read: true, breakGlassId: sealed.served ? sealed.breakGlassId : null });
      if (!c) throw new AppError('not_found');
      const versions = await assessments.forCase(caseId);
      return { caseId, current: c.riskLevel, urgent: c.urgent, versions: sealed.served ? versions : versions.map((v) => (Object.keys(v.sealed).length === 0 ? v : { ...v, sealed: {}, ...withheldFlag(false) })) };
    },
  };
}
