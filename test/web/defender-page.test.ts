/**
 * The defender's page in Debian's Chromium at phone size, against the real service:
 * a request filed through the guided form (every typed field a marker), the receipt shown once,
 * the case followed with the receipt, a message from the officer read and answered, a measure
 * consented to, an incident, a check-in and an alert; then nothing typed in anything the browser
 * sent, nothing off 127.0.0.1, nothing in storage; axe-core finds no violation at each step;
 * the transfer sizes are measured. Screenshots: test/artifacts/web/.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { Page, Response } from 'playwright-core';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, caseKeyOf, grantCaseKey, act, caseRow } from '../helpers/world.js';
import { assessmentFieldAd, caseReportNoteAd, measureDetailsAd, messageBodyAd, openField, parseSealedField, ready, sealField } from '../../src/sdk/index.js';
import type { IsolatedPage } from '../helpers/browser.js';
import { ARTIFACTS, axeViolations, buildPage, leaksIn, phoneBrowser, screenshots, servePage, fillForm } from './page-kit.js';
import { DEFENDER_PAGE_CSP } from '../../src/plugins/defender-page.js';
import { NOTIFICATION_TOPICS } from '../../src/notifications/outbox-dispatcher.js';

await ready();
t.comment(buildPage().trim());

const T = await buildTestApp(t);
const { dep, officers: { page: officer } } = await buildWorld(T, { officers: ['page'] });
const W = await servePage(t, T, { INTAKE_KEY_ID: dep.mechanismKeyId });
const screenshot = screenshots('flow');

const { newPhone } = await phoneBrowser(t);

const M = randomUUID().slice(0, 8);
const typed = {
  identity: `Aminata-NOM-${M}`,
  narrative: `Menaces RECIT-${M} devant la maison`,
  location: `Sevare LIEU-${M}`,
  contact: `+223 CONTACT-${M} apres 18 h`,
  reply: `Reponse MSG-${M}`,
  incident: `Voiture INCIDENT-${M}`,
  checkin: `Tout va bien CHECKIN-${M}`,
  alert: `Au marche ALERTE-${M}`,
};
const markers = Object.values(typed).map((v) => v.match(/[A-Z]+-[0-9a-f]{8}/)![0]);
const officerText = `Bonjour, nous avons bien reçu votre demande. OFFICIER-${M}`;
const measureText = `Serrures neuves au domicile. MESURE-${M}`;

/** Sizes of what the browser received, per URL (encoded body and headers, as on the wire). */
async function transfer(responses: Response[]): Promise<{ total: number; byUrl: Record<string, number> }> {
  const byUrl: Record<string, number> = {};
  let total = 0;
  for (const r of responses) {
    const sizes = await r.request().sizes();
    const key = new URL(r.url()).pathname;
    // Chromium reports no body size for a worker's own script: counted as the server sends it (brotli).
    const body = key.startsWith('/assets/crypto-') ? (await W.app.inject({ method: 'GET', url: key, headers: { 'accept-encoding': 'br' } })).rawPayload.length : sizes.responseBodySize;
    const n = body + sizes.responseHeadersSize;
    byUrl[key] = (byUrl[key] ?? 0) + n;
    total += n;
  }
  return { total, byUrl };
}

async function noAxeViolations(t: Test, page: Page, step: string): Promise<void> {
  const violations = await axeViolations(page);
  t.same(violations, [], `axe-core: no accessibility violation (${step})`);
}

const answers = { identity: typed.identity, activity: 'journalist', threat: 'Menace de mort', narrative: typed.narrative, region: 'mopti', location: typed.location, channel: 'signal', contact: typed.contact, urgent: false };


let receipt = '';
let reference = '';
let caseId = '';
let filing: IsolatedPage;

