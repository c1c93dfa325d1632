/**
 * Proves the SDK runs in a real browser: browser-entry.ts is bundled with esbuild for the
 * browser platform (a `node:` import anywhere in the graph fails the build), served from
 * 127.0.0.1 with a strict Content-Security-Policy, and run in Debian's Chromium. Every vector
 * of crypto-v1.json, the sealed-field vectors of crypto-v2.json and the end-to-end checks are
 * asserted one by one, and the list of checks that ran must be exactly the expected one.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import t from 'tap';
import fixture from '../fixtures/crypto-v1.json' with { type: 'json' };
import fixtureV2 from '../fixtures/crypto-v2.json' with { type: 'json' };
import { isLocalUrl, startBrowserHarness, type BrowserHarness, type IsolatedPage } from '../helpers/browser.js';
import type { BrowserReport, CheckResult } from './browser-entry.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const entryPoint = path.join(here, 'browser-entry.ts');

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
const CSP_WITHOUT_WASM = "default-src 'self'; script-src 'self'";
const RESULTS_TIMEOUT_MS = 20_000;
const CONTROL_TIMEOUT_MS = 10_000;

const BUILD_OPTIONS = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  write: false,
  metafile: true,
  logLevel: 'silent',
  absWorkingDir: root,
} as const satisfies esbuild.BuildOptions;

/** Labels per vector group, mirrored from browser-entry.ts: a vector without its checks fails the name comparison. */
const VECTOR_LABELS: Record<string, readonly string[]> = {
  keyId: ['keyIdOf', 'pinnedPublicKey accepts'],
  sealedField: ['openField', 'sealField writes format 2'],
  sealedFieldMustFail: ['openField fails with decrypt_failed'],
  keyEnvelope: ['recipient key pair from seed', 'recipient keyId', 'openEnvelope'],
  password: ['derivePasswordKeys master', 'authKey', 'wrapKey', 'verifier', 'unwrapPrivateKey', 'public key', 'wrapPrivateKey reproduces'],
  receipt: ['normaliseReceipt', 'formatReceipt', 'authKey', 'verifier', 'defender public key', 'defender keyId'],
  orgKeyring: ['member public key', 'openKeyringEntry org private key', 'org public key', 'org keyId'],
};

const EXTRA_CHECKS = [
  'seal/open round trip',
  'AD-moved ciphertext fails with decrypt_failed',
  'envelope round trip',
  'pinned keyId mismatch fails with key_id_mismatch',
  'envelope for another keyId fails with key_id_mismatch',
  'generateReceipt + deriveReceiptKeys',
  'file: encryptBlob size',
  'file: decryptFile round trip',
  'file: truncated stream rejected',
];

/** Every check name the page must report, computed from the fixture independently of the page. */
function expectedCheckNames(): { names: string[]; unknownGroups: string[] } {
  const names = ['environment is a browser', 'not_ready before ready()', 'ready()'];
  const unknownGroups: string[] = [];
  for (const [group, vectors] of Object.entries(fixture.vectors)) {
    if (group === 'auditChain') {
      fixture.vectors.auditChain.entries.forEach((_, j) => names.push(`auditChain.entries[${j}] canonical`, `auditChain.entries[${j}] hash`));
      names.push('auditChain verifyChain', 'auditChain tampered event rejected');
    } else if (group === 'auditCheckpoint') {
      names.push('auditCheckpoint message', 'auditCheckpoint signature verifies', 'auditCheckpoint other seq rejected');
    } else {
      const labels = VECTOR_LABELS[group];
      if (!labels || !Array.isArray(vectors)) {
        unknownGroups.push(group);
        continue;
      }
      vectors.forEach((_, i) => names.push(...labels.map((label) => `${group}[${i}] ${label}`)));
    }
  }
  // Format 2 (crypto-v2.json): the sealed-field vectors; the rest of that file is key material the Node tests cover.
  fixtureV2.vectors.sealedFieldV2.forEach((_, i) => names.push(`sealedFieldV2[${i}] openField`, `sealedFieldV2[${i}] sealField reproduces`));
  fixtureV2.vectors.sealedFieldV2MustFail.forEach((_, i) => names.push(`sealedFieldV2MustFail[${i}] refused with its code`));
  return { names: [...names, ...EXTRA_CHECKS], unknownGroups };
}

