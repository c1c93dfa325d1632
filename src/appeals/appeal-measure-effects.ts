import { and, eq } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { AppError } from '../lib/problem.js';
import { measures } from '../db/schema/index.js';
import type { DeadlineService } from '../deadlines/deadline-service.js';

export interface MeasureEffectInput {
  caseId: string;
  measureId: string;
  at: Date;
  /** the case's track, for the deadline that starts again */
  urgent: boolean;
}

/** What an upheld appeal does to the measure it was about; returns the refusal, or null once done. */
export interface AppealMeasureEffects {
  /** A rejected measure is consented again and awaits a new approval decision. */
  toConsented(input: MeasureEffectInput, tx: Tx): Promise<AppError | null>;
  /** A lifted measure is active again, until its end date. */
  toActive(input: MeasureEffectInput, tx: Tx): Promise<AppError | null>;
}

/**
 * The two measure changes an upheld appeal makes, written on the measures table in the appeal's
 * transaction (the row locked, its status checked again). Kept apart from the appeal service so
 * that the measures module may take them over behind the same interface.
 */
export function createAppealMeasureEffects(deps: { deadlines: Pick<DeadlineService, 'apply'> }): AppealMeasureEffects {
  const { deadlines } = deps;

  async function locked(input: MeasureEffectInput, tx: Tx) {
    const [row] = await tx.select().from(measures).where(and(eq(measures.id, input.measureId), eq(measures.caseId, input.caseId))).for('update');
    return row;
  }

  return {
    async toConsented(input, tx) {
      const m = await locked(input, tx);
      if (!m || m.status !== 'rejected') return new AppError('invalid_transition', `the measure is no longer rejected (${m?.status ?? 'gone'}): the decision appealed no longer stands`);
      // The rejection stays on the appeal's record (decider, time); the measure awaits a fresh decision.
      await tx.update(measures).set({ status: 'consented', decidedBy: null, decidedAt: null, decisionReason: null, updatedAt: input.at }).where(eq(measures.id, m.id));
      // Starts the approval deadline of this measure again (policies/deadlines.yaml).
      await deadlines.apply({ caseId: input.caseId, event: 'measure.consented', at: input.at, urgent: input.urgent, subjectId: m.id }, tx);
      return null;
    },

    async toActive(input, tx) {
      const m = await locked(input, tx);
      if (!m || m.status !== 'lifted') return new AppError('invalid_transition', `the measure is no longer lifted (${m?.status ?? 'gone'}): the decision appealed no longer stands`);
      await tx.update(measures).set({ status: 'active', endedAt: null, endedBy: null, endReason: null, updatedAt: input.at }).where(eq(measures.id, m.id));
      // The review deadline runs to the measure's own end date again; an end date already past
      // makes it due at once, so the officer reviews (renews or lifts) the restored measure.
      await deadlines.apply({ caseId: input.caseId, event: 'measure.activated', at: input.at, urgent: input.urgent, subjectId: m.id, ...(m.endsAt ? { measureEnd: m.endsAt } : {}) }, tx);
      return null;
    },
  };
}
