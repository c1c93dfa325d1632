/**
 * The queue's orders, filters, counts and saved views in Chromium against the running service:
 * sorting by risk and by reference gives the API's own order, the category and "deadline within"
 * filters the API's own rows, the tabs' counts those of countCases; a view saved, applied after a
 * reload, refused in words past the cap, deleted after a confirmation; a session ended elsewhere
 * (log out everywhere) lands the next action on the sign-in form with the reason. axe-clean at
 * laptop and phone sizes, no CSP violation, nothing off the origin.
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { apiClient, clientOf } from '../helpers/api-client.js';
import { bootstrap, enrolActor, fileCase, freshen, reauth, secondSession, type FiledCase } from '../helpers/world.js';
import { loadLimitsPolicy } from '../../src/limits/limits-policy.js';
import { policiesPath } from '../../src/lib/paths.js';
import { axe, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';

t.setTimeout(600_000);
const T = await startConsoleService(t);
const sql = T.database.sql;
const dep = await bootstrap(T);
const officer = await enrolActor(T, dep.admin, { username: 'ines.officer', role: 'officer', orgId: dep.mechanismId });
const browser = await consoleBrowser(t);

// Eight requests in the pool, with categories, risk levels and deadlines spread the way the
// workflow would leave them; one more taken by the officer.
const CATEGORIES = ['journalist', 'lawyer', 'blogger', 'journalist'] as const;
const RISKS = [null, 'low', 'high', 'extreme', 'medium'] as const;
const day = 24 * 3_600_000;
const filed: FiledCase[] = [];
for (let i = 0; i < 9; i++) {
  filed.push(await fileCase(T, dep, { metadata: { defenderCategory: CATEGORIES[i % CATEGORIES.length]!, region: i % 2 ? 'kayes' : 'segou' } }));
  T.clock.advance(60_000);
}
const now0 = T.clock.now().getTime();
for (const [i, c] of filed.entries()) {
  await sql`update cases set risk_level = ${RISKS[i % RISKS.length] ?? null}, urgent = ${i % 4 === 1} where id = ${c.caseId}`;
  // Some deadlines far away (outside "within 7 days"), one past due.
  const due = i % 3 === 0 ? now0 + 20 * day : i === 4 ? now0 - 3_600_000 : now0 + (i + 1) * 3_600_000;
  await sql`update deadlines set due_at = ${new Date(due).toISOString()} where case_id = ${c.caseId} and state = 'open'`;
}
await sql`update cases set state = 'triage', assignee_id = ${officer.id} where id = ${filed[8]!.caseId}`;

const plaintexts = filed.flatMap((c) => Object.values(c.secrets) as string[]);
/** Requests the browser sent with a filing's plaintext in their URL or body (none may have one). */
const leaksOf = (p: ConsolePage): string[] => p.sent.filter((r) => plaintexts.some((m) => r.url.includes(m) || (r.body ?? '').includes(m))).map((r) => `${r.method} ${r.url}`);

const POOL = { state: 'received', assignee: 'none', limit: '15' } as const;

/** The references the API lists for the pool with `extra` (the caller's own view). */
async function apiOrder(extra: Record<string, string>): Promise<string[]> {
  await freshen(T, officer);
  const page = await clientOf(T.app, officer).call('listCases', { query: { ...POOL, ...extra } });
  return page.items.map((i) => i.reference);
}

async function shownOrder(page: Page): Promise<string[]> {
  const refs = await page.locator('table.queue tbody tr th a').allTextContents();
  return refs.map((r) => r.trim());
}

/** Waits until the table shows exactly `expected` in this order (polling: the page's CSP forbids waitForFunction). */
async function showsOrder(page: Page, expected: string[]): Promise<string[]> {
  let shown: string[] = [];
  for (let i = 0; i < 100; i++) {
    if ((await page.locator('[aria-busy="true"]').count()) === 0) {
      shown = await shownOrder(page);
      if (JSON.stringify(shown) === JSON.stringify(expected)) return shown;
    }
    await page.waitForTimeout(100);
  }
  return shown;
}

