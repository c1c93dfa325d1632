import { AppError } from '../lib/problem.js';
import type { AssessmentRepository } from '../assessments/assessment-repository.js';
import type { MeasureRepository } from '../measures/measure-repository.js';
import type { GuardCheck } from './case-workflow-service.js';
import type { TransitionGuard } from './workflow-policy.js';

/**
 * The preconditions that policies/workflow.yaml names on its transitions, each asked of the
 * repository that holds the facts; the refusal (status and code) is decided here, not there.
 */
export function createTransitionGuards(deps: {
  assessments: Pick<AssessmentRepository, 'recordedSinceEntry'>;
  measures: Pick<MeasureRepository, 'anyInPlace'>;
}): Record<TransitionGuard, GuardCheck> {
  return {
    assessment_recorded: async (c, tx) =>
      (await deps.assessments.recordedSinceEntry(c.id, tx)) ? null : new AppError('assessment_required', 'record an assessment version before completing the assessment'),
    measures_in_place: async (c, tx) =>
      (await deps.measures.anyInPlace(c.id, tx)) ? null : new AppError('invalid_transition', 'no measure is in place: approve a measure, or decide that none is needed'),
  };
}
