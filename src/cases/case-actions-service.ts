import { AppError } from '../lib/problem.js';
import type { Db, Tx } from '../db/client.js';
import type { RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import { caseScope } from '../access/case-scope.js';
import type { AccessPolicy } from '../access/policy.js';
import { assessmentRefusal } from '../assessments/assessment-service.js';
import { proposalTrack } from '../measures/measure-proposals.js';
import { referralRefusal } from '../referrals/referral-proposals.js';
import { messageRefusal } from '../messages/message-service.js';
import type { CaseReportService } from '../reports/case-report-service.js';
import { CASE_COMMANDS, type CaseActionsView, type CaseCommand } from '../contracts/case-actions.js';
import type { CaseRow } from './case-repository.js';
import { sealedRefusal, type CaseService } from './case-service.js';
import { choosesAssignee, urgencyRefusal, verificationRefusal, type CaseWorkflowService } from './case-workflow-service.js';
import { withdrawalRefusal } from './case-withdrawal-service.js';
import { rekeyRefusal } from './case-rekey-plan.js';
import { breakGlassRefusal } from './break-glass-service.js';
import { fileRefusal } from '../files/file-service.js';
import { receiptRefusal } from './case-receipt-service.js';
import type { WorkflowPolicy } from './workflow-policy.js';

/** What the case command's own service refuses beyond the policy, asked of that service's own check. */
type CommandCheck = (c: CaseRow, tx: Tx, own: readonly unknown[]) => Promise<AppError | null> | AppError | null;

export type CaseActionsService = ReturnType<typeof createCaseActionsService>;

/**
 * What the caller may do on a case now, for the staff console's buttons. Nothing here decides
 * anything of its own: each answer is the access policy's decision (`refusalCode`, on the same
 * scope facts the commands authorise with) and then the refusal check the command's own service
 * runs (exported by it, so both ask the same function). A transition is listed only when both let
 * it through; every other command is listed with whether it would be allowed and, if not, the
 * problem code it would be refused with.
 */
export function createCaseActionsService(deps: {
  db: Db;
  access: Pick<AccessService, 'authorize' | 'refusalCode'>;
  caseService: Pick<CaseService, 'sealedFacts'>;
  workflowService: Pick<CaseWorkflowService, 'refusal'>;
  reports: Pick<CaseReportService, 'refusal'>;
  workflow: WorkflowPolicy;
  /** policies/access.yaml: every command's action must be there */
  accessPolicy: AccessPolicy;
}) {
  const { db, access, caseService, workflowService, reports, workflow } = deps;

  const COMMANDS: Record<CaseCommand, { action: string; refusal?: CommandCheck }> = {
    set_urgency: { action: 'case.urgency', refusal: (c) => urgencyRefusal(c) },
    set_verification: { action: 'case.verify', refusal: (c) => verificationRefusal(c) },
    record_assessment: { action: 'assessment.create', refusal: (c) => assessmentRefusal(c) },
    // Open when a measure of some category may be proposed: the urgent category is the one the widest range of states takes.
    propose_measure: {
      action: 'measure.propose',
      refusal: (c) => {
        const track = proposalTrack(c, 'urgent');
        return track instanceof AppError ? track : null;
      },
    },
    propose_referral: { action: 'referral.create', refusal: (c) => referralRefusal(c, false) },
    refer_without_consent: { action: 'referral.exception', refusal: (c) => referralRefusal(c, true) },
    send_message: { action: 'message.create', refusal: (c) => messageRefusal(c) },
    read_sealed: { action: 'case.read_sealed', refusal: (c, _tx, own) => sealedRefusal(c, own) },
    grant_envelope: { action: 'case.grant' },
    report_incident: { action: 'incident.create', refusal: (c, tx) => reports.refusal('incident', c, tx) },
    check_in: { action: 'checkin.create', refusal: (c, tx) => reports.refusal('checkin', c, tx) },
    raise_alert: { action: 'alert.create', refusal: (c, tx) => reports.refusal('alert', c, tx) },
    withdraw_consent: { action: 'case.withdraw', refusal: (c) => withdrawalRefusal(c) },
    rekey: { action: 'case.rekey', refusal: (c, _tx, own) => rekeyRefusal(c, own) },
    break_glass: { action: 'case.break_glass', refusal: (c) => breakGlassRefusal(c) },
    reissue_receipt: { action: 'case.reissue_receipt', refusal: (c, _tx, own) => receiptRefusal(c, own) },
    add_file: { action: 'file.upload', refusal: (c) => fileRefusal(c) },
    // A purged case's files are gone with its sealed content; the list answers case_purged.
    read_files: { action: 'file.read', refusal: (c) => (c.purgedAt ? new AppError('case_purged', 'the sealed content of this case was purged') : null) },
  };
  // Every command names an action of the access policy: a rename there must not leave a button nobody can press.
  for (const [name, { action }] of Object.entries(COMMANDS)) {
    if (!deps.accessPolicy.has(action)) throw new Error(`case command ${name} needs action ${action}, which policies/access.yaml does not define`);
  }

  return {
    async list(ctx: RequestContext, caseId: string): Promise<CaseActionsView> {
      const { c, envelopes, facts } = await caseService.sealedFacts(ctx, caseId);
      // Audited as a read of the case's metadata, like GET /v1/cases/:caseId: same action, same scope.
      await access.authorize(ctx, 'case.read', { resource: `case:${caseId}`, caseId: c ? caseId : null, found: c !== undefined, facts: caseScope(c) }, undefined, { read: true });
      if (!c) throw new AppError('not_found');
      const p = ctx.principal;
      // Not read-only: the checks are the commands' own, and some lock what they read (a check-in's live deadlines).
      return db.transaction(async (tx) => {
        const transitions: CaseActionsView['transitions'] = [];
        for (const rule of workflow.transitions.values()) {
          if (access.refusalCode(p, rule.action, facts) !== null) continue;
          if (await workflowService.refusal(rule, c, tx)) continue;
          const requires: CaseActionsView['transitions'][number]['requires'] = [...rule.requires];
          if (rule.assigns && choosesAssignee(p)) requires.push('assigneeId');
          if (rule.handsOver) requires.push('envelope');
          transitions.push({ name: rule.name, to: rule.to ?? c.state, requires, ...(rule.requires.includes('closeReason') ? { closeReasons: [...workflow.closeReasons] } : {}) });
        }
        const commands: CaseActionsView['commands'] = [];
        for (const command of CASE_COMMANDS) {
          const { action, refusal } = COMMANDS[command];
          const code = access.refusalCode(p, action, facts) ?? (refusal ? ((await refusal(c, tx, envelopes))?.code ?? null) : null);
          commands.push({ command, action, allowed: code === null, refusal: code });
        }
        return { caseId, state: c.state, transitions, commands };
      });
    },
  };
}
