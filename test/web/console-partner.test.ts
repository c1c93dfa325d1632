/**
 * A partner organisation's console, in Chromium against the running service: a member lands on
 * the referrals sent to the organisation (state, deadline), opens a packet (decrypted in the
 * worker with the organisation key from their keyring), accepts it and sends a report sealed
 * under the referral key, which the referring officer's key opens; a withdrawn referral shows as
 * withdrawn, with nothing of its packet. On the organisation screen the member gives the key to a
 * colleague (whose fingerprint is shown first), the colleague signs in and opens the packet, then
 * the member changes the key and the colleague opens a referral sealed to the new one; a newcomer
 * given the key after that gets the previous key with it. Every API
 * answer the partner's pages receive is recorded: none holds the case's id or reference, its
 * sealed fields, the defender's name or another organisation's referral. Another role's screen,
 * typed by hand, is "not available". axe-clean at laptop and phone sizes.
 */
import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { caseFieldAd, createReferralPacket, keyIdOf, openEnvelope, openField, pinnedPublicKey, referralReportAd, type ReferralFile } from '../../src/sdk/index.js';
import { openFileDescription, openFileKey } from '../../src/sdk/client/file-upload.js';
import { evidenceBytes, uploadAttached } from '../files/file-kit.js';
import { fingerprintOf } from '../../src/keys/public-key-view.js';
import { clientOf } from '../helpers/api-client.js';
import { bootstrap, caseAt, enrolActor, freshen, partnerOrg, referralAt, type Actor } from '../helpers/world.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';

t.setTimeout(600_000);
const T = await startConsoleService(t);
const dep = await bootstrap(T);
const awa = await enrolActor(T, dep.admin, { username: 'awa.officer', role: 'officer', orgId: dep.mechanismId });
const org = await partnerOrg(T, dep.admin, { name: 'Réseau des avocats du Sahel', category: 'lawyers', username: 'ras.member' });
const colleague = await enrolActor(T, dep.admin, { username: 'ras.colleague', role: 'partner', orgId: org.id });
const newcomer = await enrolActor(T, dep.admin, { username: 'ras.newcomer', role: 'partner', orgId: org.id });
const other = await partnerOrg(T, dep.admin, { name: 'Clinique juridique de Mopti', username: 'cjm.member' });
const browser = await consoleBrowser(t);

const marker = (what: string) => `MARK-${what}-${randomUUID().slice(0, 8)}`;
const secrets = { identity: marker('defender-name'), contact: marker('contact'), narrative: marker('narrative') };
const c = await caseAt(T, dep, 'protection', { officer: awa, secrets });
const reportText = marker('report');

const as = async (who: Actor) => {
  await freshen(T, who);
  return clientOf(T.app, who);
};

/**
 * A referral sharing the account of events and one evidence file, sealed as the officer's client
 * does (the file's key record and description opened from the case, re-sealed in the packet).
 */
async function sentWithFile(fileId: string): Promise<string> {
  const id = randomUUID();
  const officer = await as(awa);
  await officer.call('proposeReferral', { params: { caseId: c.caseId }, body: { id, orgId: org.id, fields: ['narrative'], files: [fileId], purpose: 'legal_assistance' } });
  const consent = await T.app.inject({ method: 'POST', url: `/v1/referrals/${id}/consent`, headers: c.defender.auth(), payload: { decision: 'consent' } });
  if (consent.statusCode !== 200) throw new Error(`consent: ${consent.body}`);
  const sealed = await officer.call('getCaseSealed', { params: { caseId: c.caseId } });
  const listed = (await officer.call('listCaseFiles', { params: { caseId: c.caseId } })).items.find((f) => f.id === fileId)!;
  const d = openFileDescription(listed.sealed, c.dek, fileId);
  const file: ReferralFile = { caseId: c.caseId, fileId, key: openFileKey(listed.sealed.key!, c.dek, fileId), name: d.name!, type: d.type!, sha256: d.sha256!, ciphertextSha256: listed.ciphertextSha256!, size: listed.size };
  const key = (await officer.call('listOrgKeys', { params: { orgId: org.id } })).keys.find((k) => k.current)!;
  const narrative = openField(sealed.fields.narrative!, c.dek, caseFieldAd(c.caseId, 'narrative'));
  const made = createReferralPacket(id, { narrative }, pinnedPublicKey(key.publicKey, key.keyId), [awa.keyPair.publicKey], [file]);
  await officer.call('uploadReferralPacket', {
    params: { referralId: id },
    body: { packet: made.fields, envelopes: [{ ...made.envelope, recipientType: 'org', recipientId: org.id }, { ...made.copies[0]!, recipientType: 'user', recipientId: awa.id }] },
  });
  return id;
}

