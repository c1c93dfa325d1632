import { defineModule, route } from '../module.js';
import authRoutes from './auth-routes.js';

/** Login, tokens, recovery, and the caller's own account. */
export default defineModule({
  name: 'auth',
  permissions: ['auth.prelogin', 'auth.login', 'auth.refresh', 'auth.recover', 'auth.totp_reset', 'auth.logout', 'account.read', 'account.password'],
  routes: [route(authRoutes, (c) => ({ auth: c.services.auth, totpReset: c.services.totpReset }))],
});
