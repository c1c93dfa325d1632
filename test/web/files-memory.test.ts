/**
 * A 200 MiB file through the defender's page, memory measured on both sides: the crypto worker
 * reads the picked file, encrypts and sends it one tus chunk at a time, and the API streams each
 * chunk to the store; the download is streamed by the worker into a file the person picked (the
 * File System Access API; the picker answered with a file of the origin's private file system, the
 * only part of the browser's dialog a test cannot drive). Measured: the resident memory of this
 * Chromium's renderer processes (the page and its worker) and of this process (the API).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { launchChromium, PHONE } from '../helpers/browser.js';
import { policiesWith } from '../helpers/policies.js';
import { buildWorld } from '../helpers/world.js';
import { ready } from '../../src/sdk/index.js';
import { buildPage, servePage } from './page-kit.js';

await ready();
buildPage();
const MiB = 1024 * 1024;
const SIZE = 200 * MiB;
// Above 16 MiB a download goes to a picked file (where the browser offers one), never into memory.
const POLICIES_DIR = policiesWith(t, { 'files.yaml': (d) => void (d.inMemoryDownloadMaxBytes = 16 * MiB) });
const FILE_STORE_DIR = mkdtempSync(path.join(tmpdir(), 'egide-evidence-store-'));
t.teardown(() => rmSync(FILE_STORE_DIR, { recursive: true, force: true }));
const T = await buildTestApp(t, { env: { POLICIES_DIR, FILE_STORE_DIR } });
const { dep, officers, caseAt } = await buildWorld(T, { officers: ['ana'] });
const W = await servePage(t, T, { INTAKE_KEY_ID: dep.mechanismKeyId, POLICIES_DIR, FILE_STORE_DIR });
const c = await caseAt('triage', { officer: officers.ana });

// The file, written in pieces (never whole in this process's memory).
const dir = mkdtempSync(path.join(tmpdir(), 'egide-video-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const videoPath = path.join(dir, 'video.mp4');
const expected = createHash('sha256');
await new Promise<void>((resolve, reject) => {
  const out = createWriteStream(videoPath);
  out.on('error', reject).on('finish', resolve);
  for (let i = 0; i < SIZE / MiB; i++) {
    const piece = randomBytes(MiB);
    expected.update(piece);
    out.write(piece);
  }
  out.end();
});
const expectedSha = expected.digest('hex');

// Chromium would copy every request body into the driver's network events (patches/playwright-core:
// about 1 GiB of JSON for these 200 MiB, parsed in this process): the test reads no body, so the
// events carry none above 64 KiB, and the transfer and this process's memory are the app's own.
process.env.PLAYWRIGHT_MAX_POST_DATA_SIZE = String(64 * 1024);
const browser = await launchChromium();
t.teardown(() => browser.close());

/** Resident memory (bytes) of the Chromium renderer processes started under this process. */
function rendererRss(): number {
  const parent = new Map<number, number>();
  const info = new Map<number, { rss: number; renderer: boolean }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
      const renderer = readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('--type=renderer');
      parent.set(Number(name), ppid);
      info.set(Number(name), { rss, renderer });
    } catch {
      // the process ended meanwhile
    }
  }
  const ours = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  let total = 0;
  for (const [pid, i] of info) if (i.renderer && ours(pid)) total += i.rss;
  return total;
}

interface Growth {
  /** rise of the renderers' resident memory above where it was before */
  browser: number;
  server: number;
  /** the renderers' highest memory in the first and in the second half of the transfer */
  firstHalf: number;
  secondHalf: number;
}

/**
 * Samples both memories while `work` runs. Flat memory does not grow with what has been sent: the
 * second half of the transfer (100 MiB more through the worker) may not raise the high-water mark
 * of the first half. The halves are by time: the transfers here run at an even pace.
 */
