/**
 * The defender's page when something goes wrong, in Chromium at phone size: the page says what
 * happened in plain words and keeps everything typed, so the person can simply try again. Online
 * filing not configured (no pinned key), a server offering another mechanism key, the server
 * down (a TCP proxy cut, then restored: the same draft is then sent), a wrong receipt, and rate
 * limits. Also: switching to English keeps what was typed. Screenshots: test/artifacts/web/.
 */
import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap } from '../helpers/world.js';
import type { IsolatedPage } from '../helpers/browser.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { axeViolations, buildPage, leaksIn, screenshots, servePage, phoneBrowser, fillForm } from './page-kit.js';

buildPage();
const T = await buildTestApp(t);
const dep = await bootstrap(T);
const W = await servePage(t, T, { INTAKE_KEY_ID: dep.mechanismKeyId });
const screenshot = screenshots('errors');

const { newPhone, pages } = await phoneBrowser(t);

const M = randomUUID().slice(0, 8);
const typed = { identity: `Moussa-NOM-${M}`, narrative: `Arrestation RECIT-${M}`, contact: `Par Fatou CONTACT-${M}` };

const answers = { identity: typed.identity, activity: 'lawyer', threat: 'Arrestation arbitraire', narrative: typed.narrative, region: 'gao', channel: 'through_trusted_person', contact: typed.contact, urgent: true };

/** Walks back through the steps and reads what each kept (button names in the page's language). */
async function draftAfterFailure(page: Page, back = 'Retour'): Promise<Record<string, string | boolean>> {
  const urgent = await page.locator('input[type="radio"][value="yes"]').isChecked();
  await page.getByRole('button', { name: back }).click();
  const contact = await page.locator('textarea').inputValue();
  await page.getByRole('button', { name: back }).click();
  await page.getByRole('button', { name: back }).click();
  const narrative = await page.locator('textarea').inputValue();
  const threat = await page.locator('input[value="arbitrary_arrest"]').isChecked();
  await page.getByRole('button', { name: back }).click();
  const identity = await page.locator('input[type="text"]').first().inputValue();
  return { identity, narrative, threat, contact, urgent };
}
const fullDraft = { identity: typed.identity, narrative: typed.narrative, threat: true, contact: typed.contact, urgent: true };

async function noAxeViolations(t: Test, page: Page, step: string): Promise<void> {
  t.same(await axeViolations(page), [], `axe-core: no accessibility violation (${step})`);
}

const postsOfCases = (p: IsolatedPage) => p.sent.filter((r) => r.method === 'POST' && new URL(r.url).pathname === '/v1/cases');

t.test('no pinned key configured: the page says filing is not open and offers no form', async (t) => {
  const none = await servePage(t, T, {});
  const p = await newPhone();
  await p.page.goto(`${none.origin}/`);
  await p.page.getByRole('alert').filter({ hasText: 'pas encore ouvert' }).waitFor();
  t.equal(await p.page.getByRole('button', { name: 'Envoyer ma demande' }).count(), 0, 'no send button');
  t.equal(await p.page.getByLabel('Nom de la personne en danger').count(), 0, 'no form');
  await screenshot(p.page, 'not-open');
  await noAxeViolations(t, p.page, 'not open');
  t.same(p.sent.filter((r) => r.url.includes('/v1/')).map((r) => new URL(r.url).pathname), ['/v1/page/settings'], 'the page read its settings and did not even ask the server for a key');
});

t.test('a server offering another key: sending is refused, nothing is sent, the draft stays (in English)', async (t) => {
  const bad = await servePage(t, T, { INTAKE_KEY_ID: 'A'.repeat(22) });
  const p = await newPhone();
  await p.page.goto(`${bad.origin}/`);
  await fillForm(p.page, answers);
  await p.page.getByRole('button', { name: 'English' }).click();
  t.equal(await p.page.locator('html').getAttribute('lang'), 'en');
  t.match(new URL(p.page.url()).search, /lang=en/, 'the language is in the address, not in storage');
  await p.page.getByRole('button', { name: 'Send my request' }).click();
  await p.page.getByRole('alert').filter({ hasText: 'Sending refused for safety' }).waitFor();
  await screenshot(p.page, 'wrong-key-en');
  await noAxeViolations(t, p.page, 'wrong key');
  t.same(postsOfCases(p), [], 'no request was filed');
  t.same(leaksIn(p.sent, Object.values(typed)), [], 'nothing typed was sent anywhere');
  t.same(await draftAfterFailure(p.page, 'Back'), fullDraft, 'everything typed is still there, after switching language too');
});

