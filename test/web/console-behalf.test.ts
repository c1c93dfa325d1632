/**
 * What an officer does for a defender who phones or comes in, in Chromium against the running
 * service: records their request (sealed in the worker; the receipt shown once, printable, logs
 * the defender in and opens what they said), records a check-in and an alert on their case (the
 * check-in deadline settled and the next one started, as the API does), and replaces a seized
 * receipt (the old one refused, the new one opens the re-keyed case). axe-clean with each form
 * open at laptop and phone sizes, no CSP violation, nothing off the origin, no sealed text or
 * receipt in any request, no receipt in the page's storage.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { Page } from 'playwright-core';
import { caseFieldAd, caseReportNoteAd, deriveReceiptKeys, generateKeyPair, keyIdOf, openEnvelope, openField, toB64u, type KeyEnvelope } from '../../src/sdk/index.js';
import { apiClient, clientOf } from '../helpers/api-client.js';
import { bootstrap, caseAt, enrolActor, freshen, type Actor } from '../helpers/world.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';

t.setTimeout(300_000);
const T = await startConsoleService(t);
const dep = await bootstrap(T);
const awa = await enrolActor(T, dep.admin, { username: 'awa.officer', role: 'officer', orgId: dep.mechanismId });
const marker = (what: string) => `MARK-${what}-${randomUUID().slice(0, 8)}`;
const followed = await caseAt(T, dep, 'protection', { officer: awa, secrets: { identity: marker('identity'), contact: marker('contact'), narrative: marker('narrative') } });
const browser = await consoleBrowser(t);

const typed = { identity: marker('said-name'), narrative: marker('said-story'), location: marker('said-place'), contact: marker('said-phone') };
const notes = { checkin: marker('checkin-note'), alert: marker('alert-note') };
const markers = [...Object.values(typed), ...Object.values(notes), ...(Object.values(followed.secrets) as string[])];
/** Every receipt the page showed, as shown and as bare digits. */
const receipts: string[] = [];

/** Requests carrying a sealed plaintext or a receipt anywhere (URL or body). */
function leaksOf(p: ConsolePage): string[] {
  const secrets = [...markers, ...receipts, ...receipts.map((r) => r.replace(/\s/g, ''))];
  return p.sent.filter((r) => secrets.some((m) => decodeURIComponent(r.url).includes(m) || (r.body ?? '').includes(m))).map((r) => `${r.method} ${r.url}`);
}

async function storedReceipts(page: Page): Promise<string[]> {
  const stored = await page.evaluate(() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)]));
  return receipts.filter((r) => stored.includes(r) || stored.includes(r.replace(/\s/g, '')));
}


/** The printed page shows the receipt and the guidance, and neither the navigation nor the rest of the screen. */
async function printedView(tt: { ok(v: unknown, m: string): unknown; notOk(v: unknown, m: string): unknown }, page: Page, receipt: string): Promise<void> {
  await page.emulateMedia({ media: 'print' });
  const digits = page.locator('[data-receipt]');
  tt.ok(await digits.isVisible(), 'printed: the receipt shows');
  tt.ok((await digits.textContent())?.includes(receipt), 'printed: the receipt is the one shown');
  tt.ok(await page.getByText('Ce que vous faites de ce reçu').isVisible(), 'printed: what the defender does with it');
  tt.ok(await page.locator('.receipt-print-title').isVisible(), 'printed: a title for the paper');
  tt.notOk(await page.locator('header.bar').isVisible(), 'printed: no navigation');
  tt.notOk(await page.getByRole('button', { name: 'Imprimer le reçu' }).isVisible(), 'printed: no button');
  tt.ok(Number.parseFloat(await digits.evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).fontSize)) >= 36, 'printed: large digits');
  await page.emulateMedia({ media: 'screen' });
}

/** The defender's side with a receipt: its login, and the case key from the defender's envelope. */
async function asDefender(receipt: string) {
  const intake = await apiClient(T.app).call('getIntakeKey');
  const keys = deriveReceiptKeys(receipt, intake.receiptSalt);
  const login = await apiClient(T.app).call('loginWithReceipt', { body: { authKey: toB64u(keys.authKey) } });
  const client = clientOf(T.app, login);
  const sealed = await client.call('getCaseSealed', { params: { caseId: login.caseId } });
  const mine = sealed.envelopes.find((e) => e.keyId === keys.keyId);
  if (!mine) throw new Error('no envelope for the receipt key');
  return { caseId: login.caseId, client, sealed, dek: openEnvelope(mine as KeyEnvelope, keys.keyPair) };
}

