import { defineModule, route } from '../module.js';

/** Retention: cases due for purge, and the purge. */
export default defineModule({
  name: 'retention',
  permissions: ['retention.read', 'case.purge'],
  routes: [route(() => import('./retention-routes.js'), (c) => ({ retention: c.services.retention }))],
});
