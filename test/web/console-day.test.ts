/**
 * An officer's whole day in the console, in Chromium against the running service (API and
 * workers on one clock, the defender page beside it on the same database): Awa accepts her
 * invitation (keys made in the worker, TOTP from the test's clock), takes the defender's new
 * request from the pool and admits it with the keyboard alone, writes to the defender, who reads
 * and answers on the defender page in a second browser context; the inbox brings the answer
 * back; then she answers again. A second officer does the same on a phone, in English.
 *
 * Over the whole day: no request leaves the page's origin, no CSP violation in a page or its
 * worker, no page error, and the words the defender typed, the messages and the receipt appear in
 * no request the console sent, no database row, no log line and no Redis key.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { Page } from 'playwright-core';
import { clientOf } from '../helpers/api-client.js';
import { findLeaks } from '../helpers/leaks.js';
import { waitFor } from '../helpers/wait-for.js';
import { bootstrap, caseKeyOf, caseRow, enrolActor, fileCase, freshen, grantCaseKey, nextTotp, partnerOrg } from '../helpers/world.js';
import { fromB64u, sealEnvelope } from '../../src/sdk/index.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';
import { fillForm, leaksIn, servePage } from './page-kit.js';

t.setTimeout(600_000);
const T = await startConsoleService(t, {}, { workers: true });
const dep = await bootstrap(T);
const W = await servePage(t, T, { INTAKE_KEY_ID: dep.mechanismKeyId });
const partner = await partnerOrg(T, dep.admin, { name: 'Avocats pour la défense des défenseurs', username: 'avocats.partner' });
const browser = await consoleBrowser(t);

const M = randomUUID().slice(0, 8);
const typed = {
  identity: `Fatoumata-NOM-${M}`,
  narrative: `Menaces RECIT-${M} au marché`,
  location: `Gao LIEU-${M}`,
  contact: `+223 CONTACT-${M} le soir`,
  officerMessage: `Bonjour, nous avons votre demande. OFFICIER-${M}`,
  reply: `Merci, je suis joignable REPONSE-${M}`,
  officerAgain: `Nous vous rappelons demain. RAPPEL-${M}`,
  english: `Hello, we received your request ANGLAIS-${M}`,
  facts: `Deux hommes armés devant la maison FAITS-${M}`,
  measure: `Formation à la sécurité numérique MESURE-${M}`,
};
const markers = Object.values(typed).map((v) => v.match(/[A-Z]+-[0-9a-f]{8}/)![0]);
const awaAccount = { username: 'awa.diarra', password: 'une longue phrase de passe pour Awa', totpSecret: '' };
let receipt = '';
let reference = '';
let caseId = '';
const pages: ConsolePage[] = [];

async function open(size: 'laptop' | 'phone' = 'laptop', locale = 'fr-FR'): Promise<ConsolePage> {
  const p = await browser.open(size, locale);
  pages.push(p);
  return p;
}


/** Presses Tab until `target` has the focus (at most `max` times): true when it got there. */
async function tabTo(page: Page, target: ReturnType<Page['locator']>, max = 120): Promise<boolean> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === el.ownerDocument.activeElement).catch(() => false)) return true;
    await page.keyboard.press('Tab');
  }
  return target.evaluate((el) => el === el.ownerDocument.activeElement);
}

t.test('morning: a defender files a request on the defender page and keeps the receipt', async (t) => {
  const p = await open('phone');
  const { page } = p;
  await page.goto(`${W.origin}/`);
  await page.getByRole('heading', { name: 'Demander une protection' }).waitFor();
  await fillForm(page, { identity: typed.identity, activity: 'journalist', threat: 'Menace de mort', narrative: typed.narrative, region: 'gao', location: typed.location, channel: 'signal', contact: typed.contact, urgent: false });
  await page.getByRole('button', { name: 'Envoyer ma demande' }).click();
  await page.locator('#receipt').waitFor({ timeout: 60_000 });
  receipt = ((await page.locator('#receipt').textContent()) ?? '').trim();
  reference = ((await page.locator('#case-reference').textContent()) ?? '').trim();
  t.match(receipt, /^\d{4} \d{4} \d{4} \d{4}$/);
  const row = await T.database.sql`select id from cases where reference = ${reference}`;
  t.equal(row.length, 1, 'the case is filed');
  caseId = String(row[0]!.id);
  t.same(p.offHostRequests, []);
});

