import type { Sql } from 'postgres';
import { defineBenchmark, row } from './lib/report.js';
import { benchService, load, withOwner } from './lib/service.js';
import { nowMs, summarize } from './lib/stats.js';
import { createOperationsRepository } from '../src/health/operations-repository.js';

const CASES = Number(process.env.BENCH_METRICS_CASES ?? 100_000);
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 6);
const SQL_RUNS = 300;

/**
 * A mechanism some years in: CASES cases (a fifth closed), 1 to 3 open deadlines per open case
 * due from 3 days ago to 30 days ahead, the overdue ones escalated (level 1 fired within seconds)
 * but one in a thousand, the outbox's history of a job per case with a hundred pending, a
 * checkpoint a minute for a week, a hundred audit events waiting for the chainer.
 */
async function seed(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select setseed(0.1717)`;
    await tx`
      insert into cases (id, reference, state, urgent, urgent_claimed, consent, source, filed_for, region, defender_category, gender, disability, threat_types, preferred_language, contact_channel, mechanism_key_id, created_at, updated_at)
      select gen_random_uuid(), 'M-' || lpad(g::text, 7, '0'), case when random() < 0.2 then 'closed' else 'protection' end, random() < 0.05, false, 'given', 'online', 'self',
        'bamako', 'journalist', 'female', 'none', array['death_threat'], 'fr', 'signal', 'AAAAAAAAAAAAAAAAAAAAAA', now() - random() * interval '3 years', now()
      from generate_series(1, ${CASES}::int) g`;
    await tx`alter table deadlines disable trigger deadlines_next_due`;
    await tx`
      insert into deadlines (id, case_id, rule, urgent, started_at, due_at, state)
      select gen_random_uuid(), c.id, (array['acknowledge','triage','assessment','decision','consent','review','checkin'])[1 + floor(random() * 7)::int], c.urgent, now() - interval '10 days',
        now() + (random() * 33 - 3) * interval '1 day', 'open'
      from cases c cross join lateral generate_series(1, 1 + abs(hashtext(c.id::text)) % 3) k
      where c.state <> 'closed'`;
    await tx`alter table deadlines enable trigger deadlines_next_due`;
    await tx`
      insert into deadline_steps (deadline_id, step, due_at, fired_at, recipients)
      select d.id, s.step, d.due_at - case s.step when 'reminder' then interval '1 day' else interval '0' end,
        d.due_at - case s.step when 'reminder' then interval '1 day' else interval '0' end + random() * interval '5 seconds', '[]'::jsonb
      from deadlines d cross join (values ('reminder'), ('level1')) s(step)
      where d.due_at < now() and abs(hashtext(d.id::text)) % 1000 <> 0`;
    await tx`update deadlines set level_reached = 1 where id in (select deadline_id from deadline_steps where step = 'level1')`;
    await tx`
      insert into outbox (topic, payload, created_at, dispatched_at)
      select 'deadline.scheduled', '{}'::jsonb, now() - g * interval '1 minute', case when g > 100 then now() - g * interval '1 minute' + interval '1 second' end
      from generate_series(1, ${CASES}::int) g`;
    await tx`
      insert into audit_checkpoints (seq, hash, signature, signed_at)
      select g, md5(g::text), md5(g::text), now() - (10080 - g) * interval '1 minute' from generate_series(1, 10080) g`;
    await tx`insert into audit_pending (event_id) select g from generate_series(1, 100) g`;
  });
  await sql.unsafe('vacuum (analyze) cases, deadlines, deadline_steps, outbox, audit_checkpoints, audit_pending');
}

/**
 * What Prometheus costs the service: GET /metrics (request metrics, the queues' counts from
 * Redis, the operational figures from PostgreSQL, the evidence disk) against GET /readyz (one
 * PostgreSQL and one Redis round trip) on the same server in a child process, one connection back
 * to back; and the figures' five queries in their one transaction, straight from postgres.js,
 * with their plans checked for sequential scans on the big tables.
 */
export default defineBenchmark({
  title: `GET /metrics over ${CASES.toLocaleString('en')} cases`,
  async run(ctx) {
    const svc = await benchService();
    try {
      const local = await svc.start();
      const sql = local.app.container.database.sql;
      ctx.log(`seeding ${CASES} cases`);
      const t0 = nowMs();
      await withOwner(svc.db.ownerUrl, seed);
      const [counts] = await sql`select (select count(*)::int from deadlines where state = 'open') as "openDeadlines",
        (select count(*)::int from deadlines where state = 'open' and due_at < now()) as overdue, (select count(*)::int from deadline_steps) as steps,
        (select count(*)::int from outbox) as outbox`;
      ctx.log(`seeded in ${((nowMs() - t0) / 1000).toFixed(1)} s: ${JSON.stringify(counts)}`);

      // The figures straight from PostgreSQL; baseline: an empty transaction of the same shape.
      const operations = createOperationsRepository(sql);
      const figures = await operations.figures(new Date());
      const runs = async (fn: () => Promise<unknown>) => {
        const times: number[] = [];
        for (let i = 0; i < SQL_RUNS; i++) {
          const a = nowMs();
          await fn();
          times.push(nowMs() - a);
        }
        return summarize(times);
      };
      const direct = await runs(() => operations.figures(new Date()));
      const empty = await runs(() => sql.begin('read only', async (tx) => tx`select 1`));
      ctx.gc();

      // The statements of src/health/operations-repository.ts, with now() for its parameter.
      const plans: string[] = [];
      const explain = (text: string) =>
        sql.begin(async (tx) => {
          await tx.unsafe('set local jit = off');
          return (await tx.unsafe(`explain ${text}`)).map((r) => String(r['QUERY PLAN']));
        });
      for (const q of [
        `select count(*), min(due_at) from deadlines where state = 'open' and due_at <= now() and level_reached < 1`,
        `select step, max(extract(epoch from fired_at - due_at))::float8 from deadline_steps where fired_at > now() - interval '1 hour' and step in ('level1', 'level2') group by step`,
        `select count(*), min(created_at) from outbox where dispatched_at is null`,
        `select signed_at from audit_checkpoints order by seq desc limit 1`,
      ]) plans.push(...(await explain(q)), '');
      const seqScans = plans.filter((l) => /Seq Scan on (deadlines|deadline_steps|outbox|audit_checkpoints)\b/.test(l)).length;

      const server = await svc.spawn();
      const auth = { authorization: `Bearer ${svc.config.METRICS_TOKEN}` };
      ctx.log('warming up');
      await load({ url: `${server.url}/metrics`, headers: auth, connections: 1, seconds: 1 });
      await load({ url: `${server.url}/readyz`, connections: 1, seconds: 1 });
      ctx.log(`GET /metrics, ${SECONDS} s`);
      const scrape = await load({ url: `${server.url}/metrics`, headers: auth, connections: 1, seconds: SECONDS });
      ctx.gc();
      ctx.log(`GET /readyz, ${SECONDS} s`);
      const ready = await load({ url: `${server.url}/readyz`, connections: 1, seconds: SECONDS });
      const bad = scrape.errors + scrape.non2xx + ready.errors + ready.non2xx;
      const ms = (x: number) => Math.round(x * 100) / 100;
      return {
        rows: [
          row({ figure: `GET /metrics p99, one connection (p50 ${scrape.p50} ms, ${Math.round(scrape.rps)} scrapes/s)`, value: scrape.p99, unit: 'ms', baseline: { value: ready.p99, label: 'GET /readyz (one PostgreSQL and one Redis round trip) on the same server, same run' }, target: { on: 'value', op: '<', limit: 100 }, judge: bad === 0 && CASES >= 100_000 }),
          row({ figure: `operational figures (five queries, one read-only transaction) p99 (p50 ${ms(direct.p50)} ms)`, value: ms(direct.p99), unit: 'ms', baseline: { value: ms(empty.p99), label: 'a read-only transaction of one select 1, postgres.js, same pool' } }),
          row({ figure: 'figure query plans with a Seq Scan on deadlines, deadline_steps, outbox or audit_checkpoints', value: seqScans, unit: 'scans', target: { on: 'value', op: '<=', limit: 0 } }),
        ],
        notes: [`${JSON.stringify(counts)}; figures read: ${JSON.stringify(figures)}; ${bad} errors or non-2xx answers`, `plans:\n    ${plans.join('\n    ')}`],
        details: { scrape, ready, direct, empty, plans, cases: CASES },
      };
    } finally {
      await svc.close();
    }
  },
});