let p: ConsolePage;
let checkinId = '';

async function signInAt(path: string, who: Actor, heading: string): Promise<void> {
  await p.page.clock.setSystemTime(T.clock.now());
  await p.page.goto(`${T.origin}${path}`);
  await signInAs(p.page, T, who);
  await p.page.getByRole('heading', { name: heading, level: 1 }).waitFor();
}

t.test('an officer records a request on a defender’s behalf and hands over the receipt', async (t) => {
  p = await browser.open('laptop');
  const { page } = p;
  await signInAt('/console/intake', awa, 'Enregistrer une demande pour un·e défenseur·e');
  t.equal(await page.getByRole('navigation').getByRole('link', { name: 'Enregistrer une demande' }).getAttribute('href'), '/console/intake', 'the navigation leads here');
  await page.locator('input[type="checkbox"][value="death_threat"]').waitFor();
  const keySection = page.locator('section[aria-labelledby="intake-key"]');
  await keySection.locator('.fingerprint').waitFor();
  t.match(await page.locator('main p.hint').first().textContent(), /n’est pas chiffré : le service le voit et le compte, sans aucun nom, dans ses statistiques/, 'the form says the listed codes are seen and counted by the service');
  await axeBothSizes(t, page, 'intake form');
  // This console had pinned another mechanism key before: the form says so when it opens again.
  await page.evaluate(([slot, value]) => localStorage.setItem(slot!, value!), [`egide.pinnedKeys.${awa.id}`, JSON.stringify({ [`org:${dep.mechanismId}`]: keyIdOf(generateKeyPair().publicKey) })]);
  await page.getByRole('navigation').getByRole('link', { name: 'Mon compte' }).click();
  await page.getByRole('navigation').getByRole('link', { name: 'Enregistrer une demande' }).click();
  await keySection.locator('.key-changed').waitFor();
  t.match(await keySection.locator('.key-changed').textContent(), /cette clé a changé/, 'a mechanism key other than the pinned one is a warning');

  await page.getByLabel('Origine de la demande').selectOption('oral_statement');
  await page.getByRole('group', { name: 'Consentement de la personne à être suivie' }).getByLabel('Donné').check();
  await page.getByLabel('Nom de la personne menacée').fill(typed.identity);
  await page.getByRole('button', { name: 'Chiffrer et enregistrer la demande' }).click();
  t.match(await page.locator('[data-code="intake_incomplete"]').textContent(), /Remplissez le nom/, 'what is missing is said');
  await page.getByLabel('Activité de défense des droits').selectOption('journalist');
  await page.locator('input[type="checkbox"][value="death_threat"]').check();
  await page.getByLabel('Récit', { exact: true }).fill(typed.narrative);
  await page.getByLabel('Région').selectOption('bamako');
  await page.getByLabel('Lieu précis (facultatif)').fill(typed.location);
  await page.getByLabel('Moyen de contact').selectOption('phone_call');
  await page.getByLabel('Coordonnées').fill(typed.contact);
  await page.getByRole('button', { name: 'Chiffrer et enregistrer la demande' }).click();
  t.match(await page.getByRole('alert').filter({ hasText: 'clé du mécanisme' }).textContent(), /Confirmez d’abord la clé du mécanisme/, 'nothing is filed to a changed key before the confirmation');
  t.equal(p.sent.filter((r) => r.url.endsWith('/v1/cases/on-behalf')).length, 0, 'no filing went out');
  await keySection.getByLabel('J’ai vérifié la nouvelle empreinte avec eux').check();
  await page.getByRole('button', { name: 'Chiffrer et enregistrer la demande' }).click();

  await page.getByRole('heading', { name: 'Demande enregistrée', level: 1 }).waitFor();
  const receipt = ((await page.locator('[data-receipt]').textContent()) ?? '').trim();
  t.match(receipt, /^\d{4} \d{4} \d{4} \d{4}$/, 'a receipt of 16 digits is shown');
  receipts.push(receipt);
  await axeBothSizes(t, page, 'receipt shown');
  await printedView(t, page, receipt);

  // The receipt is the defender's: it logs in and opens what they said.
  const defender = await asDefender(receipt);
  const open = (field: string) => openField(defender.sealed.fields[field]!, defender.dek, caseFieldAd(defender.caseId, field));
  t.same(open('identity'), { name: typed.identity }, 'the identity opens with the receipt');
  t.same(open('narrative'), { text: typed.narrative }, 'the account too');
  t.same(open('location'), { text: typed.location });
  t.same(open('contact'), { text: typed.contact });
  const [row] = await T.database.sql`select source, consent, region, contact_channel, reference from cases where id = ${defender.caseId}`;
  t.match(row, { source: 'oral_statement', consent: 'given', region: 'bamako', contact_channel: 'phone_call' }, 'source and consent recorded');
  const filer = await T.database.sql`select 1 from case_envelopes where case_id = ${defender.caseId} and recipient_type = 'user' and recipient_id = ${awa.id}`;
  t.equal(filer.length, 1, 'the case key is sealed to the recording officer too');

  const link = page.getByRole('link', { name: `Ouvrir le dossier ${row!.reference as string}` });
  t.equal(await link.getAttribute('href'), `/console/cases/${defender.caseId}`, 'a link to the new case');
  t.same(await storedReceipts(page), [], 'the receipt is in no storage');
  await link.click();
  await page.getByRole('heading', { name: `Dossier ${row!.reference as string}`, level: 1 }).waitFor();
  t.notOk((await page.content()).includes(receipt), 'the receipt is gone once the screen is left');
  t.same(p.violations, [], 'no CSP violation in the page or its worker');
  t.same(p.offHostRequests, [], 'nothing requested off the origin');
  t.same(p.pageErrors, [], 'no page error');
  t.same(leaksOf(p), [], 'no sealed text or receipt in any request');
});

