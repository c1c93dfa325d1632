/**
 * Every screen of the console, who may reach it and what it stands on. A screen's `needs` are
 * the actions of policies/access.yaml it calls; its `roles` are exactly the staff roles that may
 * perform all of them (a test holds the two together), so a person never sees a screen whose
 * calls the API would refuse. Another role that types its address gets the "not available" page.
 * `nav` names the menu entry (its i18n key is `nav.<nav>`) of screens reached from the menu.
 * `chunk` names the script chunk of a screen that only some roles open (lazy-screens.ts loads it
 * the first time the screen shows); the others are in the main bundle every session loads.
 *
 * Plain data, no component: the Node tests read it as the console does.
 */
export type StaffRole = 'officer' | 'supervisor' | 'partner' | 'admin';
export const STAFF_ROLES: readonly StaffRole[] = ['officer', 'supervisor', 'partner', 'admin'];

/**
 * The chunks of the screens only some roles open, as the build names them (the file loaded with
 * `import()` in lazy-screens.ts): a role's own screens (`<role>-screens`, and `<role>-<part>` for
 * a heavy part fetched only when opened: the statistics carry a chart library), and a shared
 * screen apart so neither of its roles fetches the other's screens for it.
 */
export type ScreenChunk = 'supervisor-screens' | 'supervisor-statistics' | 'partner-screens' | 'admin-screens' | 'org-keyring' | 'policies' | 'service-figures';

export interface Screen {
  /** The route, preact-iso style (`:name` for a segment). */
  path: string;
  /** `public`: shown before sign-in too (an invitation, a recovery). */
  roles: readonly StaffRole[] | 'public';
  /** The access actions the screen calls (its reason to exist for a role). */
  needs: readonly string[];
  /** The menu entry (i18n `nav.<nav>`), for screens reached from the menu. */
  nav?: string;
  /** The chunk its code is in; none: the main bundle. */
  chunk?: ScreenChunk;
}

const STAFF = ['officer', 'supervisor'] as const;
const EVERYONE = STAFF_ROLES;