t.test('the page is served with a strict CSP, SRI on its scripts, and nothing cached or referred', async (t) => {
  const res = await W.app.inject({ method: 'GET', url: '/', headers: { 'accept-encoding': 'br' } });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-security-policy'], DEFENDER_PAGE_CSP);
  for (const d of ["default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "frame-ancestors 'none'", "base-uri 'none'", "connect-src 'self'"]) t.ok(DEFENDER_PAGE_CSP.includes(d), d);
  t.equal(res.headers['cache-control'], 'no-store');
  t.equal(res.headers['referrer-policy'], 'no-referrer');
  t.equal(res.headers['content-encoding'], 'br');
  const html = (await W.app.inject({ method: 'GET', url: '/suivi' })).body;
  t.notMatch(html, dep.mechanismKeyId, 'nothing of the deployment is written into the page: the keyId comes from the settings route');
  t.notMatch(html, /\{\{/, 'no placeholder left');
  const scripts = [...html.matchAll(/<script type="module" src="([^"]+)" integrity="(sha384-[^"]+)"/g)];
  t.equal(scripts.length, 1, 'the page script has an integrity hash');
  t.match(html, /<link rel="stylesheet" href="[^"]+" integrity="sha384-/, 'so does the stylesheet');
  t.match(html, /<meta name="egide-crypto-src" content="\/assets\/crypto-[0-9a-f]{12}\.js">/, 'the crypto worker is named after its contents (a Worker takes no integrity hash)');
  t.notMatch(html, /<script>(?!\s*<\/script>)|<script(?![^>]*(?:src=|type="application\/json"))[^>]*>/, 'no inline script');
  t.notMatch(html, /https?:\/\/(?!www\.google\.com\/search)/, 'no URL to another host (the quick-exit target aside)');
  const asset = await W.app.inject({ method: 'GET', url: scripts[0]![1]!, headers: { 'accept-encoding': 'gzip' } });
  t.equal(asset.statusCode, 200);
  t.equal(asset.headers['content-encoding'], 'gzip');
  t.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.equal((await W.app.inject({ method: 'GET', url: '/assets/nothing.js' })).statusCode, 404);
  t.equal((await W.app.inject({ method: 'GET', url: '/assets/..%2Fmanifest.json' })).statusCode, 400, 'only flat asset names');
});

t.test('a defender files a request through the guided form; the receipt is shown once', async (t) => {
  filing = await newPhone();
  const { page } = filing;
  const responses: Response[] = [];
  page.on('response', (r) => responses.push(r));
  const res = await page.goto(`${W.origin}/`);
  t.equal(res?.status(), 200);
  await page.getByRole('heading', { name: 'Demander une protection' }).waitFor();
  const initial = await transfer(responses);
  await screenshot(page, 'home');
  await noAxeViolations(t, page, 'home');

  // Continuing without answering says what is missing, in words.
  await page.getByRole('button', { name: 'Continuer' }).click();
  await page.getByRole('alert').filter({ hasText: 'Il manque une réponse' }).waitFor();
  t.equal(await page.getByLabel('Nom de la personne en danger').getAttribute('aria-invalid'), 'true', 'the missing field is marked');
  t.match(await page.locator('[data-codes-visible]').textContent(), /n’est pas chiffré : le service le voit et le compte/, 'the first step says plainly which answers the service sees and counts');
  await screenshot(page, 'missing-answer');

  await fillForm(page, answers);
  await screenshot(page, 'last-step');
  await noAxeViolations(t, page, 'last step');
  const started = Date.now();
  await page.getByRole('button', { name: 'Envoyer ma demande' }).click();
  await page.locator('#receipt').waitFor({ timeout: 30_000 });
  t.comment(`filed in ${Date.now() - started} ms (Argon2id in the worker, sealing, POST)`);
  receipt = (await page.locator('#receipt').textContent()) ?? '';
  reference = (await page.locator('#case-reference').textContent()) ?? '';
  t.match(receipt, /^\d{4} \d{4} \d{4} \d{4}$/, 'the receipt: four groups of four digits');
  t.match(reference, /^\d{4}-\d{5}$/, 'and the case reference');
  await page.getByText('Ce reçu s’affiche une seule fois').waitFor();
  await screenshot(page, 'receipt');
  await noAxeViolations(t, page, 'receipt');

  const [row] = await T.database.sql`select id, state, urgent_claimed, source from cases where reference = ${reference}`;
  t.match(row, { state: 'received', urgent_claimed: false, source: 'online' }, 'the case exists, filed online');
  caseId = row!.id as string;
  const fields = await T.database.sql`select field, sealed from case_fields where case_id = ${caseId} order by field`;
  t.same(
    fields.map((f) => f.field),
    ['contact', 'identity', 'location', 'narrative'],
    'four sealed fields',
  );
  // Sealed in the page's worker as format 2: each ciphertext less its tag is a whole number of blocks.
  for (const f of fields) {
    const sealed = f.sealed as string;
    t.match(sealed, /^v2\./, `${f.field as string} sealed in format 2`);
    t.equal((parseSealedField(sealed).ciphertext.length - 16) % 64, 0, `${f.field as string} padded to 64-byte blocks`);
  }
  t.same(leaksIn(filing.sent, [...markers, receipt, receipt.replace(/ /g, '')]), [], 'nothing typed, and not the receipt, in any request the browser sent');
  const post = filing.sent.find((r) => r.method === 'POST' && r.url.endsWith('/v1/cases'));
  t.ok(post?.body?.includes('"v2.'), 'the POST carried sealed fields (format 2, padded)');

  const all = await transfer(responses);
  const report = {
    firstLoadBytes: initial.total,
    firstLoad: initial.byUrl,
    throughFilingBytes: all.total,
    throughFiling: all.byUrl,
  };
  writeFileSync(path.join(ARTIFACTS, 'transfer.json'), `${JSON.stringify(report, null, 2)}\n`);
  t.comment(`transfer (brotli, headers included): first load ${(initial.total / 1024).toFixed(1)} KiB; through a filing (crypto worker and API calls) ${(all.total / 1024).toFixed(1)} KiB`);
  // The same files uncompressed, for comparison (what a client without brotli or gzip would get).
  const rawOf = async (url: string) => (await W.app.inject({ method: 'GET', url })).rawPayload.length;
  const rawFirst = (await Promise.all(Object.keys(initial.byUrl).map(rawOf))).reduce((a, b) => a + b, 0);
  const rawCrypto = (await Promise.all(Object.keys(all.byUrl).filter((u) => u.startsWith('/assets/crypto-')).map(rawOf))).reduce((a, b) => a + b, 0);
  t.comment(`uncompressed: first load ${(rawFirst / 1024).toFixed(1)} KiB, crypto worker ${(rawCrypto / 1024).toFixed(1)} KiB`);
  writeFileSync(path.join(ARTIFACTS, 'transfer.json'), `${JSON.stringify({ ...report, rawFirstLoadBytes: rawFirst, rawCryptoBytes: rawCrypto }, null, 2)}\n`);
  t.ok(initial.total < 40 * 1024, `the first load is under 40 KiB (${initial.total} bytes)`);
  t.ok(all.total < 260 * 1024, `everything through a filing is under 260 KiB (${all.total} bytes)`);

  // The receipt view: the person confirms having noted it, then follows the case right away.
  t.ok(await page.getByRole('button', { name: 'Suivre ma demande maintenant' }).isDisabled(), 'moving on waits until the receipt is noted');
  await page.getByLabel('J’ai noté mon reçu en lieu sûr').check();
  await page.getByRole('button', { name: 'Suivre ma demande maintenant' }).click();
  await page.locator('#case-state').filter({ hasText: 'Reçue' }).waitFor();
  t.equal(await page.locator('#receipt').count(), 0, 'the receipt is no longer on the page');
  t.equal(new URL(page.url()).pathname, '/suivi');
  await screenshot(page, 'case-received');
});

let measureId = '';
t.test('the officer takes the case, writes to the defender and proposes a measure (SDK, through the API)', async (t) => {
  for (const step of ['acknowledge', 'admit'] as const) {
    const r = await act(T, officer, caseId, step);
    t.equal(r.statusCode, 200, `${step}: ${r.body}`);
    if (step === 'acknowledge') await grantCaseKey(T, dep.supervisor, caseId, officer);
  }
  const dek = await caseKeyOf(T, officer, caseId);
  const messageId = randomUUID();
  const sent = await T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/messages`, headers: officer.auth(), payload: { id: messageId, body: sealField({ text: officerText }, dek, messageBodyAd(messageId, `u:${officer.id}`)) } });
  t.equal(sent.statusCode, 201, sent.body);
  const assessmentId = randomUUID();
  const assessed = await T.app.inject({
    method: 'POST',
    url: `/v1/cases/${caseId}/assessments`,
    headers: officer.auth(),
    payload: {
      id: assessmentId,
      threats: [{ kind: 'declared', source: 'criminal_group', canBeCarriedOut: 'yes', imminent: false, rating: 4 }],
      vulnerability: { factors: ['exposed_location'], rating: 3 },
      capacity: { factors: ['support_network'], rating: 2 },
      sealed: { 'threats.0.facts': sealField('SMS', dek, assessmentFieldAd(assessmentId, 'threats.0.facts')) },
    },
  });
  t.equal(assessed.statusCode, 201, assessed.body);
  t.equal((await act(T, officer, caseId, 'complete-assessment')).statusCode, 200);
  measureId = randomUUID();
  const proposed = await T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/measures`, headers: officer.auth(), payload: { id: measureId, code: 'securing_premises', implementer: 'cndh', details: sealField({ text: measureText }, dek, measureDetailsAd(measureId)) } });
  t.equal(proposed.statusCode, 201, proposed.body);
});

let follow: IsolatedPage;
t.test('the defender comes back with the receipt: reads the message, answers, consents to the measure', async (t) => {
  follow = await newPhone();
  const { page } = follow;
  await page.goto(`${W.origin}/suivi`);
  await page.getByRole('heading', { name: 'Suivre votre demande' }).waitFor();
  await noAxeViolations(t, page, 'receipt form');
  await page.getByLabel('Reçu (16 chiffres)').fill(receipt);
  await page.getByRole('button', { name: 'Ouvrir mon dossier' }).click();
  await page.locator('#messages').getByText(officerText).waitFor({ timeout: 30_000 });
  t.match(await page.locator('#messages').textContent(), officerText, 'the officer’s message is opened in the browser');
  t.equal(await page.locator('#case-reference').textContent(), reference);
  await page.locator('#case-state').filter({ hasText: 'décision' }).waitFor();
  await page.locator(`#measure-${measureId}`).getByText(measureText).waitFor();
  t.match(await page.locator(`#measure-${measureId}`).textContent(), measureText, 'the measure’s sealed details are opened in the browser');
  await screenshot(page, 'case-message-and-measure');
  await noAxeViolations(t, page, 'case view');

  await page.getByLabel('Votre message').fill(typed.reply);
  await page.getByRole('button', { name: 'Envoyer le message' }).click();
  await page.locator('#messages').getByText(typed.reply).waitFor();
  const dek = await caseKeyOf(T, officer, caseId);
  const items = (await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/messages`, headers: officer.auth() })).json().items as Array<{ id: string; sender: string; body: string }>;
  const mine = items.find((m) => m.sender === `d:${caseId}`);
  t.same(openField(mine!.body, dek, messageBodyAd(mine!.id, mine!.sender)), { text: typed.reply }, 'the officer opens the defender’s answer');

  await page.locator(`#measure-${measureId}`).getByRole('button', { name: 'J’accepte' }).click();
  await page.locator('#consent').getByText('Rien n’attend votre accord').waitFor();
  const m = await T.database.sql`select status, consent_at from measures where id = ${measureId}`;
  t.ok(m[0]!.consent_at, 'the consent is recorded');
  await screenshot(page, 'measure-consented');
});

t.test('the defender reports an incident, raises an alert and, once protected, checks in', async (t) => {
  const { page } = follow;
  await page.locator('#incident').getByLabel('Type d’incident').selectOption('surveillance');
  await page.locator('#incident').getByLabel('Ce qui s’est passé').fill(typed.incident);
  await page.getByRole('button', { name: 'Signaler l’incident' }).click();
  await page.locator('#incident').getByRole('status').filter({ hasText: 'Incident signalé' }).waitFor();

  await page.locator('#alert').getByLabel('Où êtes-vous, que se passe-t-il ?').fill(typed.alert);
  await page.getByRole('button', { name: 'Donner l’alerte' }).click();
  await page.getByRole('button', { name: 'Confirmer l’alerte' }).click();
  await page.locator('#alert').getByRole('status').filter({ hasText: 'Alerte envoyée' }).waitFor();
  await screenshot(page, 'alert-sent');

  const approved = await T.app.inject({ method: 'POST', url: `/v1/measures/${measureId}/decision`, headers: dep.supervisor.auth(), payload: { decision: 'approve', reason: 'Menaces établies.' } });
  t.equal(approved.statusCode, 200, approved.body);
  await page.getByRole('button', { name: 'Actualiser' }).click();
  await page.locator('#case-state').filter({ hasText: 'Sous protection' }).waitFor();
  await page.locator('#checkin').getByLabel('Un mot').fill(typed.checkin);
  await page.getByRole('button', { name: 'Envoyer mes nouvelles' }).click();
  await page.locator('#checkin').getByRole('status').filter({ hasText: 'vos nouvelles sont enregistrées' }).waitFor();
  await screenshot(page, 'checked-in');
  await noAxeViolations(t, page, 'after the reports');

  const dek = await caseKeyOf(T, officer, caseId);
  const reports = (await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/reports`, headers: officer.auth() })).json().items as Array<{ id: string; kind: 'incident' | 'alert' | 'checkin'; code: string | null; note: string }>;
  const opened = Object.fromEntries(reports.map((r) => [r.kind, { code: r.code, note: openField(r.note, dek, caseReportNoteAd(r.kind, r.id)) }]));
  t.same(opened, { incident: { code: 'surveillance', note: { text: typed.incident } }, alert: { code: null, note: { text: typed.alert } }, checkin: { code: 'ok', note: { text: typed.checkin } } }, 'the officer opens each note');
  t.equal((await caseRow(T, caseId)).state, 'protection', 'the case is in protection (the incident came before the decision)');
});

t.test('notices: every topic the service tells the defender about reads as plain words, never as a code', async (t) => {
  const { page } = follow;
  const dueAt = new Date(T.clock.now().getTime() + 3 * 86_400_000).toISOString();
  // Beside the rows the flow above wrote (the officer's message, the measure's steps), one of each
  // other topic whose audience is the defender, as the services write them: measure-service
  // notify(..., 'defender'), referral-service, appeal-service, the escalation of a defender's
  // deadline; and two topics this page has never heard of.
  const planted: Array<[string, Record<string, unknown>]> = [
    ['measure.answered', { measureId: randomUUID(), code: 'securing_premises', to: 'defender', decision: 'consent' }],
    ['measure.rejected', { measureId: randomUUID(), code: 'securing_premises', to: 'defender' }],
    ['measure.activated', { measureId: randomUUID(), code: 'securing_premises', to: 'defender' }],
    ['measure.lifted', { measureId: randomUUID(), code: 'securing_premises', to: 'defender' }],
    ['measure.ended', { measureId: randomUUID(), code: 'securing_premises', to: 'defender', reason: 'lapsed' }],
    ['referral.consent_requested', { referralId: randomUUID() }],
    ['appeal.decided', { appealId: randomUUID(), subject: 'decline', outcome: 'upheld', notify: 'defender' }],
    ['deadline.step', { deadlineId: randomUUID(), rule: 'checkin', step: 'reminder', level: 0, dueAt, recipients: ['defender'] }],
    ['measure.renewed', { measureId: randomUUID(), to: 'defender' }],
    ['case.transferred', { to: 'defender' }],
  ];
  for (const [topic, payload] of planted) await T.database.sql`insert into outbox (topic, payload, created_at) values (${topic}, ${JSON.stringify({ caseId, reference, ...payload })}::jsonb, now())`;
  // What the relay does (workers/notification-delivery.ts), for the notification topics only.
  const relayed = (topic: string) => NOTIFICATION_TOPICS.some((p) => (p.endsWith('.*') ? topic.startsWith(p.slice(0, -1)) : topic === p));
  const rows = await T.database.sql`select id, topic, payload, created_at from outbox where dispatched_at is null order by id`;
  for (const r of rows.filter((r) => relayed(r.topic as string))) {
    await T.app.container.services.notifications.deliver({ id: Number(r.id), topic: r.topic as string, payload: r.payload as Record<string, unknown>, createdAt: r.created_at as Date }, T.database.db);
  }
  const topics = (await T.database.sql`select distinct topic from notifications where case_id = ${caseId} and audience = 'defender'`).map((r) => r.topic as string);
  for (const topic of ['message.created', 'measure.proposed', 'measure.approved', ...planted.map(([topic]) => topic)]) t.ok(topics.includes(topic), `${topic} is a notice for the defender`);

  await page.getByRole('button', { name: 'Actualiser' }).click();
  const notices = page.locator('section[aria-labelledby="notices-title"] li');
  await notices.nth(topics.length - 1).waitFor();
  const texts = await notices.allTextContents();
  const shown = texts.join('\n');
  for (const expected of [
    'Vous avez un nouveau message.',
    'Une mesure de protection vous est proposée.',
    'Une mesure de protection a été approuvée.',
    'Votre accord à une mesure de protection a été enregistré.',
    'Une mesure de protection proposée n’a pas été approuvée.',
    'Une mesure de protection est mise en place.',
    'Une mesure de protection a été levée.',
    'Une mesure de protection urgente a pris fin : elle n’a pas été confirmée à temps.',
    'Une transmission à un partenaire attend votre accord.',
    'Votre recours a été accepté.',
    'Rappel — Vos prochaines nouvelles : avant le',
    'Du nouveau sur une mesure de protection.',
    'Il y a du nouveau dans votre dossier.',
  ]) {
    t.ok(shown.includes(expected), `shown: ${expected}`);
  }
  for (const topic of topics) t.notOk(shown.includes(topic), `no raw code: ${topic}`);
  t.notMatch(shown, /\b[a-z]+\.[a-z_]+\b/, 'nothing shaped like a topic code');
  await page.locator('section[aria-labelledby="notices-title"]').scrollIntoViewIfNeeded();
  await screenshot(page, 'notices');
  await noAxeViolations(t, page, 'notices');

  await page.getByRole('button', { name: 'English' }).click();
  const english = (await notices.allTextContents()).join('\n');
  for (const expected of ['You have a new message.', 'Your appeal has been upheld.', 'Reminder — Your next check-in: by', 'There is news on your case.']) t.ok(english.includes(expected), `in English: ${expected}`);
  await page.getByRole('button', { name: 'Français' }).click();
});

t.test('nothing typed left the browser in the clear; nothing off 127.0.0.1; nothing stored', async (t) => {
  const everything = [...filing.sent, ...follow.sent];
  t.ok(everything.length > 20, `${everything.length} requests recorded`);
  t.same(leaksIn(everything, [...markers, receipt, receipt.replace(/ /g, '')]), [], 'no marker and no receipt in any URL or body');
  for (const p of [filing, follow]) {
    t.same(p.offHostRequests, [], 'no request left 127.0.0.1');
    t.same(p.pageErrors, [], 'no uncaught error');
    t.same(p.consoleErrors, [], 'no console error (a CSP or SRI violation would be one)');
    // Run in the page (browser globals): written as a string, the test's TypeScript has no DOM types.
    const stored = await p.page.evaluate<{ local: number; session: number; cookie: string; idb: number; caches: number }>(
      `(async () => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie, idb: (await indexedDB.databases()).length, caches: (await caches.keys()).length }))()`,
    );
    t.same(stored, { local: 0, session: 0, cookie: '', idb: 0, caches: 0 }, 'no localStorage, sessionStorage, cookie, IndexedDB or cache');
    t.same(await p.context.cookies(), [], 'the context holds no cookie');
  }
});

t.test('quick exit: the button, and Escape twice, leave for the neutral site in place of the page', async (t) => {
  const { page } = follow;
  await page.getByRole('button', { name: 'Quitter vite' }).click();
  await page.waitForURL((u) => u.hostname === 'www.google.com', { timeout: 10_000 }).catch(() => undefined);
  t.same(follow.offHostRequests, ['https://www.google.com/search?q=meteo'], 'the only off-host request is the navigation to the neutral site (blocked by the test)');
  t.notOk(await page.evaluate<boolean>(`(document.body?.textContent ?? '').includes('Votre dossier')`).catch(() => false), 'the case is no longer on screen');

  const other = await newPhone();
  await other.page.goto(`${W.origin}/`);
  await other.page.getByLabel('Nom de la personne en danger').fill('x');
  await other.page.keyboard.press('Escape');
  await other.page.keyboard.press('Escape');
  await other.page.waitForEvent('requestfailed', { timeout: 10_000 }).catch(() => undefined);
  t.same(other.offHostRequests, ['https://www.google.com/search?q=meteo'], 'Escape twice does the same');
  const history = await other.page.evaluate<number>('history.length').catch(() => -1);
  t.ok(history <= 2, `the page replaced itself rather than adding a history entry (history.length ${history})`);
});
