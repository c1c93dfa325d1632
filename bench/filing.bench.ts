import { fileURLToPath } from 'node:url';
import { defineBenchmark, row } from './lib/report.js';
import { benchService, load, median, type LoadResult } from './lib/service.js';
import { pacedLoad } from './lib/paced-load.js';
import { filingBodies } from './lib/filing-templates.js';
import { bootstrap } from '../test/helpers/world.js';
import { ready } from '../src/sdk/index.js';

const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 8);
const ROUNDS = 3;

/**
 * The quality bar "filing a case: at least 70% of the throughput of a bare Fastify + postgres.js
 * route performing the same inserts with hand-written SQL; p99 under 50 ms at 50 connections".
 * Both servers run in child processes on one database and are loaded in alternation (closed
 * loop, 50 connections) for the throughput ratio. The p99 bar is then measured on each at a
 * fixed offered rate (open loop, evenly spaced, up to 50 connections) of a quarter of the bare
 * route's throughput, and shown at half: at saturation a closed loop's latency only measures its
 * own queue (50 connections / throughput).
 */
export default defineBenchmark({
  title: 'filing a case (POST /v1/cases, ~4 KiB sealed, 2 envelopes) vs a bare Fastify + postgres.js route, 50 connections',
  async run(ctx) {
    await ready();
    const svc = await benchService({ env: { FILING_RATE_LIMIT_PER_MINUTE: '1000000' } });
    try {
      const local = await svc.start();
      const dep = await bootstrap({ app: local.app, clock: svc.clock, config: svc.config } as never);
      const intakeKey = (await local.app.inject({ method: 'GET', url: '/v1/keys/intake' })).json();
      const nextBody = filingBodies(intakeKey, dep.mechanismKeyId);
      const bytes = Buffer.byteLength(nextBody());
      const egide = await svc.spawn();
      const bare = await svc.spawn({ entry: fileURLToPath(new URL('./lib/bare-filing-server.ts', import.meta.url)) });
      const post = (url: string, extra: { rate?: number; seconds: number }) =>
        load({ url: `${url}/v1/cases`, method: 'POST', headers: { 'content-type': 'application/json' }, nextBody, connections: CONNECTIONS, ...extra });

      ctx.log('warming up');
      await post(bare.url, { seconds: 2 });
      await post(egide.url, { seconds: 2 });
      const on: LoadResult[] = [];
      const off: LoadResult[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        ctx.log(`round ${i + 1}/${ROUNDS}: bare route`);
        off.push(await post(bare.url, { seconds: SECONDS }));
        ctx.gc();
        ctx.log(`round ${i + 1}/${ROUNDS}: egide`);
        on.push(await post(egide.url, { seconds: SECONDS }));
        ctx.gc();
      }
      // Latency under concurrency, below saturation: evenly spaced requests at a quarter and at half
      // of what the bare route sustains, over up to 50 connections.
      const bareRps = median(off.map((r) => r.rps));
      const paced = (url: string, rate: number) => pacedLoad({ url: `${url}/v1/cases`, method: 'POST', nextBody, rate, seconds: SECONDS, connections: CONNECTIONS });
      const fixed: Array<{ share: string; rate: number; bare: Awaited<ReturnType<typeof paced>>; egide: Awaited<ReturnType<typeof paced>> }> = [];
      for (const [share, fraction] of [['a quarter', 0.25], ['half', 0.5]] as const) {
        const rate = Math.max(20, Math.round(bareRps * fraction));
        ctx.log(`p99 at a fixed ${rate} req/s (${share} of the bare route's throughput)`);
        fixed.push({ share, rate, bare: await paced(bare.url, rate), egide: await paced(egide.url, rate) });
      }
      const [count] = await local.app.database.sql`select count(*)::int as cases, (select count(*)::int from deadlines) as deadlines, (select count(*)::int from outbox) as outbox from cases`;
      const bad = [...on, ...off].reduce((s, r) => s + r.errors + r.non2xx, 0) + fixed.reduce((s, f) => s + f.bare.errors + f.bare.non2xx + f.egide.errors + f.egide.non2xx, 0);
      const ms = (x: number) => Math.round(x * 10) / 10;
      const label = 'bare Fastify + postgres.js, same inserts, same run';
      return {
        rows: [
          row({ figure: 'filing POST /v1/cases, requests/s (median, closed loop)', value: median(on.map((r) => r.rps)), unit: 'req/s', baseline: { value: median(off.map((r) => r.rps)), label }, target: { on: 'ratio', op: '>=', limit: 0.7 }, judge: bad === 0 }),
          row({ figure: 'filing POST /v1/cases, p99 at saturation (closed loop)', value: median(on.map((r) => r.p99)), unit: 'ms', baseline: { value: median(off.map((r) => r.p99)), label } }),
          ...fixed.map((f, i) =>
            row({
              figure: `filing POST /v1/cases, p99 at a fixed ${f.rate} req/s (${f.share} of the bare route's), 50 connections`,
              value: ms(f.egide.latency.p99),
              unit: 'ms',
              baseline: { value: ms(f.bare.latency.p99), label },
              ...(i === 0 ? { target: { on: 'value' as const, op: '<' as const, limit: 50 }, judge: bad === 0 } : {}),
            }),
          ),
        ],
        notes: [
          `each request files a new case (${bytes} bytes of JSON, 5 sealed fields, 2 envelopes); ${count!.cases} cases, ${count!.deadlines} deadlines and ${count!.outbox} outbox rows written in all; ${bad} errors or non-2xx answers`,
          `fixed rates: requests evenly spaced over up to 50 connections (bench/lib/paced-load.ts), latency counted from each request's hand-off to the connection pool (waiting for a connection included); ${fixed.map((f) => `${f.rate} req/s: p50 ${ms(f.egide.latency.p50)} ms (bare ${ms(f.bare.latency.p50)}), max ${ms(f.egide.latency.max)} ms (bare ${ms(f.bare.latency.max)}), generator lateness p99 ${ms(f.egide.lag.p99)} ms`).join('; ')}`,
        ],
        details: { on, off, fixed, connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS, bodyBytes: bytes },
      };
    } finally {
      await svc.close();
    }
  },
});
