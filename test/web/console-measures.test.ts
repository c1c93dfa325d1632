/**
 * The protective measures of a case page, in Chromium against the running service: an officer
 * proposes a measure from the catalogue (its details sealed in the worker), records the
 * defender's oral consent, and sees no approval button; a supervisor who did not propose it
 * approves it (and gets no approval button on the measure they proposed themself); the officer
 * starts implementing it and lifts it. The database is read at each step; axe-clean with each form
 * open at laptop and phone sizes, no CSP violation, nothing off the origin, the details' plaintext
 * in no request and no reason in any URL.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { Page } from 'playwright-core';
import { caseAt, enrolActor, bootstrap, measureAt, type Actor, type StagedCase } from '../helpers/world.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';

t.setTimeout(300_000);
const T = await startConsoleService(t);
const dep = await bootstrap(T);
const awa = await enrolActor(T, dep.admin, { username: 'awa.officer', role: 'officer', orgId: dep.mechanismId });
const browser = await consoleBrowser(t);

const marker = (what: string) => `MARK-${what}-${randomUUID().slice(0, 8)}`;
const c = await caseAt(T, dep, 'decision', { officer: awa, secrets: { identity: marker('identity'), contact: marker('contact'), narrative: marker('narrative') } });
const details = marker('details');
const markers = [details, ...(Object.values(c.secrets) as string[])];
const reasons = [`Menaces confirmées ${randomUUID()}`, `Risque redevenu faible ${randomUUID()}`];

/** Requests with a sealed plaintext anywhere, or a reason in their URL. */
const leaksOf = (p: ConsolePage): string[] =>
  p.sent.filter((r) => markers.some((m) => r.url.includes(m) || (r.body ?? '').includes(m)) || reasons.some((m) => decodeURIComponent(r.url).includes(m))).map((r) => `${r.method} ${r.url}`);


async function openCasePage(p: ConsolePage, who: Actor, staged: StagedCase): Promise<void> {
  await p.page.clock.setSystemTime(T.clock.now());
  await p.page.goto(`${T.origin}/console/cases/${staged.caseId}`);
  await signInAs(p.page, T, who);
  await p.page.getByRole('heading', { name: 'Mesures de protection', level: 2 }).waitFor();
  await p.page.locator('.case-measures [aria-busy]').waitFor({ state: 'detached' });
}

const row = async (id: string) => (await T.database.sql`select * from measures where id = ${id}`)[0]!;
const caseState = async () => (await T.database.sql`select state from cases where id = ${c.caseId}`)[0]!.state as string;
const item = (page: Page, id: string) => page.locator(`li.measure[data-measure-id="${id}"]`);
const commandsOf = async (page: Page, id: string) => (await item(page, id).locator('button[data-command]').evaluateAll((els) => els.map((e) => e.getAttribute('data-command')))).sort();

const checkPage = (tt: { same(a: unknown, b: unknown, m: string): unknown }, p: ConsolePage) => {
  tt.same(p.violations, [], 'no CSP violation in the page or its worker');
  tt.same(p.offHostRequests, [], 'nothing requested off the origin');
  tt.same(p.pageErrors, [], 'no page error');
  tt.same(leaksOf(p), [], 'no plaintext in any request, no reason in any URL');
};

