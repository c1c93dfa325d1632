/**
 * The page's build and how the service serves it, without a browser: every asset's SRI hash in
 * the manifest and the HTML matches its bytes; the compressed copies decompress to the same
 * bytes; the server negotiates brotli, gzip or none; the deployment's values are written into
 * the HTML as inert data (an intake label with `</script>` cannot close the data block); and a
 * service without a build answers 503 on the page instead of failing to start.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import t from 'tap';
import defenderPage from '../../src/plugins/defender-page.js';
import { Problem } from '../../src/lib/schemas.js';
import { loadIntakePolicy, parseIntakePolicy } from '../../src/intake/intake-policy.js';
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
    t.ok(html.includes(meta.integrity), `${file}: the page carries that hash`);
    t.ok(gunzipSync(readFileSync(path.join(dist, `${file}.gz`))).equals(bytes), `${file}.gz decompresses to it`);
    t.ok(brotliDecompressSync(readFileSync(path.join(dist, `${file}.br`))).equals(bytes), `${file}.br decompresses to it`);
    t.equal(meta.bytes, bytes.length);
  }
  const app = manifest.assets[manifest.entries.app!]!;
  // The page script holds the forms and the evidence section; the crypto, tus and EXIF code are in the worker.
  t.ok(app.br < 24 * 1024, `the page script is small (${app.br} bytes brotli): the crypto is in the worker`);
  t.notOk(readFileSync(path.join(dist, manifest.entries.app!), 'utf8').includes('crypto_pwhash'), 'libsodium is not in the page script');
});

t.test('the console: the page script stays within its budget, the crypto and the schemas out of it', async (t) => {
  const consoleDist = path.join(dist, 'console');
  const built = JSON.parse(readFileSync(path.join(consoleDist, 'manifest.json'), 'utf8')) as { entries: Record<string, string>; assets: Record<string, { br: number }> };
  const main = built.assets[built.entries.app!]!;
  // Every role's screens are in one bundle (62 KiB with the supervisors', partners' and admins'
  // screens): the budget holds it near that until the screens of each role load on their own.
  t.ok(main.br <= 66 * 1024, `the main bundle is ${(main.br / 1024).toFixed(1)} KiB brotli (at most 66 KiB)`);
  const code = readFileSync(path.join(consoleDist, built.entries.app!), 'utf8');
  t.notOk(code.includes('crypto_pwhash'), 'libsodium is in the worker only');
  t.notOk(code.includes('"~kind"'), 'no schema library (TypeBox marks its schemas with ~kind): the page carries the route table, not the schemas');
});

t.test('served: values written as inert data, encodings negotiated', async (t) => {
  const hostile = parseIntakePolicy({ version: 1, lists: { ...intakePolicy.lists, region: [{ code: 'bamako', fr: '</script><script>alert(1)</script>', en: 'x' }] } });
  const app = Fastify();
  app.addSchema(Problem); // the app's shared schema, which the page's error answers refer to
  await app.register(defenderPage, { config, intakePolicy: hostile, dir: WEB_DIR });
  t.teardown(() => app.close());
  const page = await app.inject({ method: 'GET', url: '/' });
  t.equal(page.statusCode, 200);
  t.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  t.match(page.body, '<meta name="egide-intake-key-id" content="abcdefghijklmnopqrstuv">');
  t.match(page.body, 'content="https://example.org/?q=&quot;x&quot;"', 'the exit URL is attribute-escaped');
  t.notMatch(page.body, '<script>alert(1)', 'a label cannot close the data block');
  t.match(page.body, '\\u003c/script>');
  const lists = JSON.parse(/<script type="application\/json" id="egide-lists">([^<]*)<\/script>/.exec(page.body)![1]!) as Record<string, unknown[]>;
  t.same(Object.keys(lists).sort(), ['contactChannel', 'defenderCategory', 'disability', 'filedFor', 'gender', 'language', 'region', 'threatType'], 'only the lists the form uses');

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