t.test('Awa accepts her invitation: keys in the worker, TOTP, recovery code, then she is signed in', async (t) => {
  await freshen(T, dep.admin);
  const invitation = await clientOf(T.app, dep.admin).call('inviteUser', { body: { username: awaAccount.username, role: 'officer', orgId: dep.mechanismId } });
  const p = await open('laptop');
  const { page } = p;
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console/invitation#${invitation.token}`);
  await page.getByRole('heading', { name: 'Créer votre compte' }).waitFor();
  t.equal(page.url(), `${T.origin}/console/invitation`, 'the token left the address bar');
  await page.getByLabel('Identifiant').fill(awaAccount.username);
  await page.getByLabel('Nouveau mot de passe').fill(awaAccount.password);
  await page.getByLabel('Le même mot de passe, une seconde fois').fill(awaAccount.password);
  await page.getByRole('button', { name: 'Créer mes clés' }).click();
  await page.locator('[data-secret]').waitFor();
  awaAccount.totpSecret = ((await page.locator('[data-secret]').textContent()) ?? '').replace(/\s+/g, '');
  await page.getByLabel('Code à usage unique').fill(nextTotp(T, awaAccount.totpSecret));
  await page.getByRole('button', { name: 'Vérifier le code' }).click();
  await page.getByRole('heading', { name: 'Étape 3 sur 3 : votre code de récupération' }).waitFor();
  await page.getByLabel('J’ai noté ce code et je l’ai rangé en lieu sûr').check();
  await page.getByRole('button', { name: 'Continuer vers la connexion' }).click();
  await page.getByRole('heading', { name: 'Connexion' }).waitFor();
  await signInAs(page, T, awaAccount);
  await page.getByText(`Connecté·e en tant que ${awaAccount.username}`).waitFor();
  t.same(p.violations, []);
});

t.test('Awa takes the new request from the pool and admits it, with the keyboard alone', async (t) => {
  const p = pages.at(-1)!;
  const { page } = p;
  await page.getByRole('link', { name: /Dossiers à prendre en charge/ }).click();
  const row = page.locator(`tr[data-case-id="${caseId}"]`);
  await row.waitFor();
  await axeBothSizes(t, page, 'the pool: axe');
  const take = row.getByRole('button', { name: `Prendre ce dossier ${reference}` });
  await page.locator('body').focus();
  t.ok(await tabTo(page, take), 'Tab reaches "take" on the row');
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: `Dossier ${reference} pris en charge` }).waitFor();
  t.equal((await caseRow(T, caseId)).state, 'triage');

  // The supervisor on duty, who holds the mechanism key, gives Awa the case key from her own client.
  const awaId = String((await T.database.sql`select id from users where username = ${awaAccount.username}`)[0]!.id);
  await freshen(T, dep.supervisor);
  const supervisor = clientOf(T.app, dep.supervisor);
  const awaKey = await supervisor.call('getUserPublicKey', { params: { userId: awaId } });
  const dek = await caseKeyOf(T, dep.supervisor, caseId);
  await supervisor.call('grantCaseEnvelope', { params: { caseId }, body: { userId: awaId, ...sealEnvelope(dek, fromB64u(awaKey.publicKey)) } });

  await page.getByRole('link', { name: /Mes dossiers/ }).click();
  const link = page.locator(`tr[data-case-id="${caseId}"]`).getByRole('link', { name: reference });
  await link.waitFor();
  await page.locator('body').focus();
  t.ok(await tabTo(page, link), 'Tab reaches the case in "my cases"');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: `Dossier ${reference}`, level: 1 }).waitFor();
  await page.getByText(typed.narrative, { exact: true }).waitFor();
  t.pass('the sealed request opened in the worker');
  const admit = page.getByRole('button', { name: 'Déclarer recevable', exact: true });
  await admit.waitFor();
  await page.locator('body').focus();
  t.ok(await tabTo(page, admit), 'Tab reaches "admit"');
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: 'Fait : Déclarer recevable.' }).waitFor();
  t.equal((await caseRow(T, caseId)).state, 'assessment');
  await axeBothSizes(t, page, 'the case page: axe');
});

