import { readFileSync } from 'node:fs';
import os from 'node:os';
import { seedCheckinDeadlines } from './lib/escalation-seed.js';
import { defineBenchmark, row } from './lib/report.js';
import { benchService, withOwner } from './lib/service.js';
import { roundSummary, summarize, type Summary } from './lib/stats.js';
import { launchWorker as launchBenchWorker, type BenchWorker } from './lib/worker-process.js';
import { bootstrap, enrolActor } from '../test/helpers/world.js';

const DEADLINES = Number(process.env.BENCH_ESCALATION_DEADLINES ?? 10_000);
/** Time from the seed to the first due step: the workers start, relay the outbox and schedule the jobs meanwhile. */
const LEAD_MS = Number(process.env.BENCH_ESCALATION_LEAD_MS ?? 40_000);
/** The due times are spread evenly over this window (about 83 escalations a second for 10,000). */
const SPREAD_MS = Number(process.env.BENCH_ESCALATION_SPREAD_MS ?? 120_000);
/** How long after the last due time the run waits for stragglers before giving up. */
const DRAIN_MS = 30_000;
const WORKERS = 2;
/** The lateness is also summarised per slice of due times of this length, to tell a backlog from stalls. */
const SLICE_MS = 10_000;

interface WorkerProcess extends BenchWorker {
  /** VmRSS before the first step fell due (MiB) */
  idleRss: number | null;
  /** VmHWM: the process's peak resident set (MiB) */
  peakRss: number | null;
}

/** VmRSS and VmHWM of a process, in MiB (Linux). */
function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

