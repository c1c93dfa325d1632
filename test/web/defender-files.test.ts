/**
 * Evidence on the defender's page, in Debian's Chromium at phone size against the real service:
 * a photo with GPS EXIF is cleaned, encrypted and sent (the page says what was removed; the
 * officer's copy has no GPS), shown inline after decryption; an upload on a slow connection cut
 * at about 80 % goes on after a reload and the same file picked again, sending less than 30 % of
 * it again; a byte flipped on disk makes the download say the file was altered and keep nothing;
 * axe-core at laptop and phone sizes; no CSP violation, no page error; no name or caption in the
 * database, logs or Redis.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import exifReader from 'exifreader';
import type { Page } from 'playwright-core';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, caseKeyOf } from '../helpers/world.js';
import { policiesWith } from '../helpers/policies.js';
import { findLeaks } from '../helpers/leaks.js';
import { withJpegMetadata } from '../helpers/image-fixtures.js';
import { download, listen } from '../files/file-kit.js';
import { openFileDescription } from '../../src/sdk/client/file-upload.js';
import { encryptedFileSize, ready } from '../../src/sdk/index.js';
import { axeViolations, buildPage, phoneBrowser, screenshots, servePage } from './page-kit.js';

await ready();
t.comment(buildPage().trim());

const CHUNK = 128 * 1024;
const POLICIES_DIR = policiesWith(t, { 'files.yaml': (d) => (d.uploadChunkBytes = CHUNK) });
// One evidence store for the staff app (the officer's side) and the page's app (the defender's).
const FILE_STORE_DIR = mkdtempSync(path.join(tmpdir(), 'egide-evidence-store-'));
t.teardown(() => rmSync(FILE_STORE_DIR, { recursive: true, force: true }));
const T = await buildTestApp(t, { env: { POLICIES_DIR, FILE_STORE_DIR } });
const staffOrigin = await listen(T);
const { dep, officers, caseAt } = await buildWorld(T, { officers: ['ana'] });
const W = await servePage(t, T, { INTAKE_KEY_ID: dep.mechanismKeyId, POLICIES_DIR, FILE_STORE_DIR });
const { newPhone } = await phoneBrowser(t);
const shot = screenshots('files');
const dir = mkdtempSync(path.join(tmpdir(), 'egide-evidence-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const M = randomUUID().slice(0, 8);
const photoName = `photo-NOM-${M}.jpg`;
const caption = `Devant le commissariat LEGENDE-${M}`;
const bigName = `releve-NOM2-${M}.pdf`;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const c = await caseAt('triage', { officer: officers.ana });

/**
 * A TCP forwarder in front of the page's server: it slows what the browser sends (a poor
 * mobile uplink), counts it, and while `blockUploads` is set resets any connection on which
 * a tus PATCH or HEAD starts (the connection is gone for the old page's retries).
 */
async function slowLink(target: number, bytesPerSecond: number) {
  const open = new Set<Socket>();
  const state = { sent: 0, blockUploads: false };
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    open.add(client).add(upstream);
    const end = () => {
      for (const s of [client, upstream]) {
        open.delete(s);
        s.destroy();
      }
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      const head = chunk.subarray(0, 20).toString('latin1');
      if (state.blockUploads && (head.startsWith('PATCH /v1/uploads') || head.startsWith('HEAD /v1/uploads'))) return end();
      state.sent += chunk.length;
      upstream.write(chunk);
      client.pause();
      setTimeout(() => client.resume(), Math.ceil((chunk.length / bytesPerSecond) * 1000));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  );
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    cutAll() {
      for (const s of [...open]) {
        open.delete(s);
        s.destroy();
      }
    },
  };
}

