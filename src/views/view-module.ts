import { defineModule, route } from '../module.js';

/** Each staff member's saved views of the case list. */
export default defineModule({
  name: 'views',
  permissions: ['view.list', 'view.create', 'view.delete'],
  routes: [route(() => import('./saved-view-routes.js'), (c) => ({ views: c.services.savedViews }))],
});