function buildErrors(err: unknown): string[] {
  const errors = (err as { errors?: esbuild.Message[] }).errors;
  if (Array.isArray(errors)) return errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`);
  return [err instanceof Error ? err.message : String(err)];
}

// --- bundle --------------------------------------------------------------------------------

let bundle: Uint8Array | undefined;
let errors: string[] = [];
let inputs: string[] = [];
try {
  const result = await esbuild.build({ ...BUILD_OPTIONS, entryPoints: [entryPoint] });
  errors = result.errors.map((e) => e.text);
  bundle = result.outputFiles[0]?.contents;
  inputs = Object.keys(result.metafile.inputs);
} catch (err) {
  errors = buildErrors(err);
}

t.test('esbuild bundles the SDK for the browser', async (t) => {
  t.same(errors, [], 'the browser build has no errors (a node: import anywhere would be one)');
  t.ok(bundle && bundle.length > 0, 'the build produced a bundle');
  t.ok(inputs.includes('src/sdk/index.ts'), 'the bundle contains the SDK entry src/sdk/index.ts');
  t.ok(
    inputs.some((i) => i.includes('libsodium-sumo/dist/modules-sumo-esm/')),
    'libsodium is bundled from its ESM build (WebAssembly inlined as base64)',
  );
  // The typed API client carries the route table (method and URL per operationId, plain data);
  // the contracts' schemas are types only and stay out, as does every other server module.
  const outside = inputs.filter((i) => (i.startsWith('src/') && !i.startsWith('src/sdk/') && i !== 'src/contracts/routes.ts') || i.startsWith('src/sdk/node/'));
  t.same(outside, [], 'nothing from server code or src/sdk/node/ is in the browser bundle');
  t.notOk(
    inputs.some((i) => i.includes('node_modules/typebox/')),
    'TypeBox is not in the bundle: the client takes only types from the contracts',
  );
  if (bundle) t.comment(`browser bundle: ${bundle.length} bytes (${(bundle.length / 1024).toFixed(1)} KiB), ${(gzipSync(bundle).length / 1024).toFixed(1)} KiB gzipped, ${inputs.length} modules`);
});

t.test('the same build options refuse Node builtins (the guard above can fail)', async (t) => {
  for (const source of ["import { readFileSync } from 'node:fs'; console.log(readFileSync);", "import { createHash } from 'crypto'; console.log(createHash);"]) {
    let failures: string[] = [];
    try {
      await esbuild.build({ ...BUILD_OPTIONS, stdin: { contents: source, resolveDir: path.join(root, 'src/sdk'), sourcefile: 'probe.ts', loader: 'ts' } });
    } catch (err) {
      failures = buildErrors(err);
    }
    t.ok(failures.length > 0, `a module doing \`${source.split(';')[0]}\` does not bundle: ${failures[0] ?? 'it bundled!'}`);
  }
});

// --- browser -------------------------------------------------------------------------------

