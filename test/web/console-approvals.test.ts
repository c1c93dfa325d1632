/**
 * The supervisors' screens, in Chromium against the running service (API and workers): a
 * supervisor reads the assessment of a measure an officer proposed (its narrative opened in the
 * worker) and approves it, and sees no button on the measure they proposed themself; reads an
 * appeal's grounds (opened in the worker) and dismisses it; on the retention screen holds one case
 * and purges another; opens a case they are not part of with a written reason (break-glass), the
 * window's time left shown and the content opened; another supervisor's inbox has the notice,
 * with the link to the case's access log. The database is read at each step; axe-clean at laptop
 * and phone sizes, no CSP violation, nothing off the origin, no plaintext in any request.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { appealGroundsAd, sealField } from '../../src/sdk/index.js';
import { assessmentBody, bootstrap, caseAt, enrolActor, expectStatus, measureAt } from '../helpers/world.js';
import { waitFor } from '../helpers/wait-for.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';

t.setTimeout(400_000);
const T = await startConsoleService(t, {}, { workers: true });
const dep = await bootstrap(T);
const sup = dep.supervisor;
const awa = await enrolActor(T, dep.admin, { username: 'awa.officer', role: 'officer', orgId: dep.mechanismId });
const binta = await enrolActor(T, dep.admin, { username: 'binta.sup', role: 'supervisor', orgId: dep.mechanismId });
const sql = T.database.sql;
const marker = (what: string) => `MARK-${what}-${randomUUID().slice(0, 8)}`;

// Two measures awaiting a decision on one case: the officer's, and the supervisor's own.
const narrative = marker('facts');
const c1 = await caseAt(T, dep, 'assessment', { officer: awa });
await expectStatus(T.app.inject({ method: 'POST', url: `/v1/cases/${c1.caseId}/assessments`, headers: awa.auth(), payload: assessmentBody(c1.dek, { facts: narrative }) }), 201);
await expectStatus(T.app.inject({ method: 'POST', url: `/v1/cases/${c1.caseId}/complete-assessment`, headers: awa.auth(), payload: {} }));
const byOfficer = await measureAt(T, c1, { officer: awa, supervisor: sup }, 'consented');
const bySupervisor = await measureAt(T, c1, { officer: sup, supervisor: sup }, 'consented');
// A case the officer declined, appealed by its defender with sealed grounds.
const c2 = await caseAt(T, dep, 'declined', { officer: awa });
const appealId = randomUUID();
const grounds = marker('grounds');
await expectStatus(T.app.inject({ method: 'POST', url: `/v1/cases/${c2.caseId}/appeals`, headers: c2.defender.auth(), payload: { id: appealId, subject: 'decline', grounds: sealField({ text: grounds }, c2.dek, appealGroundsAd(appealId)) } }), 201);
// A case the supervisor is not part of (assigned, keyed, in decision: nothing waits on them).
const c3 = await caseAt(T, dep, 'decision', { officer: awa, secrets: { identity: marker('identity'), contact: marker('contact'), narrative: marker('narrative') } });
// Two closed cases whose ten years of retention have run: the deadline's due time is set in the
// past here (the clock of the service would otherwise have to move by ten years under the browser).
const c4 = await caseAt(T, dep, 'declined', { officer: awa });
const c5 = await caseAt(T, dep, 'declined', { officer: awa });
await sql`update deadlines set due_at = ${new Date(T.clock.now().getTime() - 86_400_000).toISOString()} where rule = 'retention' and case_id in ${sql([c4.caseId, c5.caseId])}`;

const markers = [narrative, grounds, ...(Object.values(c3.secrets) as string[])];
const leaksOf = (p: ConsolePage): string[] => p.sent.filter((r) => markers.some((m) => r.url.includes(m) || (r.body ?? '').includes(m))).map((r) => `${r.method} ${r.url}`);
const checkPage = (tt: { same(a: unknown, b: unknown, m: string): unknown }, p: ConsolePage) => {
  tt.same(p.violations, [], 'no CSP violation in the page or its worker');
  tt.same(p.offHostRequests, [], 'nothing requested off the origin');
  tt.same(p.pageErrors, [], 'no page error');
  tt.same(leaksOf(p), [], 'no plaintext in any request');
};

const browser = await consoleBrowser(t);
const supPage = await browser.open('laptop');
const { page } = supPage;

t.test('approvals: the officer’s measure read and approved, none on one’s own proposal; an appeal read and dismissed', async (t) => {
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console/approvals`);
  await signInAs(page, T, sup);
  await page.getByRole('heading', { name: 'Décisions en attente', level: 1 }).waitFor();
  const theirs = page.locator(`li[data-measure-id="${byOfficer}"]`);
  const mine = page.locator(`li[data-measure-id="${bySupervisor}"]`);
  await theirs.getByRole('button', { name: 'Approuver', exact: true }).waitFor();
  t.same(await mine.locator('button[data-command]').count(), 0, 'no decision button on their own proposal');
  await mine.getByText('Vous avez proposé cette mesure').waitFor();

  await theirs.getByRole('button', { name: /Lire l’évaluation/ }).click();
  await theirs.getByText(narrative, { exact: true }).waitFor();
  t.pass('the assessment narrative opened in the worker');
  await theirs.getByRole('button', { name: 'Approuver', exact: true }).click();
  await theirs.getByLabel('Motif', { exact: true }).fill('Menaces confirmées par l’évaluation');
  await axeBothSizes(t, page, 'approvals with the assessment and the form open');
  await theirs.getByRole('button', { name: 'Confirmer : Approuver' }).click();
  await page.getByRole('status').filter({ hasText: 'Approuver, fait' }).waitFor();
  const [m] = await sql`select status, decided_by from measures where id = ${byOfficer}`;
  t.same({ ...m }, { status: 'approved', decided_by: sup.id }, 'approved by the supervisor');
  await theirs.waitFor({ state: 'detached' });

  const appeal = page.locator(`li[data-appeal-id="${appealId}"]`);
  await appeal.getByRole('button', { name: /Lire les motifs/ }).click();
  await appeal.getByText(grounds, { exact: true }).waitFor();
  t.pass('the grounds opened in the worker');
  await appeal.getByRole('button', { name: 'Trancher le recours' }).click();
  await appeal.getByLabel('Rejeté (la décision est maintenue)').check();
  await appeal.getByLabel('Motif', { exact: true }).fill('Hors du mandat du mécanisme');
  await appeal.getByRole('button', { name: 'Confirmer : Trancher le recours' }).click();
  await page.getByRole('status').filter({ hasText: `Recours du dossier ${c2.reference}` }).waitFor();
  const [a] = await sql`select state, decided_by, reason from appeals where id = ${appealId}`;
  t.same({ ...a }, { state: 'dismissed', decided_by: sup.id, reason: 'Hors du mandat du mécanisme' }, 'dismissed with the reason');
  checkPage(t, supPage);
});

t.test('retention: one case held, another purged, each with a reason', async (t) => {
  await page.getByRole('link', { name: 'Conservation' }).click();
  await page.getByRole('heading', { name: 'Fin de conservation', level: 1 }).waitFor();
  const row = (caseId: string) => page.locator(`li[data-case-id="${caseId}"]`);
  await row(c4.caseId).getByRole('button', { name: /Suspendre l’effacement/ }).click();
  await row(c4.caseId).getByLabel('Motif', { exact: true }).fill('Procédure judiciaire en cours');
  await row(c4.caseId).getByRole('button', { name: 'Confirmer : Suspendre l’effacement' }).click();
  await page.getByRole('status').filter({ hasText: `Dossier ${c4.reference} : effacement suspendu.` }).waitFor();
  await page.getByRole('button', { name: `Lever la suspension ${c4.reference}` }).waitFor();
  t.equal((await sql`select state from deadlines where rule = 'retention' and case_id = ${c4.caseId}`)[0]!.state, 'paused', 'the held case’s retention is paused');

  await row(c5.caseId).getByRole('button', { name: /Effacer le contenu/ }).click();
  await row(c5.caseId).getByLabel('Motif', { exact: true }).fill('Fin de la durée de conservation');
  await axeBothSizes(t, page, 'retention with the purge form open');
  await row(c5.caseId).getByRole('button', { name: 'Confirmer : Effacer le contenu' }).click();
  await page.getByRole('status').filter({ hasText: `Dossier ${c5.reference} : contenu effacé le` }).waitFor();
  t.ok((await sql`select purged_at from cases where id = ${c5.caseId}`)[0]!.purged_at, 'purged');
  t.equal((await sql`select purged_at from cases where id = ${c4.caseId}`)[0]!.purged_at, null, 'the held case is not');
  await page.getByText('Aucun dossier n’est à effacer.').waitFor();
  checkPage(t, supPage);
});

t.test('break-glass: opened with a reason, time left shown, content opened; another supervisor is told, with the access log link', async (t) => {
  await page.getByRole('link', { name: 'Accueil' }).click();
  await page.getByRole('link', { name: /^Tous les dossiers/ }).click();
  await page.getByRole('link', { name: c3.reference, exact: true }).click();
  await page.getByText('Vous ne participez pas à ce dossier').waitFor();
  await page.getByText('Tous les autres superviseur·es en seront avertis').waitFor();
  await page.getByRole('button', { name: 'Ouvrir avec un motif' }).click();
  await page.getByLabel('Motif', { exact: true }).fill('Alerte de nuit, agent injoignable');
  await axeBothSizes(t, page, 'case page with the break-glass form');
  await page.getByRole('button', { name: 'Ouvrir le dossier et avertir les superviseur·es' }).click();
  await page.getByText(String(c3.secrets.narrative), { exact: true }).waitFor();
  t.pass('the sealed content opened');
  const window = page.locator('[data-break-glass-until]');
  await window.waitFor();
  t.match(await window.textContent(), /Accès exceptionnel ouvert jusqu’au.*dans 8 heures/, 'the window’s time left');
  const [bg] = await sql`select supervisor_id, reason from break_glass where case_id = ${c3.caseId}`;
  t.same({ ...bg }, { supervisor_id: sup.id, reason: 'Alerte de nuit, agent injoignable' });
  checkPage(t, supPage);

  // The workers' outbox relay delivers the notice to every other supervisor.
  await waitFor(async () => (await sql`select 1 from notifications where recipient_user_id = ${binta.id} and topic = 'case.break_glass'`).length > 0, { what: 'the break-glass notice', timeoutMs: 60_000 });
  const other = await browser.open('phone');
  await other.page.clock.setSystemTime(T.clock.now());
  await other.page.goto(`${T.origin}/console/notifications`);
  await signInAs(other.page, T, binta);
  const link = other.page.getByRole('link', { name: `Voir qui a consulté le dossier ${c3.reference}` });
  await link.waitFor();
  t.equal(await link.getAttribute('href'), `/console/cases/${c3.caseId}/access-log`, 'the notice links to the case’s access log');
  await other.page.getByText('Accès exceptionnel à un dossier (bris de glace)').first().waitFor();
  await axeBothSizes(t, other.page, 'notifications with the break-glass notice');
  checkPage(t, other);
});
