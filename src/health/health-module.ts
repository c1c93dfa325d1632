import { defineModule, route } from '../module.js';
import healthPlugin from '../plugins/health.js';
import adminHealthRoutes from './admin-health-routes.js';

/** Liveness and readiness (and the docs and metrics, which the app's plugins serve under health.read), the admin's health report. */
export default defineModule({
  name: 'health',
  permissions: ['health.read', 'admin.health'],
  routes: [route(healthPlugin, (c) => ({ health: c.services.health })), route(adminHealthRoutes, (c) => ({ health: c.services.health }))],
});