t.test('proposed, consented orally, approved by another, implemented and lifted', async (t) => {
  const officer = await browser.open('laptop');
  const { page } = officer;
  await openCasePage(officer, awa, c);
  await page.getByText(String(c.secrets.narrative), { exact: true }).waitFor();

  // Propose: the catalogue, the details typed, sealed in the worker.
  await page.getByRole('button', { name: 'Proposer une mesure', exact: true }).click();
  const form = page.locator('form.action-form');
  await page.getByLabel('Mesure', { exact: true }).selectOption('security_training');
  t.match(await form.locator('.hint').first().textContent(), /Prévention/, 'the category and usual duration are told');
  await page.getByLabel('Détails chiffrés', { exact: true }).fill(details);
  await axeBothSizes(t, page, 'propose form');
  await form.getByRole('button', { name: 'Chiffrer les détails et proposer la mesure' }).click();
  await page.getByRole('status').filter({ hasText: 'Mesure proposée.' }).waitFor();
  const [proposed] = await T.database.sql`select id from measures where case_id = ${c.caseId}`;
  const id = proposed!.id as string;
  let m = await row(id);
  t.equal(m.status, 'proposed');
  t.equal(m.proposed_by, awa.id);
  t.equal(m.code, 'security_training');
  t.ok(m.details && !String(m.details).includes(details), 'the details are stored sealed');
  await item(page, id).getByText(details, { exact: true }).waitFor();
  t.pass('the worker opens the sealed details on the page');
  const sent = officer.sent.find((r) => r.method === 'POST' && r.url.endsWith(`/v1/cases/${c.caseId}/measures`))?.body ?? '';
  t.match(sent, /"details":"v\d/, 'the details left sealed');
  t.same(await commandsOf(page, id), ['consent'], 'the officer may record the consent, nothing else');

  // The defender's oral consent, with how and when it was taken.
  await item(page, id).getByRole('button', { name: 'Enregistrer l’accord oral du défenseur' }).click();
  const consent = item(page, id).locator('form.action-form');
  await consent.getByLabel('Il ou elle accepte').check();
  await consent.getByLabel('Comment la réponse a été donnée').selectOption('phone_call');
  await consent.getByLabel('Attestation').fill('Accord donné par téléphone à Awa, après lecture de la mesure.');
  await axeBothSizes(t, page, 'consent form');
  await consent.getByRole('button', { name: 'Enregistrer la réponse' }).click();
  await page.getByRole('status').filter({ hasText: 'Accord enregistré' }).waitFor();
  m = await row(id);
  t.equal(m.status, 'consented');
  t.equal(m.consent_by, `u:${awa.id}`);
  t.equal(m.consent_attestation?.channel, 'phone_call', 'the attestation names the channel');
  await item(page, id).getByText(/Accord oral enregistré par vous/).waitFor();
  await item(page, id).getByText(/En attente de la décision d’un·e superviseur·e/).waitFor();
  t.same(await commandsOf(page, id), [], 'the proposer sees no approval button');

  // A measure the supervisor proposed themself, consented by the defender: theirs to see, not to approve.
  const own = await measureAt(T, c, { officer: dep.supervisor, supervisor: dep.supervisor }, 'consented', { text: marker('own') });

  // The supervisor, who did not propose it, approves it.
  const sup = await browser.open('laptop');
  await openCasePage(sup, dep.supervisor, c);
  t.same(await commandsOf(sup.page, id), ['approve', 'reject'], 'the supervisor decides the officer’s proposal');
  t.notOk((await commandsOf(sup.page, own)).includes('approve'), 'no approval button on the measure they proposed');
  await item(sup.page, id).getByRole('button', { name: 'Approuver', exact: true }).click();
  const decide = item(sup.page, id).locator('form.action-form');
  await decide.getByLabel('Motif', { exact: true }).fill(reasons[0]!);
  await axeBothSizes(t, sup.page, 'approval form');
  await decide.getByRole('button', { name: 'Confirmer : Approuver' }).click();
  await sup.page.getByRole('status').filter({ hasText: 'Fait : Approuver' }).waitFor();
  m = await row(id);
  t.equal(m.status, 'approved');
  t.equal(m.decided_by, dep.supervisor.id, 'decided by the supervisor');
  t.equal(await caseState(), 'protection', 'the first approval takes the case to protection');
  await item(sup.page, id).getByText(/Approuvée par vous/).waitFor();
  checkPage(t, sup);

  // The officer carries it out, then lifts it early with a reason.
  await openCasePage(officer, awa, c);
  // Colleagues are named from the staff directory.
  await item(page, id).getByText(`Approuvée par ${dep.supervisor.username}`, { exact: false }).waitFor();
  t.same(await commandsOf(page, id), ['implement', 'lift']);
  await item(page, id).getByRole('button', { name: 'Commencer la mise en œuvre' }).click();
  await item(page, id).getByRole('button', { name: 'Confirmer : Commencer la mise en œuvre' }).click();
  await page.getByRole('status').filter({ hasText: 'Fait : Commencer la mise en œuvre' }).waitFor();
  t.equal((await row(id)).status, 'implementing');
  await item(page, id).getByRole('button', { name: 'Lever la mesure' }).click();
  const lift = item(page, id).locator('form.action-form');
  await lift.getByRole('button', { name: 'Confirmer : Lever la mesure' }).click();
  t.match(await lift.getByRole('alert').textContent(), /Écrivez le motif/, 'a reason is asked for');
  await lift.getByLabel('Motif', { exact: true }).fill(reasons[1]!);
  await axeBothSizes(t, page, 'lift form');
  await lift.getByRole('button', { name: 'Confirmer : Lever la mesure' }).click();
  await page.getByRole('status').filter({ hasText: 'Fait : Lever la mesure' }).waitFor();
  m = await row(id);
  t.equal(m.status, 'lifted');
  t.equal(m.end_reason, reasons[1]);
  t.equal(m.ended_by, awa.id);
  await page.locator(`li.measure[data-measure-id="${id}"][data-status="lifted"]`).getByText('Levée', { exact: true }).waitFor();
  t.same(await commandsOf(page, id), [], 'nothing more on a lifted measure');
  checkPage(t, officer);
});