const launchWorker = (env: NodeJS.ProcessEnv): WorkerProcess => ({ ...launchBenchWorker(env), idleRss: null, peakRss: null });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The quality bar "with 10,000 open deadlines due within a few minutes, 99% of escalations are
 * recorded within 1 s of their due time and all within 5 s, with two workers". Two worker
 * processes (workers/main.ts, real clock) relay the outbox into delayed BullMQ jobs and fire the
 * steps; lateness is `deadline_steps.fired_at - deadline_steps.due_at` (the step's own due time,
 * set by the ladder; for level 1 it is the deadline's due time). Baseline: the lateness of a plain
 * `setTimeout` set in this process for each of the same due times, on the same machine at the
 * same moment: the floor a timer-driven scheduler could reach here.
 */
export default defineBenchmark({
  title: `escalations: ${DEADLINES.toLocaleString('en')} check-in deadlines due over ${SPREAD_MS / 1000} s, ${WORKERS} worker processes`,
  async run(ctx) {
    const svc = await benchService();
    const workers: WorkerProcess[] = [];
    try {
      const local = await svc.start();
      const t = { app: local.app, clock: svc.clock, config: svc.config } as never;
      const dep = await bootstrap(t);
      const officer = await enrolActor(t, dep.admin, { username: 'officer-bench', role: 'officer', orgId: dep.mechanismId });
      const sql = local.app.database.sql;

      const firstDue = Date.now() + LEAD_MS;
      const lastDue = firstDue + SPREAD_MS;
      ctx.log(`seeding ${DEADLINES} cases in protection with a check-in due between +${LEAD_MS / 1000} s and +${(LEAD_MS + SPREAD_MS) / 1000} s`);
      const s0 = Date.now();
      // As the owner role: only an owner may analyze the tables (the app connects as the application role).
      await withOwner(svc.db.ownerUrl, (owner) => seedCheckinDeadlines(owner, { count: DEADLINES, firstDue, spreadMs: SPREAD_MS, supervisorId: dep.supervisor.id, officerId: officer.id }));
      ctx.log(`seeded in ${((Date.now() - s0) / 1000).toFixed(1)} s`);

      // Baseline: one plain timer per due time, in this process.
      const [dues] = await sql`select array_agg((extract(epoch from due_at) * 1000)::bigint order by due_at) as ms from deadlines where rule = 'checkin'`;
      const timerLateness: number[] = [];
      const timers = (dues!.ms as Array<string | bigint>).map((v) => {
        const due = Number(v);
        return setTimeout(() => timerLateness.push(Date.now() - due), Math.max(0, due - Date.now()));
      });

      const env: NodeJS.ProcessEnv = { ...process.env, ...Object.fromEntries(Object.entries(svc.config).map(([k, v]) => [k, String(v)])), EGIDE_ENV_FILE: 'none' };
      const w0 = Date.now();
      for (let i = 0; i < WORKERS; i++) workers.push(launchWorker(env));

      // Sample the workers' memory until they exit.
      const sampler = setInterval(() => {
        for (const w of workers) {
          if (w.child.pid === undefined || w.child.exitCode !== null) continue;
          const m = memoryOf(w.child.pid);
          if (!m) continue;
          if (Date.now() < firstDue) w.idleRss = m.rss;
          w.peakRss = Math.max(w.peakRss ?? 0, m.hwm);
        }
      }, 250);

      const count = async (q: 'relayed' | 'fired'): Promise<number> => {
        const [r] =
          q === 'relayed'
            ? await sql`select count(*)::int as n from outbox where topic = 'deadline.opened' and dispatched_at is not null`
            : await sql`select count(*)::int as n from deadline_steps where step = 'level1'`;
        return r!.n as number;
      };
      let relayedAfter: number | null = null;
      let fired = 0;
      let lastLog = 0;
      // Half-way through the due times, one worker is killed mid-job (SIGKILL: no graceful close,
      // its active jobs keep their locks until they lapse) and a new one is started, as a process
      // supervisor would; the other worker goes on alone meanwhile.
      const killAt = firstDue + SPREAD_MS / 2;
      let killed: { at: number; firedBefore: number } | null = null;
      while (Date.now() < lastDue + DRAIN_MS) {
        if (workers.some((w) => w.child.exitCode !== null)) throw new Error(`a worker exited early:\n${workers.map((w) => w.output()).join('\n---\n')}`);
        if (!killed && Date.now() >= killAt) {
          killed = { at: Date.now(), firedBefore: await count('fired') };
          workers[0]!.child.kill('SIGKILL');
          await workers[0]!.exited;
          workers.push(launchWorker(env));
          ctx.log(`worker 1 killed (SIGKILL) with ${killed.firedBefore} escalations recorded; worker 3 started`);
        }
        if (relayedAfter === null && (await count('relayed')) >= DEADLINES) {
          relayedAfter = (Date.now() - w0) / 1000;
          ctx.log(`all ${DEADLINES} deadline.opened rows relayed ${relayedAfter.toFixed(1)} s after the workers were spawned (${((firstDue - Date.now()) / 1000).toFixed(1)} s before the first due time)`);
        }
        fired = await count('fired');
        if (fired >= DEADLINES) break;
        if (Date.now() - lastLog > 15_000) {
          lastLog = Date.now();
          ctx.log(`${fired} of ${DEADLINES} escalations recorded`);
        }
        await sleep(500);
      }
      ctx.log(`${fired} of ${DEADLINES} escalations recorded; stopping the workers`);
      for (const tm of timers) clearTimeout(tm);
      for (const w of workers) {
        const m = w.child.pid !== undefined ? memoryOf(w.child.pid) : null;
        if (m) w.peakRss = Math.max(w.peakRss ?? 0, m.hwm);
      }
      clearInterval(sampler);
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));

      const fires = (
        await sql`select (extract(epoch from (s.fired_at - s.due_at)) * 1000)::float8 as ms, (extract(epoch from s.due_at) * 1000)::float8 as due
          from deadline_steps s join deadlines d on d.id = s.deadline_id
          where d.rule = 'checkin' and s.step = 'level1'`
      ).map((r) => ({ ms: Number(r.ms), due: Number(r.due) }));
      const lateness = fires.map((f) => f.ms);
      // Per slice of due times: a steady p99 means a uniform cost; a few bad slices mean stalls
      // (a relay batch or a reconciler pass holding the workers' connections, Redis busy).
      const slices = new Map<number, number[]>();
      for (const f of fires) {
        const k = Math.floor((f.due - firstDue) / SLICE_MS);
        slices.set(k, [...(slices.get(k) ?? []), f.ms]);
      }
      const bySlice = [...slices.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([k, xs]) => {
          const s = summarize(xs);
          return { fromS: (k * SLICE_MS) / 1000, n: s.n, p50: Math.round(s.p50), p99: Math.round(s.p99), max: Math.round(s.max) };
        });
      const [check] = await sql`select
          count(*)::int as steps,
          count(distinct (s.deadline_id, s.step))::int as distinct_steps,
          count(*) filter (where s.step <> 'level1')::int as other_steps,
          count(*) filter (where s.step = 'level1' and s.due_at <> d.due_at)::int as due_mismatch
        from deadline_steps s join deadlines d on d.id = s.deadline_id where d.rule = 'checkin'`;
      const [notes] = await sql`select count(*)::int as n, count(distinct (payload->>'deadlineId', payload->>'step'))::int as d from outbox where topic = 'deadline.step'`;
      const duplicates = check!.steps - check!.distinct_steps + (notes!.n - notes!.d);

      const lat: Summary = summarize(lateness);
      const base: Summary = summarize(timerLateness);
      const share = (limit: number) => (lateness.length === 0 ? 0 : (100 * lateness.filter((x) => x <= limit).length) / DEADLINES);
      const complete = lateness.length === DEADLINES;
      const full = DEADLINES >= 10_000 && killed !== null;
      // The steps due around the kill are the ones a dead worker may have held.
      const nearKill = killed ? summarize(fires.filter((f) => Math.abs(f.due - killed!.at) <= 5000).map((f) => f.ms)) : null;
      const label = `a plain setTimeout per due time in the bench process, same run (${base.n} timers)`;
      const rows = [
        row({ figure: 'level-1 escalations recorded', value: lateness.length, unit: 'steps', target: { on: 'value', op: '>=', limit: DEADLINES } }),
        row({ figure: 'escalation lateness p50', value: lat.p50, unit: 'ms', baseline: { value: base.p50, label } }),
        row({ figure: 'escalation lateness p99', value: lat.p99, unit: 'ms', baseline: { value: base.p99, label }, target: { on: 'value', op: '<=', limit: 1000 }, judge: complete && full }),
        row({ figure: 'escalation lateness max', value: lat.max, unit: 'ms', baseline: { value: base.max, label }, target: { on: 'value', op: '<=', limit: 5000 }, judge: complete && full }),
        row({ figure: 'escalations recorded within 1 s of their due time', value: share(1000), unit: '%', target: { on: 'value', op: '>=', limit: 99 }, judge: full }),
        row({ figure: 'escalations recorded within 5 s of their due time', value: share(5000), unit: '%', target: { on: 'value', op: '>=', limit: 100 }, judge: full }),
        row({ figure: 'duplicate steps or notifications', value: duplicates, unit: 'rows', target: { on: 'value', op: '<=', limit: 0 } }),
        row({ figure: 'workers killed mid-run (SIGKILL, half-way through the due times)', value: killed ? 1 : 0, unit: 'workers', target: { on: 'value', op: '>=', limit: 1 } }),
        ...(nearKill ? [row({ figure: `lateness max of the ${nearKill.n} escalations due within 5 s of the kill`, value: nearKill.max, unit: 'ms', target: { on: 'value', op: '<=', limit: 5000 }, judge: full })] : []),
        ...workers.map((w, i) =>
          row({
            figure: `worker ${i + 1} peak RSS (VmHWM)${i === 0 && killed ? ', until killed' : ''}`,
            value: w.peakRss ?? Number.NaN,
            unit: 'MiB',
            ...(w.idleRss !== null ? { baseline: { value: w.idleRss, label: 'the same worker before the first due time (started, jobs scheduled), same run' } } : {}),
          }),
        ),
      ];
      return {
        rows,
        notes: [
          `${DEADLINES} high-risk check-in deadlines on as many cases in protection (half with a named supervisor), due evenly over ${SPREAD_MS / 1000} s starting ${LEAD_MS / 1000} s after the seed; level 1 is their only step in the run (no reminder for check-ins, level 2 13 h later)`,
          `two processes of workers/main.ts${killed ? ` (worker 1 killed with SIGKILL ${((killed.at - firstDue) / 1000).toFixed(0)} s after the first due time, ${killed.firedBefore} escalations recorded by then, and worker 3 started in its place)` : ''} (each with its own pool of DATABASE_POOL_SIZE=${svc.config.DATABASE_POOL_SIZE} connections) (real clock, LOG_LEVEL=${svc.config.LOG_LEVEL}, deadline-steps concurrency 8 each); outbox relayed ${relayedAfter === null ? 'NOT completely' : `${relayedAfter.toFixed(1)} s after spawn`}`,
          `steps other than level 1: ${check!.other_steps}; level-1 rows whose due_at differs from the deadline's: ${check!.due_mismatch}; deadline.step notifications: ${notes!.n} (${notes!.d} distinct)`,
          `lateness ms ${JSON.stringify(roundSummary(lat, 1))}; setTimeout baseline ms ${JSON.stringify(roundSummary(base, 1))}`,
          `lateness by due time (s after the first due: n, p50/p99/max ms): ${bySlice.map((b) => `${b.fromS}s: ${b.n}, ${b.p50}/${b.p99}/${b.max}`).join('; ')}`,
          `load average at the end of the run: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (${os.availableParallelism()} CPUs; the figures move with whatever else runs)`,
        ],
        details: { workerPool: svc.config.DATABASE_POOL_SIZE, bySlice, lateness: roundSummary(lat), timerBaseline: roundSummary(base), relayedAfterSeconds: relayedAfter, check, notifications: notes, workers: workers.map((w) => ({ idleRssMiB: w.idleRss, peakRssMiB: w.peakRss })) },
      };
    } finally {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      await svc.close();
    }
  },
});
