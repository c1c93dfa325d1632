/**
 * The page's build and how the service serves it, without a browser: every asset's SRI hash in
 * the manifest and the HTML matches its bytes; the compressed copies decompress to the same
 * bytes; the server negotiates brotli, gzip or none; the HTML is served as built (the
 * deployment's values come from GET /v1/page/settings as JSON); and a
 * service without a build answers 503 on the page instead of failing to start. The console's
 * build: a main bundle and a chunk per group of screens only some roles open, each within its
 * budget, listed with its SHA-256, served like the main bundle, and the same bytes when built again.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import t from 'tap';
import consolePage, { CONSOLE_CSP } from '../../src/plugins/console-page.js';
import defenderPage, { DEFENDER_PAGE_CSP } from '../../src/plugins/defender-page.js';
import { Problem } from '../../src/lib/schemas.js';
import { loadIntakePolicy, parseIntakePolicy } from '../../src/intake/intake-policy.js';
import { SCREENS, type ScreenChunk } from '../../web/console/screen-list.js';
import { buildPage, root, WEB_DIR } from './page-kit.js';

const output = buildPage();
const dist = WEB_DIR;
const manifest = JSON.parse(readFileSync(path.join(dist, 'manifest.json'), 'utf8')) as { entries: Record<string, string>; assets: Record<string, { integrity: string; bytes: number; gzip: number; br: number }> };
const intakePolicy = loadIntakePolicy(path.join(root, 'policies'));
const config = { INTAKE_KEY_ID: 'abcdefghijklmnopqrstuv', QUICK_EXIT_URL: 'https://example.org/?q="x"' };

t.test('the build: hashed names, SRI hashes and compressed copies match the bytes', async (t) => {
  t.match(output, /crypto-[0-9a-f]{12}\.js/);
  t.same(Object.keys(manifest.entries).sort(), ['app', 'crypto', 'css']);
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  for (const [file, meta] of Object.entries(manifest.assets)) {
    const bytes = readFileSync(path.join(dist, file));
    t.equal(meta.integrity, `sha384-${createHash('sha384').update(bytes).digest('base64')}`, `${file}: SRI hash of its bytes`);
    // The worker is started by its name (a Worker takes no integrity hash); the page's script and stylesheet carry theirs.
    if (file === manifest.entries.crypto) t.ok(html.includes(`content="/${file}"`), `${file}: the page names it`);
    else t.ok(html.includes(meta.integrity), `${file}: the page carries that hash`);
    t.ok(gunzipSync(readFileSync(path.join(dist, `${file}.gz`))).equals(bytes), `${file}.gz decompresses to it`);
    t.ok(brotliDecompressSync(readFileSync(path.join(dist, `${file}.br`))).equals(bytes), `${file}.br decompresses to it`);
    t.equal(meta.bytes, bytes.length);
  }
  const app = manifest.assets[manifest.entries.app!]!;
  // The page script holds the forms and the evidence section; the crypto, tus and EXIF code are in the worker.
  t.ok(app.br < 24 * 1024, `the page script is small (${app.br} bytes brotli): the crypto is in the worker`);
  t.notOk(readFileSync(path.join(dist, manifest.entries.app!), 'utf8').includes('crypto_pwhash'), 'libsodium is not in the page script');
});

/** The console's build as the tests read it: its scripts and the chunks of the screens only some roles open. */
interface ConsoleManifest {
  html: string;
  entries: Record<string, string>;
  preload: string[];
  chunks: Record<string, { file: string; imports: string[] }>;
  assets: Record<string, { sha256: string; bytes: number; gzip: number; br: number }>;
}
const consoleDist = path.join(dist, 'console');
const built = JSON.parse(readFileSync(path.join(consoleDist, 'manifest.json'), 'utf8')) as ConsoleManifest;
/** What every session fetches before the sign-in: the main bundle and the chunks it imports itself. */
const mainFiles = [built.entries.app!, ...built.preload];
/** What a chunk adds when its first screen opens: its file and what it imports that the main bundle has not. */
const chunkFiles = (name: string) => [built.chunks[name]!.file, ...built.chunks[name]!.imports.filter((f) => !mainFiles.includes(f))];
const brOf = (files: string[]) => files.reduce((sum, f) => sum + built.assets[f]!.br, 0);
const codeOf = (files: string[]) => files.map((f) => readFileSync(path.join(consoleDist, f), 'utf8')).join('\n');
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/**
 * The budgets, brotli: what a session fetches before the sign-in (the sign-in and the officer's
 * daily screens), then what each chunk adds when a role first opens one of its screens. A new
 * chunk needs a budget here; a screen that grows one past it fails here, not on a phone.
 */
