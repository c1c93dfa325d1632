#!/usr/bin/env node
// @ts-check
/**
 * Builds the defender's page (web/defender) into dist/web: the page script, the crypto worker
 * (the SDK and libsodium, loaded only when needed) and the stylesheet, each with a content-hashed
 * name, its SHA-384 Subresource Integrity hash and gzip/brotli copies, plus index.html (the
 * template with the build's names and hashes; the server fills the rest at serve time) and
 * manifest.json. Runs from `npm ci` (prepare), `npm start` (build) and `npm test` (pretest).
 *
 * Without esbuild (a production install with --omit=dev) it says so and exits 0: the image
 * build (Dockerfile) builds the page in its build stage, and the service answers 503 with a
 * clear message on the page's routes when dist/web is missing.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'web', 'defender');
const TARGET = ['es2020', 'chrome87', 'firefox78', 'safari15'];

/** @param {Uint8Array} bytes */
const sri = (bytes) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
/** @param {Uint8Array} bytes */
const shortHash = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 12);

/**
 * @param {{ outDir?: string, quiet?: boolean }} [options]
 * @returns {Promise<{ outDir: string, manifest: any } | null>}
 */
export async function buildWeb(options = {}) {
  const outDir = options.outDir ?? path.join(root, 'dist', 'web');
  /** @type {typeof import('esbuild')} */
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    console.warn('build-web: esbuild is not installed (production install?); the defender page was not built');
    return null;
  }
  const common = /** @type {const} */ ({ bundle: true, minify: true, write: false, platform: 'browser', target: TARGET, legalComments: 'none', logLevel: 'warning', absWorkingDir: root, charset: 'utf8' });
  const [worker, app, css] = await Promise.all([
    esbuild.build({ ...common, entryPoints: [path.join(source, 'crypto-worker.ts')], format: 'iife' }),
    esbuild.build({ ...common, entryPoints: [path.join(source, 'main.ts')], format: 'esm' }),
    esbuild.build({ ...common, entryPoints: [path.join(source, 'style.css')] }),
  ]);
  /** @type {Record<string, { file: string, integrity: string, bytes: number, gzip: number, br: number, contents: Uint8Array }>} */
  const entries = {};
  for (const [name, result, ext] of /** @type {const} */ ([['crypto', worker, 'js'], ['app', app, 'js'], ['css', css, 'css']])) {
    const contents = result.outputFiles[0]?.contents;
    if (!contents) throw new Error(`build-web: esbuild produced nothing for ${name}`);
    entries[name] = { file: `assets/${name}-${shortHash(contents)}.${ext}`, integrity: sri(contents), bytes: contents.length, gzip: 0, br: 0, contents };
  }
  const e = /** @param {string} k */ (k) => /** @type {(typeof entries)[string]} */ (entries[k]);
  let html = await readFile(path.join(source, 'index.html'), 'utf8');
  const fill = { CRYPTO_SRC: `/${e('crypto').file}`, CRYPTO_INTEGRITY: e('crypto').integrity, APP_SRC: `/${e('app').file}`, APP_INTEGRITY: e('app').integrity, CSS_SRC: `/${e('css').file}`, CSS_INTEGRITY: e('css').integrity };
  for (const [k, v] of Object.entries(fill)) html = html.replaceAll(`{{${k}}}`, v);
  const left = [...html.matchAll(/\{\{([A-Z_]+)\}\}/g)].map((m) => m[1]).sort();
  if (left.join(',') !== 'EXIT_URL,INTAKE_KEY_ID,LISTS') throw new Error(`build-web: unexpected placeholders left in index.html: ${left.join(', ')}`);

  // Written beside the old output and swapped in at once: a running server never sees half a build.
  const staging = `${outDir}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(path.join(staging, 'assets'), { recursive: true });
  /** @type {Record<string, { integrity: string, bytes: number, gzip: number, br: number }>} */
  const assets = {};
  for (const entry of Object.values(entries)) {
    const gz = gzipSync(entry.contents, { level: 9 });
    const br = brotliCompressSync(entry.contents, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: entry.contents.length } });
    entry.gzip = gz.length;
    entry.br = br.length;
    await writeFile(path.join(staging, entry.file), entry.contents);
    await writeFile(path.join(staging, `${entry.file}.gz`), gz);
    await writeFile(path.join(staging, `${entry.file}.br`), br);
    assets[entry.file] = { integrity: entry.integrity, bytes: entry.bytes, gzip: entry.gzip, br: entry.br };
  }
  await writeFile(path.join(staging, 'index.html'), html);
  const manifest = {
    version: 1,
    html: 'index.html',
    entries: { app: e('app').file, crypto: e('crypto').file, css: e('css').file },
    assets,
  };
  await writeFile(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const old = `${outDir}.old-${process.pid}`;
  await mkdir(path.dirname(outDir), { recursive: true });
  if (existsSync(outDir)) await rename(outDir, old);
  await rename(staging, outDir);
  await rm(old, { recursive: true, force: true });
  if (!options.quiet) {
    const kib = (/** @type {number} */ n) => `${(n / 1024).toFixed(1)} KiB`;
    for (const [name, x] of Object.entries(entries)) console.log(`build-web: ${x.file}  ${kib(x.bytes)} raw, ${kib(x.gzip)} gzip, ${kib(x.br)} brotli (${name})`);
  }
  return { outDir, manifest };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  // `--out <dir>`: somewhere else than dist/web (each browser test file builds its own copy).
  const at = process.argv.indexOf('--out');
  buildWeb(at > 0 && process.argv[at + 1] ? { outDir: path.resolve(process.argv[at + 1]) } : {}).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
