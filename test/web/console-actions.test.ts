/**
 * The actions of a case page, in Chromium against the running service: the buttons are exactly
 * the transitions getCaseActions lists for the same person; an officer admits a case (keyboard
 * only) and declines another with a reason; a supervisor reassigns a case to a second officer,
 * picked by name from the staff directory, the case key sealed to that officer's public key in the worker (whose SDK then opens the
 * sealed fields), and gives the key of another case to a colleague once she confirms the changed
 * key she is shown was checked; the officer records that a case's alleged violation was verified,
 * with a reason, in a form that says the code is seen and counted. axe-clean with the forms open
 * at laptop and phone sizes, no CSP violation, nothing off the origin, no plaintext in any request
 * and no reason in any URL.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import { caseFieldAd, generateKeyPair, keyIdOf, openEnvelope, openField, type KeyEnvelope } from '../../src/sdk/index.js';
import { clientOf } from '../helpers/api-client.js';
import { bootstrap, caseRow, enrolActor, fileCase, freshen, grantCaseKey, type Actor, type FiledCase } from '../helpers/world.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';

t.setTimeout(600_000);
const T = await startConsoleService(t);
const dep = await bootstrap(T);
const awa = await enrolActor(T, dep.admin, { username: 'awa.officer', role: 'officer', orgId: dep.mechanismId });
const binta = await enrolActor(T, dep.admin, { username: 'binta.officer', role: 'officer', orgId: dep.mechanismId });
const browser = await consoleBrowser(t);
const fr = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '..', '..', 'web', 'console', 'i18n', 'fr.json'), 'utf8')) as Record<string, string>;

const marker = (what: string) => `MARK-${what}-${randomUUID().slice(0, 8)}`;
const secretsOf = () => ({ identity: marker('identity'), contact: marker('contact'), narrative: marker('narrative') });

/** A case Awa took (in triage), with its key given to her by the supervisor when `keyed`. */
async function triageCase(keyed = true): Promise<FiledCase> {
  const c = await fileCase(T, dep, { secrets: secretsOf() });
  await freshen(T, awa);
  await clientOf(T.app, awa).transition(c.caseId, 'acknowledge', {});
  if (keyed) {
    await freshen(T, dep.supervisor);
    await grantCaseKey(T, dep.supervisor, c.caseId, awa);
  }
  return c;
}
const admitted = await triageCase();
const declined = await triageCase();
const handedOver = await triageCase();
const granted = await triageCase(false);
const verified = await triageCase();
const cases = [admitted, declined, handedOver, granted, verified];
const markers = cases.flatMap((c) => Object.values(c.secrets) as string[]);
const declineReason = `Hors mandat ${randomUUID()}`;
const reassignReason = `Congé de l'agent ${randomUUID()}`;
const verifyReason = `Registre du commissariat et deux témoins ${randomUUID()}`;

/** Requests with a sealed plaintext anywhere, or a reason in their URL (reasons are metadata: bodies may carry them). */
function leaksOf(p: ConsolePage): string[] {
  return p.sent
    .filter((r) => markers.some((m) => r.url.includes(m) || (r.body ?? '').includes(m)) || [declineReason, reassignReason, verifyReason].some((m) => decodeURIComponent(r.url).includes(m)))
    .map((r) => `${r.method} ${r.url}`);
}


async function openCasePage(p: ConsolePage, who: Actor, c: FiledCase): Promise<void> {
  await p.page.clock.setSystemTime(T.clock.now());
  await p.page.goto(`${T.origin}/console/cases/${c.caseId}`);
  await signInAs(p.page, T, who);
  await p.page.getByRole('heading', { name: `Dossier ${c.reference}`, level: 1 }).waitFor();
  await p.page.locator('.action-list button').first().waitFor();
}

const actionButtons = (page: Page) => page.locator('section[aria-labelledby="case-actions"] .action-list button').allTextContents();
const stateShown = (page: Page) => page.locator('.meta dd').first().textContent();

