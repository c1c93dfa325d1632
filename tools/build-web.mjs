#!/usr/bin/env node
// @ts-check
/**
 * Builds the web applications into dist/web: the defender's page (below) and the staff console
 * (dist/web/console, see buildConsole).
 *
 * The defender's page (web/defender): the page script, the crypto worker
 * (the SDK and libsodium, loaded only when needed) and the stylesheet, each with a content-hashed
 * name, its SHA-384 Subresource Integrity hash and gzip/brotli copies, plus index.html (the
 * template with the build's names and hashes, and the intake key pinned for the deployment if
 * any) and manifest.json. Like the console, nothing is written into these files at serve time:
 * what the page needs from the deployment comes from GET /v1/page/settings.
 *
 * Beside both applications, egide-manifest.json (the server serves it at
 * /.well-known/egide/manifest.json): the URL path and SHA-256 of every file either application
 * serves, the git commit and the build's inputs. The build is reproducible: the same commit and
 * the same inputs give the same bytes wherever and whenever it runs (no absolute path, time or
 * environment reaches the output), so anyone can build again and compare
 * (`npm run egide -- web verify <url>`). Runs from `npm ci` (prepare), `npm start` (build) and
 * `npm test` (pretest).
 *
 * Without esbuild (a production install with --omit=dev) it says so and exits 0: the image
 * build (Dockerfile) builds the page in its build stage, and the service answers 503 with a
 * clear message on the page's routes when dist/web is missing.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'web', 'defender');
const TARGET = ['es2020', 'chrome87', 'firefox78', 'safari15'];

/** @param {Uint8Array} bytes */
const sri = (bytes) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
/** @param {Uint8Array} bytes */
const shortHash = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 12);

/** The deployment manifest's file name in the build's output, and the URL path the server serves it at. */
export const DEPLOYMENT_MANIFEST = 'egide-manifest.json';

/**
 * The intake key to pin, as `egide bootstrap` and the API print it: its keyId (base64url of the
 * 16-byte BLAKE2b hash of the public key, 22 characters) or the same 16 bytes as a fingerprint
 * (32 hex digits, in groups or not). Returns the keyId.
 * @param {string} value
 */
export function intakeKeyIdOf(value) {
  const v = value.trim();
  if (/^[A-Za-z0-9_-]{22}$/.test(v)) return v;
  const hex = v.replace(/[\s:]/g, '');
  if (/^[0-9A-Fa-f]{32}$/.test(hex)) return Buffer.from(hex, 'hex').toString('base64url');
  throw new Error(`build-web: ${JSON.stringify(value)} is neither an intake keyId (22 base64url characters) nor a fingerprint (32 hex digits)`);
}

/** The commit the sources are at: `git rev-parse HEAD`, or 'unknown' outside a git checkout (then pass --commit). */
function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/**
 * @param {{ outDir?: string, quiet?: boolean, catalogueDirs?: string[], intakeKey?: string | null, commit?: string }} [options]
 *   catalogueDirs: more directories of console catalogues (<lang>.json) beside web/console/i18n;
 *   intakeKey: the intake key the defender's page pins (keyId or fingerprint), refusing any other the server offers;
 *   commit: recorded in the deployment manifest (default: the checkout's HEAD)
 * @returns {Promise<{ outDir: string, manifest: any, deployment: any } | null>}
 */
