/**
 * The defender's page when a filing's answer is lost, in Chromium at phone size: the server files
 * the request (201) but the connection is cut before the answer arrives. The page keeps the
 * sealed request in memory and the retry resends the very same bytes; the server refuses the
 * second (409 already_exists), so the page logs in with the receipt it already holds and shows
 * that receipt and the case's reference: one case, one receipt that opens it. Typed otherwise
 * after the lost answer, the request is sealed again under the same case id and receipt (still
 * one case, and the page says the change may be missing). Also: a 503 that never reached the
 * service (the same bytes are filed on retry), a rate limit (kept, said as before) and a 409
 * intake_key_changed (said as before; nothing was filed, so the next send is sealed afresh).
 * Screenshots: test/artifacts/web/retry-*.png.
 */
import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import type { Page, Route } from 'playwright-core';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap } from '../helpers/world.js';
import type { IsolatedPage } from '../helpers/browser.js';
import { caseFieldAd, deriveReceiptKeys, openEnvelope, openField, ready, toB64u } from '../../src/sdk/index.js';
import { axeViolations, buildPage, leaksIn, screenshots, servePage, phoneBrowser, fillForm } from './page-kit.js';

await ready();
buildPage();
const T = await buildTestApp(t);
const dep = await bootstrap(T);
const W = await servePage(t, T, { INTAKE_KEY_ID: dep.mechanismKeyId });
const screenshot = screenshots('retry');

const { newPhone, pages } = await phoneBrowser(t);

const M = randomUUID().slice(0, 8);
const typed = { identity: `Oumar-NOM-${M}`, narrative: `Enlevement RECIT-${M}`, contact: `Chez Awa CONTACT-${M}`, changed: `Et ensuite AJOUT-${M}` };
const markers = Object.values(typed).map((v) => v.match(/[A-Z]+-[0-9a-f]{8}/)![0]);

const answers = { identity: typed.identity, activity: 'journalist', threat: 'Arrestation arbitraire', narrative: typed.narrative, region: 'kidal', channel: 'through_trusted_person', contact: typed.contact, urgent: true };

/** From the last step: walks back, reading what each step kept, then forward again to the send button. */
async function draftKept(page: Page): Promise<Record<string, string | boolean>> {
  const urgent = await page.locator('input[type="radio"][value="yes"]').isChecked();
  await page.getByRole('button', { name: 'Retour' }).click();
  const contact = await page.locator('textarea').inputValue();
  await page.getByRole('button', { name: 'Retour' }).click();
  await page.getByRole('button', { name: 'Retour' }).click();
  const narrative = await page.locator('textarea').inputValue();
  await page.getByRole('button', { name: 'Retour' }).click();
  const identity = await page.locator('input[type="text"]').first().inputValue();
  for (let i = 0; i < 4; i++) await page.getByRole('button', { name: 'Continuer' }).click();
  return { identity, narrative, contact, urgent };
}
const fullDraft = { identity: typed.identity, narrative: typed.narrative, contact: typed.contact, urgent: true };

/** The first POST /v1/cases goes the way `first` says; every later one goes to the service. */
async function onFirstFiling(page: Page, first: (route: Route) => Promise<void>): Promise<void> {
  let seen = 0;
  await page.route('**/v1/cases', async (route) => {
    if (route.request().method() !== 'POST' || seen++ > 0) return route.fallback();
    await first(route);
  });
}

interface Body {
  caseId: string;
  receiptVerifier: string;
  fields: Record<string, string>;
  envelopes: { defender: { keyId: string } };
}
const filings = (p: IsolatedPage): Body[] => p.sent.filter((r) => r.method === 'POST' && new URL(r.url).pathname === '/v1/cases').map((r) => JSON.parse(r.body ?? 'null') as Body);
const caseCount = async (): Promise<number> => (await T.database.sql`select count(*)::int as n from cases`)[0]!.n as number;
const problem = (status: number, code: string) => ({ status, contentType: 'application/problem+json', body: JSON.stringify({ type: `https://egide.example/problems/${code}`, title: code, status, code }) });

