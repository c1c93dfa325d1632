import { defineModule, route } from '../module.js';
import caseRoutes from './case-routes.js';
import caseWorkflowRoutes from './case-workflow-routes.js';
import caseListRoutes from './case-list-routes.js';
import caseTimelineRoutes from './case-timeline-routes.js';
import caseWithdrawalRoutes from './case-withdrawal-routes.js';
import caseRekeyRoutes from './case-rekey-routes.js';
import breakGlassRoutes from './break-glass-routes.js';

/** Filing, the defender's receipt, reading and listing cases, the workflow's transitions, withdrawal, rekeying, break-glass. */
export default defineModule({
  name: 'cases',
  permissions: [
    'request.create', 'auth.receipt', 'case.file_on_behalf', 'case.list', 'case.read', 'case.read_sealed', 'case.grant',
    // the transitions of policies/workflow.yaml (case-workflow-routes.ts: one route per transition)
    'case.acknowledge', 'case.triage', 'case.provide_info', 'case.urgency', 'case.close', 'case.reopen', 'case.decide',
    'case.withdraw', 'case.timeline', 'case.rekey', 'case.break_glass',
  ],
  routes: [
    route(caseRoutes, (c) => ({ intake: c.services.intake, cases: c.services.cases, auth: c.services.auth })),
    route(caseWorkflowRoutes, (c) => ({ workflow: c.policies.workflow, service: c.services.workflow })),
    route(caseListRoutes, (c) => ({ caseList: c.services.caseList })),
    route(caseTimelineRoutes, (c) => ({ timeline: c.services.caseTimeline })),
    route(caseWithdrawalRoutes, (c) => ({ withdrawal: c.services.withdrawal })),
    route(caseRekeyRoutes, (c) => ({ rekey: c.services.rekey })),
    route(breakGlassRoutes, (c) => ({ breakGlass: c.services.breakGlass })),
  ],
});