t.test('the server is down: the page says so and keeps the draft; once it is back, the same draft is sent', async (t) => {
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: W.port });
  t.teardown(() => proxy.close());
  const p = await newPhone();
  await p.page.goto(`http://127.0.0.1:${proxy.port}/`);
  const crypto = p.page.waitForResponse((r) => r.url().includes('/assets/crypto-'));
  await fillForm(p.page, answers);
  await crypto; // the worker was fetched as the person started typing
  await proxy.cut();
  await p.page.getByRole('button', { name: 'Envoyer ma demande' }).click();
  await p.page.getByRole('alert').filter({ hasText: 'Le service ne répond pas' }).waitFor({ timeout: 20_000 });
  t.ok(await p.page.getByRole('button', { name: 'Envoyer ma demande' }).isEnabled(), 'the send button is usable again');
  await screenshot(p.page, 'server-down');
  await noAxeViolations(t, p.page, 'server down');

  await proxy.restore();
  await p.page.getByRole('button', { name: 'Envoyer ma demande' }).click();
  await p.page.locator('#receipt').waitFor({ timeout: 30_000 });
  const reference = (await p.page.locator('#case-reference').textContent()) ?? '';
  const [row] = await T.database.sql`select urgent_claimed, region from cases where reference = ${reference}`;
  t.match(row, { urgent_claimed: true, region: 'gao' }, 'the draft kept through the failure was filed');
  t.same(leaksIn(p.sent, Object.values(typed)), [], 'nothing typed in clear in any request');
});

t.test('a wrong receipt, and one that is not 16 digits, are told apart; the typed receipt stays', async (t) => {
  const p = await newPhone();
  await p.page.goto(`${W.origin}/suivi`);
  const input = p.page.getByLabel('Reçu (16 chiffres)');
  await input.fill('1234 5678');
  await p.page.getByRole('button', { name: 'Ouvrir mon dossier' }).click();
  await p.page.getByRole('alert').filter({ hasText: 'Le reçu compte 16 chiffres' }).waitFor();
  t.equal(await input.getAttribute('aria-invalid'), 'true');
  t.same(p.sent.filter((r) => r.method === 'POST'), [], 'a malformed receipt is not even tried');

  const wrong = '0000 1111 2222 3333';
  await input.fill(wrong);
  await p.page.getByRole('button', { name: 'Ouvrir mon dossier' }).click();
  await p.page.getByRole('alert').filter({ hasText: 'Ce reçu n’ouvre aucun dossier' }).waitFor({ timeout: 30_000 });
  t.equal(await input.inputValue(), wrong, 'the receipt as typed is still there to correct');
  await screenshot(p.page, 'wrong-receipt');
  await noAxeViolations(t, p.page, 'wrong receipt');
  t.same(leaksIn(p.sent, [wrong, wrong.replace(/ /g, '')]), [], 'the receipt itself was never sent (only the authKey derived from it)');
});

t.test('rate-limited: the page says how long to wait and keeps the draft; the receipt login too', async (t) => {
  const limited = await servePage(t, T, { INTAKE_KEY_ID: dep.mechanismKeyId, FILING_RATE_LIMIT_PER_MINUTE: '1', LOGIN_RATE_LIMIT_PER_MINUTE: '1' });
  // This address's one filing and one receipt login of the minute are used up already.
  await limited.app.inject({ method: 'POST', url: '/v1/cases', payload: {} });
  await limited.app.inject({ method: 'POST', url: '/v1/auth/receipt', payload: {} });
  const p = await newPhone();
  await p.page.goto(`${limited.origin}/`);
  await fillForm(p.page, answers);
  await p.page.getByRole('button', { name: 'Envoyer ma demande' }).click();
  const alert = p.page.getByRole('alert').filter({ hasText: 'Trop d’essais' });
  await alert.waitFor({ timeout: 30_000 });
  t.match(await alert.textContent(), /Attendez \d+ secondes/, 'with the wait the server gave');
  await screenshot(p.page, 'rate-limited');
  await noAxeViolations(t, p.page, 'rate limited');
  t.equal(postsOfCases(p).length, 1, 'one attempt was made');
  t.same(await draftAfterFailure(p.page), fullDraft, 'everything typed is still there');

  const f = await newPhone();
  await f.page.goto(`${limited.origin}/suivi`);
  await f.page.getByLabel('Reçu (16 chiffres)').fill('0000 1111 2222 3333');
  await f.page.getByRole('button', { name: 'Ouvrir mon dossier' }).click();
  const receiptAlert = f.page.getByRole('alert').filter({ hasText: 'Trop d’essais' });
  await receiptAlert.waitFor({ timeout: 30_000 });
  t.match(await receiptAlert.textContent(), /Trop d’essais/, 'the receipt login says so too');
});

t.test('every page above: no request left 127.0.0.1 and nothing was stored', async (t) => {
  for (const p of pages) {
    t.same(p.offHostRequests, [], 'nothing off 127.0.0.1');
    t.same(p.pageErrors, [], 'no uncaught error');
    const stored = await p.page.evaluate<{ local: number; session: number; cookie: string }>(`({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie })`);
    t.same(stored, { local: 0, session: 0, cookie: '' }, 'no storage');
  }
});
