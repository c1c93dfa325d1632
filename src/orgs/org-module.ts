import { defineModule, route } from '../module.js';
import orgRoutes from './org-routes.js';
import keyRoutes from '../keys/key-routes.js';

/** Organisations, their keys and keyrings, and the published intake key. */
export default defineModule({
  name: 'orgs',
  permissions: ['keys.intake.read', 'org.create', 'org.list', 'org.keys.read', 'org.key.create', 'keyring.add', 'keyring.remove', 'keyring.list'],
  routes: [route(orgRoutes, (c) => ({ orgs: c.services.orgs })), route(keyRoutes, (c) => ({ orgs: c.services.orgs }))],
});
