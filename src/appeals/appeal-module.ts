import { defineModule, route } from '../module.js';

/** Appeals against a decision. */
export default defineModule({
  name: 'appeals',
  permissions: ['appeal.file', 'appeal.read', 'appeal.decide'],
  routes: [route(() => import('./appeal-routes.js'), (c) => ({ appeals: c.services.appeals }))],
});
