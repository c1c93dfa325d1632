/**
 * The console: the router, and the gate in front of it. Public screens (an invitation, a
 * recovery) show to anyone; every other route shows the sign-in form in place until the person
 * signs in, then the route they asked for (a reload is a new session and lands back where it was);
 * a locked console shows only the lock, and the screen behind it is unmounted, so no decrypted
 * text stays in the page.
 */
import { effect, signal } from '@preact/signals';
import { LocationProvider, Route, Router, useLocation } from 'preact-iso/router';
import { useEffect } from 'preact/hooks';
import { sessionAlive } from './api.js';
import { t } from './i18n.js';
import { Account } from './screens/account.js';
import { CaseDossier } from './screens/case-dossier.js';
import { CaseNotes } from './screens/case-notes.js';
import { CasePage } from './screens/case-page.js';
import { Intake } from './screens/intake.js';
import { Invitation } from './screens/invitation.js';
import { Lock } from './screens/lock.js';
import { Approvals, AuditViewer, Board, CaseAccessLog, Custody, HealthPage, Invite, OrgKeyring, OrgPage, Orgs, Policies, ReferralInbox, ReferralPage, Retention, ServiceFigures, StaffLeave, Statistics, StatsReport, Users } from './lazy-screens.js';
import { NotAvailable, NotFound } from './screens/not-found.js';
import { Notifications } from './screens/notifications.js';
import { OnCall } from './oncall/on-call.js';
import { Recover } from './screens/recover.js';
import { Search } from './screens/search.js';
import { Start } from './screens/queue.js';
import { SignIn } from './screens/sign-in.js';
import { reachable, screenOf } from './screen-list.js';
import { account, endLocally, locked } from './session.js';
import { Shell } from './shell.js';

/** True when the server ended the session under us (refresh refused): say so on the sign-in form. */
const sessionEnded = signal(false);
effect(() => {
  if (account.value && !sessionAlive.value) {
    endLocally();
    sessionEnded.value = true;
  }
});

function Gate() {
  const { path } = useLocation();
  // Each screen names itself; the title follows the route for screen-reader users.
  useEffect(() => {
    document.title = t('brand');
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [path]);
  const screen = screenOf(path);
  if (screen?.roles !== 'public') {
    if (!account.value) return <SignIn ended={sessionEnded.value} />;
    if (locked.value) return <Lock />;
    // Another role's screen typed by hand: say so plainly (the API would refuse its calls anyway).
    if (screen && !reachable(screen, account.value.role)) return <NotAvailable />;
  }
  return (
    <Router>
      <Route path="/console" component={Start} />
      <Route path="/console/" component={Start} />
      <Route path="/console/cases/:caseId/notes" component={CaseNotes} />
      <Route path="/console/cases/:caseId/dossier" component={CaseDossier} />
      <Route path="/console/search" component={Search} />
      <Route path="/console/intake" component={Intake} />
      <Route path="/console/invitation" component={Invitation} />
      <Route path="/console/recover" component={Recover} />
      <Route path="/console/account" component={Account} />
      <Route path="/console/invite" component={Invite} />
      <Route path="/console/cases/:caseId" component={CasePage} />
      <Route path="/console/notifications" component={Notifications} />
      <Route path="/console/board" component={Board} />
      <Route path="/console/staff/:userId/leave" component={StaffLeave} />
      <Route path="/console/referrals" component={ReferralInbox} />
      <Route path="/console/referrals/:referralId" component={ReferralPage} />
      <Route path="/console/organisation" component={OrgKeyring} />
      <Route path="/console/custody" component={Custody} />
      <Route path="/console/on-call" component={OnCall} />
      <Route path="/console/audit" component={AuditViewer} />
      <Route path="/console/cases/:caseId/access-log" component={CaseAccessLog} />
      <Route path="/console/users" component={Users} />
      <Route path="/console/orgs" component={Orgs} />
      <Route path="/console/orgs/:orgId" component={OrgPage} />
      <Route path="/console/health" component={HealthPage} />
      <Route path="/console/policies" component={Policies} />
      <Route path="/console/approvals" component={Approvals} />
      <Route path="/console/retention" component={Retention} />
      <Route path="/console/stats" component={Statistics} />
      <Route path="/console/stats/report" component={StatsReport} />
      <Route path="/console/service-figures" component={ServiceFigures} />
      <Route default component={NotFound} />
    </Router>
  );
}

export function App() {
  return (
    <LocationProvider scope="/console">
      <Shell>
        <Gate />
      </Shell>
    </LocationProvider>
  );
}
