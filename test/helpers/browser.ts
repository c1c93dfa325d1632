/**
 * Test helper: runs pages in Debian's Chromium (never a browser downloaded by Playwright) against
 * files served from 127.0.0.1, with every request to any other host blocked and recorded.
 *
 *   const harness = await startBrowserHarness({ files: { 'index.html': { body: html, headers: { 'content-security-policy': csp } } } });
 *   t.teardown(() => harness.close());
 *   const session = await harness.newPage();
 *   await session.page.goto(harness.server.url('/index.html'));
 *   ...
 *   t.same(session.offHostRequests, []);
 *   t.same(session.consoleErrors, []);
 *
 * The pieces (launchChromium, serveFiles / serveDirectory, openIsolatedPage, closeAll) can also
 * be used on their own.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type ConsoleMessage, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Headless, no sandbox (containers), and nothing that phones home on its own. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** The only host a page may reach. */
export const LOOPBACK_HOST = '127.0.0.1';

export interface Closable {
  close(): Promise<void>;
}

/**
 * Launches /usr/bin/chromium through playwright-core. Throws a clear error when Chromium is not
 * installed instead of letting Playwright suggest `playwright install`.
 */
export async function launchChromium(options: { executablePath?: string; timeoutMs?: number } = {}): Promise<Browser> {
  const executablePath = options.executablePath ?? CHROMIUM_PATH;
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}. Install Debian's Chromium with \`apt-get install -y chromium\` ` +
        '(these tests never use a browser downloaded by `playwright install`).',
    );
  }
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS], timeout: options.timeoutMs ?? 30_000 });
}

