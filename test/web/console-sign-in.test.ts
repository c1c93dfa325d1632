/**
 * The console's foundation in Chromium against the running service: served under its strict CSP
 * as static files, the sign-in form in front of any route and back to that route after password
 * and TOTP, the idle lock that wipes the keys and the password that opens them again, a reload
 * that is a new session, errors in words (a screen whose chunk does not come too, with a retry),
 * no request off the origin, no CSP violation in the page or its worker, axe-clean at laptop and
 * phone sizes.
 */
import t from 'tap';
import { clientOf } from '../helpers/api-client.js';
import { bootstrap, enrolActor } from '../helpers/world.js';
import { axe, axeBothSizes, chunksFetched, consoleBrowser, signInAs, startConsoleService } from './console-kit.js';

const T = await startConsoleService(t);
const dep = await bootstrap(T);
const officer = await enrolActor(T, dep.admin, { username: 'awa.officer', role: 'officer', orgId: dep.mechanismId });
const browser = await consoleBrowser(t);



t.test('every console response carries the CSP; the files are the build’s bytes', async (t) => {
  const html = await fetch(`${T.origin}/console/cases/123`);
  t.equal(html.status, 200);
  const csp = html.headers.get('content-security-policy') ?? '';
  t.equal(
    csp,
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  );
  t.equal(html.headers.get('referrer-policy'), 'no-referrer');
  t.equal(html.headers.get('x-content-type-options'), 'nosniff');
  const body = await html.text();
  t.notMatch(body, /<script>|<style>|\son[a-z]+=|nonce=/, 'no inline script, style, handler or nonce');
  const app = /src="(\/console\/assets\/console-[A-Z0-9]{8}\.js)"/.exec(body)?.[1];
  t.ok(app, 'the app script is named by its content hash');
  const js = await fetch(`${T.origin}${app}`);
  t.equal(js.headers.get('content-security-policy'), csp, 'scripts (the worker among them) carry the same CSP');
  t.match(js.headers.get('cache-control') ?? '', /immutable/);
  const missing = await fetch(`${T.origin}/console/assets/no-such-file.js`);
  t.equal(missing.status, 404);
  t.equal(missing.headers.get('content-security-policy'), csp, 'a refusal under /console carries the CSP too');
  const settings = await (await fetch(`${T.origin}/v1/console/settings`)).json();
  t.same(settings, { timeZone: 'Africa/Bamako', idleLockMinutes: 15 });
});

t.test('an officer signs in where they were, locks, unlocks, and a reload asks again', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await page.goto(`${T.origin}/console/somewhere/deep`);
  await page.getByRole('heading', { name: 'Connexion' }).waitFor();
  t.same(await axe(page), [], 'sign-in form: no axe violation at 1280x800');

  // A wrong code: words from the problem's code, never a status.
  await page.getByLabel('Identifiant').fill(officer.username);
  await page.getByLabel('Mot de passe', { exact: true }).fill(officer.password);
  await page.getByLabel('Code à usage unique').fill('000000');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  t.equal(await alert.textContent(), 'Identifiant, mot de passe ou code incorrect.');
  t.notMatch(await page.locator('main').textContent(), /401|invalid_credentials/);

  await signInAs(page, T, officer);
  await page.getByRole('heading', { name: 'Page introuvable' }).waitFor();
  t.equal(new URL(page.url()).pathname, '/console/somewhere/deep', 'back on the route asked for');
  await axeBothSizes(t, page, 'the page for an unknown address: no axe violation at either size');

  await page.getByRole('link', { name: 'Accueil', exact: true }).click();
  await page.getByText('Connecté·e en tant que awa.officer').waitFor();

  await page.getByRole('button', { name: 'Verrouiller' }).click();
  await page.getByRole('heading', { name: 'Console verrouillée' }).waitFor();
  t.equal(await page.getByText('Connecté·e en tant que').count(), 0, 'the screen behind the lock is gone');
  await page.getByLabel('Mot de passe', { exact: true }).fill('not the password');
  await page.getByRole('button', { name: 'Déverrouiller' }).click();
  await page.getByText('Mot de passe incorrect.').waitFor();
  await page.getByLabel('Mot de passe', { exact: true }).fill(officer.password);
  await page.getByRole('button', { name: 'Déverrouiller' }).click();
  await page.getByText('Connecté·e en tant que awa.officer').waitFor();
  t.equal(new URL(page.url()).pathname, '/console');

  await page.reload();
  await page.getByRole('heading', { name: 'Connexion' }).waitFor();
  t.equal(new URL(page.url()).pathname, '/console', 'a reload keeps the route and asks for the password and code');

  const storage = (await page.evaluate('({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie })')) as { local: Record<string, string>; session: Record<string, string>; cookie: string };
  t.same(Object.keys(storage.local), ['egide.console.lang'], 'only the language is kept');
  t.same(storage.session, {});
  t.equal(storage.cookie, '');
  const secrets = [officer.password, officer.totpSecret];
  t.same(p.sent.filter((r) => secrets.some((s) => r.url.includes(s) || (r.body ?? '').includes(s))), [], 'the password never leaves the browser');
  t.same(p.offHostRequests, []);
  t.same(p.violations, []);
  t.same(p.pageErrors, []);
});

