/**
 * Evidence files on the console's case page, in Chromium against the running service: an officer
 * attaches a PDF and a photo with a caption (the photo's location removed), the photo is drawn on
 * the page after the worker decrypted it, and a download through the File System Access API (a
 * stubbed save dialog handing out a file of the origin-private file system) saves the very bytes
 * attached. A byte flipped in the stored ciphertext is caught: the console says loudly the file
 * was altered and nothing is kept. An upload stopped midway goes on after a reload when the same
 * file is picked again, from where the server stood. axe-clean at laptop and phone sizes, no CSP
 * violation, nothing off the origin, no page error; the names, the caption and the content in no
 * request the console sent, and the names and caption nowhere in the database, logs or Redis.
 * Without a save dialog, a file is assembled in memory and offered; one larger than the memory
 * bound (files.yaml inMemoryDownloadMaxBytes, made small here) is refused in words, nothing kept.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import { clientOf } from '../helpers/api-client.js';
import { findLeaks } from '../helpers/leaks.js';
import { tinyPng } from '../helpers/image-fixtures.js';
import { policiesWith } from '../helpers/policies.js';
import { bootstrap, caseAt, enrolActor, freshen, type Actor } from '../helpers/world.js';
import { attach, evidenceBytes, upload } from '../files/file-kit.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';

t.setTimeout(600_000);
/** The smallest memory bound files.yaml allows: a phone-sized limit a test file can exceed cheaply. */
const IN_MEMORY_MAX = 1024 * 1024;
const T = await startConsoleService(t, { POLICIES_DIR: policiesWith(t, { 'files.yaml': (d) => (d.inMemoryDownloadMaxBytes = IN_MEMORY_MAX) }) });
const dep = await bootstrap(T);
const awa = await enrolActor(T, dep.admin, { username: 'awa.officer', role: 'officer', orgId: dep.mechanismId });
const browser = await consoleBrowser(t);

const M = randomUUID().slice(0, 8);
const marks = {
  pdfName: `constat-NOMPDF-${M}.pdf`,
  imageName: `vitre-NOMIMG-${M}.png`,
  caption: `Vitre brisée LEGENDE-${M}`,
  bigName: `enregistrement-NOMAUDIO-${M}.ogg`,
  tooBigName: `video-NOMVIDEO-${M}.mp4`,
};
/** Words inside the PDF: they must leave encrypted. */
const content = `CONTENU-${M}`;
const pdf = Buffer.concat([Buffer.from(`%PDF-1.4\n% ${content}\n`), randomBytes(300 * 1024), Buffer.from('\n%%EOF\n')]);
const png = Buffer.from(tinyPng({ make: 'Fairphone', model: 'FP5', gps: { latitude: 12.6392, longitude: -8.0029 } }));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const c = await caseAt(T, dep, 'triage', { officer: awa });

/** The save dialog of the File System Access API, stubbed: each call hands out a new file of the origin-private file system. */
const SAVE_DIALOG = `
  window.__egideSaves = [];
  window.showSaveFilePicker = async (options) => {
    const name = 'saved-' + (window.__egideSaves.length + 1);
    window.__egideSaves.push({ name, suggested: (options && options.suggestedName) || null });
    const dir = await navigator.storage.getDirectory();
    return dir.getFileHandle(name, { create: true });
  };
`;

/** No save dialog (Firefox, Safari, phones); the test pages take no downloads, so each Blob offered is kept to be read back. */
const NO_SAVE_DIALOG = `
  delete window.showSaveFilePicker;
  delete Window.prototype.showSaveFilePicker;
  window.__egideBlobs = [];
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = (blob) => (window.__egideBlobs.push(blob), createObjectURL.call(URL, blob));
`;

async function openCase(p: ConsolePage, who: Actor): Promise<void> {
  await p.page.clock.setSystemTime(T.clock.now());
  await p.page.goto(`${T.origin}/console/cases/${c.caseId}`);
  await signInAs(p.page, T, who);
  await p.page.getByRole('heading', { name: 'Pièces', level: 2 }).waitFor();
  await p.page.locator('.case-files [aria-busy="true"]').first().waitFor({ state: 'detached' });
}

const files = async () => T.database.sql<Array<{ id: string; state: string; size: number; ciphertext_sha256: string | null; attached_at: Date | null }>>`select id, state, size, ciphertext_sha256, attached_at from case_files where case_id = ${c.caseId} order by created_at`;
const item = (page: Page, id: string) => page.locator(`li.file[data-file-id="${id}"]`);