const PAGE = (script: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>egide SDK in the browser</title></head><body><script type="module" src="${script}"></script></body></html>`;

let harness: BrowserHarness | undefined;
t.teardown(() => harness?.close());

async function runPage(
  h: BrowserHarness,
  session: IsolatedPage,
  pathname: string,
  timeout: number,
): Promise<{ report: BrowserReport | undefined; cspHeader: string | undefined; failure: string | undefined }> {
  const response = await session.page.goto(h.server.url(pathname));
  const cspHeader = response?.headers()['content-security-policy'];
  try {
    await session.page.waitForFunction(() => (globalThis as { __egideResults?: unknown }).__egideResults !== undefined, undefined, { timeout });
  } catch (err) {
    return { report: undefined, cspHeader, failure: `${err instanceof Error ? err.message : String(err)}\nconsole:\n${session.consoleMessages.join('\n')}\npage errors:\n${session.pageErrors.join('\n')}` };
  }
  const report = await session.page.evaluate(() => (globalThis as { __egideResults?: BrowserReport }).__egideResults);
  return { report, cspHeader, failure: undefined };
}

t.test('the SDK passes every check in Chromium under a strict CSP', async (t) => {
  if (!bundle) return t.fail('no bundle to run (see the build test)');
  harness = await startBrowserHarness({
    files: {
      'index.html': { body: PAGE('/sdk-browser.js'), headers: { 'content-security-policy': CSP } },
      'no-wasm.html': { body: PAGE('/sdk-browser.js'), headers: { 'content-security-policy': CSP_WITHOUT_WASM } },
      'blank.html': '<!doctype html><title>blank</title>',
      'sdk-browser.js': { body: bundle, headers: { 'content-security-policy': CSP } },
    },
  });
  t.comment(`Chromium ${harness.browser.version()}`);

  const session = await harness.newPage();
  const { report, cspHeader, failure } = await runPage(harness, session, '/index.html', RESULTS_TIMEOUT_MS);
  t.equal(cspHeader, CSP, 'the page was served with the strict Content-Security-Policy');
  if (!report) return t.fail(`the page did not report results within ${RESULTS_TIMEOUT_MS} ms: ${failure ?? ''}`);
  t.comment(`${report.userAgent}; checks took ${report.elapsedMs} ms in the page`);

  for (const result of report.results) t.ok(result.ok, `${result.name}: ${result.detail}`);

  const { names, unknownGroups } = expectedCheckNames();
  t.same(unknownGroups, [], 'every vector group of crypto-v1.json has browser checks');
  const ran = report.results.map((r: CheckResult) => r.name);
  t.equal(ran.length, names.length, `exactly ${names.length} checks ran`);
  t.equal(new Set(ran).size, ran.length, 'no check name repeats');
  t.same([...ran].sort(), [...names].sort(), 'the checks that ran are exactly the expected ones (none skipped, none unknown)');

  t.same(report.cspViolations, [], 'no Content-Security-Policy violation');
  t.same(session.pageErrors, [], 'no uncaught error in the page');
  t.same(session.consoleErrors, [], 'no console error');
  t.same(session.offHostRequests, [], 'no request left 127.0.0.1');
  t.ok(session.requests.length >= 2 && session.requests.every(isLocalUrl), `all ${session.requests.length} requests went to 127.0.0.1: ${session.requests.join(', ')}`);
});

t.test('controls: the CSP and the network block are really enforced', async (t) => {
  const h = harness;
  if (!h) return t.fail('the browser test did not start');

  // Without 'wasm-unsafe-eval' the same bundle cannot instantiate libsodium's WebAssembly.
  const noWasm = await h.newPage();
  const { report, cspHeader, failure } = await runPage(h, noWasm, '/no-wasm.html', CONTROL_TIMEOUT_MS);
  t.equal(cspHeader, CSP_WITHOUT_WASM, 'the control page has the CSP without wasm-unsafe-eval');
  if (!report) return t.fail(`the control page did not report: ${failure ?? ''}`);
  const readyCheck = report.results.find((r) => r.name === 'ready()');
  t.equal(readyCheck?.ok, false, `ready() fails when the CSP forbids WebAssembly compilation: ${readyCheck?.detail ?? 'no ready() result'}`);
  t.ok(
    report.cspViolations.some((v) => v.startsWith('script-src') && v.includes('wasm-eval')),
    `the page saw the wasm-eval CSP violation: ${report.cspViolations.join('; ') || 'none'}`,
  );

  // A page that tries to reach another host is blocked, and the attempt is recorded.
  const probe = await h.newPage();
  await probe.page.goto(h.server.url('/blank.html'));
  const outside = 'http://192.0.2.1/egide-probe';
  const outcome = await probe.page.evaluate(async (url) => {
    try {
      await fetch(url, { mode: 'no-cors' });
      return 'reached';
    } catch {
      return 'blocked';
    }
  }, outside);
  t.equal(outcome, 'blocked', 'a fetch to another host fails in the page');
  t.same(probe.offHostRequests, [outside], 'the helper recorded the off-host request');
});
