/**
 * Evidence files in a referral, in Chromium against the running service: an officer proposes a
 * referral ticking one of the case's two attached files (their names opened in the worker), the
 * defender consents (API), the officer seals and sends the packet from the console, and the
 * partner's client (SDK: openReferralFiles, then openDownload) downloads and opens exactly the
 * bytes attached, and nothing of the file left unticked. axe-clean on the form with files at
 * laptop and phone sizes; no CSP violation, nothing off the origin, no name or content of a file
 * in any request the console sent.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { openDownload } from '../../src/sdk/client/file-download.js';
import { openReferralFiles, openReferralPacket, type Envelope, type SealedField } from '../../src/sdk/index.js';
import { clientOf } from '../helpers/api-client.js';
import { bootstrap, caseAt, enrolActor, freshen, partnerOrg, type Actor } from '../helpers/world.js';
import { attach, evidenceBytes, sha256Hex, upload } from '../files/file-kit.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';

t.setTimeout(600_000);
const T = await startConsoleService(t);
const dep = await bootstrap(T);
const awa = await enrolActor(T, dep.admin, { username: 'awa.officer', role: 'officer', orgId: dep.mechanismId });
const org = await partnerOrg(T, dep.admin, { name: 'Réseau des avocats du Sahel', category: 'lawyers', username: 'ras.member' });
const browser = await consoleBrowser(t);

const M = randomUUID().slice(0, 8);
const secrets = { identity: `MARK-identity-${M}`, contact: `MARK-contact-${M}`, narrative: `MARK-narrative-${M}` };
const c = await caseAt(T, dep, 'protection', { officer: awa, secrets });
const names = { shared: `certificat-NOMPARTAGE-${M}.pdf`, kept: `photo-NOMGARDE-${M}.jpg` };
const content = `CONTENU-${M}`;
const sharedBytes = evidenceBytes(180_000, content);
const keptBytes = evidenceBytes(40_000, content);

/** The officer's client uploads and attaches a file through the API (the console's upload is tested in console-files). */
async function addFile(bytes: Uint8Array, name: string, type: string): Promise<string> {
  await freshen(T, awa);
  const fileId = randomUUID();
  const up = await upload(T.origin, { token: () => awa.accessToken, dek: c.dek }, c.caseId, fileId, bytes);
  const res = await attach(T, awa.auth(), c.caseId, fileId, c.dek, { name, type, sha256: up.sha256 });
  if (res.statusCode !== 200) throw new Error(`attach: ${res.statusCode} ${res.body}`);
  return fileId;
}
const sharedId = await addFile(sharedBytes, names.shared, 'application/pdf');
const keptId = await addFile(keptBytes, names.kept, 'image/jpeg');

const as = async (who: Actor) => {
  await freshen(T, who);
  return clientOf(T.app, who);
};
const referralRow = async (id: string) => (await T.database.sql`select * from referrals where id = ${id}`)[0]!;

const leaksOf = (p: ConsolePage): string[] =>
  p.sent
    .filter((r) => [...Object.values(names), ...Object.values(secrets), content].some((m) => r.url.includes(m) || decodeURIComponent(r.url).includes(m) || r.headers.includes(m) || (r.body ?? '').includes(m)))
    .map((r) => `${r.method} ${r.url}`);

async function openCase(p: ConsolePage): Promise<void> {
  await p.page.clock.setSystemTime(T.clock.now());
  await p.page.goto(`${T.origin}/console/cases/${c.caseId}`);
  await signInAs(p.page, T, awa);
  await p.page.getByText(secrets.narrative, { exact: true }).waitFor();
}