t.test('the officer records a check-in and an alert for the defender', async (t) => {
  const { page } = p;
  await signInAt(`/console/cases/${followed.caseId}`, awa, `Dossier ${followed.reference}`);
  const reports = page.locator('section[aria-labelledby="case-reports"]');
  await reports.getByRole('button', { name: 'Enregistrer des nouvelles' }).waitFor();

  await freshen(T, awa);
  const listed = await clientOf(T.app, awa).call('getCaseActions', { params: { caseId: followed.caseId } });
  const allowed = listed.commands.filter((c) => ['check_in', 'raise_alert', 'report_incident'].includes(c.command) && c.allowed).map((c) => c.command);
  t.same((await reports.locator('button[data-command]').evaluateAll((els) => els.map((e) => e.getAttribute('data-command')))).sort(), allowed.sort(), 'the buttons are the commands the API allows');

  const before = await T.database.sql`select id, state from deadlines where case_id = ${followed.caseId} and rule = 'checkin' and state = 'open'`;
  t.equal(before.length, 1, 'a check-in deadline runs');
  await reports.getByRole('button', { name: 'Enregistrer des nouvelles' }).click();
  const form = reports.locator('form.action-form');
  await form.getByRole('group', { name: 'Comment va la personne' }).getByLabel('Veut être rappelée').check();
  await form.getByLabel('Note (facultative)').fill(notes.checkin);
  await axeBothSizes(t, page, 'check-in form');
  await form.getByRole('button', { name: 'Enregistrer : Nouvelles' }).click();
  await reports.getByRole('status').filter({ hasText: 'Enregistré : Nouvelles.' }).waitFor();
  await reports.getByText(notes.checkin, { exact: true }).waitFor();
  const [checkin] = await T.database.sql`select id, kind, code, reported_by, note from case_reports where case_id = ${followed.caseId} and kind = 'checkin'`;
  checkinId = checkin!.id as string;
  t.match(checkin, { kind: 'checkin', code: 'need_contact', reported_by: `u:${awa.id}` }, 'the check-in is recorded as the officer’s, for the defender');
  t.same(openField(checkin!.note as string, followed.dek, caseReportNoteAd('checkin', checkinId)), { text: notes.checkin }, 'its note is sealed under the case key');
  const after = await T.database.sql`select id, state, started_at, due_at, settled_at from deadlines where case_id = ${followed.caseId} and rule = 'checkin' order by started_at`;
  t.match(after.find((d) => d.id === before[0]!.id), { state: 'settled' }, 'the running check-in deadline is settled');
  const next = after.filter((d) => d.state === 'open');
  t.equal(next.length, 1, 'the next one runs');
  t.equal(new Date(next[0]!.due_at as string).getTime() - new Date(next[0]!.started_at as string).getTime(), 26 * 3_600_000, 'due by the risk level (high: 24 h) plus 2 h of grace');

  await reports.getByRole('button', { name: 'Signaler un incident' }).click();
  await form.getByLabel('Type d’incident').waitFor();
  await axeBothSizes(t, page, 'incident form');
  await form.getByRole('button', { name: 'Annuler' }).click();

  await reports.getByRole('button', { name: 'Enregistrer une alerte' }).click();
  await form.getByLabel('Note (facultative)').fill(notes.alert);
  await axeBothSizes(t, page, 'alert form');
  await form.getByRole('button', { name: 'Enregistrer : Alerte' }).click();
  await reports.getByRole('status').filter({ hasText: 'Enregistré : Alerte.' }).waitFor();
  await reports.getByText(notes.alert, { exact: true }).waitFor();
  const alerts = await T.database.sql`select reported_by, note from case_reports where case_id = ${followed.caseId} and kind = 'alert'`;
  t.equal(alerts.length, 1, 'the alert is recorded');
  t.equal(alerts[0]!.reported_by, `u:${awa.id}`);
  t.match(alerts[0]!.note, /^v2\./, 'its note sealed (padded format)');
  t.same(p.violations, []);
  t.same(p.offHostRequests, []);
  t.same(p.pageErrors, []);
  t.same(leaksOf(p), []);
});

