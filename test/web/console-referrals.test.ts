/**
 * Referrals on the case page, in Chromium against the running service: an officer refers a case
 * in protection to a partner organisation with two chosen fields, records the defender's oral
 * consent, and seals the packet in the worker to the organisation's key, whose fingerprint is
 * shown (and pinned); the partner's key opens exactly those fields. After the organisation
 * changes key, a second referral warns and seals nothing until the officer confirms they checked
 * the new fingerprint. The partner's report is shown opened; a withdrawal ends the referral.
 * axe-clean with the forms open at laptop and phone sizes, no CSP violation, nothing off the
 * origin, no plaintext in any request.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { createOrgKey, openEnvelope, openKeyringEntry, openReferralPacket, referralReportAd, sealField, type BoxKeyPair, type Envelope, type SealedField } from '../../src/sdk/index.js';
import { clientOf } from '../helpers/api-client.js';
import { bootstrap, caseAt, enrolActor, freshen, partnerOrg, type Actor } from '../helpers/world.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';

t.setTimeout(600_000);
const T = await startConsoleService(t);
const dep = await bootstrap(T);
const awa = await enrolActor(T, dep.admin, { username: 'awa.officer', role: 'officer', orgId: dep.mechanismId });
const org = await partnerOrg(T, dep.admin, { name: 'Réseau des avocats du Sahel', category: 'lawyers', username: 'ras.member' });
const browser = await consoleBrowser(t);

const marker = (what: string) => `MARK-${what}-${randomUUID().slice(0, 8)}`;
const secrets = { identity: marker('identity'), contact: marker('contact'), narrative: marker('narrative') };
const c = await caseAt(T, dep, 'protection', { officer: awa, secrets });
const markers = Object.values(secrets);
const reportText = marker('report');

const as = async (who: Actor) => {
  await freshen(T, who);
  return clientOf(T.app, who);
};

function leaksOf(p: ConsolePage): string[] {
  return p.sent.filter((r) => [...markers, reportText].some((m) => r.url.includes(m) || (r.body ?? '').includes(m))).map((r) => `${r.method} ${r.url}`);
}


const referralRow = async (id: string) => (await T.database.sql`select * from referrals where id = ${id}`)[0]!;
const orgEnvelopeOf = async (id: string) => (await T.database.sql`select key_id, envelope from referral_envelopes where referral_id = ${id} and recipient_type = 'org'`)[0]!;

/** What the partner's key opens of the packet stored for `id`. */
async function openedByPartner(id: string, keyPair: BoxKeyPair) {
  const row = await referralRow(id);
  const env = await orgEnvelopeOf(id);
  return openReferralPacket({ referralId: id, fields: row.packet as Record<string, SealedField>, envelope: { keyId: env.key_id as string, envelope: env.envelope as Envelope } }, keyPair);
}

