import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { defineBenchmark, row } from './lib/report.js';
import { consoleWorld } from './lib/console-world.js';
import { summarize } from './lib/stats.js';
import type { BareBatch } from './bare-open-worker.js';
import { toB64u } from '../src/sdk/index.js';
import type { Teardown } from '../test/helpers/app.js';
import { clientOf } from '../test/helpers/api-client.js';
import { serveFiles } from '../test/helpers/browser.js';
import { consoleBrowser, signInAs, startConsoleService } from '../test/web/console-kit.js';
import { WEB_DIR } from '../test/web/page-kit.js';

const ROUNDS = Number(process.env.BENCH_CONSOLE_ROUNDS ?? 20);
const WARMUP = 3;
const COUNTS = { fields: 20, messages: 50, notes: 10, pool: 50 };
const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Injected into the console's page once signed in (through the DevTools protocol, so the page's
 * CSP stays as in production). `arm` watches the DOM (its promise resolves once all are reached) until each selector matches its count and
 * notes the time (a MutationObserver's callback runs right after the commit that put the elements
 * in); `go` moves the console's router as a click on a link would; `result` gives those times and
 * the Resource Timing `responseEnd` of the API answers (when the data had arrived), on the page's
 * one clock.
 */
const PROBE = `(() => {
  const state = { marks: {}, pending: [], observer: null, resolve: null };
  const check = () => {
    const now = performance.now();
    state.pending = state.pending.filter((w) => {
      if (document.querySelectorAll(w.selector).length < w.count) return true;
      state.marks[w.name] = now;
      return false;
    });
    if (state.pending.length === 0 && state.observer) { state.observer.disconnect(); state.observer = null; state.resolve(); }
  };
  window.__egideBench = {
    arm(watches) {
      performance.clearResourceTimings();
      state.marks = {};
      state.pending = watches.slice();
      const done = new Promise((resolve) => { state.resolve = resolve; });
      state.observer = new MutationObserver(check);
      state.observer.observe(document.body, { childList: true, subtree: true, characterData: true });
      state.marks.start = performance.now();
      return done;
    },
    go(url) { history.pushState(null, '', url); dispatchEvent(new PopStateEvent('popstate')); },
    result(patterns) {
      const entries = performance.getEntriesByType('resource');
      const responses = {};
      for (const [name, re] of Object.entries(patterns)) responses[name] = entries.filter((e) => new RegExp(re).test(e.name)).map((e) => e.responseEnd);
      return { marks: state.marks, responses };
    },
  };
})()`;

/**
 * The baseline's page: the bare worker opens each batch, the page puts the texts in the DOM as
 * plain list items; and the queue's rows made from the same list answer with createElement.
 */
const BARE = `(() => {
  let worker;
  const call = (msg) => new Promise((resolve) => { worker.onmessage = (e) => resolve(e.data); worker.postMessage(msg); });
  window.__bare = {
    async start() { worker = new Worker('/bare-open-worker.js'); await call('ready'); },
    async open(batches) {
      document.body.textContent = '';
      const out = [];
      for (const b of batches) {
        const t0 = performance.now();
        const texts = await call(b);
        const list = document.createElement('ol');
        for (const text of texts) { const li = document.createElement('li'); li.textContent = text; list.append(li); }
        document.body.append(list);
        out.push(performance.now() - t0);
      }
      return { ms: out, texts: [...document.querySelectorAll('li')].map((li) => li.textContent) };
    },
    rows(text) {
      document.body.textContent = '';
      const t0 = performance.now();
      const items = JSON.parse(text).items;
      const table = document.createElement('table');
      const body = document.createElement('tbody');
      for (const item of items) {
        const tr = document.createElement('tr');
        for (const cell of [item.reference, item.state, item.region, item.defenderCategory, item.riskLevel ?? '', item.urgent ? 'urgent' : '', item.nextDue ? item.nextDue.dueAt : '', String(item.unreadMessages ?? 0), 'Prendre']) {
          const td = document.createElement('td'); td.textContent = cell; tr.append(td);
        }
        body.append(tr);
      }
      table.append(body);
      document.body.append(table);
      return performance.now() - t0;
    },
  };
})()`;

interface Probed {
  marks: Record<string, number>;
  responses: Record<string, number[]>;
}

