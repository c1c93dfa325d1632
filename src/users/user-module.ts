import { defineModule, route } from '../module.js';
import userRoutes from './user-routes.js';
import userKeyRoutes from './user-key-routes.js';

/** Invitations, enrolment, user management, and the users' public keys. */
export default defineModule({
  name: 'users',
  permissions: ['enrolment.complete', 'user.invite', 'user.list', 'user.disable', 'user.enable', 'user.totp_reset', 'user.key.read'],
  routes: [route(userRoutes, (c) => ({ users: c.services.users, totpReset: c.services.totpReset })), route(userKeyRoutes, (c) => ({ userKeys: c.services.userKeys }))],
});