t.test('Awa assesses the risk, proposes a measure the defender agrees to by phone, and refers the case to a partner', async (t) => {
  const p = pages.at(-1)!;
  const { page } = p;
  // The assessment: one threat, the vulnerability and the capacities; the level as she types.
  const assessment = page.locator('section[aria-labelledby="case-assessment"]');
  await page.getByRole('button', { name: 'Nouvelle évaluation', exact: true }).click();
  const form = page.locator('form.assessment-form');
  const threat = form.locator('fieldset.threat').first();
  await threat.getByLabel('Type de menace', { exact: true }).selectOption('declared');
  await threat.getByLabel('Qui est derrière', { exact: true }).selectOption('armed_group');
  await threat.getByLabel('Peut-elle être mise à exécution ?', { exact: true }).selectOption('yes');
  await threat.getByLabel('Note de la menace (T)', { exact: true }).selectOption('4');
  await form.getByLabel('Note de vulnérabilité (V)', { exact: true }).selectOption('3');
  await form.getByLabel('Note de capacités (C)', { exact: true }).selectOption('2');
  await page.locator('.assessment-level').getByText('Élevé').first().waitFor();
  await threat.getByLabel('1. Les faits (quoi, quand, où)', { exact: true }).fill(typed.facts);
  await form.getByRole('button', { name: 'Enregistrer l’évaluation' }).click();
  await page.getByRole('status').filter({ hasText: 'Évaluation enregistrée : niveau Élevé.' }).waitFor();
  t.equal((await T.database.sql`select level from assessments where case_id = ${caseId}`)[0]?.level, 'high', 'recorded at the level shown');
  t.ok(await assessment.count(), 'the assessment section');

  // The assessment done, the case goes to the decision on measures.
  await page.getByRole('button', { name: 'Terminer l’évaluation', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Fait : Terminer l’évaluation.' }).waitFor();
  t.equal((await caseRow(T, caseId)).state, 'decision');
  // A measure from the catalogue, its details sealed in the worker, the defender's consent taken by phone.
  await page.getByRole('button', { name: 'Proposer une mesure', exact: true }).click();
  const measureForm = page.locator('form.action-form');
  await page.getByLabel('Mesure', { exact: true }).selectOption('security_training');
  await page.getByLabel('Détails chiffrés', { exact: true }).fill(typed.measure);
  await measureForm.getByRole('button', { name: 'Chiffrer les détails et proposer la mesure' }).click();
  await page.getByRole('status').filter({ hasText: 'Mesure proposée.' }).waitFor();
  const measure = page.locator('li.measure').first();
  await measure.getByText(typed.measure, { exact: true }).waitFor();
  await measure.getByRole('button', { name: 'Enregistrer l’accord oral du défenseur' }).click();
  const consent = measure.locator('form.action-form');
  await consent.getByLabel('Il ou elle accepte').check();
  await consent.getByLabel('Comment la réponse a été donnée').selectOption('phone_call');
  await consent.getByLabel('Attestation').fill('Accord donné par téléphone à Awa, après lecture de la mesure.');
  await consent.getByRole('button', { name: 'Enregistrer la réponse' }).click();
  await page.getByRole('status').filter({ hasText: 'Accord enregistré' }).waitFor();
  await measure.getByText(/En attente de la décision d’un·e superviseur·e/).waitFor();
  t.same((await T.database.sql`select status from measures where case_id = ${caseId}`).map((r) => r.status), ['consented'], 'the measure waits for a supervisor, with the consent on record');

  // The referral: the partner, the fields, the defender's oral consent, the packet sealed in the worker.
  const section = page.locator('section[aria-labelledby="case-referrals"]');
  await section.getByRole('button', { name: 'Proposer un transfert' }).click();
  let referralForm = section.locator('form.action-form');
  await referralForm.getByLabel('Organisation partenaire').selectOption({ label: partner.name });
  await referralForm.getByLabel('Objet du transfert').selectOption({ label: 'Assistance juridique' });
  await referralForm.getByLabel('Identité', { exact: true }).check();
  await referralForm.getByLabel('Récit', { exact: true }).check();
  await referralForm.getByRole('button', { name: 'Proposer ce transfert' }).click();
  await section.getByRole('status').filter({ hasText: 'Transfert proposé' }).waitFor();
  const item = section.locator('li.referral').first();
  await item.getByRole('button', { name: 'Enregistrer une réponse orale' }).click();
  referralForm = item.locator('form.action-form');
  await referralForm.getByLabel('Comment la réponse a été recueillie').selectOption('phone_call');
  await referralForm.getByLabel('Attestation').fill('Destinataire, informations et objet lus par téléphone ; accord donné.');
  await referralForm.getByRole('button', { name: 'Enregistrer la réponse' }).click();
  await section.getByRole('status').filter({ hasText: 'Accord enregistré.' }).waitFor();
  await item.getByRole('button', { name: 'Chiffrer et envoyer' }).click();
  referralForm = item.locator('form.action-form');
  await referralForm.locator('.fingerprint').waitFor();
  await referralForm.getByRole('button', { name: 'Chiffrer pour cette clé et envoyer' }).click();
  await section.getByRole('status').filter({ hasText: `Transfert envoyé à ${partner.name}.` }).waitFor();
  const referral = await T.database.sql`select state, fields from referrals where case_id = ${caseId}`;
  t.same(referral.map((r) => [r.state, r.fields]), [['sent', ['identity', 'narrative']]], 'the referral is sent with the two fields chosen');
  await axeBothSizes(t, page, 'the case page after the referral: axe');
});

t.test('Awa writes to the defender; the defender reads and answers on the defender page', async (t) => {
  const p = pages.at(-1)!;
  const { page } = p;
  const messages = page.locator('section[aria-labelledby="case-messages"]');
  await messages.getByLabel('Votre message au défenseur').fill(typed.officerMessage);
  await messages.getByRole('button', { name: 'Chiffrer et envoyer' }).click();
  await page.getByRole('status').filter({ hasText: 'Message chiffré et envoyé.' }).waitFor();

  const d = await open('phone');
  await d.page.goto(`${W.origin}/suivi`);
  await d.page.getByLabel('Reçu (16 chiffres)').fill(receipt);
  await d.page.getByRole('button', { name: 'Ouvrir mon dossier' }).click();
  await d.page.locator('#messages').getByText(typed.officerMessage).waitFor({ timeout: 60_000 });
  await d.page.getByLabel('Votre message').fill(typed.reply);
  await d.page.getByRole('button', { name: 'Envoyer le message' }).click();
  await d.page.locator('#messages').getByText(typed.reply).waitFor();
  t.same(d.offHostRequests, [], 'the defender page asked nothing off its origin');
});

t.test('the inbox brings the answer back; Awa reads it and answers', async (t) => {
  const p = pages.find((x) => x.page.url().startsWith(T.origin))!;
  const { page } = p;
  // The workers turn the defender's message into a notice in Awa's inbox.
  await waitFor(async () => (await T.database.sql`select 1 from notifications n join users u on u.id = n.recipient_user_id where u.username = ${awaAccount.username} and n.topic = 'message.created' and n.case_id = ${caseId}`).length > 0, { what: 'the notice of the answer', timeoutMs: 30_000 });
  await page.getByRole('link', { name: /Notifications/ }).click();
  const notice = page.getByRole('link', { name: `Dossier ${reference}` }).first();
  await notice.waitFor();
  t.match(await page.getByRole('main').textContent(), 'Nouveau message sur un dossier', 'the notice says what happened, not what was written');
  await notice.click();
  await page.getByText(typed.reply, { exact: true }).waitFor();
  t.pass('the answer opened in the worker');
  const messages = page.locator('section[aria-labelledby="case-messages"]');
  await messages.getByLabel('Votre message au défenseur').fill(typed.officerAgain);
  await messages.getByRole('button', { name: 'Chiffrer et envoyer' }).click();
  await page.getByRole('status').filter({ hasText: 'Message chiffré et envoyé.' }).waitFor();
  const count = await T.database.sql`select count(*)::int as n from messages where case_id = ${caseId}`;
  t.equal(count[0]!.n, 3, 'three messages on the case');
});

t.test('afternoon, on a phone, in English: Binta takes a case with the keyboard and writes to its defender', async (t) => {
  const binta = await enrolActor(T, dep.admin, { username: 'binta.sow', role: 'officer', orgId: dep.mechanismId });
  const second = await fileCase(T, dep, { secrets: { identity: `Moussa-NOM2-${M}`, contact: `CONTACT2-${M}`, narrative: `RECIT2-${M}` } });
  markers.push(`NOM2-${M}`, `CONTACT2-${M}`, `RECIT2-${M}`);
  const p = await open('phone');
  const { page } = p;
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console`);
  await page.getByRole('heading', { name: 'Connexion' }).waitFor();
  await page.getByLabel('Langue').selectOption('en');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await signInAs(page, T, binta, { username: 'Username', password: 'Password', totp: 'One-time code', submit: 'Sign in' });
  await page.getByRole('link', { name: /Intake pool/ }).click();
  const take = page.locator(`tr[data-case-id="${second.caseId}"]`).getByRole('button', { name: `Take this case ${second.reference}` });
  await take.waitFor();
  await axeBothSizes(t, page, 'the pool in English: axe');
  await page.locator('body').focus();
  t.ok(await tabTo(page, take), 'Tab reaches "take" on the phone');
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: second.reference }).waitFor();
  t.equal((await caseRow(T, second.caseId)).assignee_id, binta.id, 'the case is Binta’s');
  await freshen(T, dep.supervisor);
  await grantCaseKey(T, dep.supervisor, second.caseId, binta);
  await page.goto(`${T.origin}/console/cases/${second.caseId}`);
  await signInAs(page, T, binta, { username: 'Username', password: 'Password', totp: 'One-time code', submit: 'Sign in' });
  await page.getByRole('heading', { name: `Case ${second.reference}`, level: 1 }).waitFor();
  await page.getByText(`RECIT2-${M}`, { exact: true }).waitFor();
  t.equal(await page.evaluate('document.documentElement.lang'), 'en', 'the language chosen is kept across the reload');
  await page.getByLabel('Your message to the defender').fill(typed.english);
  await page.getByRole('button', { name: 'Seal and send' }).click();
  await page.getByRole('status').filter({ hasText: 'Message sealed and sent.' }).waitFor();
  await axeBothSizes(t, page, 'the case page in English: axe');
  const sent = await T.database.sql`select count(*)::int as n from messages where case_id = ${second.caseId}`;
  t.equal(sent[0]!.n, 1, 'the message is on the case');
});

t.test('over the whole day: nothing off the origin, no CSP violation, no plaintext anywhere', async (t) => {
  const consolePages = pages.filter((p) => p.sent.some((r) => r.url.startsWith(T.origin)));
  t.ok(consolePages.length >= 2, 'the console pages of the day');
  for (const p of pages) {
    t.same(p.violations, [], 'no CSP violation in a page or its worker');
    t.same(p.offHostRequests, [], 'nothing requested off 127.0.0.1');
    t.same(p.pageErrors, [], 'no page error');
  }
  const consoleSent = consolePages.flatMap((p) => p.sent.filter((r) => r.url.startsWith(T.origin)));
  t.same(leaksIn(consoleSent, [...markers, receipt, receipt.replace(/ /g, '')]), [], 'no plaintext and no receipt in any URL, header or body the console sent');
  const secrets = Object.fromEntries([...markers.map((m) => [m, m]), ['receipt', receipt.replace(/ /g, '')], ['awa.password', awaAccount.password]]);
  t.same(await findLeaks(T, secrets), [], 'nor in any database row, log line or Redis key');
  t.same(await findLeaks(W, secrets), [], 'nor in the defender page server’s logs');
});