async function openCase(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/suivi`);
  await page.getByLabel('Reçu (16 chiffres)').fill(c.defender.receipt);
  await page.getByRole('button', { name: 'Ouvrir mon dossier' }).click();
  await page.locator('#files').waitFor({ timeout: 60_000 });
  await page.locator('#files li').first().waitFor();
}

async function noAxe(page: Page, what: string): Promise<unknown[]> {
  await page.locator('#evidence').scrollIntoViewIfNeeded();
  const v = await axeViolations(page);
  return v.map((x) => `${what}: ${JSON.stringify(x).slice(0, 300)}`);
}

/** A real JPEG drawn by Chromium, then given the EXIF a phone writes (GPS, camera, date). */
async function photoWithGps(page: Page): Promise<Uint8Array> {
  const b64 = await page.evaluate<string>(`(async () => {
    const c = new OffscreenCanvas(64, 48); const g = c.getContext('2d');
    g.fillStyle = '#2a7'; g.fillRect(0, 0, 64, 48); g.fillStyle = '#fff'; g.fillRect(8, 8, 20, 20);
    const b = new Uint8Array(await (await c.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer());
    let s = ''; for (const x of b) s += String.fromCharCode(x); return btoa(s);
  })()`);
  return withJpegMetadata(new Uint8Array(Buffer.from(b64, 'base64')), { make: 'Fairphone', model: 'FP5', dateTimeOriginal: '2025:05:17 10:30:00', gps: { latitude: 14.4958, longitude: -4.1977 } }, { xmp: true });
}

let photoId = '';
let photoBytes: Uint8Array = new Uint8Array();

t.test('a photo with GPS: cleaned, encrypted and sent; the page says what was removed; the officer’s copy has no GPS', async (t) => {
  const p = await newPhone();
  const { page } = p;
  await openCase(page, W.origin);
  photoBytes = await photoWithGps(page);
  t.ok(exifReader.load(photoBytes.buffer.slice(photoBytes.byteOffset, photoBytes.byteOffset + photoBytes.byteLength) as ArrayBuffer, { expanded: true }).gps?.Latitude, 'the photo carries a GPS position');
  const photoPath = path.join(dir, photoName);
  writeFileSync(photoPath, photoBytes);
  t.ok(await page.locator('#strip-location').isChecked(), '"remove location" starts ticked (policies/files.yaml)');
  await page.getByLabel('Fichier').setInputFiles(photoPath);
  await page.getByLabel('Légende').fill(caption);
  await shot(page, 'picked');
  await page.getByRole('button', { name: 'Envoyer la pièce' }).click();
  const said = page.locator('#file-form').getByRole('status').filter({ hasText: 'Pièce envoyée' });
  await said.waitFor({ timeout: 60_000 });
  const text = (await said.textContent()) ?? '';
  for (const w of ['la position GPS', 'le modèle de l’appareil', 'la date de prise de vue', 'toutes les autres informations cachées']) t.ok(text.includes(w), `the page says it removed ${w}`);
  await page.locator('#files').getByText(photoName).waitFor();
  t.ok(await page.locator('#files').getByText(caption).isVisible(), 'the caption is listed (opened in the worker)');
  await shot(page, 'sent');

  const dek = await caseKeyOf(T, officers.ana, c.caseId);
  const list = (await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files`, headers: officers.ana.auth() })).json();
  const item = list.items.find((i: { state: string }) => i.state === 'available');
  photoId = item.id;
  const d = openFileDescription(item.sealed, dek, item.id);
  t.match(d, { name: photoName, type: 'image/jpeg', caption }, 'the officer opens the sealed name, type and caption');
  const got = await download(staffOrigin, officers.ana.auth(), c.caseId, item.id, dek, item.sealed.key, item.ciphertextSha256, d.sha256);
  t.equal(got.status, 200);
  const tags = exifReader.load(got.plain.buffer.slice(got.plain.byteOffset, got.plain.byteOffset + got.plain.byteLength) as ArrayBuffer, { expanded: true });
  t.equal(tags.gps, undefined, 'the officer’s copy has no GPS');
  t.equal(tags.exif?.Make, undefined, 'nor the camera');
  t.notOk(Buffer.from(got.plain).toString('latin1').includes('Fairphone'), 'nor any trace of it');
  t.ok(got.plain.length < photoBytes.length, 'smaller than the original by its metadata');

  // The defender opens it again: shown inline from the decrypted bytes (a blob: URL, allowed by img-src).
  await page.locator(`#file-${photoId}`).getByRole('button', { name: 'Afficher l’image' }).click();
  const img = page.locator(`#file-${photoId} img`);
  await img.waitFor();
  await page.waitForFunction(`document.querySelector('#file-${photoId} img')?.naturalWidth === 64`);
  t.equal(await img.getAttribute('alt'), photoName, 'the image has its name as text alternative');
  await shot(page, 'shown');
  t.same([...(await noAxe(page, 'phone'))], [], 'axe-core at phone size');
  await page.setViewportSize({ width: 1280, height: 800 });
  t.same([...(await noAxe(page, 'laptop'))], [], 'axe-core at laptop size');
  t.same(p.pageErrors, [], 'no page error');
  t.same(p.consoleErrors, [], 'no console error (a CSP violation would be one)');
  t.same(
    p.sent.filter((r) => (r.body ?? '').includes(`NOM-${M}`) || (r.body ?? '').includes(`LEGENDE-${M}`) || r.url.includes(M)),
    [],
    'no name or caption in anything the browser sent',
  );
});