const MAIN_BUDGET = 54 * 1024;
const CHUNK_BUDGETS: Record<ScreenChunk, { br: number; holds: string }> = {
  'supervisor-screens': { br: 14 * 1024, holds: 'the board, staff leave, custody (with the move of cases after a rotation), the audit log with whole and period exports and a case access log, approvals and retention' },
  'admin-screens': { br: 6 * 1024, holds: 'users, invitations, organisations and their page, health' },
  'partner-screens': { br: 3.5 * 1024, holds: "a partner organisation's referral inbox and referral page" },
  'org-keyring': { br: 2.5 * 1024, holds: "an organisation's keyring (partners and supervisors)" },
  policies: { br: 1.5 * 1024, holds: 'the policies, read-only (supervisors and admins)' },
  // uPlot is about 20 KiB of it (brotli); the screens, about 7 KiB, and the tables they share with service-figures, 2 KiB.
  'supervisor-statistics': { br: 32 * 1024, holds: 'the statistics (series, crossings, response times, workload) with their charts (uPlot), and the annual report' },
  'service-figures': { br: 3 * 1024, holds: "the service's figures (admins and supervisors): requests received, deadlines, escalations" },
};
/** Words only a chunk's screens ask for (catalogue keys), so the main bundle must not hold them. */
const CHUNK_MARKERS: Record<ScreenChunk, string[]> = {
  'supervisor-screens': ['"oversight.'],
  'admin-screens': ['"admin.users.', '"admin.orgs.', '"admin.health.', '"invite.'],
  'partner-screens': ['"partner.'],
  'org-keyring': ['"partner.'],
  policies: ['"admin.policies.'],
  // uPlot's root class: the chart library is in this chunk, not in the main bundle.
  'supervisor-statistics': ['"stats.series.', '"stats.report.', '"uplot"'],
  'service-figures': ['"stats.service.'],
};

t.test('the console: a main bundle within its budget, the screens only some roles open in chunks within theirs', async (t) => {
  const main = brOf(mainFiles);
  t.ok(main <= MAIN_BUDGET, `the main bundle is ${kib(main)} brotli with its ${built.preload.length} preloaded chunk(s) (at most ${kib(MAIN_BUDGET)})`);
  const mainCode = codeOf(mainFiles);
  t.notOk(mainCode.includes('crypto_pwhash'), 'libsodium is in the worker only');
  t.notOk(mainCode.includes('"~kind"'), 'no schema library (TypeBox marks its schemas with ~kind): the page carries the route table, not the schemas');

  const named = [...new Set(SCREENS.flatMap((s) => (s.chunk ? [s.chunk] : [])))].sort();
  t.same(Object.keys(built.chunks).sort(), named, 'the build has a chunk for each one screen-list.ts names, and no other');
  t.same(Object.keys(CHUNK_BUDGETS).sort(), named, 'each chunk has a budget');
  for (const [name, budget] of Object.entries(CHUNK_BUDGETS) as Array<[ScreenChunk, { br: number; holds: string }]>) {
    if (!built.chunks[name]) continue;
    const br = brOf(chunkFiles(name));
    t.ok(br <= budget.br, `${name} (${budget.holds}) adds ${kib(br)} brotli (at most ${kib(budget.br)})`);
    const code = codeOf([built.chunks[name].file]);
    for (const marker of CHUNK_MARKERS[name]) {
      t.ok(code.includes(marker), `${name} holds its screens (${marker})`);
      t.notOk(mainCode.includes(marker), `the main bundle does not (${marker})`);
    }
  }
});

