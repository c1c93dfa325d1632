import { defineModule, route } from '../module.js';

/** What the defender reports on an open case: incidents, check-ins, alerts. */
export default defineModule({
  name: 'reports',
  permissions: ['incident.create', 'checkin.create', 'alert.create', 'report.read'],
  routes: [route(() => import('./case-report-routes.js'), (c) => ({ reports: c.services.reports }))],
});
