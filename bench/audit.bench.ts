/**
 * The supervisors' audit screens at scale.
 *
 * (1) Browser verification: 100,000 chained events (inserted in SQL and chained by the database's
 * own `audit_chain_pending()`, so the chain is valid), exported and verified in the console's
 * crypto worker in Chromium, from the export's bytes in hand to the verdict (target < 2 s).
 * Baseline, same run: `egide audit verify` (the CLI's function) on the same bytes, in Node.
 *
 * (2) The audit viewer's API at 1,000,000 events (the rest filled with generate_series, hashes not
 * valid: only the reading is measured): GET /v1/audit/events first page, a deep keyset page
 * (`after` near the oldest event), and a deep page filtered on one actor, p99 over HTTP
 * (target < 50 ms; each call also records and chains its own audit.read). Baseline: the same
 * query through bare postgres.js on the same database.
 *
 * `BENCH_AUDIT_EVENTS` (default 1,000,000) and `BENCH_AUDIT_VERIFY_EVENTS` (100,000) shrink the run.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { defineBenchmark, row } from './lib/report.js';
import { nowMs, summarize } from './lib/stats.js';
import { auditVerify } from '../src/cli/audit-verify.js';
import type { Teardown } from '../test/helpers/app.js';
import { bootstrap } from '../test/helpers/world.js';
import { consoleBrowser, signInAs, startConsoleService } from '../test/web/console-kit.js';

const TOTAL = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
const VERIFY = Number(process.env.BENCH_AUDIT_VERIFY_EVENTS ?? 100_000);
const SAMPLES = 200;
const ACTORS = 200;
const VERIFY_ROUNDS = 3;

function teardowns(): Teardown & { run(): Promise<void> } {
  const steps: Array<() => unknown> = [];
  return {
    teardown: (fn) => void steps.push(fn),
    async run() {
      for (const step of steps.reverse()) await step();
    },
  };
}

/** `n` events of varied actors, actions and cases, one statement. */
function fillEvents(sql: postgres.Sql, n: number) {
  return sql`
    insert into audit_events (at, actor, role, action, resource, case_id, outcome, reason, request_id)
    select now() - make_interval(secs => (${n}::int - g)::float8), 'u:00000000-0000-4000-8000-' || lpad((g % ${ACTORS}::int)::text, 12, '0'), 'officer',
      (array['case.read','case.timeline','case.read_sealed','message.read','account.read'])[1 + g % 5],
      'case:' || md5(g::text)::uuid, md5((g % 5000)::text)::uuid, case when g % 97 = 0 then 'denied' else 'allowed' end,
      null, 'bench-' || g
    from generate_series(1, ${n}) g`;
}