/** A file the stubbed dialog saved, read back from the origin-private file system: its size and SHA-256, or null when it is not there. */
async function saved(page: Page, name: string): Promise<{ size: number; sha256: string } | null> {
  return page.evaluate(`(async () => {
    const dir = await navigator.storage.getDirectory();
    let file;
    try { file = await (await dir.getFileHandle(${JSON.stringify(name)})).getFile(); } catch { return null; }
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
    return { size: file.size, sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join('') };
  })()`);
}
const saves = (page: Page) => page.evaluate('window.__egideSaves') as Promise<Array<{ name: string; suggested: string | null }>>;

/** Requests the console sent with a name, the caption or the content anywhere (URL, headers, body). */
const leaksOf = (p: ConsolePage): string[] =>
  p.sent.filter((r) => [...Object.values(marks), content].some((m) => r.url.includes(m) || decodeURIComponent(r.url).includes(m) || r.headers.includes(m) || (r.body ?? '').includes(m))).map((r) => `${r.method} ${r.url}`);

const checkPage = (tt: { same(a: unknown, b: unknown, m: string): unknown }, p: ConsolePage) => {
  tt.same(p.violations, [], 'no CSP violation in the page or its worker');
  tt.same(p.offHostRequests, [], 'nothing requested off the origin');
  tt.same(p.pageErrors, [], 'no page error');
  tt.same(leaksOf(p), [], 'no name, caption or content in any request the console sent');
};

t.test('a PDF and a captioned photo attached, the photo drawn, the PDF saved whole, an altered file refused', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await p.context.addInitScript(SAVE_DIALOG);
  await openCase(p, awa);
  const section = page.locator('section.case-files');
  await section.getByText('Aucune pièce jointe à ce dossier.').waitFor();
  t.equal(await section.getByLabel('Retirer la localisation et les autres métadonnées de la photo').isChecked(), false, 'staff: the location is kept unless asked (policies/files.yaml)');
  await axeBothSizes(t, page, 'files section, empty');

  // The PDF.
  await section.getByLabel('Fichier', { exact: true }).setInputFiles({ name: marks.pdfName, mimeType: 'application/pdf', buffer: pdf });
  await section.getByRole('button', { name: 'Chiffrer et joindre la pièce' }).click();
  await section.getByRole('status').filter({ hasText: 'Pièce jointe au dossier.' }).waitFor();
  let rows = await files();
  t.equal(rows.length, 1);
  const pdfId = rows[0]!.id;
  t.equal(rows[0]!.state, 'available', 'uploaded whole and attached');
  await item(page, pdfId).getByText(marks.pdfName, { exact: true }).waitFor();
  t.match(await item(page, pdfId).textContent(), /application\/pdf/, 'the type, opened in the worker');
  t.match(await item(page, pdfId).textContent(), /kilooctets/, 'the size in words');
  t.match(await item(page, pdfId).textContent(), /vous/, 'added by the officer herself');
  t.match(await item(page, pdfId).textContent(), new RegExp(rows[0]!.ciphertext_sha256!.slice(0, 12)), 'the ciphertext hash, shortened');
  t.match(await item(page, pdfId).textContent(), /pas horodatée/, 'not time-stamped (no authority here)');

  // The photo, its location removed, with a caption.
  await section.getByLabel('Fichier', { exact: true }).setInputFiles({ name: marks.imageName, mimeType: 'image/png', buffer: png });
  await section.getByLabel('Légende (chiffrée, facultative)').fill(marks.caption);
  await section.getByLabel('Retirer la localisation et les autres métadonnées de la photo').check();
  await section.getByRole('button', { name: 'Chiffrer et joindre la pièce' }).click();
  await section.getByText('La localisation et les autres métadonnées de la photo ont été retirées avant le chiffrement.').waitFor();
  rows = await files();
  const imageId = rows.find((r) => r.id !== pdfId)!.id;
  await item(page, imageId).getByText(marks.caption, { exact: true }).waitFor();
  await item(page, imageId).locator('figure.file-image[data-state="shown"]').waitFor();
  const canvas = item(page, imageId).getByRole('img', { name: `Image : ${marks.caption}` });
  await canvas.waitFor();
  const drawn = await page.evaluate(`(() => {
    const el = document.querySelector('li.file[data-file-id="${imageId}"] canvas');
    const c = document.createElement('canvas');
    c.width = 2;
    c.height = 2;
    const g = c.getContext('2d');
    g.drawImage(el, 0, 0);
    return { size: [el.width, el.height], topLeft: [...g.getImageData(0, 0, 1, 1).data] };
  })()`);
  t.same(drawn, { size: [2, 2], topLeft: [255, 0, 0, 255] }, 'the picture is drawn at its size, with its pixels');
  t.equal(await page.locator('.case-files img, .case-files [src^="blob:"]').count(), 0, 'the picture has no URL');
  const timeline = await T.database.sql`select action from case_timeline where case_id = ${c.caseId} and action = 'file.added'`;
  t.equal(timeline.length, 2, 'the timeline says two files were added');
  await page.locator('.timeline').getByText('Pièce ajoutée').first().waitFor();
  await axeBothSizes(t, page, 'files section with a PDF and a photo');

  // Saved through the File System Access API, under its sealed name, byte for byte.
  await item(page, pdfId).getByRole('button', { name: `Télécharger « ${marks.pdfName} »` }).click();
  await item(page, pdfId).getByRole('status').filter({ hasText: 'est enregistré et vérifié' }).waitFor();
  const [first] = await saves(page);
  t.equal(first?.suggested, marks.pdfName, 'the save dialog proposes the sealed name, opened');
  t.same(await saved(page, first!.name), { size: pdf.length, sha256: sha256(pdf) }, 'the saved file is the PDF attached');

  // A byte flipped in the stored ciphertext: refused, said loudly, nothing kept.
  const stored = join(T.config.FILE_STORE_DIR, 'files', pdfId);
  const bytes = await readFile(stored);
  bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
  await writeFile(stored, bytes);
  await item(page, pdfId).getByRole('button', { name: `Télécharger « ${marks.pdfName} »` }).click();
  const alarm = item(page, pdfId).locator('[role="alert"][data-code="ciphertext_changed"]');
  await alarm.waitFor();
  t.match(await alarm.textContent(), /a été modifiée depuis son dépôt/, 'the console says the file was altered');
  t.match(await alarm.textContent(), /Rien n’a été enregistré/);
  const second = (await saves(page))[1]!;
  const kept = await saved(page, second.name);
  t.ok(kept === null || kept.size === 0, 'nothing of the altered file is kept');
  await axeBothSizes(t, page, 'altered file alert');
  checkPage(t, p);
});

