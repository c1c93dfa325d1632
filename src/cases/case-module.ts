import { defineModule, route } from '../module.js';

/** Filing, the defender's receipt, reading and listing cases, the workflow's transitions, withdrawal, rekeying, break-glass, internal notes. */
export default defineModule({
  name: 'cases',
  permissions: [
    'request.create', 'auth.receipt', 'case.file_on_behalf', 'case.list', 'case.read', 'case.read_sealed', 'case.grant',
    // the transitions of policies/workflow.yaml (case-workflow-routes.ts: one route per transition)
    'case.acknowledge', 'case.reassign', 'case.triage', 'case.provide_info', 'case.urgency', 'case.close', 'case.reopen', 'case.decide',
    // whether the alleged violation was verified (case-workflow-routes.ts, beside the urgency)
    'case.verify',
    'case.withdraw', 'case.timeline', 'case.rekey', 'case.break_glass',
    'case.reissue_receipt', 'case.export',
    // internal notes under the case's staff key
    'case.staff_key', 'note.create', 'note.read',
  ],
  routes: [
    route(() => import('./case-routes.js'), (c) => ({ intake: c.services.intake, cases: c.services.cases, auth: c.services.auth })),
    route(() => import('./case-workflow-routes.js'), (c) => ({ workflow: c.policies.workflow, service: c.services.workflow })),
    route(() => import('./case-list-routes.js'), (c) => ({ caseList: c.services.caseList })),
    route(() => import('./case-timeline-routes.js'), (c) => ({ timeline: c.services.caseTimeline })),
    route(() => import('./case-withdrawal-routes.js'), (c) => ({ withdrawal: c.services.withdrawal })),
    route(() => import('./case-rekey-routes.js'), (c) => ({ rekey: c.services.rekey })),
    route(() => import('./break-glass-routes.js'), (c) => ({ breakGlass: c.services.breakGlass })),
    route(() => import('./case-receipt-routes.js'), (c) => ({ receipts: c.services.receipts })),
    route(() => import('./note-routes.js'), (c) => ({ notes: c.services.notes })),
    route(() => import('./case-actions-routes.js'), (c) => ({ caseActions: c.services.caseActions })),
    route(() => import('./case-export-routes.js'), (c) => ({ exports: c.services.caseExports })),
  ],
});