/** A file served from memory: its body, and optionally its content type and extra response headers. */
export interface ServedFile {
  body: string | Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface StaticServer extends Closable {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  /** Absolute URL of a path on this server. */
  url(pathname?: string): string;
  /** Every request the server received, as `METHOD /path`. */
  requests: string[];
}

export interface ServeOptions {
  /** Headers added to every response (e.g. a Content-Security-Policy); per-file headers win. */
  headers?: Record<string, string>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

export function contentTypeOf(filePath: string): string {
  return CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

type Lookup = (pathname: string) => Promise<ServedFile | undefined>;

async function startServer(lookup: Lookup, options: ServeOptions): Promise<StaticServer> {
  const requests: string[] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    requests.push(`${req.method ?? '?'} ${req.url ?? ''}`);
    const send = (status: number, body: string | Uint8Array, headers: Record<string, string>) => {
      res.writeHead(status, { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...options.headers, ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, 'method not allowed', { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, HEAD' });
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      send(400, 'bad request', { 'content-type': 'text/plain; charset=utf-8' });
      return;
    }
    if (pathname.endsWith('/')) pathname += 'index.html';
    const file = await lookup(pathname);
    if (!file) {
      send(404, 'not found', { 'content-type': 'text/plain; charset=utf-8' });
      return;
    }
    send(200, file.body, { 'content-type': file.contentType ?? contentTypeOf(pathname), ...file.headers });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(err instanceof Error ? err.message : 'internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${LOOPBACK_HOST}:${port}`;
  return {
    origin,
    port,
    requests,
    url: (pathname = '/') => new URL(pathname, origin).href,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/**
 * Serves a map of in-memory files, keyed by path (`'index.html'` or `'/index.html'`); a path
 * ending in `/` serves its `index.html`.
 */
export function serveFiles(files: Record<string, string | Uint8Array | ServedFile>, options: ServeOptions = {}): Promise<StaticServer> {
  const table = new Map<string, ServedFile>();
  for (const [key, value] of Object.entries(files)) {
    const file: ServedFile = typeof value === 'string' || value instanceof Uint8Array ? { body: value } : value;
    table.set(key.startsWith('/') ? key : `/${key}`, file);
  }
  return startServer(async (pathname) => table.get(pathname), options);
}

/** Serves a directory (read on each request, so a test may rebuild files in it); never anything outside it. */
export async function serveDirectory(root: string, options: ServeOptions = {}): Promise<StaticServer> {
  const base = await realpath(path.resolve(root));
  if (!(await stat(base)).isDirectory()) throw new Error(`${root} is not a directory`);
  return startServer(async (pathname) => {
    const candidate = path.resolve(base, `.${path.posix.normalize(pathname)}`);
    if (candidate !== base && !candidate.startsWith(base + path.sep)) return undefined;
    let real: string;
    try {
      real = await realpath(candidate);
      if (!real.startsWith(base + path.sep) || !(await stat(real)).isFile()) return undefined;
    } catch {
      return undefined;
    }
    return { body: await readFile(real), contentType: contentTypeOf(real) };
  }, options);
}

export interface IsolatedPage extends Closable {
  context: BrowserContext;
  page: Page;
  /** Every request the page made (URL), allowed or not. */
  requests: string[];
  /** Every request with its method and body (what the browser sent), for leak checks. */
  sent: SentRequest[];
  /** Requests to anything other than 127.0.0.1 (aborted by the route, or not routable such as a WebSocket). */
  offHostRequests: string[];
  /** Uncaught exceptions and unhandled rejections in the page. */
  pageErrors: string[];
  /** console.error / console.assert messages (CSP violations and failed loads also land here). */
  consoleErrors: string[];
  /** Every console message, as `type: text`, for diagnostics. */
  consoleMessages: string[];
}

/** A request as the browser sent it. */
export interface SentRequest {
  method: string;
  url: string;
  /** The request body as text (null when there is none). */
  body: string | null;
  /** The request's headers as the page set them (name: value lines). */
  headers: string;
}

/** A phone-sized context (about an iPhone 12 / mid-range Android): what defenders use. */
export const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** True for URLs that never touch the network (data:, blob:, about:) or go to 127.0.0.1. */
export function isLocalUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'data:' || parsed.protocol === 'blob:' || parsed.protocol === 'about:') return true;
  return (parsed.protocol === 'http:' || parsed.protocol === 'https:' || parsed.protocol === 'ws:' || parsed.protocol === 'wss:') && parsed.hostname === LOOPBACK_HOST;
}

/**
 * A fresh context and page in which only 127.0.0.1 is reachable: every other request is aborted
 * and recorded in `offHostRequests`, so a test can assert that none happened.
 */
export async function openIsolatedPage(browser: Browser, contextOptions: BrowserContextOptions = {}): Promise<IsolatedPage> {
  const context = await browser.newContext({ ...contextOptions, serviceWorkers: 'block', acceptDownloads: false });
  const requests: string[] = [];
  const sent: SentRequest[] = [];
  const offHostRequests: string[] = [];
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  const consoleMessages: string[] = [];

  await context.route(
    () => true,
    async (route) => {
      const url = route.request().url();
      // A route can outlive its page (navigation, close): errors continuing it are of no interest.
      if (isLocalUrl(url)) {
        await route.continue().catch(() => undefined);
      } else {
        if (!offHostRequests.includes(url)) offHostRequests.push(url);
        await route.abort('blockedbyclient').catch(() => undefined);
      }
    },
  );
  await context.routeWebSocket(
    () => true,
    async (ws) => {
      if (isLocalUrl(ws.url())) {
        ws.connectToServer();
      } else {
        if (!offHostRequests.includes(ws.url())) offHostRequests.push(ws.url());
        await ws.close({ code: 1008, reason: 'blocked by test: only 127.0.0.1 is reachable' }).catch(() => undefined);
      }
    },
  );
  context.on('request', (request) => {
    const url = request.url();
    requests.push(url);
    sent.push({ method: request.method(), url, body: request.postData(), headers: Object.entries(request.headers()).map(([k, v]) => `${k}: ${v}`).join('\n') });
    // Belt and braces: anything that reached the network layer without passing the route.
    if (!isLocalUrl(url) && !offHostRequests.includes(url)) offHostRequests.push(url);
  });

  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.stack ?? err.message));
  page.on('console', (msg: ConsoleMessage) => {
    const location = msg.location();
    const line = `${msg.type()}: ${msg.text()}${location.url ? ` (${location.url}:${location.lineNumber})` : ''}`;
    consoleMessages.push(line);
    if (msg.type() === 'error' || msg.type() === 'assert') consoleErrors.push(line);
  });

  return { context, page, requests, sent, offHostRequests, pageErrors, consoleErrors, consoleMessages, close: () => context.close() };
}

/** Closes pages, browsers and servers in the given order; every one is attempted, then the first failure is thrown. */
export async function closeAll(...things: Array<Closable | undefined | null>): Promise<void> {
  const errors: unknown[] = [];
  for (const thing of things) {
    if (!thing) continue;
    try {
      await thing.close();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'several resources failed to close');
}

/** A browser, a server and the isolated pages opened on it, closed together. */
export interface BrowserHarness extends Closable {
  browser: Browser;
  server: StaticServer;
  /** A new isolated context and page (see openIsolatedPage); closed with the harness. */
  newPage(contextOptions?: BrowserContextOptions): Promise<IsolatedPage>;
}

/** Serves in-memory files or a directory on 127.0.0.1 and launches Chromium; `close()` closes pages, browser and server. */
export async function startBrowserHarness(content: { files: Record<string, string | Uint8Array | ServedFile> } | { directory: string }, options: ServeOptions = {}): Promise<BrowserHarness> {
  const server = 'files' in content ? await serveFiles(content.files, options) : await serveDirectory(content.directory, options);
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (err) {
    await server.close();
    throw err;
  }
  const pages: IsolatedPage[] = [];
  return {
    browser,
    server,
    async newPage(contextOptions?: BrowserContextOptions) {
      const page = await openIsolatedPage(browser, contextOptions);
      pages.push(page);
      return page;
    },
    close: () => closeAll(...pages, browser, server),
  };
}

/** One axe-core finding, reduced to what a test message needs. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

let axeSource: string | undefined;

/**
 * Runs axe-core (WCAG 2.x A and AA rules) on the page as it is now. The script is evaluated
 * through the DevTools protocol, not added as a <script>, so the page's own Content-Security-
 * Policy stays as strict as in production while it is checked.
 */
export async function runAxe(page: Page, moreTags: string[] = []): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  const loaded = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(`${axeSource}\n;globalThis.axe = axe;`);
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice', ...moreTags];
  return page.evaluate(async (values) => {
    interface AxeResult {
      violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }>;
    }
    const g = globalThis as unknown as { axe: { run(ctx: unknown, opts: object): Promise<AxeResult> }; document: unknown };
    const result = await g.axe.run(g.document, { runOnly: { type: 'tag', values }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.map(String).join(' ')) }));
  }, tags);
}
