/**
 * `egide web verify <url>` against a running deployment, in-process: a deployment built from this
 * checkout (with a pinned intake key) is byte for byte a local build with the inputs its
 * manifest names, and its signature (`web keygen`, `web sign`) holds with the operator's key and
 * not with another; a deployment whose files were changed after the build fails, naming each
 * changed file — also one changed only in the brotli copy a browser would get — and so does one
 * serving the same files under a looser Content-Security-Policy.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import t from 'tap';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/cli-io.js';
import fp from 'fastify-plugin';
import { buildTestApp, type ExtraPlugin } from '../helpers/app.js';

const PIN = 'verifyVerifyVerify0_-A';

function io(): CliIo & { out: () => string } {
  let text = '';
  const sink = { write: (s: string) => (text += s) };
  return { env: {}, stdin: new PassThrough(), stdout: sink, stderr: sink, out: () => text };
}
async function egide(...argv: string[]): Promise<{ code: number; out: string }> {
  const cli = io();
  const code = await main(argv, cli);
  return { code, out: cli.out() };
}

const dir = mkdtempSync(path.join(tmpdir(), 'egide-web-verify-test-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const web = path.join(dir, 'web');

const built = await egide('web', 'build', '--out', web, '--intake-key', PIN);
if (built.code !== 0) throw new Error(built.out);

async function serve(extraPlugins: ExtraPlugin[] = []): Promise<string> {
  const app = await buildTestApp(t, { env: { WEB_DIR: web }, extraPlugins });
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

t.test('the deployment serves its manifest as built, and 404 for a signature until signed', async (t) => {
  const origin = await serve();
  const res = await fetch(`${origin}/.well-known/egide/manifest.json`);
  t.equal(res.status, 200);
  t.ok(Buffer.from(await res.arrayBuffer()).equals(readFileSync(path.join(web, 'egide-manifest.json'))), 'the bytes the build wrote');
  t.equal((await fetch(`${origin}/.well-known/egide/manifest.json.sig`)).status, 404);
});

t.test('a signed deployment built from this checkout: identical, signature good', async (t) => {
  const keygen = await egide('web', 'keygen', '--out', path.join(dir, 'operator.pem'));
  t.equal(keygen.code, 0, keygen.out);
  t.equal(statSync(path.join(dir, 'operator.pem')).mode & 0o777, 0o600, 'the private key is readable by its owner only');
  const publicKey = readFileSync(path.join(dir, 'operator.pem.pub'), 'utf8').trim();
  t.match(keygen.out, publicKey);
  const signed = await egide('web', 'sign', '--key', path.join(dir, 'operator.pem'), '--dir', web);
  t.equal(signed.code, 0, signed.out);
  t.equal((await egide('web', 'keygen', '--out', path.join(dir, 'operator.pem'))).code, 1, 'keygen never overwrites a key');

  const origin = await serve();
  const verified = await egide('web', 'verify', origin, '--signing-key', publicKey);
  t.equal(verified.code, 0, verified.out);
  t.match(verified.out, /signature: good/);
  t.match(verified.out, new RegExp(`OK: the \\d+ files served by ${origin} are byte for byte a build of commit [0-9a-f]{40} pinning intake key ${PIN}`));
  t.notMatch(verified.out, /DIFFERS/);

  await egide('web', 'keygen', '--out', path.join(dir, 'other.pem'));
  const other = await egide('web', 'verify', origin, '--signing-key', path.join(dir, 'other.pem.pub'));
  t.equal(other.code, 1, 'another key: exit 1');
  t.match(other.out, /DIFFERS signature: BAD/);
});

t.test('files changed after the build, or served under a looser CSP: exit 1, each file named', async (t) => {
  const assets = readdirSync(path.join(web, 'assets'));
  const app = assets.find((f) => /^app-[0-9a-f]{12}\.js$/.test(f))!;
  const css = assets.find((f) => /^css-[0-9a-f]{12}\.css$/.test(f))!;
  // The page script changed in all its copies, as a coerced server would serve it.
  const tampered = Buffer.concat([readFileSync(path.join(web, 'assets', app)), Buffer.from(';fetch("/x?"+document.body.innerText)')]);
  writeFileSync(path.join(web, 'assets', app), tampered);
  writeFileSync(path.join(web, 'assets', `${app}.gz`), gzipSync(tampered));
  writeFileSync(path.join(web, 'assets', `${app}.br`), brotliCompressSync(tampered));
  // The stylesheet changed only in the brotli copy: what browsers get, not what a plain fetch gets.
  writeFileSync(path.join(web, 'assets', `${css}.br`), brotliCompressSync(Buffer.from('body{display:none}')));

  // The follow-up page's HTML unchanged, but allowed to send data anywhere.
  const looser = fp(async (f) => {
    f.addHook('onSend', async (request, reply) => {
      if (request.url === '/suivi') void reply.header('content-security-policy', "default-src 'none'; script-src 'self'; connect-src *");
    });
  });
  const origin = await serve([{ plugin: looser }]);
  const verified = await egide('web', 'verify', origin);
  t.equal(verified.code, 1, 'exit 1');
  const lines = verified.out.split('\n').filter((l) => l.startsWith('DIFFERS'));
  t.equal(lines.length, 3, verified.out);
  t.match(lines.find((l) => l.startsWith('DIFFERS /suivi:')), /served with another Content-Security-Policy: "default-src 'none'; script-src 'self'; connect-src \*"/, 'the page under a looser policy');
  t.match(lines.find((l) => l.includes(`/assets/${app}`)), /identity: served [0-9a-f]{64}; gzip: served [0-9a-f]{64}; br: served [0-9a-f]{64}/, 'the page script, in every encoding');
  const cssLine = lines.find((l) => l.includes(`/assets/${css}`)) ?? '';
  t.match(cssLine, /br: served [0-9a-f]{64}/, 'the stylesheet, in brotli');
  t.notMatch(cssLine, /identity|gzip/, 'only in brotli');
  t.match(verified.out, /FAILED: 3 difference\(s\)/);
});

t.test('a URL with nothing to verify: exit 1 with the reason', async (t) => {
  const none = await egide('web', 'verify', 'ftp://example.org/');
  t.equal(none.code, 1);
  t.match(none.out, /only http:\/\/ and https:\/\//);
});
