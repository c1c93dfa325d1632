import type { RequestContext } from '../access/principal.js';
import type { AccessService, ScopeFacts } from '../access/access-service.js';
import { measureRefusal, MEASURE_COMMAND_ACTIONS } from '../measures/measure-refusals.js';
import type { PendingAppealView, PendingMeasureView } from '../contracts/approval.js';
import type { MeasureRow } from '../measures/measure-repository.js';
import type { CaseRow } from '../cases/case-repository.js';
import type { ApprovalRepository, PendingCase } from './approval-repository.js';

/** At most this many of each kind: a list of work, not an archive. */
const LIMIT = 200;

export type ApprovalService = ReturnType<typeof createApprovalService>;

const caseFacts = (c: PendingCase): ScopeFacts => ({ caseId: c.caseId, caseState: c.caseState, assigneeId: c.caseAssigneeId });

/**
 * The supervisors' approvals list: every measure and appeal that waits on a supervisor, with the
 * commands the caller may take on each, decided by the same two checks as the commands (the
 * access policy with its four-eyes conditions, then the measure's own refusal). Metadata only:
 * the sealed details, assessments and grounds are read on each case, where they are audited.
 */
export function createApprovalService(deps: { approvals: ApprovalRepository; access: Pick<AccessService, 'authorize' | 'refusalCode'> }) {
  const { approvals, access } = deps;

  return {
    async list(ctx: RequestContext): Promise<{ measures: PendingMeasureView[]; appeals: PendingAppealView[] }> {
      await access.authorize(ctx, 'approvals.read', { resource: 'approvals' }, undefined, { read: true });
      const p = ctx.principal;
      const [measureRows, appealRows] = await Promise.all([approvals.pendingMeasures(LIMIT), approvals.pendingAppeals(LIMIT)]);
      const iso = (d: Date | null) => d?.toISOString() ?? null;
      const shared = (c: PendingCase) => ({ caseId: c.caseId, reference: c.reference, caseState: c.caseState, riskLevel: c.riskLevel, caseUrgent: c.caseUrgent });

      const measures = measureRows.map((m): PendingMeasureView => {
        const awaiting = m.status === 'consented' ? 'decision' : 'confirmation';
        const commands = awaiting === 'decision' ? (['approve', 'reject'] as const) : (['confirm'] as const);
        const facts = { ...caseFacts(m), proposerId: m.proposedBy };
        const own = { status: m.status as MeasureRow['status'], urgent: m.urgent, confirmedAt: m.confirmedAt };
        const actions = commands.map((command) => {
          const action = MEASURE_COMMAND_ACTIONS[command];
          const code = access.refusalCode(p, action, facts) ?? measureRefusal(command, own, { state: m.caseState as CaseRow['state'] })?.code ?? null;
          return { command, action, allowed: code === null, refusal: code };
        });
        return {
          ...shared(m),
          id: m.id,
          code: m.code,
          category: m.category,
          implementer: m.implementer,
          urgent: m.urgent,
          status: m.status,
          awaiting,
          proposedAt: m.proposedAt.toISOString(),
          proposedBy: m.proposedBy,
          consentAt: iso(m.consentAt),
          decidedAt: iso(m.decidedAt),
          actions,
        };
      });

      const appeals = appealRows.map((a): PendingAppealView => {
        const code = access.refusalCode(p, 'appeal.decide', { ...caseFacts(a), deciderId: a.deciderId });
        return {
          ...shared(a),
          id: a.id,
          subject: a.subject,
          subjectId: a.subjectId,
          decisionAt: a.decisionAt.toISOString(),
          deciderId: a.deciderId,
          filedAt: a.filedAt.toISOString(),
          actions: [{ command: 'decide', action: 'appeal.decide', allowed: code === null, refusal: code }],
        };
      });
      return { measures, appeals };
    },
  };
}