export default defineBenchmark({
  title: 'audit screens: browser verification of 100,000 events, viewer API pages at 1,000,000 events',
  async run(ctx) {
    const down = teardowns();
    try {
      const T = await startConsoleService(down);
      const dep = await bootstrap(T);
      const owner = postgres(T.db.adminUrl, { max: 1, onnotice: () => undefined });
      down.teardown(() => owner.end());
      const actor = `u:00000000-0000-4000-8000-${String(7).padStart(12, '0')}`;

      // (1) A valid chain of VERIFY events, chained by the database.
      ctx.log(`filling and chaining ${VERIFY} events`);
      await owner`with e as (${fillEvents(owner, VERIFY)} returning id) insert into audit_pending (event_id) select id from e`;
      for (;;) {
        const [r] = await owner`select audit_chain_pending(20000) as n`;
        if (Number(r!.n) < 20000) break;
      }
      const browser = await consoleBrowser(down);
      const p = await browser.open('laptop');
      const { page } = p;
      await page.clock.setSystemTime(T.clock.now());
      await page.goto(`${T.origin}/console/audit`);
      await signInAs(page, T, dep.supervisor);
      await page.locator('table.audit-events tbody tr').first().waitFor();
      let exported: Buffer = Buffer.alloc(0);
      await page.route('**/v1/audit/export', async (route) => {
        const response = await route.fetch();
        exported = await response.body();
        await route.fulfill({ response, body: exported });
      });
      const browserMs: number[] = [];
      const cliMs: number[] = [];
      let count = 0;
      for (let i = 0; i < VERIFY_ROUNDS; i++) {
        ctx.log(`browser verification ${i + 1}/${VERIFY_ROUNDS}`);
        // From the bytes in hand (the progress bar appears) to the verdict.
        const timing = page.evaluate(`new Promise((resolve) => {
          let start = 0;
          const o = new MutationObserver(() => {
            if (!start && document.querySelector('progress')) start = performance.now();
            const v = document.querySelector('.audit-verdict');
            if (start && v) { o.disconnect(); resolve({ ms: performance.now() - start, verdict: v.getAttribute('data-verdict'), text: v.textContent }); }
          });
          o.observe(document.body, { childList: true, subtree: true, attributes: true });
        })`) as Promise<{ ms: number; verdict: string; text: string }>;
        await page.getByRole('button', { name: 'Exporter et vérifier le journal' }).click();
        const r = await timing;
        if (r.verdict !== 'ok') throw new Error(`browser verification failed: ${r.text}`);
        browserMs.push(r.ms);
        count = Number(/(\d[\d\s\u202f]*) événements/.exec(r.text)?.[1]?.replace(/\D/g, '') ?? 0);
        const file = path.join(mkdtempSync(path.join(tmpdir(), 'egide-audit-bench-')), 'audit.ndjson');
        writeFileSync(file, exported);
        const out: string[] = [];
        const io = { stdout: { write: (s: string) => void out.push(s) }, stderr: { write: () => undefined } };
        const t0 = nowMs();
        const code = await auditVerify(file, {}, io as never);
        cliMs.push(nowMs() - t0);
        if (code !== 0) throw new Error(`CLI verification failed: ${out.join('')}`);
        ctx.gc();
      }
      const b = summarize(browserMs);
      const c = summarize(cliMs);

      // (2) Up to TOTAL events (hashes not valid), then the viewer's pages.
      const [{ n: have }] = (await owner`select count(*)::int as n from audit_chain`) as unknown as [{ n: number }];
      ctx.log(`filling to ${TOTAL} events`);
      await owner`set session_replication_role = replica`;
      await owner`with e as (${fillEvents(owner, TOTAL - have)} returning id, actor, case_id, action)
        insert into audit_chain (seq, event_id, hash, actor, case_id, action) select ${have} + row_number() over (order by id), id, md5(id::text) || md5((id + 1)::text), actor, case_id, action from e`;
      await owner`update audit_head set seq = (select max(seq) from audit_chain), hash = (select hash from audit_chain order by seq desc limit 1) where id = 1`;
      await owner`set session_replication_role = origin`;
      await owner`vacuum analyze audit_events`;
      await owner`vacuum analyze audit_chain`;

      const bare = postgres(T.db.url, { max: 4, onnotice: () => undefined });
      down.teardown(() => bare.end());
      const [{ seq: deepActor }] = (await bare`select seq from audit_log where actor = ${actor} order by seq asc offset 120 limit 1`) as unknown as [{ seq: number }];
      const cases: Array<{ name: string; query: string; bareQuery: () => Promise<unknown> }> = [
        { name: 'first page', query: 'limit=50', bareQuery: () => bare`select * from audit_log order by seq desc limit 51` },
        { name: 'deep page (after seq 1000)', query: 'limit=50&after=1000', bareQuery: () => bare`select * from audit_log where seq < 1000 order by seq desc limit 51` },
        { name: `deep page, one actor (${Math.round(TOTAL / ACTORS)} events)`, query: `limit=50&after=${deepActor}&actor=${encodeURIComponent(actor)}`, bareQuery: () => bare`select * from audit_log where chain_actor = ${actor} and actor = ${actor} and seq < ${deepActor} order by seq desc limit 51` },
      ];
      const plan = await bare.unsafe(`explain (analyze, buffers) select * from audit_log where chain_actor = $1 and actor = $1 and seq < $2 order by seq desc limit 51`, [actor, deepActor]);
      ctx.log(`EXPLAIN deep page, one actor:\n${plan.map((r) => Object.values(r)[0]).join('\n')}`);
      const headers = { authorization: `Bearer ${dep.supervisor.accessToken}` };
      const rows = [];
      const details: Record<string, unknown> = {};
      for (const k of cases) {
        ctx.log(`viewer API: ${k.name}`);
        const api: number[] = [];
        const raw: number[] = [];
        for (let i = 0; i < 10; i++) {
          await fetch(`${T.origin}/v1/audit/events?${k.query}`, { headers }).then((r) => r.arrayBuffer());
          await k.bareQuery();
        }
        for (let i = 0; i < SAMPLES; i++) {
          let t0 = nowMs();
          const r = await fetch(`${T.origin}/v1/audit/events?${k.query}`, { headers });
          await r.arrayBuffer();
          api.push(nowMs() - t0);
          if (r.status !== 200) throw new Error(`${k.name}: ${r.status}`);
          t0 = nowMs();
          await k.bareQuery();
          raw.push(nowMs() - t0);
        }
        const a = summarize(api);
        const q = summarize(raw);
        ctx.log(`${k.name}: API p50 ${a.p50.toFixed(1)} p90 ${a.p90.toFixed(1)} p99 ${a.p99.toFixed(1)} ms; bare p50 ${q.p50.toFixed(1)} p99 ${q.p99.toFixed(1)} ms`);
        details[k.name] = { api: a, bare: q };
        rows.push(row({ figure: `viewer API ${k.name} at ${TOTAL} events, p99`, value: a.p99, unit: 'ms', baseline: { value: q.p99, label: 'the same query, bare postgres.js' }, target: { on: 'value', op: '<', limit: 50 }, judge: TOTAL >= 1_000_000 }));
      }
      return {
        rows: [
          row({ figure: `browser verification of ${count} exported events (Chromium worker), median`, value: b.p50, unit: 'ms', baseline: { value: c.p50, label: 'egide audit verify (CLI) of the same bytes' }, target: { on: 'value', op: '<', limit: 2000 }, judge: VERIFY >= 100_000 }),
          ...rows,
        ],
        details,
      };
    } finally {
      await down.run();
    }
  },
});