/** Teardown steps run last-registered first, as tap runs a test's (the browser before the service before its Redis keys). */
function teardowns(): Teardown & { run(): Promise<void> } {
  const steps: Array<() => unknown> = [];
  return {
    teardown: (fn) => void steps.push(fn),
    async run() {
      for (const step of steps.reverse()) await step();
    },
  };
}

async function visit(page: Page, url: string, watches: Array<{ name: string; selector: string; count: number }>, patterns: Record<string, string>): Promise<Probed> {
  // One evaluation, awaited in the page: nothing of the driver's polling runs in the page meanwhile.
  const script = `(async () => {
    const b = window.__egideBench;
    const done = b.arm(${JSON.stringify(watches)});
    b.go(${JSON.stringify(url)});
    let timer;
    await Promise.race([done, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('not shown within 30 s: ${url}')), 30000); })]);
    clearTimeout(timer);
    return b.result(${JSON.stringify(patterns)});
  })()`;
  return (await page.evaluate(script)) as Probed;
}

/** From the last answer matching `response` to the time `mark` was reached. */
function span(p: Probed, mark: string, response: string): number {
  const at = p.marks[mark];
  const arrived = p.responses[response]?.at(-1);
  if (at === undefined || arrived === undefined) throw new Error(`no ${mark} mark or ${response} answer: ${JSON.stringify(p)}`);
  return at - arrived;
}

const kib = (bytes: number): number => bytes / 1024;
const brotli = (bytes: Uint8Array): number => brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }).length;

/**
 * The staff console's quality bars, in Debian's Chromium against the real service (its own
 * database and Redis prefix): an officer opens a case of 20 sealed fields, 50 messages and 10
 * internal notes (the case page, then its notes page) and the queue of 50 pool cases, again and
 * again. Each figure runs from the moment the API's answer had arrived (Resource Timing) to the
 * moment the last value was in the DOM (a MutationObserver), so the network and the server are
 * outside it and the console's own work (JSON, the worker's round trips, the SDK's opening,
 * Preact's render) inside. Baseline, same browser, same run: a bare Web Worker of the bench's own
 * (bench/bare-open-worker.ts) opening the same ciphertexts with bare libsodium calls and the texts
 * put into the DOM as plain list items; the rows built with createElement from the same answer.
 */
