import { defineModule, type ModuleRoute } from '../module.js';
import { webPath } from '../lib/paths.js';

const queueDashboard: ModuleRoute = {
  async register(fastify, c) {
    const { registerQueueDashboard } = await import('./queue-dashboard.js');
    await registerQueueDashboard(fastify, { queues: c.queues, access: c.services.access });
  },
};
const page: ModuleRoute = {
  async register(fastify, c) {
    const { default: defenderPage } = await import('./defender-page.js');
    await fastify.register(defenderPage, { config: c.config, intakePolicy: c.policies.intake, dir: webPath(c.config) });
    const { default: webManifest } = await import('./web-manifest.js');
    await fastify.register(webManifest, { dir: webPath(c.config) });
  },
};

/** The defender's page (/, /suivi), the web build's manifest (/.well-known/egide/) and the admins' queue dashboard. */
export default defineModule({
  name: 'platform',
  permissions: ['page.read', 'queues.dashboard'],
  routes: [queueDashboard, page],
});
