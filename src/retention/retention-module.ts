import { defineModule, route } from '../module.js';

/** Retention: cases due for purge, the purge, and a hold on it. */
export default defineModule({
  name: 'retention',
  permissions: ['retention.read', 'case.purge', 'retention.hold'],
  routes: [route(() => import('./retention-routes.js'), (c) => ({ retention: c.services.retention }))],
});