t.test('an officer refers a case, seals the packet to the pinned key, reads the report and withdraws', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console/cases/${c.caseId}`);
  await signInAs(page, T, awa);
  await page.getByText(secrets.narrative, { exact: true }).waitFor();
  const section = page.locator('section[aria-labelledby="case-referrals"]');
  await section.getByText('Aucun transfert pour ce dossier.').waitFor();
  const items = section.locator('li.referral');

  /** Proposes a referral to the organisation with `fields` (French labels); answers with its id. */
  const propose = async (fields: string[], checkAxe: boolean): Promise<string> => {
    const ids = () => items.evaluateAll((els) => els.map((el) => el.getAttribute('data-referral') ?? ''));
    const before = await ids();
    await section.getByRole('button', { name: 'Proposer un transfert' }).click();
    const form = section.locator('form.action-form');
    await form.getByLabel('Organisation partenaire').selectOption({ label: org.name });
    await form.getByLabel('Objet du transfert').selectOption({ label: 'Assistance juridique' });
    await form.getByRole('button', { name: 'Proposer ce transfert' }).click();
    t.match(await form.getByRole('alert').textContent(), /au moins une information/, 'a field must be chosen');
    for (const f of fields) await form.getByLabel(f, { exact: true }).check();
    if (checkAxe) await axeBothSizes(t, page, 'propose form');
    await form.getByRole('button', { name: 'Proposer ce transfert' }).click();
    await section.getByRole('status').filter({ hasText: 'Transfert proposé' }).waitFor();
    await items.nth(before.length).waitFor();
    const id = (await ids()).find((x) => !before.includes(x))!;
    t.equal((await referralRow(id)).state, 'awaiting_consent');
    return id;
  };
  const item = (id: string) => section.locator(`li[data-referral="${id}"]`);

  /** The officer records the defender's oral consent. */
  const consent = async (id: string, checkAxe: boolean) => {
    t.equal(await item(id).locator('[data-consent]').textContent(), 'Pas encore d’accord', 'no consent on record yet');
    await item(id).getByRole('button', { name: 'Enregistrer une réponse orale' }).click();
    const form = item(id).locator('form.action-form');
    await form.getByLabel('Comment la réponse a été recueillie').selectOption('phone_call');
    await form.getByLabel('Attestation').fill('Destinataire, informations et objet lus par téléphone ; accord donné.');
    if (checkAxe) await axeBothSizes(t, page, 'consent form');
    await form.getByRole('button', { name: 'Enregistrer la réponse' }).click();
    await section.getByRole('status').filter({ hasText: 'Accord enregistré.' }).waitFor();
    await item(id).locator('[data-state="consented"]').waitFor();
    t.match(await item(id).locator('[data-consent]').textContent(), /Accord oral enregistré/);
    const row = await referralRow(id);
    t.equal(row.consent_basis, 'oral', 'the consent is on record as oral, with its attestation');
  };

  // 1. Identity and account of events, to the organisation.
  const first = await propose(['Identité', 'Récit'], true);
  t.same((await referralRow(first)).fields, ['identity', 'narrative'], 'exactly the chosen fields');
  await consent(first, true);

  await item(first).getByRole('button', { name: 'Chiffrer et envoyer' }).click();
  let form = item(first).locator('form.action-form');
  const keys = await (await as(awa)).call('listOrgKeys', { params: { orgId: org.id } });
  const current = keys.keys.find((k) => k.current)!;
  t.equal(current.keyId, org.keyId);
  await form.locator('.fingerprint').waitFor();
  t.match(await form.locator('.fingerprint').textContent(), current.fingerprint, "the organisation key's fingerprint is shown");
  await axeBothSizes(t, page, 'send form');
  await form.getByRole('button', { name: 'Chiffrer pour cette clé et envoyer' }).click();
  await section.getByRole('status').filter({ hasText: `Transfert envoyé à ${org.name}.` }).waitFor();
  t.equal((await referralRow(first)).state, 'sent');
  await item(first).locator('[data-state="sent"]').waitFor();
  t.match(await item(first).locator('.deadlines').textContent(), /Réponse du partenaire/, "the partner's response deadline is shown with the referral");
  t.equal((await orgEnvelopeOf(first)).key_id, org.keyId, "sealed to the organisation's key");
  t.same(await openedByPartner(first, org.keyPair), { identity: secrets.identity, narrative: secrets.narrative }, "the partner's key opens exactly the chosen fields");
  const pins = await page.evaluate(() => JSON.stringify(localStorage));
  t.match(pins, org.keyId, 'the key is pinned in localStorage');
  t.notMatch(pins, /MARK-/, 'nothing secret in localStorage');

  // The partner accepts and reports, its note sealed under the referral key.
  const partner = await as(org.member);
  await partner.call('acceptReferral', { params: { referralId: first } });
  const got = await partner.call('getReferral', { params: { referralId: first } });
  const dek = openEnvelope(got.envelopes![0]!.envelope, org.keyPair);
  const reportId = randomUUID();
  await partner.call('addReferralReport', { params: { referralId: first }, body: { id: reportId, status: 'in_progress', note: sealField({ text: reportText }, dek, referralReportAd(first, reportId)) } });

  // The organisation changes key.
  const rotated = createOrgKey([org.member.keyPair.publicKey]);
  const entry = rotated.entries[0]!;
  await partner.call('createOrgKey', { params: { orgId: org.id }, body: { publicKey: rotated.publicKey, keyId: rotated.keyId, entries: [{ userId: org.member.id, memberKeyId: entry.memberKeyId, entry: entry.entry }] } });
  const newPair = openKeyringEntry(entry.entry, org.member.keyPair);

  // 2. A second referral: the changed key warns, and nothing is sealed until confirmed.
  const second = await propose(['Contact'], false);
  await consent(second, false);
  await item(second).getByRole('button', { name: 'Chiffrer et envoyer' }).click();
  form = item(second).locator('form.action-form');
  const warning = form.locator('.key-changed');
  await warning.waitFor();
  t.match(await warning.textContent(), /cette clé a changé/, 'a clear warning');
  const newKey = (await (await as(awa)).call('listOrgKeys', { params: { orgId: org.id } })).keys.find((k) => k.current)!;
  t.equal(newKey.keyId, rotated.keyId);
  t.match(await warning.textContent(), newKey.fingerprint, 'the new fingerprint is shown');
  t.match(await warning.textContent(), current.fingerprint, 'beside the pinned one');
  await axeBothSizes(t, page, 'changed key warning');
  await form.getByRole('button', { name: 'Chiffrer pour cette clé et envoyer' }).click();
  await form.locator('[data-code="key_not_confirmed"]').waitFor();
  t.equal(p.sent.filter((r) => r.url.includes(`/v1/referrals/${second}/packet`)).length, 0, 'nothing sent before the confirmation');
  t.equal((await referralRow(second)).state, 'consented');
  await form.getByLabel('J’ai vérifié la nouvelle empreinte avec eux').check();
  await form.getByRole('button', { name: 'Chiffrer pour cette clé et envoyer' }).click();
  await section.getByRole('status').filter({ hasText: `Transfert envoyé à ${org.name}.` }).waitFor();
  t.equal((await orgEnvelopeOf(second)).key_id, rotated.keyId, 'sealed to the new key once confirmed');
  t.same(await openedByPartner(second, newPair), { contact: secrets.contact }, 'the new key opens the chosen field');
  t.match(await page.evaluate(() => JSON.stringify(localStorage)), rotated.keyId, 'the new key is pinned in its place');

  // 3. The partner's report, opened in the worker.
  await item(first).locator('[data-state="accepted"]').waitFor();
  await item(first).getByRole('button', { name: 'Lire les comptes rendus' }).click();
  await item(first).getByText(reportText, { exact: true }).waitFor();
  t.match(await item(first).locator('.referral-reports').textContent(), /En cours/);

  // 4. Withdrawal with a reason.
  await item(first).getByRole('button', { name: 'Retirer le transfert' }).click();
  form = item(first).locator('form.action-form');
  await form.getByLabel('Motif', { exact: true }).fill('Besoin couvert par une mesure de la CNDH.');
  await axeBothSizes(t, page, 'withdraw form');
  await form.getByRole('button', { name: 'Confirmer le retrait' }).click();
  await section.getByRole('status').filter({ hasText: 'Transfert retiré.' }).waitFor();
  const ended = await referralRow(first);
  t.equal(ended.state, 'withdrawn', 'the referral is withdrawn');
  t.equal(ended.packet, null, 'its packet is deleted');
  await item(first).locator('[data-state="withdrawn"]').waitFor();

  t.same(p.violations, [], 'no CSP violation in the page or its worker');
  t.same(p.offHostRequests, [], 'nothing requested off the origin');
  t.same(p.pageErrors, [], 'no page error');
  t.same(leaksOf(p), [], 'no plaintext in any request');
});