t.test('a screen whose chunk does not come says so in words, and shows once it comes', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await page.goto(`${T.origin}/console`);
  await signInAs(page, T, dep.supervisor);
  const menu = page.getByRole('navigation', { name: 'Navigation principale' });
  await menu.waitFor();
  t.same(chunksFetched(p), [], "nothing of the supervisors' screens before one opens");
  // The network drops as the supervisor opens the board, whose code is in the supervisors' chunk.
  const chunk = /\/console\/assets\/supervisor-screens-[A-Z0-9]+\.js$/;
  let dropped = 0;
  await page.route(chunk, (route) => {
    dropped++;
    return route.abort('internetdisconnected');
  });
  await menu.getByRole('link', { name: 'Tableau de supervision' }).click();
  await page.getByRole('heading', { level: 1, name: 'Cet écran n’a pas pu être chargé' }).waitFor();
  t.ok(dropped >= 1, 'the chunk was asked for');
  t.match(await page.getByRole('alert').textContent(), /la connexion est peut-être coupée/, 'why, in words');
  t.equal(new URL(page.url()).pathname, '/console/board', 'still on the screen asked for');
  await axeBothSizes(t, page, 'a screen that could not load: no axe violation at either size');

  // A retry while still offline says so again; once the network is back the board shows.
  await page.getByRole('button', { name: 'Réessayer' }).click();
  for (let waited = 0; waited < 5000 && dropped < 2; waited += 50) await page.waitForTimeout(50);
  t.equal(dropped, 2, 'a retry asks for the chunk again');
  await page.getByRole('button', { name: 'Réessayer' }).waitFor();
  await page.unroute(chunk);
  await page.getByRole('button', { name: 'Réessayer' }).click();
  await page.getByRole('heading', { level: 1, name: 'Tableau de supervision' }).waitFor();
  t.same(chunksFetched(p), ['supervisor-screens']);
  t.same(p.violations, []);
  t.same(p.pageErrors, [], 'a failed load is handled, not thrown');
});

t.test('the sign-in form at phone size, in English', async (t) => {
  const p = await browser.open('phone', 'en-GB');
  await p.page.goto(`${T.origin}/console`);
  await p.page.getByRole('heading', { name: 'Sign in' }).waitFor();
  t.equal(await p.page.evaluate('document.documentElement.lang'), 'en');
  t.same(await axe(p.page), [], 'no axe violation at 390x844');
  await signInAs(p.page, T, officer, { username: 'Username', password: 'Password', totp: 'One-time code', submit: 'Sign in' });
  await p.page.getByText('Signed in as awa.officer').waitFor();
  t.same(await axe(p.page), []);
  t.same(p.violations, []);
  t.same(p.offHostRequests, []);
});

t.test('the catalogues the forms use are the policies the services enforce', async (t) => {
  const client = clientOf(T.app, officer);
  const catalogues = await client.call('getConsoleCatalogues');
  t.same(catalogues.intake.region, T.app.container.policies.intake.lists.region);
  t.equal(catalogues.risk.thresholdsHundredths.high, T.app.container.policies.risk.thresholdsHundredths.high);
  const decline = catalogues.workflow.transitions.find((x) => x.name === 'decline');
  t.same(decline && { from: decline.from, to: decline.to, requires: decline.requires, closeReason: decline.closeReason }, { from: ['triage'], to: 'closed', requires: ['reason', 'declineReason'], closeReason: 'declined' });
  t.same(catalogues.workflow.declineReasons, T.app.container.policies.workflow.declineReasons, 'the decline codes, with their labels');
  const anonymous = await fetch(`${T.origin}/v1/console/catalogues`);
  t.equal(anonymous.status, 401, 'staff only');
});

t.test('after the idle time of policies/console.yaml the console locks itself, and not before', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  // The page's own clock, driven by the test: no 15-minute wait.
  await page.clock.install();
  await page.goto(`${T.origin}/console`);
  await signInAs(page, T, officer);
  await page.getByText('Connecté·e en tant que awa.officer').waitFor();
  await page.clock.fastForward('14:00');
  await page.keyboard.press('Tab');
  await page.clock.fastForward('14:00');
  t.equal(await page.getByRole('heading', { name: 'Console verrouillée' }).count(), 0, 'activity restarts the count');
  await page.clock.fastForward('01:01');
  await page.getByRole('heading', { name: 'Console verrouillée' }).waitFor();
  t.equal(await page.getByText('Connecté·e en tant que').count(), 0, 'the screen behind the lock is gone');
  await axeBothSizes(t, page, 'the lock screen: no axe violation at either size');
  await page.getByLabel('Mot de passe', { exact: true }).fill(officer.password);
  await page.getByRole('button', { name: 'Déverrouiller' }).click();
  await page.getByText('Connecté·e en tant que awa.officer').waitFor();
  t.same(p.violations, []);
});
