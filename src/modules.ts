import type { AppModule } from './module.js';
import health from './health/health-module.js';
import auth from './auth/auth-module.js';
import users from './users/user-module.js';
import orgs from './orgs/org-module.js';
import audit from './audit/audit-module.js';
import cases from './cases/case-module.js';
import messages from './messages/message-module.js';
import files from './files/file-module.js';
import assessments from './assessments/assessment-module.js';
import measures from './measures/measure-module.js';
import referrals from './referrals/referral-module.js';
import reports from './reports/case-report-module.js';
import appeals from './appeals/appeal-module.js';
import approvals from './approvals/approval-module.js';
import notifications from './notifications/notification-module.js';
import deadlines from './deadlines/deadline-module.js';
import escalation from './escalation/escalation-module.js';
import retention from './retention/retention-module.js';
import search from './search/search-module.js';
import custody from './custody/custody-module.js';
import platform from './plugins/platform-module.js';
import consoleApp from './console/console-module.js';
import views from './views/view-module.js';
import staff from './staff/staff-module.js';
import onCall from './oncall/on-call-module.js';
import policyView from './policy-view/policy-view-module.js';
import stats from './stats/stats-module.js';

/**
 * The domain modules, in the order their routes register (src/module.ts says what a module
 * declares). The app serves their routes, the workers start their queues, processors and outbox
 * topics, and every start checks their permissions against policies/access.yaml. A new domain is
 * a folder with its `*-module.ts` and one line here.
 */
export const defaultModules: readonly AppModule[] = [
  health,
  auth,
  users,
  orgs,
  audit,
  cases,
  messages,
  files,
  assessments,
  measures,
  referrals,
  reports,
  appeals,
  approvals,
  notifications,
  deadlines,
  escalation,
  retention,
  search,
  custody,
  views,
  staff,
  onCall,
  policyView,
  stats,
  platform,
  consoleApp,
];
