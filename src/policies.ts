import { loadAccessPolicy, type AccessPolicy } from './access/policy.js';
import { loadBreakGlassPolicy, type BreakGlassPolicy } from './access/break-glass-policy.js';
import { loadAppealPolicy, type AppealPolicy } from './appeals/appeal-policy.js';
import { loadConsolePolicy, type ConsolePolicy } from './console/console-policy.js';
import { loadWorkflowPolicy, type WorkflowPolicy } from './cases/workflow-policy.js';
import type { WorkCalendar } from './deadlines/calendar.js';
import { loadCalendarPolicy, loadDeadlinePolicy, type DeadlinePolicy } from './deadlines/deadline-policy.js';
import { loadIntakePolicy, type IntakePolicy } from './intake/intake-policy.js';
import { loadLimitsPolicy, type LimitsPolicy } from './limits/limits-policy.js';
import { loadMeasureCatalogue, type MeasureCatalogue } from './measures/measure-catalogue.js';
import { loadReferralPolicy, type ReferralPolicy } from './referrals/referral-policy.js';
import { loadRiskPolicy, type RiskPolicy } from './risk/risk-policy.js';
import { loadSearchPolicy, type SearchPolicy } from './search/search-policy.js';
import { loadFilePolicy, type FilePolicy } from './files/file-policy.js';
import { loadCustodyPolicy, type CustodyPolicy } from './custody/custody-policy.js';
import { loadOnCallPolicy, type OnCallPolicy } from './oncall/on-call-policy.js';
import { loadStatisticsPolicy, type StatisticsPolicy } from './stats/statistics-policy.js';

/** Every file of policies/, parsed and validated: what an institution edits and restarts on. */
export interface Policies {
  /** access.yaml: who may do what. */
  access: AccessPolicy;
  /** intake.yaml: the lists a filing chooses from. */
  intake: IntakePolicy;
  /** deadlines.yaml: the deadline rules and escalation ladders. */
  deadlines: DeadlinePolicy;
  /** calendar.yaml: the working days deadlines count. */
  calendar: WorkCalendar;
  /** workflow.yaml: the case's states and transitions (checked against access.yaml). */
  workflow: WorkflowPolicy;
  /** referrals.yaml */
  referrals: ReferralPolicy;
  /** appeals.yaml */
  appeals: AppealPolicy;
  /** risk.yaml: the risk levels an assessment derives. */
  risk: RiskPolicy;
  /** measures.yaml: the catalogue of protection measures. */
  measures: MeasureCatalogue;
  /** limits.yaml: per-user limits, locks and waits. */
  limits: LimitsPolicy;
  /** break-glass.yaml: when a supervisor is part of a case, and the break-glass window. */
  breakGlass: BreakGlassPolicy;
  /** console.yaml: the staff console's idle lock. */
  console: ConsolePolicy;
  /** search.yaml: the blind index's token count per case and the bounds of a search. */
  search: SearchPolicy;
  /** files.yaml: the limits on evidence files. */
  files: FilePolicy;
  /** custody.yaml: k of n of the mechanism key's split backup, and the fewest holders before a warning. */
  custody: CustodyPolicy;
  /** on-call.yaml: office hours, the events that page the person on call, the time to acknowledge. */
  onCall: OnCallPolicy;
  /** statistics.yaml: what is counted, the crossings kept, disclosure control, the SDG 16.10.1 mapping. */
  statistics: StatisticsPolicy;
}

/**
 * Reads each policy file of `dir` once. Any invalid or missing file throws a PolicyError naming
 * it, so a process never starts on policies it could not read.
 */
export function loadPolicies(dir: string): Policies {
  const access = loadAccessPolicy(dir);
  const deadlines = loadDeadlinePolicy(dir);
  const calendar = loadCalendarPolicy(dir);
  const intake = loadIntakePolicy(dir);
  return {
    access,
    intake,
    deadlines,
    calendar,
    workflow: loadWorkflowPolicy(dir, access),
    referrals: loadReferralPolicy(dir),
    appeals: loadAppealPolicy(dir),
    risk: loadRiskPolicy(dir),
    measures: loadMeasureCatalogue(dir),
    limits: loadLimitsPolicy(dir),
    breakGlass: loadBreakGlassPolicy(dir),
    console: loadConsolePolicy(dir),
    search: loadSearchPolicy(dir),
    files: loadFilePolicy(dir),
    custody: loadCustodyPolicy(dir),
    onCall: loadOnCallPolicy(dir, { calendar, deadlineRules: new Set(deadlines.rules.keys()) }),
    statistics: loadStatisticsPolicy(dir, { intake }),
  };
}
