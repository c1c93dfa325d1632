/**
 * The screens only some roles open, each fetched from its chunk the first time it shows: the
 * build splits every `import()` here into a file of its own, so an officer's phone never downloads
 * the supervisors', partners' or admins' screens. The sign-in and the officer's daily screens are
 * in the main bundle. screen-list.ts names each screen's chunk (`chunk`); the tests hold that to
 * the build's chunks and to what the browser fetches for each role.
 *
 * Each chunk is a file of chunks/ (the build makes each one an entry named after it) that imports
 * app.tsx for nothing but its place in the graph: esbuild puts a module in one file per set of
 * entries that reach it, so the code the main bundle shares with some chunks would otherwise be
 * cut into a file per combination of roles (nine at the time of writing), each a request more
 * before an officer sees the sign-in. Reached from every chunk, it is one file, fetched with the
 * main bundle; importing it again from a chunk runs nothing (a module runs once per page).
 */
import { lazyScreen } from './ui/lazy-screen.js';

const supervisorScreens = () => import('./chunks/supervisor-screens.js');
const partnerScreens = () => import('./chunks/partner-screens.js');
const adminScreens = () => import('./chunks/admin-screens.js');

export const Board = lazyScreen(() => supervisorScreens().then((m) => m.Board));
export const StaffLeave = lazyScreen(() => supervisorScreens().then((m) => m.StaffLeave));
export const Custody = lazyScreen(() => supervisorScreens().then((m) => m.Custody));
export const AuditViewer = lazyScreen(() => supervisorScreens().then((m) => m.AuditViewer));
export const CaseAccessLog = lazyScreen(() => supervisorScreens().then((m) => m.CaseAccessLog));
export const Approvals = lazyScreen(() => supervisorScreens().then((m) => m.Approvals));
export const Retention = lazyScreen(() => supervisorScreens().then((m) => m.Retention));

export const ReferralInbox = lazyScreen(() => partnerScreens().then((m) => m.ReferralInbox));
export const ReferralPage = lazyScreen(() => partnerScreens().then((m) => m.ReferralPage));

export const Invite = lazyScreen(() => adminScreens().then((m) => m.Invite));
export const Users = lazyScreen(() => adminScreens().then((m) => m.Users));
export const Orgs = lazyScreen(() => adminScreens().then((m) => m.Orgs));
export const OrgPage = lazyScreen(() => adminScreens().then((m) => m.OrgPage));
export const HealthPage = lazyScreen(() => adminScreens().then((m) => m.HealthPage));

// Two roles each: a chunk of their own, so neither role fetches the other's screens for them.
export const OrgKeyring = lazyScreen(() => import('./chunks/org-keyring.js').then((m) => m.OrgKeyring));
export const Policies = lazyScreen(() => import('./chunks/policies.js').then((m) => m.Policies));
export const ServiceFigures = lazyScreen(() => import('./chunks/service-figures.js').then((m) => m.ServiceFiguresScreen));

// The statistics carry their chart library: a chunk of their own, fetched when a supervisor opens them.
const statistics = () => import('./chunks/supervisor-statistics.js');
export const Statistics = lazyScreen(() => statistics().then((m) => m.StatsScreen));
export const StatsReport = lazyScreen(() => statistics().then((m) => m.ReportScreen));
