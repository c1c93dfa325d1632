import os from 'node:os';
import { seedCheckinDeadlines } from './lib/escalation-seed.js';
import { filingBodies } from './lib/filing-templates.js';
import { defineBenchmark, row } from './lib/report.js';
import { benchService, load, median, withOwner, type LoadResult } from './lib/service.js';
import { summarize, type Summary } from './lib/stats.js';
import { launchWorker, type BenchWorker } from './lib/worker-process.js';
import { ready } from '../src/sdk/index.js';
import { bootstrap, enrolActor } from '../test/helpers/world.js';

const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 8);
const ROUNDS = 3;
const ESCALATIONS = Number(process.env.BENCH_SCALE_ESCALATIONS ?? 3_000);
/** From the seed to the due time: the workers relay the outbox and schedule the jobs meanwhile. */
const LEAD_MS = 25_000;
/** The due times, all within this window: a burst, so the figure is how fast the workers drain it. */
const SPREAD_MS = 1_000;
const DRAIN_MS = 90_000;

interface Topology {
  apis: number;
  workers: number;
}
interface TopologyResult {
  filing: LoadResult[];
  outboxDrainedSeconds: number | null;
  relayedBeforeDue: boolean;
  escalationsPerSecond: number;
  lateness: Summary;
  fired: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const label = (t: Topology) => `${t.apis} API + ${t.workers} worker process${t.workers > 1 ? 'es' : ''}`;

/**
 * One topology on a database and Redis prefix of its own: `apis` API processes and `workers`
 * worker processes, as operators run them. Filing: closed-loop load of 50 connections in all,
 * split evenly over the APIs (what a load balancer does), while the workers relay what the
 * filings write. Escalation: once the filings' outbox is relayed, a burst of check-in deadlines
 * due within one second, fired by the workers; the figure is how fast they drain it.
 */
async function measure(topology: Topology, log: (m: string) => void, gc: () => void): Promise<TopologyResult> {
  const svc = await benchService({ env: { FILING_RATE_LIMIT_PER_MINUTE: '1000000' } });
  const workers: BenchWorker[] = [];
  try {
    const local = await svc.start();
    const t = { app: local.app, clock: svc.clock, config: svc.config } as never;
    const dep = await bootstrap(t);
    const officer = await enrolActor(t, dep.admin, { username: 'officer-bench', role: 'officer', orgId: dep.mechanismId });
    const intakeKey = (await local.app.inject({ method: 'GET', url: '/v1/keys/intake' })).json();
    const nextBody = filingBodies(intakeKey, dep.mechanismKeyId);
    const sql = local.app.database.sql;

    const apis = await Promise.all(Array.from({ length: topology.apis }, () => svc.spawn()));
    const env: NodeJS.ProcessEnv = { ...process.env, ...Object.fromEntries(Object.entries(svc.config).map(([k, v]) => [k, String(v)])), EGIDE_ENV_FILE: 'none' };
    for (let i = 0; i < topology.workers; i++) workers.push(launchWorker(env));
    const alive = () => {
      if (workers.some((w) => w.child.exitCode !== null)) throw new Error(`a worker exited early:\n${workers.map((w) => w.output()).join('\n---\n')}`);
    };

    // All the APIs at once, the connections shared evenly: the requests/s add up.
    const post = async (seconds: number): Promise<LoadResult> => {
      const parts = await Promise.all(
        apis.map((api) =>
          load({ url: `${api.url}/v1/cases`, method: 'POST', headers: { 'content-type': 'application/json' }, nextBody, connections: CONNECTIONS / topology.apis, seconds }),
        ),
      );
      return {
        rps: parts.reduce((s, p) => s + p.rps, 0),
        p50: Math.max(...parts.map((p) => p.p50)),
        p99: Math.max(...parts.map((p) => p.p99)),
        errors: parts.reduce((s, p) => s + p.errors, 0),
        non2xx: parts.reduce((s, p) => s + p.non2xx, 0),
        requests: parts.reduce((s, p) => s + p.requests, 0),
      };
    };
    log(`${label(topology)}: warming up`);
    await post(2);
    const filing: LoadResult[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      gc();
      filing.push(await post(SECONDS));
      log(`${label(topology)}: filing round ${i + 1}/${ROUNDS}: ${Math.round(filing.at(-1)!.rps)} req/s`);
    }
    alive();

    // The filings' outbox relayed before the escalations are seeded, so the burst has the workers to itself.
    const o0 = Date.now();
    let outboxDrainedSeconds: number | null = null;
    while (Date.now() - o0 < 120_000) {
      const [r] = await sql`select count(*)::int as n from outbox where dispatched_at is null`;
      if (r!.n === 0) {
        outboxDrainedSeconds = (Date.now() - o0) / 1000;
        break;
      }
      await sleep(500);
    }
    log(`${label(topology)}: filings' outbox ${outboxDrainedSeconds === null ? 'NOT drained' : `drained in ${outboxDrainedSeconds.toFixed(1)} s`}`);

    const firstDue = Date.now() + LEAD_MS;
    await withOwner(svc.db.ownerUrl, (owner) => seedCheckinDeadlines(owner, { count: ESCALATIONS, firstDue, spreadMs: SPREAD_MS, supervisorId: dep.supervisor.id, officerId: officer.id }));
    const count = async (q: 'unrelayed' | 'fired'): Promise<number> => {
      const [r] =
        q === 'unrelayed'
          ? await sql`select count(*)::int as n from outbox where topic = 'deadline.opened' and dispatched_at is null`
          : await sql`select count(*)::int as n from deadline_steps s join deadlines d on d.id = s.deadline_id where d.rule = 'checkin' and s.step = 'level1'`;
      return r!.n as number;
    };
    let relayedBeforeDue = false;
    while (Date.now() < firstDue) {
      alive();
      if (!relayedBeforeDue && (await count('unrelayed')) === 0) relayedBeforeDue = true;
      await sleep(250);
    }
    log(`${label(topology)}: ${ESCALATIONS} check-ins due now (outbox ${relayedBeforeDue ? 'relayed' : 'NOT relayed'} before)`);
    let fired = 0;
    while (Date.now() < firstDue + DRAIN_MS) {
      alive();
      fired = await count('fired');
      if (fired >= ESCALATIONS) break;
      await sleep(250);
    }
    const [span] = await sql`select (extract(epoch from max(s.fired_at)) * 1000)::float8 as last from deadline_steps s join deadlines d on d.id = s.deadline_id where d.rule = 'checkin' and s.step = 'level1'`;
    const lateness = (
      await sql`select (extract(epoch from (s.fired_at - s.due_at)) * 1000)::float8 as ms from deadline_steps s join deadlines d on d.id = s.deadline_id where d.rule = 'checkin' and s.step = 'level1'`
    ).map((r) => Number(r.ms));
    const seconds = (Number(span!.last) - firstDue) / 1000;
    log(`${label(topology)}: ${fired} of ${ESCALATIONS} escalations recorded, the last ${seconds.toFixed(1)} s after the first due time`);
    return { filing, outboxDrainedSeconds, relayedBeforeDue, escalationsPerSecond: fired / Math.max(seconds, 0.001), lateness: summarize(lateness), fired };
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await svc.close();
  }
}

/**
 * The scale line: the filing and escalation workloads on 2 API + 2 worker processes against
 * 1 API + 1 worker, in the same run, each topology on a database of its own (one after the other:
 * the single one first). All processes share this machine's cores with PostgreSQL, Redis and the
 * load generator; on two cores the ratio measures contention for them, not the capacity a second
 * machine would add.
 */
export default defineBenchmark({
  title: `scale out: 2 API + 2 worker processes against 1 + 1, filing (50 connections) and ${ESCALATIONS.toLocaleString('en')} escalations due at once`,
  async run(ctx) {
    await ready();
    const one = await measure({ apis: 1, workers: 1 }, ctx.log, ctx.gc);
    ctx.gc();
    const two = await measure({ apis: 2, workers: 2 }, ctx.log, ctx.gc);
    const base = `1 API + 1 worker process, same load, same run`;
    const rps = (r: TopologyResult) => median(r.filing.map((f) => f.rps));
    const bad = [...one.filing, ...two.filing].reduce((s, r) => s + r.errors + r.non2xx, 0);
    const cores = os.availableParallelism();
    return {
      rows: [
        row({ figure: 'filing POST /v1/cases, requests/s through 2 APIs (median, closed loop, 50 connections in all), 2 workers relaying', value: rps(two), unit: 'req/s', baseline: { value: rps(one), label: base } }),
        row({ figure: `escalations recorded per second, ${ESCALATIONS.toLocaleString('en')} due within 1 s, 2 workers`, value: two.escalationsPerSecond, unit: '/s', baseline: { value: one.escalationsPerSecond, label: base } }),
        row({ figure: `escalation lateness p99 of that burst, 2 workers`, value: two.lateness.p99, unit: 'ms', baseline: { value: one.lateness.p99, label: base } }),
      ],
      notes: [
        `on ${cores} cores, shared by every API and worker process, PostgreSQL, Redis and the load generator (and whatever else runs): the ratios show contention for those cores, not capacity. Past one machine each process brings its own cores, and PostgreSQL becomes the shared limit.`,
        `filing: ${ROUNDS} rounds of ${SECONDS} s per topology after 2 s of warm-up, the 50 connections split evenly over the APIs; ${bad} errors or non-2xx answers; requests/s by round: 1+1 ${one.filing.map((f) => Math.round(f.rps)).join(', ')}; 2+2 ${two.filing.map((f) => Math.round(f.rps)).join(', ')}`,
        `escalations: ${ESCALATIONS} high-risk check-ins due within ${SPREAD_MS / 1000} s, seeded ${LEAD_MS / 1000} s ahead once the filings' outbox was relayed (1+1 in ${one.outboxDrainedSeconds ?? '-'} s, 2+2 in ${two.outboxDrainedSeconds ?? '-'} s); recorded: 1+1 ${one.fired}, 2+2 ${two.fired}; their outbox relayed before the due time: 1+1 ${one.relayedBeforeDue}, 2+2 ${two.relayedBeforeDue}; lateness p50/p99/max ms: 1+1 ${Math.round(one.lateness.p50)}/${Math.round(one.lateness.p99)}/${Math.round(one.lateness.max)}, 2+2 ${Math.round(two.lateness.p50)}/${Math.round(two.lateness.p99)}/${Math.round(two.lateness.max)}`,
        `load average at the end of the run: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
      ],
      details: { one, two, cores, connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS, escalations: ESCALATIONS },
    };
  },
});
