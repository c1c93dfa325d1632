import { defineModule, route } from '../module.js';
import assessmentRoutes from './assessment-routes.js';

/** Risk assessments of a case. */
export default defineModule({
  name: 'assessments',
  permissions: ['assessment.create', 'assessment.read'],
  routes: [route(assessmentRoutes, (c) => ({ assessments: c.services.assessments }))],
});
