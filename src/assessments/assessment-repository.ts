import { sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { AppError } from '../lib/problem.js';

export type AssessmentRepository = ReturnType<typeof createAssessmentRepository>;

export function createAssessmentRepository(db: Queryable) {
  return {
    /**
     * The `assessment_recorded` guard of complete_assessment: a version made since the case last
     * entered `assessment` (admitted, or a reassessment started).
     */
    async recordedGuard(caseId: string, tx?: Queryable): Promise<AppError | null> {
      const rows = await (tx ?? db).execute<{ ok: boolean }>(sql`
        select exists (
          select 1 from assessments a
          where a.case_id = ${caseId}
            and a.created_at >= coalesce((select max(at) from case_timeline where case_id = ${caseId} and to_state = 'assessment'), '-infinity'::timestamptz)
        ) as ok`);
      return rows[0]?.ok ? null : new AppError('assessment_required', 'record an assessment version before completing the assessment');
    },
  };
}
