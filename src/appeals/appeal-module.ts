import { defineModule, route } from '../module.js';
import appealRoutes from './appeal-routes.js';

/** Appeals against a decision. */
export default defineModule({
  name: 'appeals',
  permissions: ['appeal.file', 'appeal.read', 'appeal.decide'],
  routes: [route(appealRoutes, (c) => ({ appeals: c.services.appeals }))],
});