t.test('a slow upload cut at about 80 % goes on after a reload with the same file, sending < 30 % again', async (t) => {
  const size = 2 * 1024 * 1024 + 4321;
  const bytes = Buffer.concat([Buffer.from(`%PDF-1.7\n% NOM2-${M}\n`), randomBytes(size - 32)]);
  const bigPath = path.join(dir, bigName);
  writeFileSync(bigPath, bytes);
  const cipherSize = encryptedFileSize(bytes.length, 2);
  const link = await slowLink(W.port, 1024 * 1024);
  const p = await newPhone();
  const { page } = p;
  await openCase(page, link.origin);
  await page.getByLabel('Fichier').setInputFiles(bigPath);
  const before = link.state.sent;
  await page.getByRole('button', { name: 'Envoyer la pièce' }).click();
  await page.locator('#upload-progress').waitFor();
  const started = Date.now();
  while (link.state.sent - before < cipherSize * 0.8) {
    if (Date.now() - started > 60_000) throw new Error('the upload never reached 80 %');
    await new Promise((r) => setTimeout(r, 20));
  }
  link.state.blockUploads = true;
  link.cutAll();
  t.ok(await page.evaluate<boolean>(`sessionStorage.getItem('egide-upload') !== null`), 'the resume note is kept in the tab');
  const note = await page.evaluate<string>(`sessionStorage.getItem('egide-upload')`);
  t.notOk(note.includes('NOM2') || note.includes(bigName), 'the note holds no file name');
  await shot(page, 'cut');

  await page.reload();
  await page.getByLabel('Reçu (16 chiffres)').fill(c.defender.receipt);
  await page.getByRole('button', { name: 'Ouvrir mon dossier' }).click();
  await page.locator('#upload-interrupted').waitFor({ state: 'visible', timeout: 60_000 });
  await shot(page, 'interrupted');
  link.state.blockUploads = false;
  const resumedFrom = link.state.sent;
  await page.getByLabel('Fichier').setInputFiles(bigPath);
  await page.getByRole('button', { name: 'Envoyer la pièce' }).click();
  await page.locator('#file-form').getByRole('status').filter({ hasText: 'Pièce envoyée' }).waitFor({ timeout: 60_000 });
  const again = link.state.sent - resumedFrom;
  t.ok(again < cipherSize * 0.3, `sent again after the reload: ${again} bytes of ${cipherSize} (${((100 * again) / cipherSize).toFixed(1)} %)`);
  await page.locator('#files').getByText(bigName).waitFor();
  t.equal(await page.evaluate<number>('sessionStorage.length'), 0, 'the note is gone once the upload is attached');
  const dek = await caseKeyOf(T, officers.ana, c.caseId);
  const list = (await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files`, headers: officers.ana.auth() })).json();
  const item = list.items.find((i: { id: string; sealed: Record<string, string> }) => i.id !== photoId && i.sealed.name);
  const d = openFileDescription(item.sealed, dek, item.id);
  const got = await download(staffOrigin, officers.ana.auth(), c.caseId, item.id, dek, item.sealed.key, item.ciphertextSha256, d.sha256);
  t.equal(sha256(got.plain), sha256(bytes), 'the officer opens exactly the file, whole');
  t.equal(list.items.filter((i: { state: string }) => i.state === 'uploading').length, 0, 'no upload left unfinished');
  t.same(p.pageErrors, [], 'no page error');
});

t.test('a byte flipped on disk: the download says the file was altered and nothing is saved', async (t) => {
  const stored = path.join(FILE_STORE_DIR, 'files', photoId);
  const bytes = readFileSync(stored);
  bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
  writeFileSync(stored, bytes);
  const p = await newPhone();
  const { page } = p;
  await openCase(page, W.origin);
  let downloads = 0;
  page.on('download', () => downloads++);
  await page.locator(`#file-${photoId}`).getByRole('button', { name: 'Télécharger' }).click();
  const alert = page.locator(`#file-${photoId}`).getByRole('alert');
  await alert.filter({ hasText: 'a été modifiée' }).waitFor({ timeout: 30_000 });
  await shot(page, 'altered');
  t.equal(await page.locator(`#file-${photoId} a[download]`).count(), 0, 'no link to save anything');
  t.equal(await page.locator(`#file-${photoId} img`).count(), 0, 'nothing shown');
  t.equal(downloads, 0, 'no download started');
  t.same(p.pageErrors, [], 'no page error');
});

t.test('no file name or caption in the database, the logs or Redis', async (t) => {
  const hits = await findLeaks(W, { photoName, caption, bigName, nameMark: `NOM-${M}`, bigMark: `NOM2-${M}`, captionMark: `LEGENDE-${M}` });
  t.same(hits, [], 'nothing found');
  t.same(await findLeaks(T, { photoName, caption, bigName }), [], 'nor through the staff app');
});
