/**
 * The statistics pages in Chromium against the running service, on a world whose figures are
 * counted here: six requests over two quarters (three journalists in Kidal and an activist in
 * Bamako in February, two trade unionists in Gao in May), one declined, one verified, two taken
 * from the pool (after 2 and 30 hours). A supervisor who typed a refused crossing (a region by
 * gender) reads the refusal in words; the statistics screen then shows those counts in its table
 * (and the same in the CSV saved), a chart whose canvas names what it draws, a crossing as bars,
 * the response times in hour bands and the workload. The annual report hides the small cells
 * ("< 5") with a legend, puts the SDG 16.10.1 tables first, is axe-clean at both sizes, prints
 * without the menu and the controls, shows exact figures on demand, publishes an ended year with
 * its SHA-256 and says so when another supervisor published first. An admin typing the
 * statistics' address is told it is not for them, and reads the service's figures, without the
 * chart library ever loading. No CSP violation from uPlot or anything else.
 */
import t from 'tap';
import { OTHER_COLOUR, PALETTE } from '../../web/console/stats/chart-palette.js';
import { act, buildWorld, expectStatus, fileCase, grantCaseKey, reauth, refreshIfStale, transitionAs, type Actor } from '../helpers/world.js';
import { axeBothSizes, chunksFetched, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';

t.setTimeout(600_000);
const T = await startConsoleService(t);
const HOUR = 3_600_000;
T.clock.set('2026-02-10T08:00:00.000Z');
const w = await buildWorld(T, { officers: ['awa'] });
const awa = w.officers.awa;
const sup = w.supervisor;
/** Months pass between filings: everyone signs in again (sessions do not last that long). */
const moveTo = async (at: string) => {
  T.clock.set(at);
  for (const who of [awa, sup, w.admin]) await reauth(T, who);
};
const takeFromPool = async (caseId: string, officer: Actor) => {
  await transitionAs(T, officer, caseId, 'acknowledge');
  await refreshIfStale(T, sup);
  await grantCaseKey(T, sup, caseId, officer);
};

// February (Q1): three journalists in Kidal, an activist in Bamako; one Kidal case taken after 2 hours and declined.
const kidal = { region: 'kidal', defenderCategory: 'journalist', gender: 'female', threatTypes: ['abduction'] };
const K = [await fileCase(T, w.dep, { metadata: kidal }), await fileCase(T, w.dep, { metadata: kidal }), await fileCase(T, w.dep, { metadata: kidal })];
await fileCase(T, w.dep, { metadata: { region: 'bamako', defenderCategory: 'human_rights_activist', gender: 'male', threatTypes: ['arbitrary_arrest'] } });
T.clock.advance(2 * HOUR);
await takeFromPool(K[0]!.caseId, awa);
await transitionAs(T, awa, K[0]!.caseId, 'decline', { reason: 'Hors mandat', declineReason: 'outside_mandate' });
// May (Q2): two trade unionists in Gao (torture); one taken after 30 hours and verified.
await moveTo('2026-05-05T08:00:00.000Z');
const gao = { region: 'gao', defenderCategory: 'trade_unionist', gender: 'female', threatTypes: ['torture_or_ill_treatment'] };
const G = [await fileCase(T, w.dep, { metadata: gao }), await fileCase(T, w.dep, { metadata: gao })];
await moveTo('2026-05-06T14:00:00.000Z');
await takeFromPool(G[0]!.caseId, awa);
await expectStatus(act(T, awa, G[0]!.caseId, 'verification', { status: 'verified', reason: 'Certificat médical' }));
await moveTo('2026-06-01T08:00:00.000Z');

const browser = await consoleBrowser(t);
/** Every Blob the page offers as a file is kept, to be read back (the test's pages take no downloads). */
const KEEP_BLOBS = `
  window.__egideBlobs = [];
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = (blob) => (window.__egideBlobs.push(blob), createObjectURL.call(URL, blob));
`;
const lastBlob = (p: ConsolePage) => p.page.evaluate('window.__egideBlobs.at(-1).text()') as Promise<string>;
const clean = (tt: { same(a: unknown, b: unknown, m: string): unknown }, p: ConsolePage) => {
  tt.same(p.violations, [], 'no CSP violation (uPlot styles its elements through the CSSOM)');
  tt.same(p.pageErrors, [], 'no uncaught error');
  tt.same(p.consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e)), [], 'no refusal in the console');
};