/** Answers of the page's POST /v1/cases, in order (an aborted one has none). */
function filingStatuses(page: Page): number[] {
  const statuses: number[] = [];
  page.on('response', (r) => {
    if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/v1/cases') statuses.push(r.status());
  });
  return statuses;
}

/** What the test, as the defender, opens with the receipt the page showed (the SDK, through the API). */
async function openWithReceipt(receipt: string): Promise<{ caseId: string; narrative: unknown }> {
  const intake = (await T.app.inject({ method: 'GET', url: '/v1/keys/intake' })).json() as { receiptSalt: string };
  const keys = deriveReceiptKeys(receipt, intake.receiptSalt);
  const login = await T.app.inject({ method: 'POST', url: '/v1/auth/receipt', payload: { authKey: toB64u(keys.authKey) } });
  if (login.statusCode !== 200) throw new Error(`receipt login: ${login.statusCode} ${login.body}`);
  const { accessToken, caseId } = login.json() as { accessToken: string; caseId: string };
  const sealed = (await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/sealed`, headers: { authorization: `Bearer ${accessToken}` } })).json() as { fields: Record<string, string>; envelopes: Array<{ keyId: string; envelope: string }> };
  const mine = sealed.envelopes.find((e) => e.keyId === keys.keyId);
  if (!mine) throw new Error('no envelope for the receipt');
  const dek = openEnvelope(mine.envelope, keys.keyPair);
  return { caseId, narrative: openField(sealed.fields.narrative!, dek, caseFieldAd(caseId, 'narrative')) };
}

async function noAxeViolations(t: Test, page: Page, step: string): Promise<void> {
  t.same(await axeViolations(page), [], `axe-core: no accessibility violation (${step})`);
}

const send = (page: Page) => page.getByRole('button', { name: 'Envoyer ma demande' }).click();
const lostAlert = (page: Page) => page.getByRole('alert').filter({ hasText: 'Le service ne répond pas' }).filter({ hasText: 'réessayer ne l’enverra pas une deuxième fois' });

t.test('the answer is lost after the service filed the request: the retry resends it, one case, its receipt opens it', async (t) => {
  const p = await newPhone();
  const statuses = filingStatuses(p.page);
  let firstAnswer = 0;
  // The request reaches the service and is filed; its answer never reaches the browser.
  await onFirstFiling(p.page, async (route) => {
    firstAnswer = (await route.fetch()).status();
    await route.abort('connectionreset');
  });
  const before = await caseCount();
  await p.page.goto(`${W.origin}/`);
  await fillForm(p.page, answers);
  await send(p.page);
  await lostAlert(p.page).waitFor({ timeout: 30_000 });
  t.equal(firstAnswer, 201, 'the service had filed it');
  t.equal(await caseCount(), before + 1, 'the case exists although the page was not told');
  t.ok(await p.page.getByRole('button', { name: 'Envoyer ma demande' }).isEnabled(), 'the send button is usable again');
  await screenshot(p.page, 'answer-lost');
  await noAxeViolations(t, p.page, 'answer lost');
  t.same(await draftKept(p.page), fullDraft, 'everything typed is still there');

  await send(p.page);
  await p.page.locator('#receipt').waitFor({ timeout: 30_000 });
  const receipt = (await p.page.locator('#receipt').textContent()) ?? '';
  const reference = (await p.page.locator('#case-reference').textContent()) ?? '';
  t.match(receipt, /^\d{4} \d{4} \d{4} \d{4}$/, 'a receipt is shown');
  t.match(await p.page.locator('#recovered').textContent(), /Votre premier envoi était bien arrivé : votre demande n’est enregistrée qu’une fois\.$/, 'the page says the request is recorded once (nothing was changed, so nothing is missing)');
  await p.page.getByText('L’équipe de protection va accuser réception').waitFor();
  await screenshot(p.page, 'receipt-after-lost-answer');
  await noAxeViolations(t, p.page, 'receipt after a lost answer');

  t.same(statuses, [409], 'the resend was refused as already filed (the first has no answer)');
  const [first, second] = filings(p);
  t.equal(filings(p).length, 2, 'two sends');
  t.same(second, first, 'the retry sent exactly the same request: case id, receipt verifier, ciphertext');
  t.equal(await caseCount(), before + 1, 'exactly one case');
  const [row] = await T.database.sql`select id, reference, urgent_claimed, region from cases where id = ${first!.caseId}`;
  t.match(row, { reference, urgent_claimed: true, region: 'kidal' }, 'the reference shown is the one case’s');
  const opened = await openWithReceipt(receipt);
  t.equal(opened.caseId, first!.caseId, 'the receipt shown logs in to that case');
  t.same(opened.narrative, { text: typed.narrative }, 'and opens what was typed');
  t.same(leaksIn(p.sent, [...markers, receipt, receipt.replace(/ /g, '')]), [], 'nothing typed, and not the receipt, in anything the browser sent');

  // The receipt view goes on as after any filing: following the case logs in again.
  await p.page.getByLabel('J’ai noté mon reçu en lieu sûr').check();
  await p.page.getByRole('button', { name: 'Suivre ma demande maintenant' }).click();
  await p.page.locator('#case-state').filter({ hasText: 'Reçue' }).waitFor({ timeout: 30_000 });
  t.equal(await p.page.locator('#case-reference').textContent(), reference, 'the case followed is that one');
});

t.test('changed after the lost answer: sealed again under the same case id and receipt; still one case, and the page says so', async (t) => {
  const p = await newPhone();
  await onFirstFiling(p.page, async (route) => {
    await route.fetch();
    await route.abort('connectionreset');
  });
  const before = await caseCount();
  await p.page.goto(`${W.origin}/`);
  await fillForm(p.page, answers);
  await send(p.page);
  await lostAlert(p.page).waitFor({ timeout: 30_000 });
  for (let i = 0; i < 3; i++) await p.page.getByRole('button', { name: 'Retour' }).click();
  await p.page.getByLabel('Racontez ce qui s’est passé').fill(`${typed.narrative} ${typed.changed}`);
  for (let i = 0; i < 3; i++) await p.page.getByRole('button', { name: 'Continuer' }).click();
  await send(p.page);
  await p.page.locator('#receipt').waitFor({ timeout: 30_000 });
  const receipt = (await p.page.locator('#receipt').textContent()) ?? '';
  t.match(await p.page.locator('#recovered').textContent(), /Votre premier envoi était bien arrivé.*Ce que vous avez changé après ce premier envoi n’y est peut-être pas : ajoutez-le par message/, 'the page says the change may be missing and how to add it');
  await screenshot(p.page, 'receipt-change-missing');
  await noAxeViolations(t, p.page, 'change missing');

  const [first, second] = filings(p);
  t.equal(second!.caseId, first!.caseId, 'the same case id');
  t.equal(second!.receiptVerifier, first!.receiptVerifier, 'the same receipt');
  t.not(second!.fields.narrative, first!.fields.narrative, 'the changed text was sealed again');
  t.equal(await caseCount(), before + 1, 'exactly one case');
  const opened = await openWithReceipt(receipt);
  t.equal(opened.caseId, first!.caseId, 'the receipt shown opens it');
  t.same(opened.narrative, { text: typed.narrative }, 'it holds the first version, as the page said');
  t.same(leaksIn(p.sent, [...markers, receipt, receipt.replace(/ /g, '')]), [], 'nothing typed in anything the browser sent');
});

t.test('a 503 before the service (a proxy): the retry files the very same request', async (t) => {
  const p = await newPhone();
  await onFirstFiling(p.page, (route) => route.fulfill(problem(503, 'service_unavailable')));
  const before = await caseCount();
  await p.page.goto(`${W.origin}/`);
  await fillForm(p.page, answers);
  await send(p.page);
  await lostAlert(p.page).waitFor({ timeout: 30_000 });
  t.equal(await caseCount(), before, 'nothing filed');
  await send(p.page);
  await p.page.locator('#receipt').waitFor({ timeout: 30_000 });
  t.equal(await p.page.locator('#recovered').count(), 0, 'an ordinary receipt view: the service answered this time');
  const [first, second] = filings(p);
  t.same(second, first, 'the same bytes');
  t.same((await T.database.sql`select id from cases where id = ${first!.caseId}`).length, 1);
  t.equal(await caseCount(), before + 1, 'one case');
});

t.test('rate-limited, then accepted: said as before, and the sealed request is kept (nothing was filed)', async (t) => {
  const p = await newPhone();
  await onFirstFiling(p.page, (route) => route.fulfill({ ...problem(429, 'rate_limited'), headers: { 'retry-after': '7' } }));
  const before = await caseCount();
  await p.page.goto(`${W.origin}/`);
  await fillForm(p.page, answers);
  await send(p.page);
  const alert = p.page.getByRole('alert').filter({ hasText: 'Trop d’essais' });
  await alert.waitFor({ timeout: 30_000 });
  t.match(await alert.textContent(), /Attendez 7 secondes/);
  t.notMatch(await alert.textContent(), /deuxième fois/, 'a refusal is no unanswered send');
  await send(p.page);
  await p.page.locator('#receipt').waitFor({ timeout: 30_000 });
  const [first, second] = filings(p);
  t.same(second, first, 'the same request, not sealed twice');
  t.equal(await caseCount(), before + 1);
});

t.test('past the byte ceiling of the address: the page asks for a short request now, not an hour of waiting', async (t) => {
  const p = await newPhone();
  await onFirstFiling(p.page, (route) => route.fulfill({ ...problem(429, 'filing_quota_exceeded'), headers: { 'retry-after': '3000' } }));
  const before = await caseCount();
  await p.page.goto(`${W.origin}/`);
  await fillForm(p.page, answers);
  await send(p.page);
  const alert = p.page.getByRole('alert').filter({ hasText: 'Une demande courte passe tout de suite' });
  await alert.waitFor({ timeout: 30_000 });
  t.notMatch(await alert.textContent(), /3000 secondes/, 'no hour of waiting asked of a person in danger');
  t.match(await alert.textContent(), /toujours là/, 'what was typed is kept');
  t.equal(await caseCount(), before, 'nothing filed');
  await send(p.page);
  await p.page.locator('#receipt').waitFor({ timeout: 30_000 });
  t.equal(await caseCount(), before + 1);
});

t.test('409 intake_key_changed: said as before; nothing was filed, so the next send is sealed afresh', async (t) => {
  const p = await newPhone();
  await onFirstFiling(p.page, (route) => route.fulfill(problem(409, 'intake_key_changed')));
  const before = await caseCount();
  await p.page.goto(`${W.origin}/`);
  await fillForm(p.page, answers);
  await send(p.page);
  const alert = p.page.getByRole('alert').filter({ hasText: 'La clé de l’institution a changé pendant l’envoi' });
  await alert.waitFor({ timeout: 30_000 });
  t.notMatch(await alert.textContent(), /deuxième fois/);
  t.equal(await caseCount(), before, 'nothing filed');
  await send(p.page);
  await p.page.locator('#receipt').waitFor({ timeout: 30_000 });
  const [first, second] = filings(p);
  t.not(second!.caseId, first!.caseId, 'a new case id: the first surely was not filed');
  t.not(second!.receiptVerifier, first!.receiptVerifier, 'and a new receipt');
  t.equal(await caseCount(), before + 1, 'one case');
});

t.test('every page above: no uncaught error, nothing off 127.0.0.1, nothing stored', async (t) => {
  for (const p of pages) {
    t.same(p.offHostRequests, [], 'nothing off 127.0.0.1');
    t.same(p.pageErrors, [], 'no uncaught error');
    const stored = await p.page.evaluate<{ local: number; session: number; cookie: string }>(`({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie })`);
    t.same(stored, { local: 0, session: 0, cookie: '' }, 'no storage');
  }
});