t.test('the console: every script listed with its SHA-256, compressed copies, named as the server serves them', async (t) => {
  const scripts = Object.keys(built.assets).filter((f) => f.endsWith('.js'));
  const accounted = new Set([...mainFiles, built.entries.crypto!, ...Object.keys(built.chunks).flatMap(chunkFiles)]);
  t.same(scripts.sort(), [...accounted].sort(), 'every script is the main bundle, the worker, a chunk or what a chunk imports');
  for (const [file, meta] of Object.entries(built.assets)) {
    const bytes = readFileSync(path.join(consoleDist, file));
    t.equal(meta.sha256, createHash('sha256').update(bytes).digest('hex'), `${file}: SHA-256 of its bytes`);
    t.equal(meta.bytes, bytes.length);
    t.ok(gunzipSync(readFileSync(path.join(consoleDist, `${file}.gz`))).equals(bytes), `${file}.gz decompresses to it`);
    t.ok(brotliDecompressSync(readFileSync(path.join(consoleDist, `${file}.br`))).equals(bytes), `${file}.br decompresses to it`);
    if (file !== built.html) t.match(file, /^assets\/[A-Za-z0-9_-]{1,64}\.(?:js|css|json)$/, `${file}: a name the asset route serves`);
  }
  for (const file of scripts.filter((f) => f !== built.entries.crypto)) t.match(file, /-[A-Z0-9]{8}\.js$/, `${file}: named after its contents`);
  // The page names the main bundle and preloads its chunks, each with its SRI hash; the chunks of the other screens only when they open.
  const html = readFileSync(path.join(consoleDist, built.html), 'utf8');
  const sriOf = (f: string) => `sha384-${createHash('sha384').update(readFileSync(path.join(consoleDist, f))).digest('base64')}`;
  t.match(html, `<script type="module" src="/console/${built.entries.app}" integrity="${sriOf(built.entries.app!)}"></script>`);
  for (const f of built.preload) t.match(html, `<link rel="modulepreload" href="/console/${f}" integrity="${sriOf(f)}">`);
  t.equal([...html.matchAll(/<script|rel="modulepreload"/g)].length, 1 + built.preload.length, 'nothing else loads with the page');
  for (const { file } of Object.values(built.chunks)) t.notMatch(html, file, `${file}: not in the page`);
});

t.test('the console: served from the build, chunks with the same headers as the main bundle', async (t) => {
  const app = Fastify();
  app.addSchema(Problem);
  await app.register(consolePage, { dir: consoleDist });
  t.teardown(() => app.close());
  for (const file of [...mainFiles, ...Object.keys(built.chunks).flatMap(chunkFiles)]) {
    const res = await app.inject({ method: 'GET', url: `/console/${file}`, headers: { 'accept-encoding': 'br' } });
    t.equal(res.statusCode, 200, `${file}: served`);
    t.equal(res.headers['content-type'], 'text/javascript; charset=utf-8');
    t.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable', `${file}: cached for good (its name changes with it)`);
    t.equal(res.headers['content-security-policy'], CONSOLE_CSP);
    t.equal(res.headers['content-encoding'], 'br');
    t.ok(brotliDecompressSync(res.rawPayload).equals(readFileSync(path.join(consoleDist, file))), `${file}: its bytes`);
  }
  t.equal((await app.inject({ method: 'GET', url: '/console/assets/admin-screens-AAAAAAAA.js' })).statusCode, 404, 'a name the build did not make: 404');
});

t.test('the console: built again, the same files and bytes', async (t) => {
  const again = mkdtempSync(path.join(tmpdir(), 'egide-web-again-'));
  t.teardown(() => rmSync(again, { recursive: true, force: true }));
  execFileSync(process.execPath, [path.join(root, 'tools', 'build-web.mjs'), '--out', path.join(again, 'web')], { cwd: root, stdio: 'ignore' });
  const files = (dir: string) => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
  const second = path.join(again, 'web', 'console');
  t.same(files(second), files(consoleDist), 'the same file names');
  for (const f of files(consoleDist)) t.ok(readFileSync(path.join(second, f)).equals(readFileSync(path.join(consoleDist, f))), `${f}: the same bytes`);
});

