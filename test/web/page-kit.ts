/**
 * What the defender-page tests share: a fresh build of the page, an app serving it on a real
 * port (on the database of the staff app, with its own configuration), phone-sized isolated
 * pages, screenshots under test/artifacts/web/, axe-core, and the leak check of what the browser sent.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { buildTestApp, type Teardown, type TestApp } from '../helpers/app.js';
import { closeAll, launchChromium, openIsolatedPage, PHONE, runAxe, type AxeViolation, type IsolatedPage, type SentRequest } from '../helpers/browser.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');
export const ARTIFACTS = path.join(root, 'test', 'artifacts', 'web');

/** What the build reads: its sources, the SDK and contracts it bundles, the build script, the locked dependencies. */
const BUILD_INPUTS = ['web', 'src', 'tools/build-web.mjs', 'package-lock.json'];

function inputsHash(): string {
  const h = createHash('sha256');
  const walk = (rel: string): void => {
    const abs = path.join(root, rel);
    if (statSync(abs).isDirectory()) for (const name of readdirSync(abs).sort()) walk(path.join(rel, name));
    else h.update(rel).update('\0').update(readFileSync(abs));
  };
  for (const rel of BUILD_INPUTS) walk(rel);
  return h.digest('hex').slice(0, 16);
}

/**
 * Where the tests' build of the web applications is: one directory per state of the sources, so
 * every test file of a run serves the same build, made once (a build is seconds of CPU, and
 * browser test files are many), and a changed source is a new directory, never a stale build.
 */
export const WEB_DIR = path.join(root, 'dist', `web-test-${inputsHash()}`);

/**
 * Builds the page from web/ as `npm ci` / `npm start` / `npm test` do, so the test runs today's
 * sources, into WEB_DIR unless a test file of this run built it already. Files running side by
 * side each build into a directory of their own and rename it into place; the first rename wins
 * and the others drop theirs, so a server never sees a half-written or swapped directory.
 * Returns the build's report (file names and sizes).
 */
export function buildPage(): string {
  const log = path.join(WEB_DIR, 'build.log');
  if (existsSync(log)) return readFileSync(log, 'utf8');
  const mine = `${WEB_DIR}.building-${process.pid}`;
  const output = execFileSync(process.execPath, [path.join(root, 'tools', 'build-web.mjs'), '--out', mine], { cwd: root, encoding: 'utf8' });
  writeFileSync(path.join(mine, 'build.log'), output);
  try {
    renameSync(mine, WEB_DIR);
    forgetOldBuilds();
  } catch (err) {
    rmSync(mine, { recursive: true, force: true });
    if (!existsSync(log)) throw err;
  }
  return output;
}

/** Builds of earlier states of the sources, left by earlier runs: gone after a day. */
function forgetOldBuilds(): void {
  const dist = path.dirname(WEB_DIR);
  for (const name of readdirSync(dist)) {
    const dir = path.join(dist, name);
    if (name.startsWith('web-test-') && dir !== WEB_DIR && Date.now() - statSync(dir).mtimeMs > 86_400_000) rmSync(dir, { recursive: true, force: true });
  }
}

export interface PageServer extends TestApp {
  origin: string;
  port: number;
}

/** The app serving the page on 127.0.0.1:<random port>, sharing the staff app's database. */
export async function servePage(t: Teardown, staff: TestApp, env: Record<string, string>): Promise<PageServer> {
  const app = await buildTestApp(t, { db: staff.db, env: { WEB_DIR, ...env } });
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { ...app, port: address.port, origin: `http://127.0.0.1:${address.port}` };
}

/** Full-page screenshots at phone size, numbered in the order of the story: `<prefix>-NN-<name>.png`. */
export function screenshots(prefix: string): (page: Page, name: string) => Promise<string> {
  let shot = 0;
  return async (page, name) => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `${prefix}-${String(++shot).padStart(2, '0')}-${name}.png`);
    // From the top: a full-page shot of a scrolled page would paint the sticky header mid-page.
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
}

export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  return runAxe(page);
}

/** Requests whose URL, headers or body contain any of the markers. */
export function leaksIn(sent: SentRequest[], markers: string[]): string[] {
  return sent.flatMap((r) => markers.filter((m) => r.url.includes(m) || r.headers.includes(m) || (r.body ?? '').includes(m)).map((m) => `${r.method} ${r.url} carries ${m}`));
}

/** Debian's Chromium, closed with every page it opened at teardown; `newPhone()` opens a phone-sized page in French, in Bamako's time zone. */
export async function phoneBrowser(t: Teardown): Promise<{ newPhone(): Promise<IsolatedPage>; pages: IsolatedPage[] }> {
  const browser = await launchChromium();
  const pages: IsolatedPage[] = [];
  t.teardown(() => closeAll(...pages, browser));
  return {
    pages,
    async newPhone() {
      const p = await openIsolatedPage(browser, { ...PHONE, locale: 'fr-FR', timezoneId: 'Africa/Bamako' });
      pages.push(p);
      return p;
    },
  };
}

/** What a test types and picks in the five steps of the filing form (French labels). */
export interface FormAnswers {
  identity: string;
  activity: string;
  threat: string;
  narrative: string;
  region: string;
  location?: string;
  channel: string;
  contact: string;
  urgent: boolean;
}

/** Fills the filing form through its five steps with a pointer, up to (not including) sending it. */
export async function fillForm(page: Page, a: FormAnswers): Promise<void> {
  const next = () => page.getByRole('button', { name: 'Continuer' }).click();
  await page.getByLabel('Nom de la personne en danger').fill(a.identity);
  await page.getByLabel('Son activité').selectOption(a.activity);
  await next();
  await page.getByLabel(a.threat).check();
  await page.getByLabel('Racontez ce qui s’est passé').fill(a.narrative);
  await next();
  await page.getByLabel('Région').selectOption(a.region);
  if (a.location !== undefined) await page.getByLabel('Lieu plus précis').fill(a.location);
  await next();
  await page.getByLabel('Moyen de contact le plus sûr').selectOption(a.channel);
  await page.getByLabel('Vos coordonnées et quand vous joindre').fill(a.contact);
  await next();
  await page.getByLabel(a.urgent ? 'Oui' : 'Non', { exact: true }).check();
}
