import { defineModule, route } from '../module.js';

/** Liveness and readiness (and the docs and metrics, which the app's plugins serve under health.read), the admin's health report. */
export default defineModule({
  name: 'health',
  permissions: ['health.read', 'admin.health'],
  routes: [route(() => import('../plugins/health.js'), (c) => ({ health: c.services.health })), route(() => import('./admin-health-routes.js'), (c) => ({ health: c.services.health }))],
});
