import { defineModule, type ModuleRoute } from '../module.js';
import { webPath } from '../lib/paths.js';
import { registerQueueDashboard } from './queue-dashboard.js';
import defenderPage from './defender-page.js';

const queueDashboard: ModuleRoute = {
  register: (fastify, c) => registerQueueDashboard(fastify, { config: c.config, redis: c.redis, access: c.services.access }),
};
const page: ModuleRoute = {
  register: async (fastify, c) => {
    await fastify.register(defenderPage, { config: c.config, intakePolicy: c.policies.intake, dir: webPath(c.config) });
  },
};

/** The defender's page (/, /suivi) and the admins' queue dashboard. */
export default defineModule({
  name: 'platform',
  permissions: ['page.read', 'queues.dashboard'],
  routes: [queueDashboard, page],
});
