import { asc, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { assessments } from '../db/schema/index.js';
import type { AssessmentVersion } from '../contracts/assessment.js';

/** The timeline action written with every version (the guard below looks for it). */
export const RECORDED = 'assessment.recorded';

export type AssessmentRow = typeof assessments.$inferSelect;
export type AssessmentRepository = ReturnType<typeof createAssessmentRepository>;

/** One version as the API shows it: codes, ratings and the computed level; narratives stay sealed. */
export function assessmentView(a: AssessmentRow): AssessmentVersion {
  return {
    id: a.id,
    version: a.version,
    threats: a.threats,
    vulnerability: { factors: a.vulnerabilityFactors, rating: a.vulnerabilityRating },
    capacity: { factors: a.capacityFactors, rating: a.capacityRating },
    score: a.score,
    level: a.level,
    override: a.override,
    sealed: a.sealed,
    createdBy: a.createdBy,
    createdAt: a.createdAt.toISOString(),
  };
}

export function createAssessmentRepository(db: Queryable) {
  return {
    /**
     * Whether a version was recorded since the case last entered `assessment` (admitted, or a
     * reassessment started): the `assessment_recorded` guard of complete_assessment. Decided first
     * on the case's timeline, whose ids follow the order of the case's transactions (each holds the case
     * row lock), so a version recorded in the same millisecond as the reassessment, but before
     * it, does not count; a version row strictly later than the entry counts too. Entries that
     * stay in `assessment` (a version recorded, urgency confirmed) are not entries into the state.
     */
    async recordedSinceEntry(caseId: string, tx?: Queryable): Promise<boolean> {
      const rows = await (tx ?? db).execute<{ ok: boolean }>(sql`
        with entry as (
          select id, at from case_timeline
          where case_id = ${caseId} and to_state = 'assessment' and from_state is distinct from 'assessment'
          order by id desc limit 1
        )
        select exists (
          select 1 from case_timeline r
          where r.case_id = ${caseId} and r.action = ${RECORDED} and r.id > coalesce((select id from entry), 0)
        ) or exists (
          select 1 from assessments a
          where a.case_id = ${caseId} and a.created_at > coalesce((select at from entry), '-infinity'::timestamptz)
        ) as ok`);
      return rows[0]?.ok === true;
    },

    /** The version the next assessment of the case takes (call under the case row lock). */
    async nextVersion(caseId: string, tx: Queryable = db): Promise<number> {
      const [row] = await tx.select({ max: sql<number | null>`max(${assessments.version})` }).from(assessments).where(eq(assessments.caseId, caseId));
      return (row?.max ?? 0) + 1;
    },

    /** Inserts a version; false when the id exists (the client chose it, and it is in the AD). */
    async insert(row: typeof assessments.$inferInsert, tx: Queryable = db): Promise<boolean> {
      const inserted = await tx.insert(assessments).values(row).onConflictDoNothing({ target: assessments.id }).returning({ id: assessments.id });
      return inserted.length > 0;
    },

    /** Every version of a case, oldest first. */
    async forCase(caseId: string, tx: Queryable = db): Promise<AssessmentVersion[]> {
      const rows = await tx.select().from(assessments).where(eq(assessments.caseId, caseId)).orderBy(asc(assessments.version));
      return rows.map(assessmentView);
    },
  };
}
