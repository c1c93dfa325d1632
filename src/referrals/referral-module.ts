import { defineModule, route } from '../module.js';

/** Referrals to partner organisations, with or without consent. */
export default defineModule({
  name: 'referrals',
  permissions: ['referral.read', 'referral.create', 'referral.consent', 'referral.exception', 'referral.withdraw', 'referral.respond', 'referral.report'],
  routes: [route(() => import('./referral-routes.js'), (c) => ({ referrals: c.services.referrals }))],
});