t.test('the officer sees what the policy allows, admits with the keyboard, declines with a reason', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await openCasePage(p, awa, admitted);

  // The buttons are the transitions the API lists for the same person, and nothing else.
  await freshen(T, awa);
  const listed = await clientOf(T.app, awa).call('getCaseActions', { params: { caseId: admitted.caseId } });
  const expected = listed.transitions.map((tr) => fr[`transition.${tr.name}`]);
  if (listed.commands.some((c) => c.command === 'grant_envelope' && c.allowed)) expected.push(fr['actions.grant']);
  t.ok(listed.transitions.some((tr) => tr.name === 'admit'), 'admit is open to the officer in triage');
  t.notOk(listed.transitions.some((tr) => tr.name === 'reassign'), 'reassigning is not');
  t.same((await actionButtons(page)).map((s) => s.trim()).sort(), expected.sort(), 'exactly the buttons the API lists');
  t.equal(await page.getByRole('button', { name: fr['transition.reassign']! }).count(), 0, 'no button for what is not allowed');

  // Admit with the keyboard alone.
  const admit = page.getByRole('button', { name: 'Déclarer recevable', exact: true });
  await page.locator('body').focus();
  let reached = false;
  for (let i = 0; i < 80 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await admit.evaluate((el) => el.matches(':focus'));
  }
  t.ok(reached, 'Tab reaches the admit button');
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: 'Fait : Déclarer recevable.' }).waitFor();
  await page.getByText('Évaluation du risque').first().waitFor();
  t.equal(await stateShown(page), 'Évaluation du risque', 'the case reloaded in its new state');
  t.equal((await caseRow(T, admitted.caseId)).state, 'assessment');
  await page.locator('section[aria-labelledby="case-actions"] .action-list').waitFor();
  t.equal(await page.getByRole('button', { name: 'Déclarer recevable', exact: true }).count(), 0, 'the actions reloaded: admit is gone');

  // Decline another case: a form with a labelled reason.
  await openCasePage(p, awa, declined);
  await page.getByRole('button', { name: 'Déclarer irrecevable', exact: true }).click();
  const form = page.locator('form.action-form');
  await form.getByRole('heading', { name: 'Déclarer irrecevable' }).waitFor();
  t.equal(await page.getByRole('button', { name: 'Déclarer irrecevable', exact: true }).getAttribute('aria-expanded'), 'true');
  const code = page.getByLabel('Motif d’irrecevabilité (code)');
  t.ok(await code.evaluate((el) => el.matches(':focus')), 'the form opens with the focus on the decline code');
  t.match(await form.locator('.hint').first().textContent(), /visible du service et compté dans les statistiques/, 'the form says plainly that the code is counted');
  await code.selectOption('not_a_defender');
  await form.getByRole('button', { name: 'Confirmer : Déclarer irrecevable' }).click();
  t.match(await form.getByRole('alert').textContent(), /Écrivez le motif/, 'a reason is asked for');
  await axeBothSizes(t, page, 'decline form');
  await page.getByLabel('Motif', { exact: true }).fill(declineReason);
  await form.getByRole('button', { name: 'Confirmer : Déclarer irrecevable' }).click();
  await page.getByRole('status').filter({ hasText: 'Fait : Déclarer irrecevable.' }).waitFor();
  t.match(await caseRow(T, declined.caseId), { state: 'closed', decline_reason: 'not_a_defender' });
  await page.getByText('Clos', { exact: true }).first().waitFor();
  await page.locator('[data-decline-reason="not_a_defender"]').waitFor();
  const sent = p.sent.filter((r) => r.method === 'POST' && r.url.endsWith(`/v1/cases/${declined.caseId}/decline`));
  t.equal(sent.length, 1);
  t.match(sent[0]!.body ?? '', declineReason, 'the reason went in the body');
  t.same(p.violations, [], 'no CSP violation in the page or its worker');
  t.same(p.offHostRequests, [], 'nothing requested off the origin');
  t.same(p.pageErrors, [], 'no page error');
  t.same(leaksOf(p), [], 'no plaintext in any request, no reason in any URL');
});

