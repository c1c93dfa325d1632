import { defineModule, route } from '../module.js';
import deadlineViewRoutes from './deadline-view-routes.js';

/** The deadlines of the cases a caller may see. */
export default defineModule({
  name: 'deadlines',
  permissions: ['deadline.list'],
  routes: [route(deadlineViewRoutes, (c) => ({ deadlineViews: c.services.deadlineViews }))],
});
