/**
 * The officer's day in the console, in Chromium against the running service: the intake pool with
 * its badges (urgent, overdue: a word and a shape), filters kept in the URL, "Show more" pages, a
 * case taken with the keyboard alone; the case page saying plainly that the key is missing, then,
 * once a supervisor gave it, the defender's sealed fields opened in the worker, the deadlines and
 * the timeline; messages both ways (the defender's opens and is marked read, the officer's leaves
 * sealed and opens on the defender's side); the inbox with its unread count. axe-clean at laptop
 * and phone sizes, no CSP violation, nothing off the origin, no plaintext in any request, and
 * nothing fetched of the screens only the other roles open.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import t from 'tap';
import type { Page } from 'playwright-core';
import { messageBodyAd, openField, sealField } from '../../src/sdk/index.js';
import { apiClient, clientOf } from '../helpers/api-client.js';
import { REDIS_URL } from '../helpers/app.js';
import { startNotificationDelivery } from '../../workers/notification-delivery.js';
import { bootstrap, enrolActor, fileCase, freshen, grantCaseKey, type FiledCase } from '../helpers/world.js';
import { axe, chunksFetched, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';
import { ARTIFACTS } from './page-kit.js';

// Seventeen filings (Argon2id each) and two browser sessions take longer than the default.
t.setTimeout(600_000);
const T = await startConsoleService(t);
// Outbox events become inbox rows when the test says so (tick), as a worker process would.
const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const delivery = await startNotificationDelivery({ container: T.app.container, connection, log: pino({ level: 'silent' }), intervalMs: 60_000 });
t.teardown(async () => {
  await delivery.close();
  connection.disconnect();
});
const dep = await bootstrap(T);
const officer = await enrolActor(T, dep.admin, { username: 'awa.officer', role: 'officer', orgId: dep.mechanismId });
const browser = await consoleBrowser(t);

const marker = (what: string) => `MARK-${what}-${randomUUID().slice(0, 8)}`;
const secretsOf = (): Record<'identity' | 'contact' | 'narrative', string> => ({ identity: marker('identity'), contact: marker('contact'), narrative: marker('narrative') });

// Two urgent requests from Kayes, left unacknowledged past their one-hour deadline...
const urgent: FiledCase[] = [];
for (let i = 0; i < 2; i++) urgent.push(await fileCase(T, dep, { metadata: { region: 'kayes', claimedUrgent: true }, secrets: secretsOf() }));
T.clock.advance(2 * 3_600_000);
// ...then the case the officer takes, and enough ordinary ones for a second page (15 a page).
const main = await fileCase(T, dep, { metadata: { region: 'bamako', defenderCategory: 'journalist' }, secrets: secretsOf() });
// A minute later, so it is due first among the ordinary ones (the list orders by due time).
T.clock.advance(60_000);
const ordinary: FiledCase[] = [];
for (let i = 0; i < 14; i++) ordinary.push(await fileCase(T, dep, { metadata: { region: 'segou' }, secrets: secretsOf() }));
const all = [...urgent, main, ...ordinary];
const markers = all.flatMap((c) => Object.values(c.secrets) as string[]);
const officerMessage = `Bonjour, ici l'agent ${randomUUID()}`;
const defenderMessage = marker('defender-message');

const shots = async (page: Page, name: string) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
};

/** Waits until the queue shows exactly `n` rows (the page's CSP forbids waitForFunction's eval). */
async function rowCount(page: Page, n: number): Promise<void> {
  const row = page.locator('table.queue tbody tr');
  await row.nth(n).waitFor({ state: 'detached' });
  await row.nth(n - 1).waitFor();
}

/** The rows of the queue's table, as reference -> row text. */
async function rows(page: Page): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const row of await page.locator('table.queue tbody tr').all()) {
    const ref = (await row.locator('th a').textContent()) ?? '';
    out.set(ref.trim(), ((await row.textContent()) ?? '').replace(/\s+/g, ' '));
  }
  return out;
}

/** Requests the browser sent with a plaintext in their URL or body (none may have one). */
function leaksOf(p: ConsolePage): string[] {
  const plain = [...markers, officerMessage, defenderMessage];
  return p.sent.filter((r) => plain.some((m) => r.url.includes(m) || (r.body ?? '').includes(m))).map((r) => `${r.method} ${r.url}`);
}