t.test('a supervisor reassigns a case to another officer, the key sealed to her in the worker', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await openCasePage(p, dep.supervisor, handedOver);
  await page.getByText(String(handedOver.secrets.narrative), { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Réattribuer à un·e autre chargé·e', exact: true }).click();
  const form = page.locator('form.action-form');
  await form.getByLabel('La personne', { exact: true }).selectOption(binta.id);
  const fingerprint = form.locator('.fingerprint');
  await fingerprint.waitFor();
  await freshen(T, dep.supervisor);
  const key = await clientOf(T.app, dep.supervisor).call('getUserPublicKey', { params: { userId: binta.id } });
  t.match(await fingerprint.textContent(), key.fingerprint, "the fingerprint of Binta's key is shown");
  t.equal(key.keyId, keyIdOf(binta.keyPair.publicKey));
  await page.getByLabel('Motif', { exact: true }).fill(reassignReason);
  await axeBothSizes(t, page, 'reassign form');
  await form.getByRole('button', { name: 'Confirmer : Réattribuer à un·e autre chargé·e' }).click();
  await page.getByRole('status').filter({ hasText: 'Fait : Réattribuer' }).waitFor();
  t.equal((await caseRow(T, handedOver.caseId)).assignee_id, binta.id, 'the case is Binta’s');

  // Binta's own keys open the sealed fields (her SDK, as her console would).
  await freshen(T, binta);
  const sealed = await clientOf(T.app, binta).call('getCaseSealed', { params: { caseId: handedOver.caseId } });
  const mine = sealed.envelopes.find((e) => e.keyId === keyIdOf(binta.keyPair.publicKey));
  t.ok(mine, 'an envelope sealed to her key');
  const dek = openEnvelope(mine as KeyEnvelope, binta.keyPair);
  t.equal(openField(sealed.fields.narrative!, dek, caseFieldAd(handedOver.caseId, 'narrative')), handedOver.secrets.narrative, 'she opens the narrative');
  const body = p.sent.find((r) => r.method === 'POST' && r.url.endsWith(`/v1/cases/${handedOver.caseId}/reassign`))?.body ?? '';
  t.match(body, /"envelope":"v1\./, 'the key left sealed');
  t.same(p.violations, []);
  t.same(p.offHostRequests, []);
  t.same(p.pageErrors, []);
  t.same(leaksOf(p), []);
});

t.test('a supervisor gives the key of a case to the officer who has none', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await openCasePage(p, dep.supervisor, granted);
  await page.getByText(String(granted.secrets.narrative), { exact: true }).waitFor();
  await freshen(T, dep.supervisor);
  const listed = await clientOf(T.app, dep.supervisor).call('getCaseActions', { params: { caseId: granted.caseId } });
  const expected = listed.transitions.map((tr) => fr[`transition.${tr.name}`]);
  t.ok(listed.commands.some((c) => c.command === 'grant_envelope' && c.allowed), 'the supervisor may grant an envelope');
  expected.push(fr['actions.grant']);
  t.same((await actionButtons(page)).map((s) => s.trim()).sort(), expected.sort(), 'exactly what the API lists for the supervisor');
  await page.getByRole('button', { name: 'Transmettre la clé à un·e collègue' }).click();
  const form = page.locator('form.action-form');
  // The supervisor's console pinned another key for Awa earlier: hers now is a change to confirm.
  const pinned = keyIdOf(generateKeyPair().publicKey);
  await page.evaluate(([slot, value]) => localStorage.setItem(slot!, value!), [`egide.pinnedKeys.${dep.supervisor.id}`, JSON.stringify({ [`user:${awa.id}`]: pinned })]);
  await form.getByLabel('La personne', { exact: true }).selectOption(awa.id);
  const warning = form.locator('.key-changed');
  await warning.waitFor();
  t.match(await warning.textContent(), /cette clé a changé/, 'a key other than the pinned one is a warning');
  await axeBothSizes(t, page, 'grant form, changed key');
  await form.getByRole('button', { name: 'Chiffrer la clé pour cette personne et l’envoyer' }).click();
  await form.locator('[data-code="colleague_key_required"]').waitFor();
  t.equal(p.sent.filter((r) => r.url.endsWith(`/v1/cases/${granted.caseId}/envelopes`)).length, 0, 'nothing sealed to it before the confirmation');
  await form.getByLabel('J’ai vérifié la nouvelle empreinte avec eux').check();
  await form.getByRole('button', { name: 'Chiffrer la clé pour cette personne et l’envoyer' }).click();
  await page.getByRole('status').filter({ hasText: 'Clé du dossier transmise.' }).waitFor();
  await freshen(T, awa);
  const sealed = await clientOf(T.app, awa).call('getCaseSealed', { params: { caseId: granted.caseId } });
  const mine = sealed.envelopes.find((e) => e.keyId === keyIdOf(awa.keyPair.publicKey));
  t.ok(mine, 'Awa now has an envelope');
  const dek = openEnvelope(mine as KeyEnvelope, awa.keyPair);
  t.equal(openField(sealed.fields.identity!, dek, caseFieldAd(granted.caseId, 'identity')), granted.secrets.identity, 'her key opens the identity');
  t.same(p.violations, []);
  t.same(p.offHostRequests, []);
  t.same(p.pageErrors, []);
  t.same(leaksOf(p), []);
});

t.test('the officer records that the alleged violation was verified, with a reason; the form says the code is counted', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await openCasePage(p, awa, verified);
  const shown = page.locator('[data-verification]');
  t.equal(await shown.getAttribute('data-verification'), 'alleged', 'a new case is alleged');
  t.equal(await shown.textContent(), fr['verification.alleged'], 'in words');
  await page.getByRole('button', { name: 'Changer le statut de vérification', exact: true }).click();
  const form = page.locator('form.action-form');
  await form.getByRole('heading', { name: 'Changer le statut de vérification' }).waitFor();
  const status = form.getByLabel('Statut de vérification (code)');
  t.ok(await status.evaluate((el) => el.matches(':focus')), 'the form opens with the focus on the status');
  t.same(await status.locator('option').evaluateAll((os) => os.map((o) => o.getAttribute('value'))), ['alleged', 'verified', 'not_verified'], 'the statuses staff choose, not not_stated');
  t.match(await form.locator('.hint').first().textContent(), /visible du service et compté dans les statistiques/, 'the form says plainly that the code is counted');
  await status.selectOption('verified');
  await form.getByRole('button', { name: 'Enregistrer le statut' }).click();
  t.match(await form.getByRole('alert').textContent(), /Écrivez le motif/, 'a reason is asked for');
  t.equal(p.sent.filter((r) => r.url.endsWith(`/v1/cases/${verified.caseId}/verification`)).length, 0, 'nothing sent without it');
  await axeBothSizes(t, page, 'verification form');
  await form.getByLabel('Motif', { exact: true }).fill(verifyReason);
  await form.getByRole('button', { name: 'Enregistrer le statut' }).click();
  await page.getByRole('status').filter({ hasText: `Statut de vérification enregistré : ${fr['verification.verified']}.` }).waitFor();
  t.equal((await caseRow(T, verified.caseId)).verification, 'verified');
  await page.locator('[data-verification="verified"]').waitFor();
  await page.getByText('Vérification : violation vérifiée').waitFor();
  const sent = p.sent.filter((r) => r.method === 'POST' && r.url.endsWith(`/v1/cases/${verified.caseId}/verification`));
  t.equal(sent.length, 1);
  t.same(JSON.parse(sent[0]!.body ?? '{}'), { status: 'verified', reason: verifyReason }, 'the code and the reason went in the body');
  await axeBothSizes(t, page, 'case page, verified');
  t.same(p.violations, []);
  t.same(p.offHostRequests, []);
  t.same(p.pageErrors, []);
  t.same(leaksOf(p), []);
});
