import { defineModule, route } from '../module.js';

/** Invitations, enrolment, user management, and the users' public keys. */
export default defineModule({
  name: 'users',
  permissions: ['enrolment.complete', 'user.invite', 'user.list', 'invitation.list', 'invitation.resend', 'invitation.revoke', 'user.disable', 'user.enable', 'user.totp_reset', 'user.key.read', 'staff.directory'],
  routes: [route(() => import('./user-routes.js'), (c) => ({ users: c.services.users, totpReset: c.services.totpReset })), route(() => import('./user-key-routes.js'), (c) => ({ userKeys: c.services.userKeys })), route(() => import('./staff-directory-routes.js'), (c) => ({ staffDirectory: c.services.staffDirectory }))],
});