async function apply(page: Page, label: string, value: string, url: RegExp): Promise<void> {
  await page.getByLabel(label, { exact: true }).selectOption(value);
  await page.getByRole('button', { name: 'Filtrer' }).click();
  await page.waitForURL(url);
}

t.test('orders, filters, counts and saved views of the queue', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console`);
  await signInAs(page, T, officer);
  await page.locator('table.queue tbody tr').first().waitFor();

  // The counts in the tabs and at a glance are countCases'.
  await freshen(T, officer);
  const counts = await clientOf(T.app, officer).call('countCases');
  t.equal(counts.pool, 8);
  t.equal(counts.mine, 1);
  await page.getByRole('link', { name: `Dossiers à prendre en charge (${counts.pool})` }).waitFor();
  t.equal(await page.getByRole('link', { name: `Mes dossiers (${counts.mine})` }).count(), 1, 'my cases with their count');
  for (const k of ['pool', 'mine', 'overdue', 'urgent'] as const) t.equal(await page.locator(`[data-count="${k}"]`).textContent(), String(counts[k]), `at a glance: ${k}`);
  t.same(await showsOrder(page, await apiOrder({})), await apiOrder({}), 'the default order is the API’s');

  // Sort by risk, then by reference: the API's own order, kept in the URL.
  const byRisk = await apiOrder({ sort: 'risk' });
  t.not(JSON.stringify(byRisk), JSON.stringify(await apiOrder({})), 'risk orders differently from due');
  await apply(page, 'Trier par', 'risk', /sort=risk/);
  t.same(await showsOrder(page, byRisk), byRisk, 'sorted by risk as the API sorts');
  t.equal(await page.getByLabel('Trier par').inputValue(), 'risk', 'the select shows the sort of the URL');
  const byReference = await apiOrder({ sort: 'reference' });
  await apply(page, 'Trier par', 'reference', /sort=reference/);
  t.same(await showsOrder(page, byReference), byReference, 'sorted by reference');
  t.same(byReference, [...byReference].sort(), 'which is the references in order');

  // Category and "deadline within", on top of the sort.
  const journalists = await apiOrder({ sort: 'reference', category: 'journalist' });
  t.ok(journalists.length > 0 && journalists.length < 8);
  await apply(page, 'Catégorie', 'journalist', /category=journalist/);
  t.same(await showsOrder(page, journalists), journalists, 'the journalists only');
  t.match(await page.locator('table.queue tbody').textContent(), /Journaliste/);
  await page.getByLabel('Catégorie', { exact: true }).selectOption('');
  const soon = await apiOrder({ sort: 'reference', dueWithin: '7' });
  t.ok(soon.length > 0 && soon.length < 8, 'some deadlines fall outside the week');
  await apply(page, 'Échéance dans les', '7', /dueWithin=7/);
  t.notMatch(page.url(), /category=/);
  t.same(await showsOrder(page, soon), soon, 'the deadlines within 7 days');

  // Save the view; the server keeps the filters and sort of the URL.
  await page.getByLabel('Nom de la vue').fill('Cette semaine');
  await page.getByRole('button', { name: 'Enregistrer la vue' }).click();
  await page.getByRole('status').filter({ hasText: 'Vue « Cette semaine » enregistrée.' }).waitFor();
  await freshen(T, officer);
  const saved = await clientOf(T.app, officer).call('listSavedViews');
  t.same(saved.items.map((v) => [v.name, v.query]), [['Cette semaine', { sort: 'reference', dueWithin: '7' }]], 'saved on the server');
  t.same(await axe(page), [], 'queue with its views: no axe violation at 1280x800');

  // A reload is a new session: back to the plain queue, then the view applies its filters.
  await page.goto(`${T.origin}/console`);
  await signInAs(page, T, officer);
  await page.getByRole('link', { name: 'Cette semaine' }).click();
  await page.waitForURL(/dueWithin=7/);
  t.match(page.url(), /sort=reference/);
  t.same(await showsOrder(page, soon), soon, 'the saved view shows the same rows');
  t.equal(await page.getByLabel('Échéance dans les').inputValue(), '7');

  // Past the cap, the refusal in words.
  const max = loadLimitsPolicy(policiesPath(T.config)).savedViews.maxPerUser;
  await freshen(T, officer);
  for (let i = 1; i < max; i++) await clientOf(T.app, officer).call('createSavedView', { body: { name: `Vue ${i}`, query: {} } });
  await page.getByLabel('Nom de la vue').fill('Une de trop');
  await page.getByRole('button', { name: 'Enregistrer la vue' }).click();
  await page.locator('[data-code="views_full"]').waitFor();
  t.match(await page.locator('[data-code="views_full"]').textContent(), /nombre maximal de vues/);
  for (const v of (await clientOf(T.app, officer).call('listSavedViews')).items) if (v.name.startsWith('Vue ')) await clientOf(T.app, officer).call('deleteSavedView', { params: { id: v.id } });

  // Delete, after a confirmation; cancelling keeps it.
  await page.goto(`${T.origin}/console`);
  await signInAs(page, T, officer);
  await page.getByRole('button', { name: 'Supprimer la vue Cette semaine' }).click();
  await page.getByRole('button', { name: 'Annuler' }).click();
  await page.getByRole('button', { name: 'Supprimer la vue Cette semaine' }).click();
  t.match(await page.locator('.saved-views').textContent(), /Supprimer la vue « Cette semaine » \?/, 'asked before deleting');
  t.same(await axe(page), [], 'the confirmation: no axe violation');
  await page.getByRole('button', { name: 'Oui, supprimer' }).click();
  await page.getByRole('status').filter({ hasText: 'Vue « Cette semaine » supprimée.' }).waitFor();
  await page.getByText('Aucune vue enregistrée.').waitFor();
  await freshen(T, officer);
  t.same((await clientOf(T.app, officer).call('listSavedViews')).items, [], 'deleted on the server');

  t.same(p.violations, [], 'no CSP violation in the page or its worker');
  t.same(p.offHostRequests, [], 'nothing requested off the origin');
  t.same(p.pageErrors, [], 'no page error');
  t.same(leaksOf(p), [], 'no plaintext in any request the browser sent');
});

t.test('at phone size the queue and its views stay axe-clean', async (t) => {
  const p = await browser.open('phone');
  const { page } = p;
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console?sort=risk&category=journalist`);
  await signInAs(page, T, officer);
  await page.locator('table.queue tbody tr').first().waitFor();
  await page.getByText('Aucune vue enregistrée.').waitFor();
  t.same(await axe(page), [], 'queue: no axe violation at 390x844');
  const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  t.ok(width <= 390, `no sideways scrolling (${width}px)`);
  t.same(p.violations, []);
  t.same(p.offHostRequests, []);
  t.same(p.pageErrors, []);
  t.same(leaksOf(p), []);
});

t.test('a session ended elsewhere ends here at the next action, with the reason', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console`);
  await signInAs(page, T, officer);
  await page.locator('table.queue tbody tr').first().waitFor();
  // From another device: log out everywhere.
  const other = await secondSession(T, officer);
  await apiClient(T.app).call('logOutEverywhere', { headers: other.auth() });
  await apply(page, 'Trier par', 'created', /sort=created/);
  await page.getByRole('button', { name: 'Se connecter' }).waitFor();
  t.match(await page.locator('[data-code="session_ended"]').textContent(), /session est terminée/, 'the sign-in form says why');
  t.equal(await page.locator('table.queue').count(), 0, 'the queue is gone');
  // And signing in again brings the screen back.
  await signInAs(page, T, officer);
  await page.locator('table.queue tbody tr').first().waitFor();
  t.match(page.url(), /sort=created/);
  await reauth(T, officer);
  t.same(await axe(page), []);
  t.same(p.violations, []);
  t.same(p.offHostRequests, []);
  t.same(p.pageErrors, []);
  t.same(leaksOf(p), []);
});