t.test('an upload stopped midway goes on after a reload when the same file is picked again', async (t) => {
  const p = await browser.open('phone');
  const { page } = p;
  await openCase(p, awa);
  const section = page.locator('section.case-files');
  // Two requests of 4 MiB and one more (policies/files.yaml uploadChunkBytes): the second is held, then the upload stopped.
  // Picked from a file on disk: the browser sees its real date, the same at both picks.
  const dir = await mkdtemp(join(tmpdir(), 'egide-console-files-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const picked = join(dir, marks.bigName);
  await writeFile(picked, randomBytes(9 * 1024 * 1024));
  await utimes(picked, new Date('2026-11-30T08:00:00Z'), new Date('2026-11-30T08:00:00Z'));
  let patches = 0;
  let held: (() => Promise<void>) | null = null;
  const reached = new Promise<void>((resolve) => {
    void page.route('**/v1/uploads/*', async (route) => {
      if (route.request().method() !== 'PATCH' || ++patches < 2) return route.continue();
      held = () => route.abort().catch(() => undefined);
      resolve();
    });
  });
  await section.getByLabel('Fichier', { exact: true }).setInputFiles(picked);
  await section.getByRole('button', { name: 'Chiffrer et joindre la pièce' }).click();
  await reached;
  await section.getByRole('progressbar', { name: 'Progression de l’envoi' }).waitFor();
  await section.getByRole('button', { name: 'Interrompre l’envoi' }).click();
  await section.getByRole('status').filter({ hasText: 'Envoi interrompu' }).waitFor();
  await (held as (() => Promise<void>) | null)?.();
  await page.unroute('**/v1/uploads/*');
  let row = (await files()).find((r) => r.state === 'uploading');
  t.ok(row, 'the server holds the unfinished upload');
  const stored = JSON.stringify(await page.evaluate('localStorage.getItem("egide.console.uploads")'));
  t.match(stored, row!.id, 'the browser remembers the upload');
  t.notMatch(stored, marks.bigName, 'by a tag of its name, never the name');
  t.notMatch(stored, /"key"|dek/i, 'and no key');

  // A reload is a new session; the same file picked again goes on from the server's offset.
  await page.reload();
  await signInAs(page, T, awa);
  await section.getByRole('heading', { name: 'Vos envois inachevés' }).waitFor();
  await axeBothSizes(t, page, 'unfinished upload listed');
  const before = p.sent.length;
  await section.getByLabel('Fichier', { exact: true }).setInputFiles(picked);
  await section.getByRole('button', { name: 'Chiffrer et joindre la pièce' }).click();
  await section.getByRole('status').filter({ hasText: 'Pièce jointe au dossier.' }).waitFor();
  const after = p.sent.slice(before);
  t.equal(after.filter((r) => r.method === 'POST' && r.url.endsWith('/v1/uploads')).length, 0, 'no new upload was created');
  const offsets = after.filter((r) => r.method === 'PATCH').map((r) => Number(/upload-offset: (\d+)/i.exec(r.headers)?.[1]));
  t.ok(offsets.length > 0 && offsets[0]! > 0, `resumed from the server's offset, not from 0 (${offsets.join(', ')})`);
  row = (await files()).find((r) => r.id === row!.id);
  t.equal(row?.state, 'available', 'the resumed upload is attached');
  t.equal(await page.evaluate('localStorage.getItem("egide.console.uploads")'), null, 'and forgotten by the browser');
  await item(page, row!.id).getByText(marks.bigName, { exact: true }).waitFor();
  checkPage(t, p);
});

t.test('without the File System Access API, a file is assembled in memory and offered as a download', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  // No save dialog (Firefox, Safari, phones); the test pages take no downloads, so the Blob offered is kept to be read back.
  await p.context.addInitScript(NO_SAVE_DIALOG);
  await openCase(p, awa);
  const image = (await T.database.sql<Array<{ id: string }>>`select id from case_files where case_id = ${c.caseId} and sealed ? 'caption'`)[0]!.id;
  const [download] = await Promise.all([page.waitForEvent('download'), item(page, image).getByRole('button', { name: `Télécharger « ${marks.imageName} »` }).click()]);
  t.equal(download.suggestedFilename(), marks.imageName, 'offered under its sealed name, opened');
  const offered = await page.evaluate(`(async () => [...new Uint8Array(await window.__egideBlobs[0].arrayBuffer())])()`);
  t.same(Buffer.from(offered as number[]), Buffer.from(tinyPng()), 'the photo as attached: the same pixels, its location and other metadata removed');
  await item(page, image).getByRole('status').filter({ hasText: 'est enregistré et vérifié' }).waitFor();
  t.same(await page.evaluate('window.showSaveFilePicker === undefined'), true);
  checkPage(t, p);
});

t.test('without the File System Access API, a file larger than the memory bound is refused in words and nothing is kept', async (t) => {
  // Uploaded through the API: the console's upload is tested above. Twice the bound, so even its padding cannot bring it under.
  await freshen(T, awa);
  const fileId = randomUUID();
  const bytes = evidenceBytes(2 * IN_MEMORY_MAX, content);
  const up = await upload(T.origin, { token: () => awa.accessToken, dek: c.dek }, c.caseId, fileId, bytes);
  t.equal((await attach(T, awa.auth(), c.caseId, fileId, c.dek, { name: marks.tooBigName, type: 'video/mp4', sha256: up.sha256 })).statusCode, 200);

  const p = await browser.open('phone');
  const { page } = p;
  await p.context.addInitScript(NO_SAVE_DIALOG);
  let downloads = 0;
  page.on('download', () => void downloads++);
  await openCase(p, awa);
  t.equal(await page.evaluate('window.showSaveFilePicker === undefined'), true, 'no save dialog');
  await item(page, fileId).getByText(marks.tooBigName, { exact: true }).waitFor();
  await item(page, fileId).getByRole('button', { name: `Télécharger « ${marks.tooBigName} »` }).click();
  const alert = item(page, fileId).locator('[role="alert"][data-code="file_too_big_for_memory"]');
  await alert.waitFor();
  t.match(await alert.textContent(), /dépasse ce que ce navigateur peut ouvrir en mémoire/, 'the console says the file is too large for this browser');
  t.match(await alert.textContent(), /\(1\smégaoctet\)/, 'with the bound, in words');
  t.equal(await item(page, fileId).getByRole('status').textContent(), '', 'no download is said to be under way');
  t.same(
    p.sent.filter((r) => r.url.includes(`/files/${fileId}/content`)).map((r) => `${r.method} ${r.url}`),
    [],
    'not a byte of it was fetched',
  );
  t.equal(await page.evaluate('window.__egideBlobs.length'), 0, 'nothing assembled in memory');
  t.equal(downloads, 0, 'nothing offered as a download');
  await axeBothSizes(t, page, 'file too large for memory');
  checkPage(t, p);
});

t.test('the console is given the file settings of policies/files.yaml', async (t) => {
  const policy = T.app.container.policies.files;
  const catalogues = await clientOf(T.app, awa).call('getConsoleCatalogues');
  t.same(catalogues.files, { maxFileBytes: policy.maxFileBytes, uploadChunkBytes: policy.uploadChunkBytes, inMemoryDownloadMaxBytes: policy.inMemoryDownloadMaxBytes, stripLocationByDefault: policy.stripLocationByDefault.staff });
});

t.test('no name or caption in the database, the logs or Redis', async (t) => {
  t.same(await findLeaks(T, marks), []);
});