export const SCREENS: readonly Screen[] = [
  // The start page: the queue for officers and supervisors, the home page for the others.
  { path: '/console', roles: EVERYONE, needs: ['account.read'], nav: 'home' },
  { path: '/console/invitation', roles: 'public', needs: ['enrolment.complete'] },
  { path: '/console/recover', roles: 'public', needs: ['auth.recover'] },
  { path: '/console/notifications', roles: EVERYONE, needs: ['notification.read', 'notification.mark'], nav: 'notifications' },
  { path: '/console/account', roles: EVERYONE, needs: ['account.read', 'account.password'], nav: 'account' },
  { path: '/console/search', roles: STAFF, needs: ['case.search'], nav: 'search' },
  { path: '/console/intake', roles: STAFF, needs: ['case.file_on_behalf'], nav: 'intake' },
  { path: '/console/cases/:caseId', roles: STAFF, needs: ['case.read', 'case.timeline'] },
  { path: '/console/cases/:caseId/notes', roles: STAFF, needs: ['note.read', 'note.create'] },
  { path: '/console/cases/:caseId/dossier', roles: STAFF, needs: ['case.export'] },
  { path: '/console/invite', roles: ['admin'], needs: ['user.invite'], nav: 'invite', chunk: 'admin-screens' },
  { path: '/console/board', roles: ['supervisor'], needs: ['case.list', 'staff.load', 'notification.read', 'case.acknowledge', 'case.reassign'], nav: 'board', chunk: 'supervisor-screens' },
  { path: '/console/staff/:userId/leave', roles: ['supervisor'], needs: ['staff.holdings', 'staff.load', 'case.reassign', 'case.rekey', 'search_key.remove'], chunk: 'supervisor-screens' },
  // A partner organisation: its referrals, and its keyring (supervisors reach the latter too; it sends them to custody).
  { path: '/console/referrals', roles: ['partner'], needs: ['referral.read', 'referral.respond', 'deadline.list'], nav: 'referrals', chunk: 'partner-screens' },
  { path: '/console/referrals/:referralId', roles: ['partner'], needs: ['referral.read', 'referral.respond', 'referral.report', 'deadline.list', 'console.catalogues', 'file.read'], chunk: 'partner-screens' },
  { path: '/console/organisation', roles: ['supervisor', 'partner'], needs: ['keyring.list', 'keyring.add', 'org.key.create', 'staff.directory', 'user.key.read'], chunk: 'org-keyring' },
  { path: '/console/custody', roles: ['supervisor'], needs: ['custody.read', 'custody.restore'], nav: 'custody', chunk: 'supervisor-screens' },
  { path: '/console/on-call', roles: STAFF, needs: ['oncall.read', 'oncall.acknowledge'], nav: 'onCall' },
  { path: '/console/audit', roles: ['supervisor'], needs: ['audit.read', 'staff.directory'], nav: 'audit', chunk: 'supervisor-screens' },
  { path: '/console/cases/:caseId/access-log', roles: ['supervisor'], needs: ['audit.read', 'case.read'], chunk: 'supervisor-screens' },
  // The admins' console (web/console/admin/); the policies are the supervisors' to read too.
  { path: '/console/users', roles: ['admin'], needs: ['user.list', 'user.invite', 'invitation.list', 'invitation.resend', 'invitation.revoke', 'user.disable', 'user.enable', 'user.totp_reset', 'org.list'], nav: 'users', chunk: 'admin-screens' },
  { path: '/console/orgs', roles: ['admin'], needs: ['org.list', 'org.create'], nav: 'orgs', chunk: 'admin-screens' },
  { path: '/console/orgs/:orgId', roles: ['admin'], needs: ['org.list', 'user.list', 'org.keys.read', 'keyring.list', 'keyring.remove', 'webhook.manage', 'webhook.deliveries', 'webhook.test', 'webhook.redeliver'], chunk: 'admin-screens' },
  { path: '/console/health', roles: ['admin'], needs: ['admin.health'], nav: 'health', chunk: 'admin-screens' },
  { path: '/console/policies', roles: ['supervisor', 'admin'], needs: ['policy.read'], nav: 'policies', chunk: 'policies' },
  { path: '/console/approvals', roles: ['supervisor'], needs: ['approvals.read', 'measure.approve', 'appeal.decide'], nav: 'approvals', chunk: 'supervisor-screens' },
  { path: '/console/retention', roles: ['supervisor'], needs: ['retention.read', 'case.purge', 'retention.hold'], nav: 'retention', chunk: 'supervisor-screens' },
  // The statistics: exact figures and the annual report for supervisors; the service's own figures for admins too.
  { path: '/console/stats', roles: ['supervisor'], needs: ['stats.service', 'stats.read'], nav: 'stats', chunk: 'supervisor-statistics' },
  { path: '/console/stats/report', roles: ['supervisor'], needs: ['stats.service', 'stats.read', 'stats.publish'], chunk: 'supervisor-statistics' },
  { path: '/console/service-figures', roles: ['supervisor', 'admin'], needs: ['stats.service'], nav: 'serviceFigures', chunk: 'service-figures' },
];

/** The screen a path shows (its segments matched as preact-iso matches routes), if any. */
export function screenOf(path: string): Screen | undefined {
  const parts = path.replace(/\/+$/, '').split('/');
  return SCREENS.find((s) => {
    const want = s.path.split('/');
    return want.length === parts.length && want.every((w, i) => w.startsWith(':') ? parts[i] !== '' : w === parts[i]);
  });
}

/** Whether a role may see a screen. */
export function reachable(screen: Screen, role: string | undefined): boolean {
  return screen.roles === 'public' || screen.roles.some((r) => r === role);
}
