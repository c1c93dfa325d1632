import { defineModule, route } from '../module.js';

/** Supervisors' oversight of the staff: load per officer, and a staff member's holdings when they leave. */
export default defineModule({
  name: 'staff',
  permissions: ['staff.load', 'staff.holdings'],
  routes: [route(() => import('./staff-oversight-routes.js'), (c) => ({ staffOversight: c.services.staffOversight }))],
});
