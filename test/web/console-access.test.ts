/**
 * The access matrix's console column, in Chromium against the running service: for every staff
 * role, every screen of web/console/screen-list.ts (whose roles a Node test ties to
 * policies/access.yaml) either shows, or, typed by hand, shows the plain "not available" page;
 * and for each screen a role may not reach, the API refuses the calls the screen would make with
 * 403 `forbidden`, each refusal audited once as `denied` on its action. A role's session fetches
 * the chunks of the screens it opens and none other (an officer's, none at all: another role's
 * address typed by hand fetches nothing).
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { SCREENS, STAFF_ROLES, reachable, type StaffRole } from '../../web/console/screen-list.js';
import { loadAccessPolicy } from '../../src/access/policy.js';
import { policiesPath } from '../../src/lib/paths.js';
import { bootstrap, enrolActor, freshen, partnerOrg, type Actor } from '../helpers/world.js';
import { chunksFetched, consoleBrowser, signInAs, startConsoleService } from './console-kit.js';

t.setTimeout(600_000);
const T = await startConsoleService(t);
const dep = await bootstrap(T);
const officer = await enrolActor(T, dep.admin, { username: 'matrix.officer', role: 'officer', orgId: dep.mechanismId });
const org = await partnerOrg(T, dep.admin, { name: 'Association des juristes', category: 'lawyers', username: 'matrix.partner' });
const actors: Record<StaffRole, Actor> = { officer, supervisor: dep.supervisor, partner: org.member, admin: dep.admin };
const browser = await consoleBrowser(t);

const NOT_AVAILABLE = 'Cet écran ne vous est pas accessible';
/** A screen's address with made-up ids in its segments (a screen of another role shows nothing of them). */
const addressOf = (path: string) => path.replace(/:\w+/g, () => randomUUID());
const staffScreens = SCREENS.filter((s) => s.roles !== 'public');

// Request bodies the API accepts in form (the OpenAPI examples, which a test checks against their schemas).
const doc = (await T.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
  paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { example?: unknown; examples?: Record<string, { value: unknown }> }> } }>>;
};
function exampleBody(method: string, url: string): unknown {
  const content = doc.paths[url.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()]?.requestBody?.content ?? {};
  const media = Object.values(content)[0];
  return media?.example ?? Object.values(media?.examples ?? {})[0]?.value;
}
const policy = loadAccessPolicy(policiesPath(T.config));
const routes = T.app.routeTable().filter((r) => !r.hidden && !r.url.startsWith('/v1/uploads'));

for (const role of STAFF_ROLES) {
  t.test(`${role}: the screens of the role show, the others say "not available"`, async (t) => {
    const who = actors[role];
    const p = await browser.open('laptop');
    const { page } = p;
    await page.clock.setSystemTime(T.clock.now());
    // Typed by hand before signing in: the sign-in form, then the screen asked for (or the refusal).
    const foreign = staffScreens.find((s) => !reachable(s, role));
    const first = foreign ?? staffScreens[0]!;
    await page.goto(`${T.origin}${addressOf(first.path)}`);
    await signInAs(page, T, who);
    await page.getByRole('navigation').waitFor();
    if (foreign) await page.getByRole('heading', { level: 1, name: NOT_AVAILABLE }).waitFor();
    for (const screen of staffScreens) {
      // The router follows history: what a typed address or a link does, without signing in again.
      await page.evaluate(`history.pushState(null, '', ${JSON.stringify(addressOf(screen.path))}); dispatchEvent(new PopStateEvent('popstate'))`);
      const heading = page.getByRole('heading', { level: 1 }).first();
      await heading.waitFor();
      const refused = page.getByRole('heading', { level: 1, name: NOT_AVAILABLE });
      if (reachable(screen, role)) {
        t.equal(await refused.count(), 0, `${screen.path}: shown to ${role}`);
      } else {
        t.equal(await refused.count(), 1, `${screen.path}: "not available" to ${role}`);
      }
    }
    // The chunks of the screens it opened, and none of another role's (a screen it may not reach never loads).
    const own = [...new Set(staffScreens.flatMap((s) => (s.chunk && reachable(s, role) ? [s.chunk] : [])))].sort();
    for (let waited = 0; waited < 5000 && chunksFetched(p).join() !== own.join(); waited += 100) await page.waitForTimeout(100);
    t.same(chunksFetched(p), own, `${role}: the chunks of its own screens fetched, no other`);
    // The menu offers exactly the screens of the role that have an entry.
    const menu = await page.getByRole('navigation').getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    t.same(menu, staffScreens.filter((s) => s.nav && reachable(s, role)).map((s) => s.path), `${role}: the menu`);
    t.same(p.violations, [], 'no CSP violation');
  });

  t.test(`${role}: the API refuses, and audits, what the other roles' screens call`, async (t) => {
    const who = actors[role];
    const lacking = new Set(staffScreens.filter((s) => !reachable(s, role)).flatMap((s) => s.needs.filter((a) => !policy.get(a)?.roles[role])));
    let probed = 0;
    for (const action of lacking) {
      const route = routes.find((r) => r.action === action);
      t.ok(route, `${action}: a route calls it`);
      if (!route) continue;
      await freshen(T, who);
      const url = addressOf(route.url);
      const res = await T.app.inject({ method: route.method as 'GET', url, headers: who.auth(), ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: exampleBody(route.method, route.url) ?? {} }) });
      const body = res.json() as { code?: string; instance?: string };
      t.equal(res.statusCode, 403, `${role} ${route.method} ${route.url}: refused`);
      t.equal(body.code, 'forbidden', `${role} ${route.method} ${route.url}: forbidden`);
      const requestId = (body.instance ?? '').replace('urn:egide:request:', '');
      const events = await T.database.sql<Array<{ action: string; outcome: string }>>`select action, outcome from audit_events where request_id = ${requestId}`;
      t.same(events.map((e) => ({ action: e.action, outcome: e.outcome })), [{ action, outcome: 'denied' }], `${role} ${action}: one denial in the audit log`);
      probed++;
    }
    t.equal(probed, lacking.size, `${role}: every action of the screens it may not reach was probed`);
  });
}
