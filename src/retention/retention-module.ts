import { defineModule, route } from '../module.js';
import retentionRoutes from './retention-routes.js';

/** Retention: cases due for purge, and the purge. */
export default defineModule({
  name: 'retention',
  permissions: ['retention.read', 'case.purge'],
  routes: [route(retentionRoutes, (c) => ({ retention: c.services.retention }))],
});