t.test('served: the same bytes as built, the deployment in JSON, encodings negotiated', async (t) => {
  const hostile = parseIntakePolicy({ version: 1, lists: { ...intakePolicy.lists, region: [{ code: 'bamako', fr: '</script><script>alert(1)</script>', en: 'x' }] } });
  const app = Fastify();
  app.addSchema(Problem); // the app's shared schema, which the page's error answers refer to
  await app.register(defenderPage, { config, intakePolicy: hostile, dir: WEB_DIR });
  t.teardown(() => app.close());
  const page = await app.inject({ method: 'GET', url: '/' });
  t.equal(page.statusCode, 200, page.statusCode === 200 ? 'the page' : page.body);
  t.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  t.ok(page.rawPayload.equals(readFileSync(path.join(dist, 'index.html'))), 'the HTML is the file the build wrote, byte for byte: nothing of the deployment is written into it');
  t.notMatch(page.body, /\{\{|abcdefghijklmnopqrstuv|example\.org|alert\(1\)/, 'no placeholder, keyId, exit URL or list in it');
  t.match(page.body, /<meta name="egide-intake-key-pin" content="">/, 'built without a pinned key');

  const settings = await app.inject({ method: 'GET', url: '/v1/page/settings' });
  t.equal(settings.statusCode, 200);
  t.equal(settings.headers['content-type'], 'application/json; charset=utf-8');
  t.equal(settings.headers['cache-control'], 'no-store');
  const body = settings.json() as { intakeKeyId: string; exitUrl: string; lists: Record<string, Array<{ fr: string }>> };
  t.equal(body.intakeKeyId, config.INTAKE_KEY_ID);
  t.equal(body.exitUrl, config.QUICK_EXIT_URL);
  t.same(Object.keys(body.lists).sort(), ['contactChannel', 'defenderCategory', 'disability', 'filedFor', 'gender', 'language', 'region', 'threatType'], 'only the lists the form uses');
  t.equal(body.lists.region?.[0]?.fr, '</script><script>alert(1)</script>', 'a label is data in JSON, shown as text by the page');
  const compressed = await app.inject({ method: 'GET', url: '/v1/page/settings', headers: { 'accept-encoding': 'br' } });
  t.equal(compressed.headers['content-encoding'], 'br', 'compressed like the page: the lists are most of what a phone fetches first');
  t.same(JSON.parse(brotliDecompressSync(compressed.rawPayload).toString('utf8')), body);

  const file = `/${manifest.entries.crypto}`;
  const raw = readFileSync(path.join(dist, manifest.entries.crypto!));
  const none = await app.inject({ method: 'GET', url: file });
  t.equal(none.headers['content-encoding'], undefined, 'no Accept-Encoding: sent as is');
  t.ok(none.rawPayload.equals(raw));
  const br = await app.inject({ method: 'GET', url: file, headers: { 'accept-encoding': 'gzip, deflate, br' } });
  t.equal(br.headers['content-encoding'], 'br');
  t.ok(brotliDecompressSync(br.rawPayload).equals(raw));
  const gz = await app.inject({ method: 'GET', url: file, headers: { 'accept-encoding': 'br;q=0, gzip' } });
  t.equal(gz.headers['content-encoding'], 'gzip', 'br refused with q=0: gzip');
  t.ok(gunzipSync(gz.rawPayload).equals(raw));
  t.equal(br.headers.vary, 'accept-encoding');
});

t.test("the page's CSP is the console's: the worker from 'self', no blob: worker, no nonce; blob: only for a decrypted photo", async (t) => {
  const directives = (csp: string) => new Map(csp.split('; ').map((d) => [d.split(' ')[0]!, d]));
  const page = directives(DEFENDER_PAGE_CSP);
  const consoleCsp = directives(CONSOLE_CSP);
  t.same([...page.keys()].sort(), [...consoleCsp.keys()].sort(), 'the same directives');
  for (const [name, value] of consoleCsp) if (name !== 'img-src') t.equal(page.get(name), value, name);
  t.equal(page.get('img-src'), "img-src 'self' data: blob:");
  t.equal(page.get('worker-src'), "worker-src 'self'");
  t.notMatch(DEFENDER_PAGE_CSP, /nonce-|unsafe-inline/);
});

t.test('without a build the service starts and the page answers 503 in words', async (t) => {
  const empty = mkdtempSync(path.join(tmpdir(), 'egide-web-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  const app = Fastify({ logger: false });
  app.addSchema(Problem);
  await app.register(defenderPage, { config, intakePolicy, dir: empty });
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/suivi' });
  t.equal(res.statusCode, 503);
  t.match(res.body, /pas encore disponible/);
  t.equal((await app.inject({ method: 'GET', url: `/${manifest.entries.app}` })).statusCode, 404, 'assets: 404');
});