// The account of events and a photo are shared with the organisation; a second referral is withdrawn; a third goes elsewhere.
await freshen(T, awa);
const photo = evidenceBytes(40_000, marker('photo-bytes'));
const photoName = 'photo-menace.jpg';
const { fileId: photoId } = await uploadAttached(T, T.origin, { token: () => awa.accessToken, dek: c.dek }, awa.auth(), c.caseId, photo, { name: photoName });
const shared = await sentWithFile(photoId);
const withdrawn = await referralAt(T, c, { officer: awa, org }, 'sent', ['narrative']);
await (await as(awa)).call('withdrawReferral', { params: { referralId: withdrawn }, body: { reason: 'Besoin couvert par une mesure de la CNDH.' } });
const elsewhere = await referralAt(T, c, { officer: awa, org: other }, 'sent', ['identity', 'contact']);

/** Every body the API answers a page (and its worker) with, for the check that nothing beyond the packet arrives. */
function recordAnswers(page: Page): () => Promise<Array<{ path: string; body: string }>> {
  const pending: Array<Promise<{ path: string; body: string }>> = [];
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/v1/')) pending.push(r.text().then((body) => ({ path, body }), () => ({ path, body: '' })));
  });
  return () => Promise.all(pending);
}

/** What must never reach a partner's page: the case, its sealed content, the staff behind it, another organisation's referral. */
async function forbidden(): Promise<Array<[string, string]>> {
  const fields = await T.database.sql`select field, sealed from case_fields where case_id = ${c.caseId}`;
  const envelopes = await T.database.sql`select envelope from case_envelopes where case_id = ${c.caseId}`;
  return [
    ['case id', c.caseId],
    ['case reference', c.reference],
    ["the defender's name", secrets.identity],
    ['a field not shared', secrets.contact],
    ['the referring officer', awa.id],
    ["another organisation's referral", elsewhere],
    ['the withdrawal reason', 'Besoin couvert'],
    ...fields.map((f): [string, string] => [`sealed case field ${String(f.field)}`, String(f.sealed)]),
    ...envelopes.map((e): [string, string] => ['a case envelope', String(e.envelope)]),
  ];
}

function leaksIn(answers: Array<{ body: string }>, words: Array<[string, string]>): string[] {
  return words.filter(([, w]) => answers.some((a) => a.body.includes(w))).map(([what]) => what);
}

function healthy(t: Test, p: ConsolePage, who: string) {
  t.same(p.violations, [], `${who}: no CSP violation in the page or its worker`);
  t.same(p.offHostRequests, [], `${who}: nothing requested off the origin`);
  t.same(p.pageErrors, [], `${who}: no page error`);
}

