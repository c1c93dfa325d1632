/**
 * The console in a right-to-left language. The build takes one more catalogue, made here from
 * the English one: code `ar`, `$dir: rtl`, every string marked with Arabic letters so it runs
 * right to left. Served from that build, each screen must set `<html dir="rtl">`, mirror the
 * header (the brand at the right, the controls to its left), fit a 390 px phone without
 * scrolling sideways, and stay axe-clean at both sizes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor } from '../helpers/world.js';
import { axe, consoleBrowser, signInAs } from './console-kit.js';
import { root } from './page-kit.js';

const work = mkdtempSync(path.join(tmpdir(), 'egide-rtl-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const catalogues = path.join(work, 'i18n');
const webDir = path.join(work, 'web');
mkdirSync(catalogues, { recursive: true });
const en = JSON.parse(readFileSync(path.join(root, 'web', 'console', 'i18n', 'en.json'), 'utf8')) as Record<string, string>;
const pseudo = Object.fromEntries(Object.entries(en).map(([k, v]) => [k, k.startsWith('$') ? v : `ص ${v} ص`]));
writeFileSync(path.join(catalogues, 'ar.json'), JSON.stringify({ ...pseudo, $name: 'عربي (pseudo)', $dir: 'rtl' }));
execFileSync(process.execPath, [path.join(root, 'tools', 'build-web.mjs'), '--out', webDir, '--catalogues', catalogues], { cwd: root, encoding: 'utf8' });

const T = await buildTestApp(t, { env: { WEB_DIR: webDir } });
await T.app.listen({ port: 0, host: '127.0.0.1' });
const address = T.app.server.address();
if (!address || typeof address === 'string') throw new Error('no port');
const origin = `http://127.0.0.1:${address.port}`;
const dep = await bootstrap(T);
const officer = await enrolActor(T, dep.admin, { username: 'rtl.officer', role: 'officer', orgId: dep.mechanismId });
const browser = await consoleBrowser(t);

interface Layout {
  dir: string;
  lang: string;
  width: number;
  scrollWidth: number;
  brand: { left: number; right: number };
  end: { left: number; right: number };
}

async function layout(page: Page): Promise<Layout> {
  return (await page.evaluate(`(() => {
    const box = (sel) => { const r = document.querySelector(sel).getBoundingClientRect(); return { left: r.left, right: r.right }; };
    return { dir: document.documentElement.dir, lang: document.documentElement.lang, width: document.documentElement.clientWidth, scrollWidth: document.documentElement.scrollWidth, brand: box('.bar .brand'), end: box('.bar .bar-end') };
  })()`)) as Layout;
}

/** Right to left, mirrored, no sideways scroll and axe-clean, at the laptop size then the phone size. */
async function checkScreen(t: Test, page: Page, name: string): Promise<void> {
  for (const size of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
    await page.setViewportSize(size);
    const l = await layout(page);
    const at = `${name} at ${size.width}x${size.height}`;
    t.equal(l.dir, 'rtl', `${at}: <html dir="rtl">`);
    t.equal(l.lang, 'ar');
    t.ok(l.scrollWidth <= l.width, `${at}: no horizontal overflow (${l.scrollWidth} <= ${l.width})`);
    t.ok(l.brand.right > l.width - 40, `${at}: the brand is at the right edge`);
    if (size.width > 400) t.ok(l.end.right < l.brand.left, `${at}: the language and account controls are to the brand's left`);
    t.same(await axe(page), [], `${at}: axe`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

t.test('the public screens, right to left', async (t) => {
  const p = await browser.open('laptop', 'ar');
  const { page } = p;
  await page.goto(`${origin}/console`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await checkScreen(t, page, 'sign-in');
  await page.goto(`${origin}/console/recover`);
  await page.getByRole('heading', { name: 'Recover your account' }).waitFor();
  await checkScreen(t, page, 'recovery');
  await page.goto(`${origin}/console/invitation`);
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  await checkScreen(t, page, 'invitation without a token');
  t.same(p.violations, []);
  t.same(p.offHostRequests, []);
});

t.test('signed in, right to left: home, my account, the admin’s invitation form', async (t) => {
  const p = await browser.open('laptop', 'ar');
  const { page } = p;
  const words = { username: 'Username', password: 'ص Password ص', totp: 'One-time code', submit: 'Sign in' };
  await page.goto(`${origin}/console`);
  await signInAs(page, T, officer, words);
  await page.getByText('Signed in as rtl.officer').waitFor();
  await checkScreen(t, page, 'home');
  await page.getByRole('link', { name: 'My account' }).click();
  await page.getByRole('heading', { name: 'My account' }).waitFor();
  await checkScreen(t, page, 'my account');
  t.same(p.violations, []);

  const admin = await browser.open('laptop', 'ar');
  await admin.page.goto(`${origin}/console/invite`);
  await signInAs(admin.page, T, dep.admin, words);
  await admin.page.getByRole('heading', { name: 'Invite someone' }).waitFor();
  await checkScreen(t, admin.page, 'invite');
  t.same(admin.violations, []);
  t.same(admin.offHostRequests, []);
});
