import { defineBenchmark, row } from './lib/report.js';
import { benchService, load, median } from './lib/service.js';
import { bootstrap } from '../test/helpers/world.js';

const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 8);
// Five alternating rounds: the median ratio is stable to a few percent on a shared 2-core machine.
const ROUNDS = 5;

/**
 * The quality bar "audit on every read: at least 80% of the same route's throughput with
 * auditing off". Two instances of the same app on one database, one writing an audit event for
 * each read of GET /v1/me (the chained insert in the read's transaction), one not; measured in
 * alternation so that machine noise falls on both.
 */
export default defineBenchmark({
  title: 'audited read (GET /v1/me) vs the same route with auditing off, 50 connections',
  async run(ctx) {
    const svc = await benchService();
    try {
      const local = await svc.start();
      const dep = await bootstrap({ app: local.app, clock: svc.clock, config: svc.config } as never);
      const audited = await svc.spawn({ auditReads: true });
      const plain = await svc.spawn({ auditReads: false });
      const headers = { authorization: `Bearer ${dep.supervisor.accessToken}` };
      ctx.log('warming up');
      await load({ url: `${plain.url}/v1/me`, headers, connections: CONNECTIONS, seconds: 2 });
      await load({ url: `${audited.url}/v1/me`, headers, connections: CONNECTIONS, seconds: 2 });
      const on: Array<Awaited<ReturnType<typeof load>>> = [];
      const off: Array<Awaited<ReturnType<typeof load>>> = [];
      for (let i = 0; i < ROUNDS; i++) {
        ctx.log(`round ${i + 1}/${ROUNDS}: auditing off`);
        off.push(await load({ url: `${plain.url}/v1/me`, headers, connections: CONNECTIONS, seconds: SECONDS }));
        ctx.gc();
        ctx.log(`round ${i + 1}/${ROUNDS}: auditing on`);
        on.push(await load({ url: `${audited.url}/v1/me`, headers, connections: CONNECTIONS, seconds: SECONDS }));
        ctx.gc();
      }
      const [chain] = await local.app.database.sql`select count(*)::int as n from audit_events where action = 'account.read'`;
      const bad = [...on, ...off].reduce((n, r) => n + r.errors + r.non2xx, 0);
      const label = 'same route, auditing off, same run';
      return {
        rows: [
          row({ figure: 'audited read GET /v1/me, requests/s (median)', value: median(on.map((r) => r.rps)), unit: 'req/s', baseline: { value: median(off.map((r) => r.rps)), label }, target: { on: 'ratio', op: '>=', limit: 0.8 }, judge: bad === 0 }),
          row({ figure: 'audited read GET /v1/me, p99 latency', value: median(on.map((r) => r.p99)), unit: 'ms', baseline: { value: median(off.map((r) => r.p99)), label } }),
        ],
        notes: [`${chain!.n} account.read events chained during the audited runs; ${bad} errors or non-2xx answers in all runs`],
        details: { on, off, connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS },
      };
    } finally {
      await svc.close();
    }
  },
});
