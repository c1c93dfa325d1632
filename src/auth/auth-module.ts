import { defineModule, route } from '../module.js';

/** Login, tokens, recovery, and the caller's own account. */
export default defineModule({
  name: 'auth',
  permissions: ['auth.prelogin', 'auth.login', 'auth.refresh', 'auth.recover', 'auth.totp_reset', 'auth.logout', 'auth.logout_everywhere', 'account.read', 'account.password'],
  routes: [route(() => import('./auth-routes.js'), (c) => ({ auth: c.services.auth, totpReset: c.services.totpReset }))],
});
