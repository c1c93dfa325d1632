/** The admins' own screens, one chunk of the build (see lazy-screens.ts). */
// The main bundle's code, imported by every chunk so it stays in one file (see lazy-screens.ts).
import '../app.js';

export { Invite } from '../screens/invite.js';
export { Users } from '../admin/users.js';
export { Orgs } from '../admin/orgs.js';
export { OrgPage } from '../admin/org-page.js';
export { HealthPage } from '../admin/health.js';