export default defineBenchmark({
  title: 'staff console in Chromium: a case of 20 fields, 50 messages, 10 notes opened; a queue of 50 rows; bundle size',
  async run(ctx) {
    const down = teardowns();
    try {
      ctx.log('building the web applications and starting the service');
      const T = await startConsoleService(down);
      const consoleDir = path.join(WEB_DIR, 'console');
      const manifest = JSON.parse(readFileSync(path.join(consoleDir, 'manifest.json'), 'utf8')) as { entries: { app: string; crypto: string } };
      const app = readFileSync(path.join(consoleDir, manifest.entries.app));
      const worker = readFileSync(path.join(consoleDir, manifest.entries.crypto));

      ctx.log(`seeding: a case of ${COUNTS.fields} fields, ${COUNTS.messages} messages, ${COUNTS.notes} notes; ${COUNTS.pool} cases in the pool`);
      const world = await consoleWorld(T, COUNTS);
      const caseUrl = `/console/cases/${world.caseId}`;
      const list = await clientOf(T.app, world.officer).call('listCases', { query: { limit: String(COUNTS.pool), state: 'received', assignee: 'none' } });
      if (list.items.length !== COUNTS.pool) throw new Error(`the pool holds ${list.items.length} cases`);

      // The bundle's floor: the console's framework alone (Preact, signals, the router), bundled as tools/build-web.mjs bundles the console.
      const framework = await build({
        stdin: {
          contents: "import { render } from 'preact'; import { signal } from '@preact/signals'; import { LocationProvider, Route, Router } from 'preact-iso/router'; import { jsx } from 'preact/jsx-runtime'; const n = signal(0); render(jsx(LocationProvider, { children: jsx(Router, { children: jsx(Route, { path: '/', component: () => jsx('p', { children: n.value }) }) }) }), document.body);",
          resolveDir: here,
          loader: 'js',
        },
        bundle: true,
        minify: true,
        write: false,
        format: 'esm',
        platform: 'browser',
        target: ['es2020', 'chrome87', 'firefox78', 'safari15'],
        legalComments: 'none',
        logLevel: 'warning',
      });
      const bareWorker = await build({ entryPoints: [path.join(here, 'bare-open-worker.ts')], bundle: true, minify: true, write: false, format: 'iife', platform: 'browser', target: 'es2020', logLevel: 'warning' });
      const bareServer = await serveFiles({ 'index.html': '<!doctype html><html lang="fr"><title>baseline</title><body></body></html>', 'bare-open-worker.js': bareWorker.outputFiles[0]!.contents });
      down.teardown(() => bareServer.close());
      const keys = { publicKey: toB64u(world.officer.keyPair.publicKey), privateKey: toB64u(world.officer.keyPair.privateKey) };
      const batches: BareBatch[] = [
        { key: 'case', envelope: { envelope: world.caseEnvelope, ...keys }, items: world.sealed.fields, json: 'string' },
        { key: 'case', items: world.sealed.messages, json: 'string' },
        { key: 'staff', envelope: { envelope: world.staffEnvelope, ...keys }, items: world.sealed.notes, json: 'text' },
      ];

      const browser = await consoleBrowser(down);
      const p = await browser.open('laptop');
      // The console pages the queue by 15: the list asks for the 50 rows this bar is about (the same rendering code).
      await p.page.route(
        (url) => url.pathname === '/v1/cases' && url.searchParams.has('limit'),
        async (route) => {
          const url = new URL(route.request().url());
          url.searchParams.set('limit', String(COUNTS.pool));
          await route.continue({ url: url.href });
        },
      );
      await p.page.goto(`${T.origin}/console/`);
      await signInAs(p.page, T, world.officer);
      await p.page.locator('table.queue tbody tr').nth(COUNTS.pool - 1).waitFor({ timeout: 30_000 });
      await p.page.evaluate(PROBE);

      const bare = await browser.open('laptop');
      await bare.page.goto(bareServer.url('/index.html'));
      await bare.page.evaluate(BARE);
      await bare.page.evaluate('window.__bare.start()');
      const listText = JSON.stringify(list);

      const samples = { fields: [] as number[], messages: [] as number[], notes: [] as number[], client: [] as number[], wall: [] as number[], rows: [] as number[], bare: [] as number[], bareRows: [] as number[] };
      const consoleRound = async (keep: boolean, check: boolean) => {
        const c = await visit(
          p.page,
          caseUrl,
          [
            { name: 'fields', selector: '.sealed-text', count: COUNTS.fields },
            { name: 'messages', selector: '.message-body', count: COUNTS.messages },
          ],
          { sealed: '/sealed$', messages: '/messages\\?' },
        );
        if (check) {
          const shown = await p.page.locator('.sealed-text').allTextContents();
          if (JSON.stringify([...shown].sort()) !== JSON.stringify([...world.fields].sort())) throw new Error('the case page shows other field texts than were sealed');
          if (JSON.stringify(await p.page.locator('.message-body').allTextContents()) !== JSON.stringify(world.messages)) throw new Error('the case page shows other messages than were sent');
        }
        const n = await visit(p.page, `${caseUrl}/notes`, [{ name: 'notes', selector: '.note-text', count: COUNTS.notes }], { notes: '/notes\\?' });
        if (check && JSON.stringify(await p.page.locator('.note-text').allTextContents()) !== JSON.stringify(world.notes)) throw new Error('the notes page shows other notes than were written');
        const q = await visit(p.page, '/console/', [{ name: 'rows', selector: 'table.queue tbody tr', count: COUNTS.pool }], { list: '/v1/cases\\?' });
        if (!keep) return;
        const parts = [span(c, 'fields', 'sealed'), span(c, 'messages', 'messages'), span(n, 'notes', 'notes')] as const;
        samples.fields.push(parts[0]);
        samples.messages.push(parts[1]);
        samples.notes.push(parts[2]);
        samples.client.push(parts[0] + parts[1] + parts[2]);
        samples.wall.push((c.marks.messages ?? Number.NaN) - (c.marks.start ?? Number.NaN));
        samples.rows.push(span(q, 'rows', 'list'));
      };
      const bareRound = async (keep: boolean, check: boolean) => {
        const out = (await bare.page.evaluate(`window.__bare.open(${JSON.stringify(batches)})`)) as { ms: number[]; texts: string[] };
        if (check && JSON.stringify(out.texts) !== JSON.stringify([...world.fields, ...world.messages, ...world.notes])) throw new Error('the baseline opened other texts');
        const rows = (await bare.page.evaluate(`window.__bare.rows(${JSON.stringify(listText)})`)) as number;
        if (!keep) return;
        samples.bare.push(out.ms.reduce((a, b) => a + b, 0));
        samples.bareRows.push(rows);
      };
      ctx.log(`${WARMUP} warm-up rounds, then ${ROUNDS} rounds (case, notes, queue; the baseline beside)`);
      for (let r = -WARMUP; r < ROUNDS; r++) {
        const first = r % 2 === 0 ? consoleRound : bareRound;
        const second = first === consoleRound ? bareRound : consoleRound;
        await first(r >= 0, r === -WARMUP);
        await second(r >= 0, r === -WARMUP);
      }
      const problems = [...p.pageErrors, ...p.violations, ...p.offHostRequests, ...bare.pageErrors];
      if (problems.length > 0) throw new Error(`the console page reported: ${problems.join('; ')}`);

      const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)])) as Record<keyof typeof samples, ReturnType<typeof summarize>>;
      const ms = (x: number) => Math.round(x * 10) / 10;
      const bareLabel = 'a bare Web Worker opening the same ciphertexts with libsodium calls, texts put in the DOM as list items, same browser, same run';
      const rowsLabel = 'the same 50 rows built with createElement from the same list answer, same browser, same run';
      const rows = [
        row({ figure: `open a case (${COUNTS.fields} sealed fields, ${COUNTS.messages} messages, ${COUNTS.notes} internal notes): answers in -> last value decrypted in the DOM, median of ${ROUNDS} (p90 ${ms(s.client.p90)} ms)`, value: s.client.p50, unit: 'ms', baseline: { value: s.bare.p50, label: bareLabel }, target: { on: 'value', op: '<', limit: 150 } }),
        row({ figure: `  of which ${COUNTS.fields} sealed fields (case key opened, fields opened, case page rendered), median`, value: s.fields.p50, unit: 'ms' }),
        row({ figure: `  of which ${COUNTS.messages} messages (opened, thread rendered), median`, value: s.messages.p50, unit: 'ms' }),
        row({ figure: `  of which ${COUNTS.notes} internal notes (staff key opened, notes opened, notes page rendered), median`, value: s.notes.p50, unit: 'ms' }),
        row({ figure: 'case page from the click to its last message shown, network and server included, median', value: s.wall.p50, unit: 'ms' }),
        row({ figure: `queue of ${COUNTS.pool} rows: list answer in -> ${COUNTS.pool} rows in the DOM, median of ${ROUNDS} (p90 ${ms(s.rows.p90)} ms)`, value: s.rows.p50, unit: 'ms', baseline: { value: s.bareRows.p50, label: rowsLabel }, target: { on: 'value', op: '<', limit: 50 } }),
        row({ figure: `console main bundle (${manifest.entries.app}), brotli`, value: kib(brotli(app)), unit: 'KiB', baseline: { value: kib(brotli(framework.outputFiles[0]!.contents)), label: 'Preact, @preact/signals and the preact-iso router alone, bundled, minified and compressed the same way, same run' }, target: { on: 'value', op: '<=', limit: 60 } }),
        row({ figure: `console crypto worker (${manifest.entries.crypto}, libsodium and the SDK), brotli`, value: kib(brotli(worker)), unit: 'KiB' }),
      ];
      const notes = [
        `Chromium ${p.page.context().browser()?.version() ?? '?'}, 1280x800, fr-FR; ${WARMUP} warm-up rounds; every round: the case page, its notes page, the queue, then the baseline (order alternating)`,
        `the case page opens the case key and its fields, then asks for the messages: the figure adds the three spans (fields, messages, notes) from each answer's arrival; the click-to-shown row has the round trips between them`,
        `a filing carries 5 fields: the other 15 are written into case_fields sealed by the SDK (bench/lib/console-world.ts); the console pages the queue by 15, the bench's route asks for 50`,
        `raw sizes: main bundle ${kib(app.length).toFixed(1)} KiB, crypto worker ${kib(worker.length).toFixed(1)} KiB`,
      ];
      return { rows, notes, details: { samples: s, counts: COUNTS, rounds: ROUNDS } };
    } finally {
      await down.run();
    }
  },
});
