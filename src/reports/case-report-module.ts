import { defineModule, route } from '../module.js';
import caseReportRoutes from './case-report-routes.js';

/** What the defender reports on an open case: incidents, check-ins, alerts. */
export default defineModule({
  name: 'reports',
  permissions: ['incident.create', 'checkin.create', 'alert.create', 'report.read'],
  routes: [route(caseReportRoutes, (c) => ({ reports: c.services.reports }))],
});