export async function buildWeb(options = {}) {
  const outDir = options.outDir ?? path.join(root, 'dist', 'web');
  const intakeKeyId = options.intakeKey ? intakeKeyIdOf(options.intakeKey) : null;
  const commit = options.commit ?? gitCommit();
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64}|unknown)$/.test(commit)) throw new Error(`build-web: ${JSON.stringify(commit)} is not a git commit`);
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
  // The worker starts from its own URL (worker-src 'self'): a Worker cannot take an SRI hash, but
  // its content-hashed name and the deployment manifest pin its bytes.
  const fill = { CRYPTO_SRC: `/${e('crypto').file}`, APP_SRC: `/${e('app').file}`, APP_INTEGRITY: e('app').integrity, CSS_SRC: `/${e('css').file}`, CSS_INTEGRITY: e('css').integrity, INTAKE_KEY_PIN: intakeKeyId ?? '' };
  for (const [k, v] of Object.entries(fill)) html = html.replaceAll(`{{${k}}}`, v);
  const left = [...html.matchAll(/\{\{([A-Z_]+)\}\}/g)].map((m) => m[1]).sort();
  if (left.length) throw new Error(`build-web: unexpected placeholders left in web/defender/index.html: ${left.join(', ')}`);

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
  // The HTML with its compressed copies like every other file: the server sends what the build wrote.
  const htmlBytes = Buffer.from(html, 'utf8');
  await writeFile(path.join(staging, 'index.html'), htmlBytes);
  await writeFile(path.join(staging, 'index.html.gz'), gzipSync(htmlBytes, { level: 9 }));
  await writeFile(path.join(staging, 'index.html.br'), brotliCompressSync(htmlBytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: htmlBytes.length } }));
  const manifest = {
    version: 1,
    html: 'index.html',
    entries: { app: e('app').file, crypto: e('crypto').file, css: e('css').file },
    assets,
  };
  await writeFile(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const consoleBuild = await buildConsole(esbuild, path.join(staging, 'console'), options.catalogueDirs ?? []);
  const deployment = await deploymentManifest(staging, { manifest, consoleBuild, commit, intakeKeyId });
  const old = `${outDir}.old-${process.pid}`;
  await mkdir(path.dirname(outDir), { recursive: true });
  if (existsSync(outDir)) await rename(outDir, old);
  await rename(staging, outDir);
  await rm(old, { recursive: true, force: true });
  if (!options.quiet) {
    const kib = (/** @type {number} */ n) => `${(n / 1024).toFixed(1)} KiB`;
    for (const [name, x] of Object.entries(entries)) console.log(`build-web: ${x.file}  ${kib(x.bytes)} raw, ${kib(x.gzip)} gzip, ${kib(x.br)} brotli (${name})`);
    for (const [file, x] of Object.entries(consoleBuild.assets)) console.log(`build-web: console/${file}  ${kib(x.bytes)} raw, ${kib(x.gzip)} gzip, ${kib(x.br)} brotli`);
    const manifestHash = sha256(await readFile(path.join(outDir, DEPLOYMENT_MANIFEST)));
    console.log(`build-web: ${DEPLOYMENT_MANIFEST} sha256 ${manifestHash} (commit ${commit}, intake key ${intakeKeyId ? `pinned to ${intakeKeyId}` : 'not pinned'})`);
  }
  return { outDir, manifest, deployment };
}

/**
 * The deployment manifest: every URL path the two applications serve from the build with the
 * SHA-256 of the bytes served there (after any content encoding is undone), the commit and the
 * inputs. Keys sorted, no time, no path of this machine: two builds of the same commit with the
 * same inputs write the same bytes.
 *
 * @param {string} dir the build's output
 * @param {{ manifest: { html: string, assets: Record<string, unknown> }, consoleBuild: { html: string, assets: Record<string, unknown> }, commit: string, intakeKeyId: string | null }} build
 */
async function deploymentManifest(dir, build) {
  /** @type {Record<string, string>} */
  const files = {};
  const hashOf = async (/** @type {string} */ file) => sha256(await readFile(path.join(dir, file)));
  const page = await hashOf(build.manifest.html);
  // The page's HTML is served at both of its addresses, the console's at /console (and at every
  // screen's address below it, the same bytes).
  files['/'] = page;
  files['/suivi'] = page;
  for (const file of Object.keys(build.manifest.assets)) files[`/${file}`] = await hashOf(file);
  files['/console'] = await hashOf(path.join('console', build.consoleBuild.html));
  for (const file of Object.keys(build.consoleBuild.assets)) if (file !== build.consoleBuild.html) files[`/console/${file}`] = await hashOf(path.join('console', file));
  const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const deployment = { format: 'egide-web-manifest/1', commit: build.commit, inputs: { intakeKeyId: build.intakeKeyId }, files: sorted };
  await writeFile(path.join(dir, DEPLOYMENT_MANIFEST), `${JSON.stringify(deployment, null, 2)}\n`);
  return deployment;
}

/** @param {Uint8Array} bytes */
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * The staff console (web/console) into `outDir`: the crypto worker, the app (Preact: a main bundle
 * and the chunks of the screens only some roles open, see consoleScripts) and its stylesheet, one
 * JSON file per language catalogue, each under a content-hashed name, and an index.html that
 * names them. Nothing in these files depends on the deployment: every
 * installation serves the same bytes (manifest.json lists their SHA-256), and what the console
 * needs to know comes from the API's JSON routes.
 *
 * @param {typeof import('esbuild')} esbuild
 * @param {string} outDir
 * @param {string[]} extraCatalogueDirs
 */
