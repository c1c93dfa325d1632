import { defineModule, route } from '../module.js';

/** Organisations, their keys and keyrings, and the published intake key. */
export default defineModule({
  name: 'orgs',
  permissions: ['keys.intake.read', 'org.create', 'org.list', 'org.keys.read', 'org.key.create', 'keyring.add', 'keyring.remove', 'keyring.list'],
  routes: [route(() => import('./org-routes.js'), (c) => ({ orgs: c.services.orgs })), route(() => import('../keys/key-routes.js'), (c) => ({ orgs: c.services.orgs }))],
});