t.test('the officer works the pool, takes a case, reads and answers it, and clears the inbox', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  // The browser's clock reads the service's (which the test moved on by hours): time left agrees with "overdue".
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console`);
  await signInAs(page, T, officer);
  await page.getByRole('heading', { name: 'Dossiers', level: 1 }).waitFor();
  await page.locator('table.queue tbody tr').first().waitFor();

  // The pool: urgent first, with their badges in words; 15 rows, then "Show more".
  let shown = await rows(page);
  t.equal(shown.size, 15, 'a first page of 15');
  for (const u of urgent) {
    const text = shown.get(u.reference) ?? '';
    t.match(text, /Urgent/, `${u.reference} says urgent`);
    t.match(text, /En retard/, `${u.reference} says overdue`);
    t.match(text, /échue il y a/, `${u.reference} says how late it is`);
    t.match(text, /Kayes/);
    t.match(text, /Reçu/);
  }
  const mainRow = shown.get(main.reference) ?? '';
  t.match(mainRow, /Bamako/);
  t.match(mainRow, /Journaliste/i, 'the category in words');
  t.match(mainRow, /Risque non évalué/);
  t.notMatch(mainRow, /Urgent|En retard/, 'an ordinary case on time shows neither');
  t.match(mainRow, /après-demain|dans 2 jours/, 'the time left of its 48 hours');
  t.same([...shown.keys()].slice(0, 2).sort(), urgent.map((c) => c.reference).sort(), 'urgent first');
  t.equal(await page.locator('.badge-urgent svg').count(), 2, 'each urgent badge has its shape');
  t.same(await axe(page), [], 'queue: no axe violation at 1280x800');
  await shots(page, 'console-queue.png');

  await page.getByRole('button', { name: 'Afficher plus' }).click();
  await page.locator('table.queue tbody tr').nth(16).waitFor();
  shown = await rows(page);
  t.same([...shown.keys()].sort(), all.map((c) => c.reference).sort(), 'the second page brings the rest, once each');
  t.equal(await page.getByRole('button', { name: 'Afficher plus' }).count(), 0, 'no more pages');

  // Filters go into the URL (codes only) and back into the list.
  await page.getByLabel('Région').selectOption('kayes');
  await page.getByLabel('En retard').selectOption('true');
  await page.getByRole('button', { name: 'Filtrer' }).click();
  await page.waitForURL(/region=kayes/);
  t.match(page.url(), /overdue=true/);
  await rowCount(page, 2);
  t.same([...(await rows(page)).keys()].sort(), urgent.map((c) => c.reference).sort(), 'the overdue cases of Kayes');
  t.equal(await page.getByLabel('Région').inputValue(), 'kayes', 'the form shows the filters of the URL');
  await page.getByRole('link', { name: 'Dossiers à prendre en charge' }).click();
  await rowCount(page, 15);

  // Take the case with the keyboard alone.
  const take = page.getByRole('button', { name: `Prendre ce dossier ${main.reference}` });
  await page.locator('body').focus();
  let reached = false;
  for (let i = 0; i < 120 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await take.evaluate((el) => el.matches(':focus'));
  }
  t.ok(reached, 'Tab reaches the button of the case');
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: `Dossier ${main.reference} pris en charge` }).waitFor();
  // The status is said before the pool is read again: the list changes once the button is gone.
  await take.waitFor({ state: 'detached' });
  await rowCount(page, 15);
  t.notOk((await rows(page)).has(main.reference), 'the case left the pool');

  // My cases: the case is there, in triage; its page says plainly the key is missing.
  await page.getByRole('link', { name: 'Mes dossiers' }).click();
  await page.getByRole('link', { name: main.reference }).waitFor();
  t.match((await rows(page)).get(main.reference) ?? '', /Examen de recevabilité/);
  await page.getByRole('link', { name: main.reference }).click();
  await page.getByRole('heading', { name: `Dossier ${main.reference}`, level: 1 }).waitFor();
  await page.locator('[data-code="no_envelope"]').waitFor();
  t.match(await page.locator('[data-code="no_envelope"]').textContent(), /pas encore la clé de ce dossier/);
  t.equal(await page.getByText(String(main.secrets.narrative)).count(), 0);

  // The supervisor gives the key; the defender writes.
  await freshen(T, dep.supervisor);
  await grantCaseKey(T, dep.supervisor, main.caseId, officer);
  await main.defender.relogin();
  const defenderMessageId = randomUUID();
  await apiClient(T.app).call('sendMessage', {
    params: { caseId: main.caseId },
    body: { id: defenderMessageId, body: sealField(defenderMessage, main.defender.dek, messageBodyAd(defenderMessageId, `d:${main.caseId}`)) },
    headers: main.defender.auth(),
  });

  // Home, then at once "My cases", the pool's answer held back until the officer's own list is
  // shown: when it comes, late, it must not replace the list under the tab's name.
  let releasePool = () => {};
  const poolHeld = new Promise<void>((resolve) => (releasePool = resolve));
  const isPool = (url: URL | string) => /\/v1\/cases\?.*assignee=none/.test(String(url));
  await page.route(isPool, async (route) => {
    await poolHeld;
    await route.continue().catch(() => undefined);
  });
  await page.getByRole('link', { name: 'Accueil', exact: true }).click();
  await page.getByRole('link', { name: 'Mes dossiers' }).click();
  await page.getByRole('link', { name: main.reference }).waitFor();
  const lateAnswer = page.waitForResponse((r) => isPool(r.url()));
  releasePool();
  await (await lateAnswer).finished();
  await page.unroute(isPool);
  // The answer is in; one more round trip of the page's own before looking again.
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 50)))');
  t.ok((await rows(page)).has(main.reference), "the pool's late answer left the officer's own list in place");
  t.match((await rows(page)).get(main.reference) ?? '', /1 non lu/, 'the unread message counts in the queue');
  await page.getByRole('link', { name: main.reference }).click();
  await page.getByText(String(main.secrets.narrative)).waitFor();
  for (const value of Object.values(main.secrets) as string[]) t.equal(await page.getByText(value, { exact: true }).count(), 1, 'a sealed field opened in the worker');
  const messages = page.locator('section[aria-labelledby="case-messages"]');
  await messages.getByText(defenderMessage).waitFor();
  t.match(await messages.locator('li.message').first().textContent(), /Défenseur.*Nouveau/, "the defender's message shows as new");
  const timeline = await page.locator('ol.timeline').textContent();
  t.match(timeline, /Demande déposée/);
  t.match(timeline, /Pris en charge.*vous/);
  const deadlines = await page.locator('ul.deadlines').textContent();
  t.match(deadlines, /Décider de la recevabilité/, 'the running triage deadline');
  t.match(deadlines, /superviseur/, 'what happens when it passes');
  t.ok(await page.getByRole('heading', { name: 'Actions possibles' }).isVisible(), 'the place of the allowed actions');
  t.same(await axe(page), [], 'case page: no axe violation at 1280x800');
  await shots(page, 'console-case.png');

  await freshen(T, officer);
  const afterRead = await clientOf(T.app, officer).call('listCaseMessages', { params: { caseId: main.caseId } });
  t.equal(afterRead.unread, 0, 'shown, then marked read');

  // The officer answers; the defender's SDK opens it.
  await page.getByLabel('Votre message au défenseur').fill(officerMessage);
  await page.getByRole('button', { name: 'Chiffrer et envoyer' }).click();
  await messages.getByText('Message chiffré et envoyé.').waitFor();
  await messages.getByText(officerMessage).waitFor();
  const sentBodies = p.sent.filter((r) => r.method === 'POST' && r.url.endsWith(`/v1/cases/${main.caseId}/messages`));
  t.equal(sentBodies.length, 1);
  t.match(sentBodies[0]!.body ?? '', /"body":"v[12]\./, 'the message left sealed');
  await main.defender.relogin();
  const thread = await apiClient(T.app).call('listCaseMessages', { params: { caseId: main.caseId }, headers: main.defender.auth() });
  const reply = thread.items.find((m) => m.sender === `u:${officer.id}`);
  t.ok(reply, 'the defender sees the reply');
  t.same(openField(reply!.body, main.defender.dek, messageBodyAd(reply!.id, reply!.sender)), { text: officerMessage }, "the defender's SDK opens it, in the shape the defender page reads");

  // The inbox: the defender's message, unread, with a link to the case; the count in the header.
  await delivery.tick();
  await freshen(T, officer);
  const inbox = await clientOf(T.app, officer).call('listNotifications', { query: { unread: 'true' } });
  t.ok(inbox.items.some((n) => n.topic === 'message.created' && n.caseId === main.caseId), "the defender's message reached the officer's inbox");
  await page.getByRole('link', { name: 'Accueil', exact: true }).click();
  await page.getByRole('link', { name: /^Notifications \d+ non lues$/ }).waitFor();
  await page.getByRole('link', { name: /^Notifications/ }).click();
  await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
  const item = page.locator('li.notice', { hasText: 'Nouveau message sur un dossier' }).first();
  await item.waitFor();
  t.match(await item.textContent(), /Non lue/);
  t.equal(await item.getByRole('link', { name: `Dossier ${main.reference}` }).getAttribute('href'), `/console/cases/${main.caseId}`);
  t.same(await axe(page), [], 'notifications: no axe violation at 1280x800');
  await item.getByRole('button', { name: /Marquer comme lue/ }).click();
  await page.getByRole('status').filter({ hasText: 'Notification marquée comme lue.' }).waitFor();
  t.match(await item.textContent(), /Lue/);
  t.notMatch(await item.textContent(), /Non lue/);
  if ((await page.getByRole('button', { name: 'Tout marquer comme lu' }).count()) > 0) {
    await page.getByRole('button', { name: 'Tout marquer comme lu' }).click();
    await page.getByRole('status').filter({ hasText: /marquée\(s\) comme lue\(s\)/ }).waitFor();
  }
  await page.getByRole('link', { name: 'Notifications', exact: true }).waitFor();
  t.equal(await page.locator('li.notice-unread').count(), 0, 'nothing unread is left');
  t.same(chunksFetched(p), [], "the officer's day is all in the main bundle: no chunk of the other roles' screens fetched");
  t.same(p.violations, [], 'no CSP violation in the page or its worker');
  t.same(p.offHostRequests, [], 'nothing requested off the origin');
  t.same(p.pageErrors, [], 'no page error');
  t.same(leaksOf(p), [], 'no plaintext in any request the browser sent');
});

t.test('the same screens at phone size stay usable and axe-clean', async (t) => {
  const p = await browser.open('phone');
  const { page } = p;
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console`);
  await signInAs(page, T, officer);
  await page.locator('table.queue tbody tr').first().waitFor();
  t.same(await axe(page), [], 'queue: no axe violation at 390x844');
  await shots(page, 'console-queue-phone.png');
  const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  t.ok(width <= 390, `no sideways scrolling (${width}px)`);
  t.equal(await page.locator('table.queue thead').evaluate((el) => el.getBoundingClientRect().height <= 1), true, 'rows become cards: the header row is hidden');
  await page.goto(`${T.origin}/console/cases/${main.caseId}`);
  // A direct load is a new session: sign in again, back where we were.
  await signInAs(page, T, officer);
  await page.getByText(String(main.secrets.narrative)).waitFor();
  t.same(await axe(page), [], 'case page: no axe violation at 390x844');
  await page.getByRole('link', { name: /^Notifications/ }).click();
  await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
  await page.locator('li.notice').first().waitFor();
  t.same(await axe(page), [], 'notifications: no axe violation at 390x844');
  t.same(chunksFetched(p), [], "on a phone too, no chunk of the other roles' screens fetched");
  t.same(p.violations, [], 'no CSP violation in the page or its worker');
  t.same(p.offHostRequests, [], 'nothing requested off the origin');
  t.same(p.pageErrors, [], 'no page error');
  t.same(leaksOf(p), [], 'no plaintext in any request the browser sent');
});