t.test('a partner member works a referral, gives the organisation key to a colleague, and changes it', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  // No save dialog (as on a phone): the checked file is offered as a download, its Blob kept to be read back.
  await p.context.addInitScript(`
    delete window.showSaveFilePicker;
    delete Window.prototype.showSaveFilePicker;
    window.__egideBlobs = [];
    const createObjectURL = URL.createObjectURL;
    URL.createObjectURL = (blob) => (window.__egideBlobs.push(blob), createObjectURL.call(URL, blob));
  `);
  const answers = recordAnswers(page);
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console`);
  await signInAs(page, T, org.member);

  // 1. The start page is the inbox: both referrals, one withdrawn, with the response deadline.
  await page.getByRole('heading', { level: 1, name: 'Transferts reçus' }).waitFor();
  const row = (id: string) => page.locator(`li[data-referral="${id}"]`);
  await row(shared).locator('[data-state="sent"]').waitFor();
  await row(withdrawn).locator('[data-state="withdrawn"]').waitFor();
  t.equal(await page.locator(`li[data-referral="${elsewhere}"]`).count(), 0, "another organisation's referral is not listed");
  t.match(await row(shared).locator('.deadlines').textContent(), /Réponse du partenaire/, 'the response deadline is shown');
  t.equal(await page.getByRole('link', { name: 'Transferts reçus' }).count(), 1, 'the menu leads to the inbox');
  await axeBothSizes(t, page, 'referral inbox');

  // 2. The packet, opened in the worker: the shared field, nothing else.
  await row(shared).getByRole('link').click();
  const packet = page.locator('section.packet');
  await packet.getByText(secrets.narrative, { exact: true }).waitFor();
  t.same(await packet.locator('[data-field]').evaluateAll((els) => els.map((e) => e.getAttribute('data-field'))), ['narrative'], 'exactly the shared field');
  t.notMatch(await page.locator('main').textContent(), new RegExp(`${secrets.identity}|${secrets.contact}`), 'nothing of the case beyond the packet is shown');
  await axeBothSizes(t, page, 'referral packet');
  // The photo it carries: downloaded, opened with its key from the packet and checked, in the worker.
  const [download] = await Promise.all([page.waitForEvent('download'), packet.getByRole('button', { name: `Télécharger « ${photoName} »` }).click()]);
  t.equal(download.suggestedFilename(), photoName, 'offered under its sealed name');
  const offered = await page.evaluate(`(async () => [...new Uint8Array(await window.__egideBlobs[0].arrayBuffer())])()`);
  t.same(Buffer.from(offered as number[]), Buffer.from(photo), 'the same bytes as the officer attached');

  // 3. Accept, then a report sealed in the worker; the officer's key opens it.
  await page.getByRole('button', { name: 'Accepter le transfert' }).click();
  await page.getByRole('status').filter({ hasText: 'Transfert accepté' }).waitFor();
  await page.locator('.partner-referral > dl [data-state="accepted"]').waitFor();
  await page.getByRole('button', { name: 'Écrire un compte rendu' }).click();
  const form = page.locator('form.action-form');
  await form.getByLabel('Où en est l’accompagnement').selectOption('in_progress');
  await form.getByLabel('Compte rendu', { exact: true }).fill(reportText);
  await axeBothSizes(t, page, 'report form');
  await form.getByRole('button', { name: 'Chiffrer et envoyer le compte rendu' }).click();
  await page.getByRole('status').filter({ hasText: 'Compte rendu envoyé.' }).waitFor();
  await page.locator('.referral-reports').getByText(reportText, { exact: true }).waitFor();
  const seen = await (await as(awa)).call('getReferral', { params: { referralId: shared } });
  t.equal(seen.referral.state, 'accepted');
  const report = seen.reports![0]!;
  const dek = openEnvelope(seen.envelopes![0]!.envelope, awa.keyPair);
  t.same(openField(report.note!, dek, referralReportAd(shared, report.id)), { text: reportText }, "the referring officer's key opens the report");
  t.notOk(p.sent.some((r) => (r.body ?? '').includes(reportText)), 'the report left the page sealed');

  // 4. The withdrawn referral says so, with nothing of its packet.
  await page.getByRole('link', { name: 'Retour aux transferts reçus' }).first().click();
  await row(withdrawn).getByRole('link').click();
  await page.locator('.partner-referral .withdrawn').waitFor();
  t.match(await page.locator('.partner-referral .withdrawn').textContent(), /retiré par le mécanisme/);
  t.equal(await page.locator('section.packet').count(), 0, 'no packet');

  // 5. Another role's screen, typed by hand (a new session: sign in again): not available, and the case is never asked for.
  await page.goto(`${T.origin}/console/cases/${c.caseId}`);
  await signInAs(page, T, org.member);
  await page.getByRole('heading', { name: 'Cet écran ne vous est pas accessible' }).waitFor();
  const caseCalls = p.requests.filter((u) => u.includes(`/v1/cases/${c.caseId}`));
  t.same([...new Set(caseCalls.map((u) => new URL(u).pathname))], [`/v1/cases/${c.caseId}/files/${photoId}/content`], "no call about the case but the carried file's content");
  await page.getByRole('link', { name: 'Retour à l’accueil' }).click();
  await page.getByRole('link', { name: /Clé de l’organisation/ }).click();

  // 6. The organisation key, given to a colleague after comparing their fingerprint.
  await page.locator('.keyring-holders').getByText(org.member.username).waitFor();
  t.match(await page.locator('.org-keyring').textContent(), /réservé à l’administrateur/, 'taking the key away is for the administrator');
  await page.getByRole('button', { name: 'Donner la clé à un·e collègue' }).click();
  const grant = page.locator('form.action-form');
  await grant.getByLabel('Collègue de l’organisation').selectOption({ label: colleague.username });
  const fingerprint = fingerprintOf(keyIdOf(colleague.keyPair.publicKey));
  await grant.locator('.fingerprint').waitFor();
  t.match(await grant.locator('.fingerprint').textContent(), fingerprint, "the colleague's key fingerprint is shown");
  await axeBothSizes(t, page, 'grant form');
  await grant.getByRole('button', { name: 'Chiffrer la clé pour cette personne' }).click();
  await page.getByRole('status').filter({ hasText: `Clé donnée à ${colleague.username}.` }).waitFor();
  const ring = await (await as(org.member)).call('listOrgKeyring', { params: { orgId: org.id } });
  t.same(ring.items.filter((i) => i.current).map((i) => i.username).sort(), [colleague.username, org.member.username].sort(), 'both hold the current key');

  // 7. The colleague signs in on a phone and opens the packet with the key they were given.
  const q = await browser.open('phone');
  const answersQ = recordAnswers(q.page);
  await q.page.clock.setSystemTime(T.clock.now());
  await q.page.goto(`${T.origin}/console/referrals/${shared}`);
  await signInAs(q.page, T, colleague);
  await q.page.locator('section.packet').getByText(secrets.narrative, { exact: true }).waitFor();
  await q.page.locator('.referral-reports').getByText(reportText, { exact: true }).waitFor();

  // 8. The member changes the key: sealed to both holders; a referral sealed to the new key opens for the colleague.
  await page.getByRole('button', { name: 'Changer la clé' }).click();
  await page.getByRole('button', { name: 'Créer et chiffrer la nouvelle clé' }).click();
  await page.getByRole('status').filter({ hasText: 'Nouvelle clé en service.' }).waitFor();
  const keys = await (await as(org.member)).call('listOrgKeys', { params: { orgId: org.id } });
  const current = keys.keys.find((k) => k.current)!;
  t.not(current.keyId, org.keyId, 'a new key is in service');
  const after = await (await as(org.member)).call('listOrgKeyring', { params: { orgId: org.id } });
  t.same(after.items.filter((i) => i.current).map((i) => i.username).sort(), [colleague.username, org.member.username].sort(), 'sealed to every holder');
  await page.locator('.org-keyring .fingerprint').filter({ hasText: current.fingerprint }).waitFor();
  const fresh = await referralAt(T, c, { officer: awa, org }, 'sent', ['narrative']);
  await q.page.getByRole('link', { name: 'Retour aux transferts reçus' }).first().click();
  await q.page.locator(`li[data-referral="${fresh}"]`).getByRole('link').click();
  await q.page.locator('section.packet').getByText(secrets.narrative, { exact: true }).waitFor();

  // 9. A newcomer given the key after the change gets the previous key with it (older referrals stay readable to them).
  await page.getByRole('button', { name: 'Donner la clé à un·e collègue' }).click();
  await page.locator('form.action-form').getByLabel('Collègue de l’organisation').selectOption({ label: newcomer.username });
  await page.locator('form.action-form .fingerprint').waitFor();
  await page.locator('form.action-form').getByRole('button', { name: 'Chiffrer la clé pour cette personne' }).click();
  await page.getByRole('status').filter({ hasText: `Clé donnée à ${newcomer.username}.` }).waitFor();
  const given = (await (await as(org.member)).call('listOrgKeyring', { params: { orgId: org.id } })).items.filter((i) => i.userId === newcomer.id);
  t.same(given.map((i) => [i.orgKeyId, i.current]).sort(), [[org.keyId, false], [current.keyId, true]].sort(), 'the newcomer holds the previous key and the current one');

  // Nothing beyond the packet reached either page.
  const words = await forbidden();
  const got = [...(await answers()), ...(await answersQ())];
  t.ok(got.some((a) => a.path === `/v1/referrals/${shared}` && a.body.includes('"packet"')), 'the answers were recorded');
  t.same(leaksIn(got, words), [], 'no API answer holds anything of the case beyond the packet');
  healthy(t, p, 'member');
  healthy(t, q, 'colleague');
});
