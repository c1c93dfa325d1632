import { join } from 'node:path';
import { defineModule, route, type ModuleRoute } from '../module.js';
import { webPath } from '../lib/paths.js';

const page: ModuleRoute = {
  async register(fastify, c) {
    const { default: consolePage } = await import('../plugins/console-page.js');
    await fastify.register(consolePage, { dir: join(webPath(c.config), 'console') });
  },
};

/** The staff console (/console/) and the settings it starts with. */
export default defineModule({
  name: 'console',
  permissions: ['console.read', 'console.catalogues'],
  routes: [
    route(
      () => import('./console-routes.js'),
      (c) => ({ settings: { timeZone: c.policies.calendar.timeZone, idleLockMinutes: c.policies.console.idleLockMinutes }, console: c.services.consoleCatalogues }),
    ),
    page,
  ],
});