t.test('a supervisor also has every case, in any state', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await page.goto(`${T.origin}/console?tab=all&state=triage`);
  await signInAs(page, T, dep.supervisor);
  await page.getByRole('link', { name: 'Tous les dossiers' }).waitFor();
  t.equal(await page.getByRole('link', { name: 'Tous les dossiers' }).getAttribute('aria-current'), 'page', 'the tab of the URL');
  await rowCount(page, 1);
  t.match((await rows(page)).get(main.reference) ?? '', /Examen de recevabilité/, 'the case the officer took, filtered by state');
  t.equal(await page.getByRole('button', { name: /Prendre ce dossier/ }).count(), 0, 'nothing to take outside the pool');
  t.equal(await page.getByLabel('État').inputValue(), 'triage');
  t.same(await axe(page), [], 'supervisor queue: no axe violation');
  t.same(chunksFetched(p), [], "the queue is in the main bundle: none of the supervisors' chunks fetched until one of their screens opens");
  t.same(p.violations, []);
  t.same(p.offHostRequests, []);
  t.same(leaksOf(p), []);
});

t.test('a sealed field the server moved does not open, and the page says so loudly', async (t) => {
  const moved = ordinary[0]!;
  await freshen(T, officer);
  await clientOf(T.app, officer).transition(moved.caseId, 'acknowledge', {});
  await freshen(T, dep.supervisor);
  await grantCaseKey(T, dep.supervisor, moved.caseId, officer);
  // The narrative's ciphertext put in the place of the contact: its AD names another field.
  await T.database.sql`update case_fields set sealed = (select sealed from case_fields where case_id = ${moved.caseId} and field = 'narrative') where case_id = ${moved.caseId} and field = 'contact'`;
  const p = await browser.open('laptop');
  const { page } = p;
  await page.goto(`${T.origin}/console/cases/${moved.caseId}`);
  await signInAs(page, T, officer);
  await page.getByText(String(moved.secrets.identity), { exact: true }).waitFor();
  const sealed = page.locator('section[aria-labelledby="case-sealed"]');
  const alerts = sealed.getByRole('alert');
  t.equal(await alerts.count(), 1, 'one field does not open');
  t.match(await alerts.textContent(), /ne s'ouvre pas/);
  t.equal(await sealed.getByText(String(moved.secrets.narrative), { exact: true }).count(), 1, 'the narrative shows once, in its own place');
  t.same(await axe(page), []);
  t.same(p.violations, []);
  t.same(leaksOf(p), []);
});
