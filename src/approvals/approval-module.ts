import { defineModule, route } from '../module.js';

/** Approvals: the measures and appeals that wait on a supervisor, across cases. */
export default defineModule({
  name: 'approvals',
  permissions: ['approvals.read'],
  routes: [route(() => import('./approval-routes.js'), (c) => ({ approvals: c.services.approvals }))],
});
