import { defineModule, route } from '../module.js';

/** The policies as the service loaded them, for the people who work under them. */
export default defineModule({
  name: 'policy-view',
  permissions: ['policy.read'],
  routes: [route(() => import('./policy-view-routes.js'), (c) => ({ policyView: c.services.policyView }))],
});
