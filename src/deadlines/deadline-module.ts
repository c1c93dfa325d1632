import { defineModule, route } from '../module.js';

/** The deadlines of the cases a caller may see. */
export default defineModule({
  name: 'deadlines',
  permissions: ['deadline.list'],
  routes: [route(() => import('./deadline-view-routes.js'), (c) => ({ deadlineViews: c.services.deadlineViews }))],
});
