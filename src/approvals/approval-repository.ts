import { sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import type { RiskLevel } from '../contracts/shared.js';

/** The case facts every pending item carries (metadata every supervisor sees). */
export interface PendingCase {
  caseId: string;
  reference: string;
  caseState: string;
  riskLevel: RiskLevel | null;
  caseUrgent: boolean;
  caseAssigneeId: string | null;
}

export interface PendingMeasureRow extends PendingCase {
  id: string;
  code: string;
  category: string;
  implementer: string;
  urgent: boolean;
  status: string;
  confirmedAt: Date | null;
  proposedAt: Date;
  proposedBy: string;
  consentAt: Date | null;
  decidedAt: Date | null;
}

export interface PendingAppealRow extends PendingCase {
  id: string;
  subject: string;
  subjectId: string | null;
  decisionAt: Date;
  deciderId: string | null;
  filedAt: Date;
}

export type ApprovalRepository = ReturnType<typeof createApprovalRepository>;

const date = (v: Date | string): Date => new Date(v);
const maybeDate = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

type CaseColumns = {
  case_id: string;
  reference: string;
  case_state: string;
  risk_level: RiskLevel | null;
  case_urgent: boolean;
  assignee_id: string | null;
};
const caseOf = (r: CaseColumns): PendingCase => ({ caseId: r.case_id, reference: r.reference, caseState: r.case_state, riskLevel: r.risk_level, caseUrgent: r.case_urgent, caseAssigneeId: r.assignee_id });

/**
 * What waits on a supervisor across cases, read for the approvals list: the same conditions as
 * the `measure_approval` and `appeal_decision` clauses of src/access/case-participation.ts
 * (a consented measure, an urgent one in effect and not confirmed; a filed appeal), on cases
 * whose content was not purged.
 */
export function createApprovalRepository(db: Queryable) {
  return {
    async pendingMeasures(limit: number, tx: Queryable = db): Promise<PendingMeasureRow[]> {
      const rows = await tx.execute<CaseColumns & { id: string; code: string; category: string; implementer: string; urgent: boolean; status: string; confirmed_at: Date | string | null; proposed_at: Date | string; proposed_by: string; consent_at: Date | string | null; decided_at: Date | string | null }>(sql`
        select m.id, m.code, m.category, m.implementer, m.urgent, m.status, m.confirmed_at, m.proposed_at, m.proposed_by, m.consent_at, m.decided_at,
          c.id as case_id, c.reference, c.state as case_state, c.risk_level, c.urgent as case_urgent, c.assignee_id
        from measures m join cases c on c.id = m.case_id
        where (m.status = 'consented' or (m.urgent and m.confirmed_at is null and m.status in ('approved', 'implementing', 'active')))
          and c.purged_at is null
        order by coalesce(m.consent_at, m.decided_at, m.proposed_at), m.id
        limit ${limit}`);
      return rows.map((r) => ({
        ...caseOf(r),
        id: r.id,
        code: r.code,
        category: r.category,
        implementer: r.implementer,
        urgent: r.urgent,
        status: r.status,
        confirmedAt: maybeDate(r.confirmed_at),
        proposedAt: date(r.proposed_at),
        proposedBy: r.proposed_by,
        consentAt: maybeDate(r.consent_at),
        decidedAt: maybeDate(r.decided_at),
      }));
    },

    async pendingAppeals(limit: number, tx: Queryable = db): Promise<PendingAppealRow[]> {
      const rows = await tx.execute<CaseColumns & { id: string; subject: string; subject_id: string | null; decision_at: Date | string; decider_id: string | null; filed_at: Date | string }>(sql`
        select a.id, a.subject, a.subject_id, a.decision_at, a.decider_id, a.filed_at,
          c.id as case_id, c.reference, c.state as case_state, c.risk_level, c.urgent as case_urgent, c.assignee_id
        from appeals a join cases c on c.id = a.case_id
        where a.state = 'filed' and c.purged_at is null
        order by a.filed_at, a.id
        limit ${limit}`);
      return rows.map((r) => ({ ...caseOf(r), id: r.id, subject: r.subject, subjectId: r.subject_id, decisionAt: date(r.decision_at), deciderId: r.decider_id, filedAt: date(r.filed_at) }));
    },
  };
}
