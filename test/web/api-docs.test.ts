/**
 * /docs (Swagger UI) is served under a strict Content-Security-Policy: the page, each of its
 * assets and the OpenAPI document carry it, and it allows nothing but the page's own files and
 * API. Swagger UI still works under it, in Debian's Chromium: the operations render, "Try it
 * out" calls the API, the browser reports no violation and reaches no other host; and the policy
 * is really enforced (a script injected into the page does not run).
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { closeAll, launchChromium, openIsolatedPage } from '../helpers/browser.js';
import { DOCS_CSP } from '../../src/plugins/openapi.js';

const T = await buildTestApp(t);

/** A policy as a map of directive to sources. */
function parseCsp(header: string): Map<string, string[]> {
  return new Map(
    header
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name!.toLowerCase(), sources]),
  );
}

t.test('the policy allows nothing but the page itself', async (t) => {
  const csp = parseCsp(DOCS_CSP);
  t.same(csp.get('default-src'), ["'none'"], 'anything not named is refused');
  t.same(csp.get('script-src'), ["'self'"], 'scripts: our files only (no inline, no eval)');
  t.same(csp.get('script-src-attr'), ["'none'"], 'no inline event handlers');
  t.same(csp.get('style-src'), ["'self'"], 'styles: our files only (no inline)');
  t.same(csp.get('connect-src'), ["'self'"], 'fetches: this API only');
  t.same(csp.get('frame-ancestors'), ["'none'"], 'no site may frame the docs');
  t.same(csp.get('base-uri'), ["'none'"]);
  t.same(csp.get('object-src'), ["'none'"]);
  const sources = [...csp.values()].flat();
  for (const loose of ["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'wasm-unsafe-eval'", '*', 'http:', 'https:', 'blob:']) {
    t.notOk(sources.includes(loose), `no ${loose} anywhere`);
  }
});

t.test('/docs, every file it loads and the OpenAPI document are served with it', async (t) => {
  const html = await T.app.inject({ method: 'GET', url: '/docs' });
  t.equal(html.statusCode, 200);
  t.match(html.headers['content-type'], /^text\/html/);
  t.equal(html.headers['content-security-policy'], DOCS_CSP, '/docs');

  const assets = [...html.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => new URL(m[1]!, 'http://x/docs').pathname);
  t.ok(assets.length >= 5, `the page loads its scripts, stylesheets and icons: ${assets.join(', ')}`);
  for (const url of [...assets, '/docs/', '/docs/static/swagger-initializer.js', '/docs/static/oauth2-redirect.html', '/docs/json', '/docs/yaml']) {
    const r = await T.app.inject({ method: 'GET', url });
    t.equal(r.statusCode, 200, `${url} is served`);
    t.equal(r.headers['content-security-policy'], DOCS_CSP, `${url} carries the policy`);
  }
});

t.test('Swagger UI works under the policy in Chromium', async (t) => {
  await T.app.listen({ port: 0, host: '127.0.0.1' });
  const address = T.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const origin = `http://127.0.0.1:${address.port}`;
  const browser = await launchChromium();
  const p = await openIsolatedPage(browser, { viewport: { width: 1280, height: 900 } });
  t.teardown(() => closeAll(p, browser));
  // Recorded by the browser itself, before any script of the page runs.
  // (Page code as strings: the tests are type-checked without the DOM library.)
  await p.page.addInitScript({ content: "window.violations = []; document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.effectiveDirective + ' ' + e.blockedURI));" });
  const violations = () => p.page.evaluate<string[]>('window.violations');

  await p.page.goto(`${origin}/docs`);
  // Every tag is listed, folded (Swagger UI renders at most about 128 unfolded operations at once);
  // opening one shows its operations.
  await p.page.locator('.opblock-tag').first().waitFor({ timeout: 30_000 });
  t.ok((await p.page.locator('.opblock-tag').count()) >= 15, 'the tags of the OpenAPI document are listed');
  await p.page.locator('.opblock-tag[data-tag="health"]').click();
  const healthz = p.page.locator('.opblock').filter({ has: p.page.locator('[data-path="/healthz"]') });
  await healthz.waitFor({ timeout: 30_000 });
  t.match(await p.page.locator('.info .title').innerText(), /egide API/, 'the document is loaded from /docs/json');

  await healthz.locator('.opblock-summary').click();
  await healthz.getByRole('button', { name: 'Try it out' }).click();
  const answered = p.page.waitForResponse((r) => new URL(r.url()).pathname === '/healthz');
  await healthz.getByRole('button', { name: 'Execute' }).click();
  t.equal((await answered).status(), 200, '"Try it out" called the API');
  const status = healthz.locator('.live-responses-table tbody .response-col_status').first();
  await status.waitFor();
  t.match(await status.innerText(), /200/, 'and shows its answer');

  await p.page.getByRole('button', { name: 'Authorize' }).first().click();
  await p.page.locator('.auth-container input').first().fill('not-a-token');
  t.ok(await p.page.locator('.dialog-ux .modal-ux').isVisible(), 'the bearer token dialog opens');
  await p.page.locator('.dialog-ux button.close-modal').click();

  t.same(await violations(), [], 'the browser reported no violation of the policy');
  t.same(p.consoleErrors, [], 'no console error (a refused load would be one)');
  t.same(p.pageErrors, []);
  t.same(p.offHostRequests, [], 'nothing requested from another host');

  // Control: the policy is enforced, so the checks above could fail.
  const ran = await p.page.evaluate<boolean>("(() => { const s = document.createElement('script'); s.textContent = 'window.injected = true'; document.head.append(s); return window.injected === true; })()");
  t.equal(ran, false, 'a script injected into the page does not run');
  t.match(await violations(), [/^script-src-elem inline$/], 'and the browser reports it');
});