t.test('the officer replaces a seized receipt: the old one is refused, the new one opens the case', async (t) => {
  const { page } = p;
  const section = page.locator('section[aria-labelledby="reissue-title"]');
  await section.getByRole('button', { name: 'Remettre un nouveau reçu' }).click();
  await section.getByLabel('Ce qui est arrivé au reçu').selectOption('seized');
  await axeBothSizes(t, page, 'receipt re-issue form');
  await section.getByRole('button', { name: 'Chiffrer à nouveau le dossier et créer le reçu' }).click();
  await page.getByRole('heading', { name: 'Nouveau reçu', level: 2 }).waitFor();
  const receipt = ((await page.locator('[data-receipt]').textContent()) ?? '').trim();
  t.match(receipt, /^\d{4} \d{4} \d{4} \d{4}$/, 'the new receipt is shown');
  t.not(receipt.replace(/\s/g, ''), followed.defender.receipt.replace(/\s/g, ''), 'a new one');
  receipts.push(receipt, followed.defender.receipt);
  await axeBothSizes(t, page, 'new receipt shown');
  await printedView(t, page, receipt);
  // The page reads on with the new case key.
  await page.locator('section[aria-labelledby="case-sealed"]').getByText(String(followed.secrets.narrative), { exact: true }).waitFor();

  const refused = await apiClient(T.app).call('loginWithReceipt', { body: { authKey: followed.defender.authKey } }).then(() => null, (err: unknown) => err);
  t.match(refused, { status: 401 }, 'the old receipt no longer logs in');
  const defender = await asDefender(receipt);
  t.equal(defender.caseId, followed.caseId, 'the new receipt logs in to the case');
  t.equal(openField(defender.sealed.fields.identity!, defender.dek, caseFieldAd(followed.caseId, 'identity')), followed.secrets.identity, 'and opens it');
  const listed = await defender.client.call('listCaseReports', { params: { caseId: followed.caseId }, query: { kind: 'checkin' } });
  const mine = listed.items.find((r) => r.id === checkinId);
  t.same(openField(mine?.note ?? '', defender.dek, caseReportNoteAd('checkin', checkinId)), { text: notes.checkin }, 'the check-in note was re-sealed under the new key');
  const [c] = await T.database.sql`select key_epoch from cases where id = ${followed.caseId}`;
  t.ok((c!.key_epoch as number) > 1, 'the case was re-keyed');
  const timeline = await T.database.sql`select reason from case_timeline where case_id = ${followed.caseId} and action = 'case.receipt_reissued'`;
  t.match(timeline[0]?.reason, /seized/, 'the cause is in the timeline');

  await page.getByRole('button', { name: 'Reçu remis : le masquer' }).click();
  t.notOk((await page.content()).includes(receipt), 'hidden once handed over');
  t.same(await storedReceipts(page), [], 'no receipt in any storage');
  t.same(p.violations, []);
  t.same(p.offHostRequests, []);
  t.same(p.pageErrors, []);
  t.same(leaksOf(p), []);
});