async function buildConsole(esbuild, outDir, extraCatalogueDirs) {
  const dir = path.join(root, 'web', 'console');
  const common = /** @type {const} */ ({ bundle: true, minify: true, write: false, platform: 'browser', target: TARGET, legalComments: 'none', logLevel: 'warning', absWorkingDir: root, charset: 'utf8' });
  /** @type {Map<string, Uint8Array>} */
  const files = new Map();
  const put = (/** @type {string} */ stem, /** @type {string} */ ext, /** @type {Uint8Array} */ contents) => {
    const file = `assets/${stem}-${shortHash(contents)}.${ext}`;
    files.set(file, contents);
    return file;
  };
  const only = (/** @type {import('esbuild').BuildResult} */ r, /** @type {string} */ what) => {
    const contents = r.outputFiles?.[0]?.contents;
    if (!contents) throw new Error(`build-web: esbuild produced nothing for the console's ${what}`);
    return contents;
  };

  /** @type {Record<string, string>} */
  const catalogues = {};
  const { readdir } = await import('node:fs/promises');
  for (const from of [path.join(dir, 'i18n'), ...extraCatalogueDirs]) {
    for (const name of (await readdir(from)).filter((f) => /^[a-z]{2,3}(-[A-Za-z0-9]+)?\.json$/.test(f)).sort()) {
      const lang = name.replace(/\.json$/, '');
      // Parsed and written again: a catalogue that is not JSON fails the build, not the page.
      const text = JSON.stringify(JSON.parse(await readFile(path.join(from, name), 'utf8')));
      catalogues[lang] = `/console/${put(`i18n-${lang}`, 'json', new TextEncoder().encode(text))}`;
    }
  }
  if (!catalogues.fr) throw new Error('build-web: the console has no French catalogue (web/console/i18n/fr.json)');

  const worker = only(await esbuild.build({ ...common, entryPoints: [path.join(dir, 'crypto-worker.ts')], format: 'iife' }), 'worker');
  const workerFile = put('crypto', 'js', worker);
  const scripts = await consoleScripts(esbuild, common, dir, {
    __CONSOLE_WORKER__: JSON.stringify(`/console/${workerFile}`),
    __CONSOLE_CATALOGUES__: JSON.stringify(catalogues),
  });
  for (const [file, contents] of scripts.files) files.set(file, contents);
  const appFile = scripts.app;
  const app = /** @type {Uint8Array} */ (files.get(appFile));
  // The main bundle's own imports are fetched with it (and checked against their SRI hashes), not
  // one after the other as the browser would find them.
  const preloads = scripts.preload.map((file) => `<link rel="modulepreload" href="/console/${file}" integrity="${sri(/** @type {Uint8Array} */ (files.get(file)))}">`).join('\n');
  const css = only(await esbuild.build({ ...common, entryPoints: [path.join(dir, 'style.css')] }), 'stylesheet');
  const cssFile = put('console', 'css', css);

  const html = (await readFile(path.join(dir, 'index.html'), 'utf8'))
    .replaceAll('{{APP_SRC}}', `/console/${appFile}`)
    .replaceAll('{{APP_INTEGRITY}}', sri(app))
    .replace(/\{\{MODULE_PRELOADS\}\}\n?/, preloads ? `${preloads}\n` : '')
    .replaceAll('{{CSS_SRC}}', `/console/${cssFile}`)
    .replaceAll('{{CSS_INTEGRITY}}', sri(css));
  if (/\{\{[A-Z_]+\}\}/.test(html)) throw new Error('build-web: a placeholder is left in web/console/index.html');
  files.set('index.html', new TextEncoder().encode(html));

  await mkdir(path.join(outDir, 'assets'), { recursive: true });
  /** @type {Record<string, { sha256: string, bytes: number, gzip: number, br: number }>} */
  const assets = {};
  for (const [file, contents] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const gz = gzipSync(contents, { level: 9 });
    const br = brotliCompressSync(contents, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: contents.length } });
    await writeFile(path.join(outDir, file), contents);
    await writeFile(path.join(outDir, `${file}.gz`), gz);
    await writeFile(path.join(outDir, `${file}.br`), br);
    assets[file] = { sha256: sha256(contents), bytes: contents.length, gzip: gz.length, br: br.length };
  }
  const manifest = { version: 1, html: 'index.html', entries: { app: appFile, crypto: workerFile, css: cssFile }, preload: scripts.preload, chunks: scripts.chunks, catalogues, assets };
  await writeFile(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * The console's scripts: the main bundle (sign-in and the officer's daily screens) and, split off
 * it, the screens only some roles open (web/console/lazy-screens.ts loads them with `import()`),
 * the code several of those share in chunks of their own. esbuild names every file after its
 * contents, and a file's hash covers the names of the files it imports: the same sources give the
 * same names on every build, and a changed chunk renames every file that leads to it.
 *
 * Returns the main bundle, the chunks it imports itself (preloaded with it), each chunk loaded on
 * demand by name (`admin-screens`...) with every chunk it imports in turn, and the files' bytes.
 *
 * @param {typeof import('esbuild')} esbuild
 * @param {import('esbuild').BuildOptions} common
 * @param {string} dir
 * @param {Record<string, string>} define
 * @returns {Promise<{ app: string, preload: string[], chunks: Record<string, { file: string, imports: string[] }>, files: Map<string, Uint8Array> }>}
 */
