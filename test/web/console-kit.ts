/**
 * What the console's browser tests share: a fresh build of the web applications, the service on
 * a real port (API and workers of the test's own database and Redis prefix, as `npm start` runs
 * them), one Chromium per test file with laptop- and phone-sized pages in which any request off
 * 127.0.0.1 is blocked and recorded, CSP violations of the page and of its crypto worker
 * recorded, TOTP codes from the test's clock, and axe-core.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { pino } from 'pino';
import { startWorkers } from '../../workers/worker.js';
import { buildTestApp, type Teardown, type TestApp } from '../helpers/app.js';
import { closeAll, launchChromium, openIsolatedPage, PHONE, runAxe, type AxeViolation, type IsolatedPage } from '../helpers/browser.js';
import { nextTotp, type Actor } from '../helpers/world.js';
import { ARTIFACTS, buildPage, WEB_DIR } from './page-kit.js';

export interface ConsoleService extends TestApp {
  origin: string;
}

/**
 * Builds the web applications (once per file) and serves the API and the console on
 * 127.0.0.1:<random port>; with `workers`, the workers run beside it on the same clock (deadlines,
 * notifications), their logs with the app's.
 */
export async function startConsoleService(t: Teardown, env: Record<string, string> = {}, opts: { workers?: boolean } = {}): Promise<ConsoleService> {
  buildPage();
  const app = await buildTestApp(t, { env: { WEB_DIR, ...env } });
  if (opts.workers) {
    const logger = pino({ level: 'info', base: { component: 'worker' } }, { write: (line: string) => void app.logs.push(line) });
    const workers = await startWorkers({ config: app.config, container: app.app.container, clock: app.clock, logger });
    t.teardown(() => workers.close());
  }
  serviceLogs.push(app.logs);
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { ...app, origin: `http://127.0.0.1:${address.port}` };
}

/** A laptop screen (the office) and a phone (an officer on the move). */
export const LAPTOP = { viewport: { width: 1280, height: 800 } } as const;

export interface ConsolePage extends IsolatedPage {
  /** CSP violations heard in the page and, forwarded, in its worker. */
  violations: string[];
}

/** The logs of the services this file started (one process runs one test file). */
const serviceLogs: string[][] = [];

/** A failed subtest, as tap's afterEach hands it over. */
interface FinishedTest {
  name: string;
  passing(): boolean;
}

/**
 * What a failed browser step needs to be understood afterwards (a `waitFor` that times out only
 * says what it waited for): every open page's address and visible text, its last console
 * messages and requests, and the service's warnings and errors. Written to stderr (tap shows it
 * with the failure) and to test/artifacts/web.
 */
async function reportFailure(test: FinishedTest, pages: readonly IsolatedPage[]): Promise<void> {
  const out: string[] = [`--- diagnostics after the failed subtest "${test.name}"`];
  for (const [i, p] of pages.entries()) {
    if (p.page.isClosed()) continue;
    const text = await p.page.locator('body').innerText({ timeout: 2_000 }).catch((err: unknown) => `(no text: ${String(err)})`);
    out.push(`page ${i}: ${p.page.url()}`, text.replace(/\n{2,}/g, '\n').slice(0, 4_000));
    out.push(`page ${i}: last console messages`, ...p.consoleMessages.slice(-15), ...p.pageErrors.slice(-5));
    out.push(`page ${i}: last requests`, ...p.requests.slice(-20));
  }
  const levels = serviceLogs.flat().filter((line) => /"level":(40|50|60)/.test(line));
  out.push('service warnings and errors (last 30)', ...levels.slice(-30));
  const report = out.join('\n');
  process.stderr.write(`${report}\n`);
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(path.join(ARTIFACTS, `failure-${path.basename(process.argv[1] ?? 'test')}-${Date.now()}.txt`), report);
}

/**
 * One Chromium for the file; `open()` gives an isolated page (French, Bamako time) that records CSP
 * violations. A subtest that fails leaves a report of what the pages showed then.
 */
export async function consoleBrowser(t: Teardown & { afterEach?(fn: (test: FinishedTest) => unknown): void }): Promise<{ open(size?: 'laptop' | 'phone', locale?: string, timezoneId?: string): Promise<ConsolePage> }> {
  const browser = await launchChromium();
  const pages: IsolatedPage[] = [];
  t.teardown(() => closeAll(...pages, browser));
  t.afterEach?.(async (test) => {
    if (!test.passing()) await reportFailure(test, pages);
  });
  return {
    async open(size = 'laptop', locale = 'fr-FR', timezoneId = 'Africa/Bamako') {
      const p = await openIsolatedPage(browser, { ...(size === 'phone' ? PHONE : LAPTOP), locale, timezoneId });
      pages.push(p);
      const violations: string[] = [];
      await p.context.exposeBinding('__egideViolation', (_source, text: string) => void violations.push(text));
      // Injected by the DevTools protocol, so the page's CSP is as strict as in production.
      await p.context.addInitScript(`
        document.addEventListener('securitypolicyviolation', (e) => window.__egideViolation('page: ' + e.violatedDirective + ' ' + e.blockedURI));
        window.addEventListener('egide:worker-violation', (e) => window.__egideViolation('worker: ' + e.detail.directive + ' ' + e.detail.blockedURI));
      `);
      return Object.assign(p, { violations });
    },
  };
}

/**
 * The chunks of the build (screen-list.ts `chunk`: the screens only some roles open) whose file
 * the page asked for, by name.
 */
export function chunksFetched(p: Pick<IsolatedPage, 'requests'>): string[] {
  const manifest = JSON.parse(readFileSync(path.join(WEB_DIR, 'console', 'manifest.json'), 'utf8')) as { chunks: Record<string, { file: string }> };
  const asked = new Set(p.requests.map((url) => new URL(url).pathname));
  return Object.entries(manifest.chunks)
    .filter(([, chunk]) => asked.has(`/console/${chunk.file}`))
    .map(([name]) => name)
    .sort();
}

/** Signs `actor` in on the sign-in form (password and a TOTP code of the service's clock). */
export async function signInAs(page: Page, T: TestApp, actor: Pick<Actor, 'username' | 'password' | 'totpSecret'>, words = { username: 'Identifiant', password: 'Mot de passe', totp: 'Code à usage unique', submit: 'Se connecter' }): Promise<void> {
  await page.getByLabel(words.username).fill(actor.username);
  await page.getByLabel(words.password, { exact: true }).fill(actor.password);
  await page.getByLabel(words.totp).fill(nextTotp(T, actor.totpSecret));
  await page.getByRole('button', { name: words.submit }).click();
}

/** axe-core with the WCAG 2.2 A/AA rules as well. */
export async function axe(page: Page): Promise<AxeViolation[]> {
  return runAxe(page, ['wcag22a', 'wcag22aa']);
}

/**
 * axe-core at the laptop size and at the phone size on the screen as it is, each violation a
 * failed assertion naming the screen; the page goes back to its size after.
 */
export async function axeBothSizes(tt: { same(a: unknown, b: unknown, m: string): unknown }, page: Page, screen: string): Promise<void> {
  const size = page.viewportSize();
  await page.setViewportSize(LAPTOP.viewport);
  tt.same(await axe(page), [], `${screen}: no axe violation at 1280x800`);
  await page.setViewportSize({ width: 390, height: 844 });
  tt.same(await axe(page), [], `${screen}: no axe violation at 390x844`);
  if (size) await page.setViewportSize(size);
}