t.test('the chart colours stand out against the white of the cards (WCAG 1.4.11: 3:1)', async (t) => {
  const luminance = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  for (const colour of [...PALETTE, OTHER_COLOUR]) t.ok((1.05 / (luminance(colour) + 0.05)) >= 3, `${colour} against white`);
  t.equal(new Set([...PALETTE, OTHER_COLOUR]).size, PALETTE.length + 1, 'all different');
});

t.test('a supervisor: a refused crossing, the figures counted, the chart, CSV and JSON, response times, workload', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await p.context.addInitScript(KEEP_BLOBS);
  await page.clock.setSystemTime(T.clock.now());
  // Typed by hand: the region by gender, which the policies refuse at every period.
  await page.goto(`${T.origin}/console/stats?series=region&by=gender&period=quarter`);
  await signInAs(page, T, sup);
  await page.getByRole('heading', { name: 'Statistiques', level: 1 }).waitFor();
  const refused = page.locator('[data-code="stats_crossing_refused"]');
  await refused.waitFor();
  t.match(await refused.textContent(), /Croisement refusé : une région croisée avec le profil d’une personne/, 'the refusal in words');
  await page.locator('.stats-refusal').getByText('Demandé : Région × Genre.').waitFor();
  t.equal(await page.locator('.stats-series').count(), 0, 'no figures');
  // The form offers only the crossings kept: the region is crossed by violation or decision, never by a profile.
  const by = page.getByLabel('Croisé par');
  await by.waitFor();
  const offered = await by.locator('option').evaluateAll((os) => os.map((o) => o.getAttribute('value')));
  t.ok(offered.includes('violation') && offered.includes('decision'), 'kept crossings offered');
  t.notOk(offered.includes('defender_category') || offered.includes('disability'), 'no profile offered');

  // The regions by quarter of this year (the default range).
  await by.selectOption('');
  await page.getByRole('button', { name: 'Afficher' }).click();
  const cell = (row: string, col: string) => page.locator(`.stats-series td[data-row="${row}"][data-col="${col}"]`);
  await cell('kidal', '2026-Q1').waitFor();
  const counted = { 'kidal 2026-Q1': 3, 'bamako 2026-Q1': 1, 'gao 2026-Q1': 0, 'gao 2026-Q2': 2, 'kidal 2026-Q2': 0, 'kidal total': 3, 'total 2026-Q1': 4, 'total 2026-Q2': 2, 'total 2026-Q3': 0, 'total total': 6 };
  for (const [at, n] of Object.entries(counted)) {
    const [row, col] = at.split(' ') as [string, string];
    t.equal(await cell(row, col).textContent(), String(n), `${at}: ${n}`);
  }
  t.match(await page.locator('.stats-series caption').textContent(), /^Région, par trimestre, de janv\. 2026 à déc\. 2026 \(demandes\)$/, 'the table says what it counts');
  t.same(await page.locator('.stats-series thead th').allTextContents(), ['Région', 'T1 2026', 'T2 2026', 'T3 2026', 'T4 2026', 'Total'], 'periods in words, a totals column');
  t.equal(await page.locator('.stats-series tbody th[scope="row"]').count(), 3, 'a row header per region counted');
  const canvas = page.locator('.stats-series canvas[role="img"]');
  await canvas.waitFor();
  t.match(await canvas.getAttribute('aria-label'), /^Graphique en courbes, une par code \(3\) : Région, par trimestre.*Total 6 ; le plus élevé : Kidal \(3\)\./, 'the canvas is an image named by what it draws');
  t.same((await page.locator('.stats-legend li').allTextContents()).sort(), ['Bamako', 'Gao', 'Kidal'], 'one legend entry per region counted');
  t.ok(chunksFetched(p).includes('supervisor-statistics'), 'the statistics chunk (with uPlot) is fetched when they open');

  // CSV: the API's export of the same query, saved as a file.
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Télécharger CSV' }).click()]);
  t.equal(csv.suggestedFilename(), 'egide-region-2026-01-2026-12.csv', 'under the name the server gives');
  const csvText = await lastBlob(p);
  t.match(csvText, /^period,region,region_label,cases\r\n/, 'a header line');
  t.match(csvText, /\r\n2026-Q1,kidal,Kidal,3\r\n/, 'the Kidal line');
  t.match(csvText, /\r\n2026-Q2,gao,Gao,2\r\n/, 'the Gao line');
  await page.getByText('egide-region-2026-01-2026-12.csv enregistré').waitFor();
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'JSON', exact: true }).click()]);
  t.equal(json.suggestedFilename(), 'egide-region-2026-01-2026-12.json');
  const saved = JSON.parse(await lastBlob(p)) as { series: string; cells: Array<{ period: string; a: string; n: number }> };
  t.same(saved.cells.find((c) => c.a === 'kidal'), { period: '2026-Q1', a: 'kidal', b: '', n: 3 }, 'the table answer as received');

  // Response times by quarter: 2 hours to take the Kidal case, 30 hours the Gao one.
  const times = (period: string, col: string) => page.locator(`table.stats-times-time_to_acknowledge td[data-row="${period}"][data-col="${col}"]`);
  t.equal(await times('2026-Q1', 'count').textContent(), '1');
  t.equal(await times('2026-Q1', 'median').textContent(), '2 à 3 h', 'the median as an hour band');
  t.equal(await times('2026-Q2', 'p90').textContent(), '30 à 31 h');
  t.equal(await page.locator(`td[data-row="acknowledge"][data-col="total"]`).textContent(), '6', 'an acknowledgement deadline per request');
  // Workload: awa is in charge of two requests of the year; four wait in the pool.
  t.equal(await page.locator(`td[data-row="${awa.id}"][data-col="received"]`).textContent(), '2');
  t.equal(await page.locator('[data-unassigned]').getAttribute('data-unassigned'), '4');
  await axeBothSizes(t, page, 'statistics');

  // A kept crossing: decisions by reason for declining, drawn as bars.
  await page.getByLabel('Série').selectOption('decision');
  await page.getByLabel('Croisé par').selectOption('decline_reason');
  await page.getByRole('button', { name: 'Afficher' }).click();
  await cell('declined', 'outside_mandate').waitFor();
  t.equal(await cell('declined', 'outside_mandate').textContent(), '1', 'one declined as outside the mandate');
  t.match(await page.locator('.stats-series canvas[role="img"]').getAttribute('aria-label'), /^Graphique en barres groupées \(1 barres par groupe\) : Décision de recevabilité × Motif de non-recevabilité/);
  t.match(page.url(), /series=decision&by=decline_reason/, 'the view is in the address');
  clean(t, p);

  t.test('the annual report: small cells hidden with a legend, SDG first, printable, exact on demand, published once', async (t) => {
    await page.getByRole('link', { name: 'Rapport annuel' }).click();
    await page.getByRole('heading', { name: 'Rapport annuel 2026', level: 1 }).waitFor();
    const table = (id: string) => page.locator(`.stats-report-table[data-table="${id}"]`);
    const kidalQ1 = table('region-by-quarter').locator('td[data-row="kidal"][data-col="Q1"]');
    await kidalQ1.waitFor();
    t.equal(await kidalQ1.textContent(), '< 5', 'three cases: "< 5"');
    t.equal(await kidalQ1.getAttribute('data-flag'), 'below_threshold');
    t.equal(await table('region-by-quarter').locator('td[data-row="gao"][data-col="Q1"]').textContent(), '< 5', 'a zero is hidden too');
    const legend = page.locator('.stats-legend-card');
    t.match(await legend.textContent(), /< 5.*zéro compris : masqué, un si petit nombre pourrait désigner une personne.*x.*Masqué pour qu’une case masquée ne puisse pas être retrouvée/, 'a legend for "< 5" and "x"');
    const ids = await page.locator('.stats-report-table').evaluateAll((els) => els.map((el) => el.getAttribute('data-table')));
    t.same(ids.slice(0, 2), ['sdg-16-10-1', 'sdg-16-10-1-by-sex'], 'the SDG 16.10.1 tables first');
    t.ok(ids.length > 10, `every table of the year (${ids.length})`);
    t.match(await page.locator('#report-sdg-title + p').textContent(), /Seules les violations que l’équipe a marquées comme vérifiées sont comptées/);
    t.equal(await table('sdg-16-10-1').locator('td[data-row="torture"][data-col="trade_unionists"]').textContent(), '< 5', 'the verified Gao case, hidden');
    t.match(await page.locator('.alert-warn').first().textContent(), /L’année 2026 n’est pas terminée/);
    await axeBothSizes(t, page, 'annual report');

    // Per table, the CSV in the console's language.
    const [regionCsv] = await Promise.all([page.waitForEvent('download'), table('region-by-quarter').getByRole('button', { name: /^Télécharger CSV/ }).click()]);
    t.equal(regionCsv.suggestedFilename(), 'egide-2026-region-by-quarter-published.csv');
    t.match(await lastBlob(p), /Kidal,< 5,< 5,< 5,< 5,< 5/);

    // Printing: the report without the menu or the controls.
    await page.evaluate('window.print = () => { window.__printed = true; }');
    await page.getByRole('button', { name: 'Imprimer' }).click();
    t.equal(await page.evaluate('window.__printed'), true, 'the print button prints');
    await page.emulateMedia({ media: 'print' });
    t.notOk(await page.getByRole('navigation', { name: 'Navigation principale' }).isVisible(), 'printed: no menu');
    t.notOk(await page.locator('.stats-report-controls').isVisible(), 'printed: no controls');
    t.notOk(await table('region-by-quarter').getByRole('button', { name: /^Télécharger CSV/ }).isVisible(), 'printed: no buttons');
    t.ok(await kidalQ1.isVisible(), 'printed: the figures');
    t.equal(await page.locator('.stats-report-section').first().evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).breakBefore), 'page', 'each part from a new page');
    await page.emulateMedia({ media: 'screen' });

    // In English: the console's words and the API's titles and labels.
    await page.getByLabel('Langue').selectOption('en');
    await page.getByRole('heading', { name: 'Annual report 2026', level: 1 }).waitFor();
    t.match(await table('sdg-16-10-1').locator('h3').textContent(), /^SDG 16\.10\.1: verified cases by violation and population group \(mentions\)$/, 'the title in English');
    t.same(await table('region-by-quarter').locator('thead th').allTextContents(), ['Region', 'Q1', 'Q2', 'Q3', 'Q4', 'Total']);
    await page.getByLabel('Language').selectOption('fr');
    await page.getByRole('heading', { name: 'Rapport annuel 2026', level: 1 }).waitFor();

    // Exact figures, for the sub-commission.
    await page.getByLabel('Chiffres exacts (interne)').check();
    await page.locator('.stats-report[data-variant="internal"]').waitFor();
    t.equal(await kidalQ1.textContent(), '3', 'exact: 3');
    t.match(await page.locator('.stats-report-about').textContent(), /Chiffres exacts, internes : à ne pas publier/);
    await page.getByLabel('Chiffres exacts (interne)').uncheck();
    await page.locator('.stats-report[data-variant="published"]').waitFor();
    t.match(await page.locator('.stats-publication').textContent(), /Le rapport 2026 pourra être publié une fois l’année terminée/, 'the year has not ended: nothing to publish');
    t.equal(await page.getByRole('button', { name: /^Publier/ }).count(), 0);

    // Last year has ended: published, frozen, its SHA-256 shown.
    await page.getByLabel('Année', { exact: true }).selectOption('2025');
    await page.getByRole('heading', { name: 'Rapport annuel 2025', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Publier le rapport 2025' }).click();
    await page.getByRole('button', { name: 'Oui, publier le rapport 2025' }).click();
    const sha = page.locator('[data-sha256]');
    await sha.waitFor();
    const frozen = await expectStatus<{ sha256: string }>(T.app.inject({ method: 'GET', url: '/v1/stats/reports/2025/publication', headers: (await fresh(sup)).auth() }));
    t.equal((await sha.textContent())?.trim(), frozen.sha256, 'the SHA-256 of what was frozen');
    await page.getByRole('button', { name: 'Afficher la version publiée' }).click();
    await page.locator('.stats-report[data-frozen="true"]').waitFor();
    t.match(await page.locator('.stats-report-about').textContent(), /Version publiée, figée le/);

    // Another supervisor publishes 2024 while this one reads it: the refusal, and what was published.
    await page.evaluate(`history.pushState(null, '', '/console/stats/report?year=2024'); dispatchEvent(new PopStateEvent('popstate'))`);
    await page.getByRole('button', { name: 'Publier le rapport 2024' }).waitFor();
    const other = await expectStatus<{ sha256: string }>(T.app.inject({ method: 'POST', url: '/v1/stats/reports/2024/publication', headers: (await fresh(sup)).auth() }), 201);
    await page.getByRole('button', { name: 'Publier le rapport 2024' }).click();
    await page.getByRole('button', { name: 'Oui, publier le rapport 2024' }).click();
    const already = page.locator('[data-code="stats_already_published"]');
    await already.waitFor();
    t.match(await already.textContent(), /déjà publié/);
    await page.locator('[data-sha256]').waitFor();
    t.equal((await page.locator('[data-sha256]').textContent())?.trim(), other.sha256, 'the other publication is shown');
    clean(t, p);
  });
});