async function consoleScripts(esbuild, common, dir, define) {
  // Never written (write: false): it only places the files beside one another.
  const outdir = path.join(root, 'dist', 'console-scripts');
  const { readdir } = await import('node:fs/promises');
  const chunkEntries = (await readdir(path.join(dir, 'chunks')))
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => ({ in: path.join(dir, 'chunks', f), out: f.replace(/\.ts$/, '') }));
  const result = await esbuild.build({
    ...common,
    // Each file of chunks/ an entry of its own, so its file is named after it (the chunks
    // esbuild makes for `import()` alone are all named `chunk`).
    entryPoints: [{ in: path.join(dir, 'main.tsx'), out: 'console' }, ...chunkEntries],
    outdir,
    format: 'esm',
    splitting: true,
    metafile: true,
    entryNames: '[name]-[hash]',
    chunkNames: 'shared-[hash]',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define,
  });
  const asset = (/** @type {string} */ file) => `assets/${path.basename(file)}`;
  /** @type {Map<string, Uint8Array>} */
  const files = new Map();
  for (const out of result.outputFiles ?? []) {
    if (!out.path.endsWith('.js')) throw new Error(`build-web: the console's scripts produced ${path.basename(out.path)}, which nothing serves`);
    files.set(asset(out.path), out.contents);
  }
  const outputs = Object.entries(result.metafile?.outputs ?? {}).map(([file, out]) => ({ ...out, file: asset(file) }));
  const byFile = new Map(outputs.map((o) => [o.file, o]));
  /** The chunks `file` imports, and those they import (not the ones loaded on demand). */
  const staticImports = (/** @type {string} */ file) => {
    /** @type {Set<string>} */
    const seen = new Set();
    const walk = (/** @type {string} */ f) => {
      for (const i of byFile.get(f)?.imports ?? []) {
        if (i.kind !== 'import-statement' || seen.has(asset(i.path))) continue;
        seen.add(asset(i.path));
        walk(asset(i.path));
      }
    };
    walk(file);
    return [...seen].sort();
  };
  const main = outputs.find((o) => o.entryPoint === path.relative(root, path.join(dir, 'main.tsx')).split(path.sep).join('/'));
  if (!main) throw new Error("build-web: esbuild produced nothing for the console's app");
  /** @type {Record<string, { file: string, imports: string[] }>} */
  const chunks = {};
  for (const o of outputs.filter((x) => x.entryPoint && x !== main).sort((a, b) => a.file.localeCompare(b.file))) {
    const name = path.basename(o.file).replace(/-[A-Z0-9]+\.js$/, '');
    if (chunks[name]) throw new Error(`build-web: two of the console's chunks are named ${name}`);
    chunks[name] = { file: o.file, imports: staticImports(o.file) };
  }
  return { app: main.file, preload: staticImports(main.file), chunks, files };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  // `--out <dir>`: somewhere else than dist/web (each browser test file builds its own copy);
  // `--catalogues <dir>`: more console languages (a test adds a right-to-left one).
  const arg = (/** @type {string} */ name) => {
    const at = process.argv.indexOf(name);
    const value = at > 0 ? process.argv[at + 1] : undefined;
    return value ? path.resolve(value) : undefined;
  };
  // `--intake-key <keyId or fingerprint>`: the intake key the defender's page pins;
  // `--commit <sha>`: the commit to record where the sources are not a git checkout (the image build).
  const raw = (/** @type {string} */ name) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? process.argv[at + 1] || undefined : undefined;
  };
  const out = arg('--out');
  const catalogues = arg('--catalogues');
  const intakeKey = raw('--intake-key');
  const commit = raw('--commit');
  buildWeb({ ...(out ? { outDir: out } : {}), ...(catalogues ? { catalogueDirs: [catalogues] } : {}), ...(intakeKey ? { intakeKey } : {}), ...(commit ? { commit } : {}) }).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
