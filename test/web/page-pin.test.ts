/**
 * The intake key pinned at build time (`egide web build --intake-key`), in Chromium at phone
 * size: a page built for the deployment's key files a request even though the server names no
 * key of its own (INTAKE_KEY_ID unset: the build's pin is enough); a page built for another key
 * refuses at once, in plain words, and files nothing — whether the server offers a different key
 * or configures one. Quick exit goes where the deployment's settings say. Screenshots:
 * test/artifacts/web/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { buildWebInto } from '../../src/cli/web-build.js';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap } from '../helpers/world.js';
import type { IsolatedPage } from '../helpers/browser.js';
import { axeViolations, fillForm, phoneBrowser, screenshots, servePage } from './page-kit.js';

const T = await buildTestApp(t);
const dep = await bootstrap(T);
const screenshot = screenshots('pin');
const { newPhone } = await phoneBrowser(t);

const dir = mkdtempSync(path.join(tmpdir(), 'egide-pin-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const OTHER = 'AnotherKeyAnotherKey_0';
// Two builds, one after the other: pinned to the deployment's key, and to another one.
await buildWebInto(path.join(dir, 'right'), { intakeKey: dep.mechanismKeyId });
await buildWebInto(path.join(dir, 'wrong'), { intakeKey: OTHER });

const posts = (p: IsolatedPage) => p.sent.filter((r) => r.method === 'POST' && new URL(r.url).pathname === '/v1/cases');
const answers = { identity: 'Awa Pin', activity: 'lawyer', threat: 'Arrestation arbitraire', narrative: 'Convoquée deux fois', region: 'gao', channel: 'signal', contact: 'Signal le soir', urgent: false };

t.test('built for the deployment key: the page files, with no key configured on the server', async (t) => {
  const W = await servePage(t, T, { WEB_DIR: path.join(dir, 'right'), QUICK_EXIT_URL: 'https://exit.example.org/meteo' });
  const p = await newPhone();
  await p.page.goto(`${W.origin}/`);
  await fillForm(p.page, answers);
  await p.page.getByRole('button', { name: 'Envoyer ma demande' }).click();
  await p.page.locator('#receipt').waitFor({ timeout: 30_000 });
  const reference = (await p.page.locator('#case-reference').textContent()) ?? '';
  const [row] = await T.database.sql`select region from cases where reference = ${reference}`;
  t.match(row, { region: 'gao' }, 'the request was filed');
  t.equal(posts(p).length, 1);
  t.same(p.consoleErrors, [], 'no CSP violation or script error (the worker starts from its own URL)');
  // The deployment's quick-exit address comes from the settings route, not from the page's bytes.
  await p.page.getByRole('button', { name: 'Quitter vite' }).click();
  await p.page.waitForEvent('requestfailed', { timeout: 10_000 }).catch(() => undefined);
  t.same(p.offHostRequests, ['https://exit.example.org/meteo'], "quick exit leaves for the deployment's address");
});

for (const [name, env] of [
  ['offers another key', {}],
  ['configures another key', { INTAKE_KEY_ID: dep.mechanismKeyId }],
] as const) {
  t.test(`built for another key, a server that ${name}: refused at once, nothing filed`, async (t) => {
    const W = await servePage(t, T, { WEB_DIR: path.join(dir, 'wrong'), ...env });
    const p = await newPhone();
    await p.page.goto(`${W.origin}/`);
    await p.page.getByRole('alert').filter({ hasText: 'Dépôt refusé par sécurité' }).waitFor();
    t.equal(await p.page.getByLabel('Nom de la personne en danger').count(), 0, 'no form to type into');
    t.equal(await p.page.getByRole('button', { name: 'Envoyer ma demande' }).count(), 0, 'no send button');
    await p.page.getByRole('button', { name: 'English' }).click();
    await p.page.getByRole('alert').filter({ hasText: 'Filing refused for safety' }).waitFor();
    if (name === 'offers another key') await screenshot(p.page, 'refused-en');
    t.same(await axeViolations(p.page), [], 'axe-core: no accessibility violation');
    t.same(posts(p), [], 'nothing filed');
    t.same(p.sent.filter((r) => r.url.includes('/assets/crypto-')), [], 'the crypto worker was not even loaded');
  });
}
