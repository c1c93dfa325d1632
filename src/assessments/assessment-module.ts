import { defineModule, route } from '../module.js';

/** Risk assessments of a case. */
export default defineModule({
  name: 'assessments',
  permissions: ['assessment.create', 'assessment.read'],
  routes: [route(() => import('./assessment-routes.js'), (c) => ({ assessments: c.services.assessments }))],
});
