import type { Operation } from './operation.js';
import { ROUTES, type OperationId } from './routes.js';
import * as adminHealth from './admin-health.js';
import * as appeal from './appeal.js';
import * as approval from './approval.js';
import * as assessment from './assessment.js';
import * as audit from './audit.js';
import * as auth from './auth.js';
import * as breakGlass from './break-glass.js';
import * as caseFiling from './case.js';
import * as consoleSettings from './console.js';
import * as caseList from './case-list.js';
import * as caseRekey from './case-rekey.js';
import * as caseReceipt from './case-receipt.js';
import * as caseReport from './case-report.js';
import * as caseExport from './case-export.js';
import * as caseTimeline from './case-timeline.js';
import * as caseWithdrawal from './case-withdrawal.js';
import * as caseWorkflow from './case-workflow.js';
import * as deadlineView from './deadline-view.js';
import * as key from './key.js';
import * as page from './page.js';
import * as measure from './measure.js';
import * as message from './message.js';
import * as note from './note.js';
import * as notification from './notification.js';
import * as org from './org.js';
import * as referral from './referral.js';
import * as retention from './retention.js';
import * as user from './user.js';
import * as userKey from './user-key.js';
import * as staffDirectory from './staff-directory.js';
import * as staffOversight from './staff-oversight.js';
import * as webhook from './webhook.js';
import * as search from './search.js';
import * as caseActions from './case-actions.js';
import * as savedView from './saved-view.js';
import * as file from './file.js';
import * as custody from './custody.js';
import * as onCall from './on-call.js';
import * as policyView from './policy-view.js';
import * as statistics from './statistics.js';

/** The operations a contract module exports, keyed by operationId (its shapes and helpers left out). */
type OperationsOf<M> = { [K in keyof M as M[K] extends Operation<infer Id> ? Id : never]: M[K] };

const modules = [adminHealth, appeal, assessment, audit, auth, breakGlass, caseFiling, caseList, caseRekey, caseReport, caseExport, caseTimeline, caseWithdrawal, caseWorkflow, consoleSettings, deadlineView, key, page, measure, message, notification, org, referral, retention, user, userKey, staffDirectory, staffOversight, webhook, caseReceipt, note, search, caseActions, savedView, file, custody, onCall, policyView, approval, statistics] as const;

/** Every operation of the API by operationId, with its TypeBox schemas: what the routes register and the typed client is typed by. */
export type Contracts = OperationsOf<typeof adminHealth> &
  OperationsOf<typeof policyView> &
  OperationsOf<typeof statistics> &
  OperationsOf<typeof appeal> &
  OperationsOf<typeof approval> &
  OperationsOf<typeof assessment> &
  OperationsOf<typeof audit> &
  OperationsOf<typeof auth> &
  OperationsOf<typeof breakGlass> &
  OperationsOf<typeof caseFiling> &
  OperationsOf<typeof caseList> &
  OperationsOf<typeof caseRekey> &
  OperationsOf<typeof caseReceipt> &
  OperationsOf<typeof caseReport> &
  OperationsOf<typeof caseExport> &
  OperationsOf<typeof caseTimeline> &
  OperationsOf<typeof caseWithdrawal> &
  OperationsOf<typeof caseWorkflow> &
  OperationsOf<typeof consoleSettings> &
  OperationsOf<typeof page> &
  OperationsOf<typeof deadlineView> &
  OperationsOf<typeof key> &
  OperationsOf<typeof measure> &
  OperationsOf<typeof message> &
  OperationsOf<typeof note> &
  OperationsOf<typeof notification> &
  OperationsOf<typeof org> &
  OperationsOf<typeof referral> &
  OperationsOf<typeof retention> &
  OperationsOf<typeof user> &
  OperationsOf<typeof userKey> &
  OperationsOf<typeof staffDirectory> &
  OperationsOf<typeof staffOversight> &
  OperationsOf<typeof webhook> &
  OperationsOf<typeof search> &
  OperationsOf<typeof caseActions> &
  OperationsOf<typeof savedView> &
  OperationsOf<typeof file> &
  OperationsOf<typeof custody> &
  OperationsOf<typeof onCall>;

function collect(): Contracts {
  const out: Record<string, Operation> = {};
  for (const m of modules) {
    for (const value of Object.values(m)) {
      if (isOperation(value)) out[value.operationId] = value;
    }
  }
  const missing = Object.keys(ROUTES).filter((id) => !(id in out));
  if (missing.length > 0) throw new Error(`operations in the route table without a contract: ${missing.join(', ')}`);
  return out as unknown as Contracts;
}

function isOperation(value: unknown): value is Operation {
  if (typeof value !== 'object' || value === null || !('operationId' in value) || !('schema' in value)) return false;
  return typeof value.operationId === 'string' && value.operationId in ROUTES;
}

export const contracts: Contracts = collect();

// Every operation of the route table has its contract (and the other way round, by the key remap above).
const _complete: Record<OperationId, Operation> = contracts;
void _complete;

export { ROUTES };
