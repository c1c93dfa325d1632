import { defineModule, route } from '../module.js';

/** Custody of the mechanism key: who holds it, split backups recorded, restore with proof of possession, cases moved onto the current key after a rotation. */
export default defineModule({
  name: 'custody',
  permissions: ['custody.read', 'custody.backup.record', 'custody.restore', 'custody.rewrap'],
  routes: [route(() => import('./custody-routes.js'), (c) => ({ custody: c.services.custody, rewrap: c.services.custodyRewrap }))],
});
