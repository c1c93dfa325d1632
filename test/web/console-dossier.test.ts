/**
 * The printable dossier of a case, in Chromium against the running service: an officer opens the
 * dossier of her case (an assessment, a measure and a referral on it); every section is there,
 * the sealed parts opened in the worker; printed, each page names her and the time; the print
 * button records exactly one `case.export` audit event with the sections before printing, and a
 * refused export prints nothing and says why. axe-clean at laptop and phone sizes, no CSP
 * violation, nothing off the origin, no plaintext in any request.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { Page } from 'playwright-core';
import { waitFor } from '../helpers/wait-for.js';
import { assessToDecision, bootstrap, caseAt, enrolActor, fileCase, measureAt, partnerOrg, referralAt } from '../helpers/world.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';

t.setTimeout(600_000);
const T = await startConsoleService(t);
const dep = await bootstrap(T);
const awa = await enrolActor(T, dep.admin, { username: 'awa.officer', role: 'officer', orgId: dep.mechanismId });
const lawyers = await partnerOrg(T, dep.admin, { name: 'Barreau de Bamako, aide juridique', username: 'barreau.member' });
const browser = await consoleBrowser(t);

const marker = (what: string) => `MARK-${what}-${randomUUID().slice(0, 8)}`;
const secrets = { identity: marker('identity'), contact: marker('contact'), narrative: marker('narrative') };
const assessmentFacts = marker('assessment');
const measureText = marker('measure');
const markers = [...Object.values(secrets), assessmentFacts, measureText];

// Awa's case: admitted, assessed (facts sealed), a measure proposed (details sealed), a referral proposed.
const c = await caseAt(T, dep, 'assessment', { officer: awa, secrets });
await assessToDecision(T, awa, c.caseId, c.dek, { facts: assessmentFacts });
await measureAt(T, c, { officer: awa, supervisor: dep.supervisor }, 'proposed', { text: measureText });
await referralAt(T, c, { officer: awa, org: lawyers }, 'awaiting_consent');
// A case in the intake pool: Awa reads where it stands, never its dossier.
const pooled = await fileCase(T, dep);

const leaksOf = (p: ConsolePage) => p.sent.filter((r) => markers.some((m) => r.url.includes(m) || (r.body ?? '').includes(m))).map((r) => `${r.method} ${r.url}`);


/** Counts window.print calls (the original still runs: headless Chromium returns at once). */
async function countPrints(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const original = window.print.bind(window);
    window.__prints = 0;
    window.print = () => {
      window.__prints += 1;
      original();
    };
  })()`);
}
const prints = (page: Page) => page.evaluate<number>('window.__prints');

const exportEvents = (caseId: string) =>
  T.database.sql<Array<{ actor: string; outcome: string; reason: string | null }>>`select actor, outcome, reason from audit_events where action = 'case.export' and case_id = ${caseId} order by id`;

t.test('an officer opens the dossier, sees every section decrypted, prints it once audited', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console/cases/${c.caseId}`);
  await signInAs(page, T, awa);
  await page.getByRole('link', { name: 'Préparer le dossier imprimable' }).click();
  await page.getByRole('heading', { name: `Dossier ${c.reference} : version imprimable`, level: 1 }).waitFor();
  for (const name of ['Situation du dossier', 'Faits déclarés (contenu chiffré)', 'Historique', 'Évaluations du risque', 'Mesures de protection', 'Orientations vers des partenaires', 'Fichiers']) {
    t.ok(await page.getByRole('heading', { name, level: 2 }).isVisible(), `the section "${name}"`);
  }
  for (const m of [secrets.narrative, secrets.identity, assessmentFacts, measureText]) {
    await page.getByText(m, { exact: true }).waitFor();
  }
  t.pass('the facts, the assessment and the measure details opened in the worker');
  t.ok(await page.getByRole('heading', { name: 'Menace 1 : faits', level: 4 }).isVisible(), 'the assessment part named in words');
  t.ok(await page.getByRole('heading', { name: lawyers.name, level: 3 }).isVisible(), 'the referral to the bar');
  t.ok(await page.getByText('en attente du consentement').isVisible(), 'its state in words');
  t.ok(await page.getByText('Aucun fichier.').isVisible(), 'files: none yet');
  t.ok(await page.locator('.timeline li').first().isVisible(), 'the timeline');

  const mark = page.locator('.print-mark');
  t.notOk(await mark.isVisible(), 'the print mark is for paper only');
  await page.emulateMedia({ media: 'print' });
  t.ok(await mark.isVisible(), 'printed: the mark shows');
  t.match(await mark.textContent(), new RegExp(`imprimé par ${awa.username} le .*\\d{1,2}:\\d{2}`), "the reader's name and the time");
  t.equal(await mark.evaluate((el) => (el.ownerDocument.defaultView?.getComputedStyle(el).position ?? '')), 'fixed', 'fixed: repeated on every printed page');
  t.notOk(await page.getByRole('button', { name: 'Imprimer le dossier' }).isVisible(), 'no button on paper');
  t.notOk(await page.locator('header.bar').isVisible(), 'no navigation on paper');
  await page.emulateMedia({ media: 'screen' });

  await axeBothSizes(t, page, 'dossier');
  t.same(await exportEvents(c.caseId), [], 'nothing recorded before the print');
  await countPrints(page);
  await page.getByRole('button', { name: 'Imprimer le dossier' }).click();
  await page.getByRole('status').filter({ hasText: 'Impression enregistrée' }).waitFor();
  // Polled from here: the page's CSP forbids the eval that waitForFunction's polling needs.
  await waitFor(async () => (await prints(page)) > 0, { what: 'the print dialog' });
  t.equal(await prints(page), 1, 'printed once');
  const events = await exportEvents(c.caseId);
  t.same(events, [{ actor: `u:${awa.id}`, outcome: 'allowed', reason: 'sections: meta,facts,timeline,assessments,measures,referrals,files' }], 'exactly one case.export event, with the sections');
  const sent = p.sent.filter((r) => r.method === 'POST' && r.url.endsWith(`/v1/cases/${c.caseId}/exports`));
  t.equal(sent.length, 1, 'one export request');
  t.same(JSON.parse(sent[0]?.body ?? '{}'), { sections: ['meta', 'facts', 'timeline', 'assessments', 'measures', 'referrals', 'files'] }, 'codes only');
  t.match(await mark.textContent(), /référence d’audit/, 'the printed mark names the audit record');

  // A case she may not export (in the intake pool): the refusal is shown, nothing printed.
  // Within the page (a reload is a new session): the router follows history.
  await page.evaluate(`history.pushState(null, '', '/console/cases/${pooled.caseId}/dossier'); dispatchEvent(new PopStateEvent('popstate'))`);
  const print = page.getByRole('button', { name: 'Imprimer le dossier' });
  // The screen of the other case first (the one before has no busy part left either).
  await page.getByRole('heading', { name: `Dossier ${pooled.reference} : version imprimable`, level: 1 }).waitFor();
  await waitFor(async () => (await page.locator('[aria-busy="true"]').count()) === 0, { what: 'every section of the dossier loaded' });
  await print.click();
  await page.locator('.dossier-print [role="alert"][data-code="not_found"]').waitFor();
  t.equal(await prints(page), 1, 'nothing more printed');
  t.same((await exportEvents(pooled.caseId)).map((e) => e.outcome), ['denied'], 'the refusal audited');
  await axeBothSizes(t, page, 'dossier refused');

  t.same(p.violations, [], 'no CSP violation');
  t.same(p.offHostRequests, [], 'nothing off the origin');
  t.same(p.pageErrors, []);
  t.same(leaksOf(p), [], 'no plaintext in any request');
});
