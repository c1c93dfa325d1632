/** A partner organisation's referral screens, one chunk of the build (see lazy-screens.ts). */
// The main bundle's code, imported by every chunk so it stays in one file (see lazy-screens.ts).
import '../app.js';

export { ReferralInbox } from '../partner/referral-inbox.js';
export { ReferralPage } from '../partner/referral-page.js';
