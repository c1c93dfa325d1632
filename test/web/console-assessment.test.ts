/**
 * The risk assessment of a case page, in Chromium against the running service: an officer on a
 * case in assessment sees the versions recorded so far (their narratives opened in the worker),
 * opens the form, and for each vector of the shared risk fixtures she types, the level shown is
 * the one computeRisk gives for the same input; she records a version whose narratives leave
 * sealed, the row holds the level she saw, and the history shows it opened. No form on a case
 * where getCaseActions does not allow record_assessment. axe-clean with the form open at laptop
 * and phone sizes, no CSP violation, nothing off the origin, no plaintext in any request.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { Locator, Page } from 'playwright-core';
import fixture from '../fixtures/risk-v1.json' with { type: 'json' };
import { assessmentFieldAd, openField } from '../../src/sdk/index.js';
import { computeRisk, type Feasibility, type ThreatKind } from '../../src/sdk/risk/risk-level.js';
import { loadRiskPolicy } from '../../src/risk/risk-policy.js';
import { projectRoot } from '../../src/lib/paths.js';
import { clientOf } from '../helpers/api-client.js';
import { bootstrap, caseAt, enrolActor, freshen, recordAssessment } from '../helpers/world.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';

t.setTimeout(300_000);
const T = await startConsoleService(t);
const dep = await bootstrap(T);
const awa = await enrolActor(T, dep.admin, { username: 'awa.officer', role: 'officer', orgId: dep.mechanismId });
const browser = await consoleBrowser(t);
const fr = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '..', '..', 'web', 'console', 'i18n', 'fr.json'), 'utf8')) as Record<string, string>;
const policy = loadRiskPolicy(path.join(projectRoot(), 'policies'));

const marker = (what: string) => `MARK-${what}-${randomUUID().slice(0, 8)}`;
const secretsOf = () => ({ identity: marker('identity'), contact: marker('contact'), narrative: marker('narrative') });
const earlierFacts = marker('earlier-facts');
const facts = marker('facts');
const reasoning = marker('reasoning');

const assessed = await caseAt(T, dep, 'assessment', { officer: awa, secrets: secretsOf() });
await freshen(T, awa);
await recordAssessment(T, awa, assessed.caseId, assessed.dek, { facts: earlierFacts, T: 2, V: 2, C: 4 });
const triage = await caseAt(T, dep, 'triage', { officer: awa, secrets: secretsOf() });
const markers = [earlierFacts, facts, reasoning, ...[assessed, triage].flatMap((c) => Object.values(c.secrets) as string[])];

const leaksOf = (p: ConsolePage): string[] => p.sent.filter((r) => markers.some((m) => r.url.includes(m) || (r.body ?? '').includes(m))).map((r) => `${r.method} ${r.url}`);

interface Vector {
  threats: Array<{ rating: number; kind: ThreatKind; feasible: Feasibility; imminent: boolean }>;
  V: number;
  C: number;
  level: string;
}

/** Opens a case page: a first load signs in; later ones move within the console (a reload is a new session). */
async function openCasePage(p: ConsolePage, caseId: string, reference: string, signIn: boolean): Promise<void> {
  const url = `/console/cases/${caseId}`;
  if (signIn) {
    await p.page.clock.setSystemTime(T.clock.now());
    await p.page.goto(`${T.origin}${url}`);
    await signInAs(p.page, T, awa);
  } else {
    await p.page.evaluate(`history.pushState(null, '', ${JSON.stringify(url)}); dispatchEvent(new PopStateEvent('popstate'))`);
  }
  await p.page.getByRole('heading', { name: `Dossier ${reference}`, level: 1 }).waitFor();
  await p.page.getByRole('heading', { name: fr['assessment.history']!, level: 3 }).waitFor();
}

/** Types a vector into the form as an officer would: as many threats, each control set. */
async function typeVector(form: Locator, v: Vector): Promise<void> {
  const threats = form.locator('fieldset.threat');
  while ((await threats.count()) > v.threats.length) await form.getByRole('button', { name: `Retirer la menace ${await threats.count()}` }).click();
  while ((await threats.count()) < v.threats.length) await form.getByRole('button', { name: fr['assessment.addThreat']! }).click();
  for (const [i, x] of v.threats.entries()) {
    const threat = threats.nth(i);
    await threat.getByLabel(fr['assessment.kind']!, { exact: true }).selectOption(x.kind);
    await threat.getByLabel(fr['assessment.source']!, { exact: true }).selectOption('armed_group');
    await threat.getByLabel(fr['assessment.feasible']!, { exact: true }).selectOption(x.feasible);
    await threat.getByLabel(fr['assessment.imminent']!, { exact: true }).setChecked(x.imminent);
    await threat.getByLabel(fr['assessment.threatRating']!, { exact: true }).selectOption(String(x.rating));
  }
  await form.getByLabel(fr['assessment.vulnerabilityRating']!, { exact: true }).selectOption(String(v.V));
  await form.getByLabel(fr['assessment.capacityRating']!, { exact: true }).selectOption(String(v.C));
}

const levelShown = (page: Page) => page.locator('.assessment-level').getAttribute('data-level');