async function growth(work: () => Promise<void>): Promise<Growth> {
  const base = { browser: rendererRss(), server: process.memoryUsage().rss };
  const samples: Array<{ at: number; browser: number; server: number }> = [];
  const timer = setInterval(() => samples.push({ at: Date.now(), browser: rendererRss(), server: process.memoryUsage().rss }), 100);
  const started = Date.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  const middle = (started + Date.now()) / 2;
  const high = (list: typeof samples, k: 'browser' | 'server') => Math.max(base[k], ...list.map((x) => x[k]));
  return {
    browser: high(samples, 'browser') - base.browser,
    server: high(samples, 'server') - base.server,
    firstHalf: high(samples.filter((x) => x.at < middle), 'browser'),
    secondHalf: high(samples.filter((x) => x.at >= middle), 'browser'),
  };
}

const MiBs = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

t.test('200 MiB uploaded and downloaded from the defender page, browser and server memory flat', async (t) => {
  const context = await browser.newContext({ ...PHONE, locale: 'fr-FR' });
  t.teardown(() => context.close());
  // The save dialog answers with a file of the origin's private file system (same handle type).
  await context.addInitScript(`window.showSaveFilePicker = async () => (await navigator.storage.getDirectory()).getFileHandle('saved.bin', { create: true });`);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${W.origin}/suivi`);
  await page.getByLabel('Reçu (16 chiffres)').fill(c.defender.receipt);
  await page.getByRole('button', { name: 'Ouvrir mon dossier' }).click();
  await page.locator('#files').waitFor({ timeout: 60_000 });
  await page.getByLabel('Fichier').setInputFiles(videoPath);

  const up = await growth(async () => {
    await page.getByRole('button', { name: 'Envoyer la pièce' }).click();
    await page.locator('#file-form').getByRole('status').filter({ hasText: 'Pièce envoyée' }).waitFor({ timeout: 300_000 });
  });
  // An upload's garbage (a fresh buffer per 64 KiB chunk from libsodium's wrappers, the tus
  // request bodies) is collected lazily on a machine with memory to spare: the renderers settle on
  // a plateau that does not grow with the file (310 MiB here for 200 MiB, 354 MiB for 600 MiB,
  // the second half never above the first). The bound is that plateau's, not the file's.
  t.ok(up.browser < 448 * MiB, `upload: the page and its worker rose by ${MiBs(up.browser)} (highest ${MiBs(up.firstHalf)} in the first half, ${MiBs(up.secondHalf)} in the second)`);
  // This process also runs the browser driver and the staff app: test/files/file-memory.test.ts bounds the API alone more tightly.
  t.ok(up.server < 256 * MiB, `upload: this process (the API, and the test's browser driver) rose by ${MiBs(up.server)}`);

  const item = page.locator('#files li').filter({ hasText: 'video.mp4' });
  const down = await growth(async () => {
    await item.getByRole('button', { name: 'Télécharger' }).click();
    await item.getByRole('status').filter({ hasText: 'Pièce ouverte et vérifiée' }).waitFor({ timeout: 300_000 });
  });
  t.ok(down.secondHalf - down.firstHalf < 32 * MiB, `download: the page and its worker held ${MiBs(down.firstHalf)} in the first half, ${MiBs(down.secondHalf)} in the second: flat`);
  t.ok(down.browser < SIZE / 2, `download: the renderers rose by ${MiBs(down.browser)}, far less than the file (${MiBs(SIZE)})`);
  t.ok(down.server < 256 * MiB, `download: this process rose by ${MiBs(down.server)}`);
  const saved = await page.evaluate<{ size: number; sha: string }>(`(async () => {
    const file = await (await (await navigator.storage.getDirectory()).getFileHandle('saved.bin')).getFile();
    const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
    return { size: file.size, sha: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('') };
  })()`);
  t.same(saved, { size: SIZE, sha: expectedSha }, 'the saved file is the 200 MiB that were picked');
  t.same(errors, [], 'no page error');
});