t.test('an officer refers a case with one of its files; the partner downloads and opens the same bytes', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await openCase(p);
  const section = page.locator('section[aria-labelledby="case-referrals"]');
  await section.getByText('Aucun transfert pour ce dossier.').waitFor();

  // The proposal: a field and one of the two files, named as their uploader sealed them.
  await section.getByRole('button', { name: 'Proposer un transfert' }).click();
  const form = section.locator('form.action-form');
  await form.getByLabel('Organisation partenaire').selectOption({ label: org.name });
  await form.getByLabel('Objet du transfert').selectOption({ label: 'Assistance juridique' });
  await form.getByRole('group', { name: 'Pièces partagées' }).waitFor();
  const shared = form.getByLabel(names.shared);
  t.match(await form.locator('.referral-files').textContent(), /application\/pdf/, 'each file with its type, opened in the worker');
  t.equal(await form.getByLabel(names.kept).isChecked(), false, 'no file is ticked unless chosen');
  await form.getByLabel('Récit', { exact: true }).check();
  await shared.check();
  await axeBothSizes(t, page, 'propose form with files');
  await form.getByRole('button', { name: 'Proposer ce transfert' }).click();
  await section.getByRole('status').filter({ hasText: 'Transfert proposé' }).waitFor();
  const item = section.locator('li.referral').first();
  await item.waitFor();
  const referralId = (await item.getAttribute('data-referral'))!;
  const proposed = await referralRow(referralId);
  t.same(proposed.fields, ['narrative'], 'the chosen field');
  t.same(proposed.files, [sharedId], 'and exactly the ticked file, by id');
  t.equal(await item.locator('[data-files]').textContent(), '1 pièce', 'the referral says how many files it carries');

  // The defender consents in their own space.
  const consent = await T.app.inject({ method: 'POST', url: `/v1/referrals/${referralId}/consent`, headers: c.defender.auth(), payload: { decision: 'consent' } });
  t.equal(consent.statusCode, 200, consent.body);

  // Back on the case, the officer seals and sends the packet.
  await page.reload();
  await signInAs(page, T, awa);
  await page.getByText(secrets.narrative, { exact: true }).waitFor();
  const sent = section.locator(`li[data-referral="${referralId}"]`);
  await sent.locator('[data-state="consented"]').waitFor();
  await sent.getByRole('button', { name: 'Chiffrer et envoyer' }).click();
  const sendForm = sent.locator('form.action-form');
  await sendForm.locator('.fingerprint').waitFor();
  await sendForm.getByRole('button', { name: 'Chiffrer pour cette clé et envoyer' }).click();
  await section.getByRole('status').filter({ hasText: `Transfert envoyé à ${org.name}.` }).waitFor();
  const row = await referralRow(referralId);
  t.equal(row.state, 'sent');
  t.same(Object.keys(row.packet as object).sort(), ['file.' + sharedId, 'narrative'].sort(), 'the packet holds the field and the one file');

  // The partner's client: the packet opened with the organisation key, the file fetched and opened with the key it carries.
  const partner = await as(org.member);
  const got = await partner.call('getReferral', { params: { referralId } });
  const envelope = got.envelopes![0]!;
  const packet = { referralId, fields: got.packet as Record<string, SealedField>, envelope: { keyId: envelope.keyId, envelope: envelope.envelope as Envelope } };
  t.same(openReferralPacket(packet, org.keyPair), { narrative: secrets.narrative }, 'the field opens');
  const files = openReferralFiles(packet, org.keyPair);
  t.equal(files.length, 1, 'one file');
  const f = files[0]!;
  t.match(f, { caseId: c.caseId, fileId: sharedId, name: names.shared, type: 'application/pdf', sha256: sha256Hex(sharedBytes) }, 'named and hashed as attached');
  const res = await fetch(`${T.origin}/v1/cases/${f.caseId}/files/${f.fileId}/content`, { headers: org.member.auth() });
  t.equal(res.status, 200, 'the partner may download it');
  const plain = Buffer.from(await new Response(openDownload(res.body!, f.key, { ciphertextSha256: f.ciphertextSha256, plaintextSha256: f.sha256 }).plaintext).arrayBuffer());
  t.ok(plain.equals(Buffer.from(sharedBytes)), 'and opens the very bytes attached');
  const other = await fetch(`${T.origin}/v1/cases/${c.caseId}/files/${keptId}/content`, { headers: org.member.auth() });
  await other.body?.cancel();
  t.equal(other.status, 404, 'the file left unticked stays out of reach');

  t.same(p.violations, [], 'no CSP violation in the page or its worker');
  t.same(p.offHostRequests, [], 'nothing requested off the origin');
  t.same(p.pageErrors, [], 'no page error');
  t.same(leaksOf(p), [], 'no name, field or content of a file in any request the console sent');
});