t.test('an officer assesses the risk: the level as she types is the server’s, the narratives leave sealed', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await openCasePage(p, assessed.caseId, assessed.reference, true);
  const section = page.locator('section[aria-labelledby="case-assessment"]');

  // The version recorded earlier, its facts opened in the worker.
  await section.getByText(earlierFacts, { exact: true }).waitFor();
  t.match(await section.locator('.assessment').first().textContent(), /Version 1/);

  await freshen(T, awa);
  const actions = await clientOf(T.app, awa).call('getCaseActions', { params: { caseId: assessed.caseId } });
  t.ok(actions.commands.some((c) => c.command === 'record_assessment' && c.allowed), 'the API allows her to record an assessment');
  const open = section.getByRole('button', { name: fr['assessment.new']!, exact: true });
  await open.click();
  t.equal(await open.getAttribute('aria-expanded'), 'true');
  const form = section.locator('form.assessment-form');
  await form.waitFor();
  t.equal(await levelShown(page), '', 'no level before the ratings are chosen');

  // A handful of the shared vectors typed in; every vector is checked in Node (console-assessment-level.test.ts).
  const vectors = fixture.cases as Vector[];
  for (const i of [0, 4, 5, 8, 11, 12]) {
    const v = vectors[i]!;
    await typeVector(form, v);
    const server = computeRisk({ threats: v.threats, vulnerability: v.V, capacity: v.C }, policy);
    t.equal(await levelShown(page), server.level, `vector ${i}: the level shown is computeRisk's (${server.level})`);
    t.equal(server.level, v.level, `vector ${i}: and the vector's`);
    const badge = page.locator('.assessment-level .badge').first();
    t.equal((await badge.textContent())?.trim(), policy.levels[server.level].label.fr, 'as a word');
    t.equal(await badge.locator('svg').count(), 1, 'and a shape');
    const explained = await page.locator('.assessment-level').getByText(/au moins Extrême/).count();
    t.equal(explained, server.override ? 1 : 0, server.override ? 'the override is explained' : 'no override said');
  }
  await axeBothSizes(t, page, 'assessment form');

  // The version recorded: T 4 declared, feasible, not imminent; V 3, C 2: high (R = 6).
  const recordedVector = vectors[3]!;
  await typeVector(form, recordedVector);
  const expected = computeRisk({ threats: recordedVector.threats, vulnerability: recordedVector.V, capacity: recordedVector.C }, policy);
  t.equal(await levelShown(page), expected.level);
  t.match(await page.locator('.assessment-level').textContent(), /4 × 3 \/ 2 = 6/, 'the sum is shown');
  await form.locator('fieldset.threat').first().getByLabel(fr['assessment.step.facts']!, { exact: true }).fill(facts);
  await form.getByLabel(fr['assessment.reasoning.vulnerability']!, { exact: true }).fill(reasoning);
  await form.getByLabel('Famille exposée').check();
  await form.getByRole('button', { name: fr['assessment.record']! }).click();
  await section.getByRole('status').filter({ hasText: 'Évaluation enregistrée : niveau Élevé.' }).waitFor();

  const rows = await T.database.sql`select id, level, sealed, vulnerability_factors from assessments where case_id = ${assessed.caseId} order by version`;
  t.equal(rows.length, 2, 'a second version');
  const row = rows[1]!;
  t.equal(row.level, expected.level, 'the row holds the level she saw');
  t.same(row.vulnerability_factors, ['family_exposed']);
  const sealed = row.sealed as Record<string, string>;
  t.same(Object.keys(sealed).sort(), ['reasoning.vulnerability', 'threats.0.facts'], 'only what she typed is sealed');
  t.notMatch(JSON.stringify(sealed), /MARK-/, 'no plaintext in the row');
  t.equal(openField(sealed['threats.0.facts']!, assessed.dek, assessmentFieldAd(String(row.id), 'threats.0.facts')), facts, 'the case key opens the facts, bound to their place');

  // The history shows the new version, opened, and the case took its level.
  await section.getByText(facts, { exact: true }).waitFor();
  await section.getByText(reasoning, { exact: true }).waitFor();
  t.match(await section.locator('.assessment').first().textContent(), /Version 2/, 'newest first');
  t.equal(await section.locator('.assessment').first().locator('.assessment-recorded-level').getAttribute('data-level'), 'high');
  await page.locator('.meta .badge.risk-high').first().waitFor();

  // No form where the API does not allow it: a case in triage.
  await openCasePage(p, triage.caseId, triage.reference, false);
  await freshen(T, awa);
  const triageActions = await clientOf(T.app, awa).call('getCaseActions', { params: { caseId: triage.caseId } });
  t.notOk(triageActions.commands.some((c) => c.command === 'record_assessment' && c.allowed), 'not allowed in triage');
  await page.getByText(fr['assessment.none']!).waitFor();
  t.equal(await page.getByRole('button', { name: fr['assessment.new']!, exact: true }).count(), 0, 'no button to assess');

  t.same(p.violations, [], 'no CSP violation in the page or its worker');
  t.same(p.offHostRequests, [], 'nothing requested off the origin');
  t.same(p.pageErrors, [], 'no page error');
  t.same(leaksOf(p), [], 'no plaintext in any request');
  const sent = p.sent.find((r) => r.method === 'POST' && r.url.endsWith(`/v1/cases/${assessed.caseId}/assessments`));
  t.ok(sent, 'the assessment was posted');
  t.match(sent?.body ?? '', /"threats\.0\.facts":"v2\./, 'its facts sealed in format 2');
});

