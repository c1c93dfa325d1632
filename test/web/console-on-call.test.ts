/**
 * On call in the console, in Chromium against the running service and its workers: a supervisor
 * puts an officer on the roster (who, from when to when in the mechanism's time, order, e-mail);
 * an urgent filing at night pages that officer, who sees the page on a phone, with the case to
 * open, and acknowledges it. axe-clean at laptop and phone sizes, no CSP violation.
 */
import t from 'tap';
import { bootstrap, enrolActor, fileCase } from '../helpers/world.js';
import { waitFor } from '../helpers/wait-for.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';

t.setTimeout(300_000);
const T = await startConsoleService(t, {}, { workers: true });
// Saturday night in Bamako: out of office hours (policies/on-call.yaml, calendar.yaml).
T.clock.set('2026-06-06T21:30:00.000Z');
const dep = await bootstrap(T);
const awa = await enrolActor(T, dep.admin, { username: 'awa.officer', role: 'officer', orgId: dep.mechanismId });
const browser = await consoleBrowser(t);

const checkPage = (tt: { same(a: unknown, b: unknown, m: string): unknown }, p: ConsolePage) => {
  tt.same(p.violations, [], 'no CSP violation in the page or its worker');
  tt.same(p.offHostRequests, [], 'nothing requested off the origin');
  tt.same(p.pageErrors, [], 'no page error');
};

t.test('a supervisor puts an officer on call; paged at night, the officer acknowledges on a phone', async (t) => {
  const sup = await browser.open('laptop');
  await sup.page.clock.setSystemTime(T.clock.now());
  await sup.page.goto(`${T.origin}/console/on-call`);
  await signInAs(sup.page, T, dep.supervisor);
  await sup.page.getByRole('heading', { name: "Tableau d'astreinte", level: 2 }).waitFor();
  await sup.page.getByText("Personne n'est inscrit au tableau d'astreinte.").waitFor();
  await sup.page.getByRole('button', { name: 'Modifier le tableau' }).click();
  await sup.page.getByRole('button', { name: 'Ajouter un créneau' }).click();
  const slot = sup.page.getByRole('group', { name: 'Créneau 1' });
  await slot.getByLabel("Personne d'astreinte").selectOption({ label: 'awa.officer' });
  await slot.getByLabel('Du', { exact: true }).fill('2026-06-06T18:00');
  await slot.getByLabel('Au', { exact: true }).fill('2026-06-08T08:00');
  await slot.getByLabel("Courriel d'astreinte").fill('awa@astreinte.example');
  await axeBothSizes(t, sup.page, 'roster form');
  await sup.page.getByRole('button', { name: 'Enregistrer le tableau' }).click();
  await sup.page.getByRole('status').filter({ hasText: "Tableau d'astreinte enregistré." }).waitFor();
  const [entry] = await T.database.sql`select user_id, position, starts_at, ends_at, email, language from on_call_entries`;
  t.match(entry, { user_id: awa.id, position: 1, email: 'awa@astreinte.example', language: 'fr' });
  t.equal(new Date(entry!.starts_at as string).toISOString(), '2026-06-06T18:00:00.000Z', 'the times typed are the mechanism’s (Bamako, UTC+0)');
  t.equal(new Date(entry!.ends_at as string).toISOString(), '2026-06-08T08:00:00.000Z');
  await sup.page.locator('li[data-entry-user="awa.officer"]').waitFor();
  checkPage(t, sup);

  // An urgent request filed at night: the workers page the officer on call.
  const c = await fileCase(T, dep, { metadata: { claimedUrgent: true } });
  const page = await waitFor(async () => (await T.database.sql`select id from on_call_pages where case_id = ${c.caseId} and recipient_user_id = ${awa.id}`)[0], { what: 'the page', timeoutMs: 20_000 });

  const phone = await browser.open('phone');
  await phone.page.clock.setSystemTime(T.clock.now());
  await phone.page.goto(`${T.origin}/console/on-call`);
  await signInAs(phone.page, T, awa);
  const item = phone.page.locator(`li[data-page-id="${page.id}"]`);
  await item.waitFor();
  t.equal(await item.getByRole('link').getAttribute('href'), `/console/cases/${c.caseId}`, 'the page links to the case');
  t.equal(await phone.page.getByRole('button', { name: 'Modifier le tableau' }).count(), 0, 'an officer does not edit the roster');
  await axeBothSizes(t, phone.page, 'on-call pages');
  await item.getByRole('button', { name: /J'ai vu, je m'en occupe/ }).click();
  await phone.page.getByRole('status').filter({ hasText: 'Appel acquitté' }).waitFor();
  const [acked] = await T.database.sql`select acknowledged_at from on_call_pages where id = ${page.id}`;
  t.ok(acked!.acknowledged_at, 'acknowledged in the database');
  await phone.page.getByText('Aucun appel en attente.').waitFor();
  checkPage(t, phone);
});