/** The API actor's session, refreshed when the test clock moved. */
async function fresh(who: Actor): Promise<Actor> {
  await refreshIfStale(T, who);
  return who;
}

t.test('an admin: the statistics are not for them; the service figures are', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console/stats`);
  await signInAs(page, T, w.admin);
  await page.getByRole('heading', { name: 'Cet écran ne vous est pas accessible', level: 1 }).waitFor();
  const nav = page.getByRole('navigation', { name: 'Navigation principale' });
  t.equal(await nav.getByRole('link', { name: 'Statistiques' }).count(), 0, 'no statistics in the menu');
  await nav.getByRole('link', { name: 'Chiffres du service' }).click();
  await page.getByRole('heading', { name: 'Chiffres du service', level: 1 }).waitFor();
  const received = (col: string) => page.locator(`td[data-row="received"][data-col="${col}"]`);
  await received('2026-02').waitFor();
  t.equal(await received('2026-02').textContent(), '4', 'four requests in February');
  t.equal(await received('2026-05').textContent(), '2', 'two in May');
  t.equal(await received('total').textContent(), '6');
  t.equal(await page.locator('td[data-row="acknowledge"][data-col="total"]').textContent(), '6', 'the deadlines by rule');
  t.notMatch(await page.locator('main').textContent(), /Kidal|Gao|Bamako|journaliste/i, 'nothing about the people');
  await axeBothSizes(t, page, 'service figures');
  t.same(chunksFetched(p), ['service-figures'], 'the chart library never loads for an admin');
  clean(t, p);
});
