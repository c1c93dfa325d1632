/**
 * `npm run test:faults`: the reliability bar of the design, shown on the running service.
 *
 * Against an API process and two worker processes (as operators run them) on a PostgreSQL and a
 * Redis of the run's own, a load generator files cases and moves them through the workflow
 * while, in turn: a worker is killed with SIGKILL while it fires deadline steps (a new one is
 * started), the Redis prefix is flushed, and PostgreSQL is stopped as by a crash and started
 * again. Afterwards it checks that no request was half-applied, no deadline step was lost or
 * fired twice, the API answered 503 problems during the outage and served again without a
 * restart, Redis state was rebuilt, and the audit chain verifies. It prints what it did and
 * writes it to test-artifacts/faults/report.json; any violation makes it exit 1.
 *
 * FAULTS_SEED=<n> replays a plan; FAULTS_KEEP=1 keeps the run directory (logs, PostgreSQL's).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadAccessPolicy } from '../../src/access/policy.js';
import { createAuditRepository } from '../../src/audit/audit-repository.js';
import { createAuditService } from '../../src/audit/audit-service.js';
import { loadWorkflowPolicy } from '../../src/cases/workflow-policy.js';
import { loadConfig } from '../../src/config/config.js';
import { createDatabase } from '../../src/db/client.js';
import { loadDeadlinePolicy } from '../../src/deadlines/deadline-policy.js';
import { systemClock } from '../../src/lib/clock.js';
import { projectRoot } from '../../src/lib/paths.js';
import { generateSecrets, loadServerKeys } from '../../src/lib/server-keys.js';
import { queuePrefix } from '../../src/queues/registry.js';
import { launchService, logEntries, shortDeadlinePolicies, stopService, type ServiceProcess } from './fleet.js';
import { holdsWithin } from '../helpers/wait-for.js';
import { call, Journal, setUpDeployment, type JournalEntry } from './http-client.js';
import { checkChainShape, checkCommands, checkStatsRollup, checkSteps, drained, Findings } from './invariants.js';
import { monitorReadiness, planCases, rng, runLoad } from './load.js';
import { freePort, makeRunDir, startOwnPostgres, startOwnRedis } from './own-servers.js';

// The plan, in seconds from the start of the load.
const WINDOW = 30; // each short deadline: reminder at 15 s, level 1 at 30 s, level 2 at 45 s
const CASES = 64;
const BURST = 20; // filed together at BURST_AT: their reminders fall due together
const BURST_AT = 1;
const FILE_WINDOW: [number, number] = [2, 35];
const FLUSH_AT = 24;
const PG_DOWN_AT = 32;
const PG_DOWN_FOR = 8;
const LOAD_ENDS = 55;
const DRAIN_UNTIL = 80;
const RECONCILE_MS = 3000;
const CHECKPOINT_EVERY_S = 5;

const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 1_000_000);
const began = Date.now();
const log = (msg: string) => process.stdout.write(`[faults ${((Date.now() - began) / 1000).toFixed(1).padStart(6)} s] ${msg}\n`);
const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

const runDir = makeRunDir();
const services: ServiceProcess[] = [];
let pgDestroy: (() => void) | null = null;
let redisDestroy: (() => void) | null = null;
let cleaned = false;
/** Synchronous, so it also runs from the exit and signal handlers: nothing of the run outlives it. */
function cleanUp(): void {
  if (cleaned) return;
  cleaned = true;
  for (const s of services) if (s.running()) s.child.kill('SIGKILL');
  pgDestroy?.();
  redisDestroy?.();
  if (process.env.FAULTS_KEEP === '1') process.stdout.write(`run directory kept: ${runDir.dir}\n`);
  else runDir.remove();
}
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    cleanUp();
    process.exit(130);
  });
}

async function main(): Promise<number> {
  log(`seed ${seed}; run directory ${runDir.dir}`);
  const pg = await startOwnPostgres(runDir.dir);
  pgDestroy = () => pg.destroy();
  const redis = await startOwnRedis(runDir.dir);
  redisDestroy = () => redis.destroy();
  log(`own PostgreSQL on ${pg.port}, own Redis at ${redis.url}`);

  const policiesDir = shortDeadlinePolicies(join(runDir.dir, 'policies'), WINDOW);
  const secrets = await generateSecrets();
  const apiPort = await freePort();
  const env: Record<string, string> = {
    ...(secrets as Record<string, string>),
    // The application role, as in production; only the API (below) gets the owner role, so it
    // creates both roles and the database on this fresh server as npm start does, and migrates.
    DATABASE_URL: pg.url('egide', 'egide_app'),
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: redis.url,
    REDIS_PREFIX: 'egide-faults',
    POLICIES_DIR: policiesDir,
    LOG_LEVEL: 'info',
    LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
    FILING_RATE_LIMIT_PER_MINUTE: '100000',
    RECONCILER_INTERVAL_MS: String(RECONCILE_MS),
    AUDIT_CHECKPOINT_INTERVAL_SECONDS: String(CHECKPOINT_EVERY_S),
    // Chained every 2 s rather than 250 ms: the crash then surely finds committed events not yet chained.
    AUDIT_CHAIN_INTERVAL_MS: '2000',
  };
  const config = loadConfig(env);
  const base = `http://127.0.0.1:${apiPort}`;
  const apiRef = { name: 'api', base };

  // --- the service: one API, two workers, separate processes -------------------------------
  const api = launchService({ name: 'api', role: 'api', env: { ...env, DATABASE_OWNER_URL: pg.url('egide', 'egide_owner'), PORT: String(apiPort), HOST: '127.0.0.1', LOG_LEVEL: 'warn' } });
  services.push(api);
  if (!(await holdsWithin(async () => (await call(base, 'GET', '/readyz', { timeoutMs: 2000 })).status === 200, 60_000, 250))) throw new Error(`the API did not become ready:\n${api.output().slice(-3000)}`);
  const workers = ['worker-a', 'worker-b'].map((name) => launchService({ name, role: 'worker', env }));
  services.push(...workers);
  const dep = await setUpDeployment(base, config, 2);
  log(`API ready (pid ${api.pid}); deployment bootstrapped, 2 officers enrolled through the API`);
  const random = rng(seed);
  const scripts = planCases(dep, { count: CASES, burst: BURST, burstAt: BURST_AT, fileWindow: FILE_WINDOW, random });
  log(`${scripts.length} filings sealed with the SDK`);
  if (!(await holdsWithin(() => workers.every((w) => w.output().includes('workers started')), 60_000))) throw new Error(`workers did not start:\n${workers.map((w) => w.output().slice(-2000)).join('\n')}`);
  log(`workers started (pids ${workers.map((w) => w.pid).join(', ')})`);

  const sql = createDatabase(config.DATABASE_URL, { max: 2 });
  const queueConn = new Redis(redis.url, { maxRetriesPerRequest: null });
  const stepQueue = new Queue('deadline-steps', { connection: queueConn, prefix: queuePrefix(config) });

  // --- the load, and the faults during it ---------------------------------------------------
  const journal = new Journal();
  const t0 = Date.now() + 500;
  const at = (s: number) => t0 + s * 1000;
  const loadStops = at(LOAD_ENDS);
  const faults: Record<string, unknown> = {};
  log(`load starts: ${CASES} cases over ${FILE_WINDOW[1]} s, until t=${LOAD_ENDS} s`);
  const monitor = monitorReadiness(apiRef, journal, () => loadStops);
  const load = runLoad(scripts, { apis: [apiRef], dep, journal, t0, stopAt: loadStops });

  const faultPlan = (async () => {
    // 1. SIGKILL a worker while it is firing the burst's reminders (due at BURST_AT + WINDOW/2).
    const burstDue = at(BURST_AT + WINDOW / 2);
    await sleepUntil(burstDue - 1000);
    const victim = workers[0]!;
    const firing = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      victim.onLine((line) => {
        if (line.includes('"deadline step fired"')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
    });
    const active = await stepQueue.getActiveCount().catch(() => -1);
    const firedBefore = (await sql.sql`select count(*)::int as n from deadline_steps`)[0]!.n as number;
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    await victim.exited;
    const replacement = launchService({ name: 'worker-c', role: 'worker', env });
    services.push(replacement);
    faults.kill = { worker: victim.name, pid: victim.pid, at: killedAt, t: (killedAt - t0) / 1000, whileFiring: firing, activeStepJobsAtKill: active, stepsFiredBeforeKill: firedBefore, replacement: replacement.pid };
    log(`SIGKILL ${victim.name} (pid ${victim.pid}) ${firing ? 'right after it logged a fired step' : 'without seeing it fire (timeout)'}; ${active} step jobs active; started worker-c (pid ${replacement.pid})`);

    // 2. Flush the run's Redis prefix (SCAN + DEL, never FLUSHALL).
    await sleepUntil(at(FLUSH_AT));
    const flushStart = Date.now();
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await queueConn.scan(cursor, 'MATCH', `${config.REDIS_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await queueConn.del(...keys);
    } while (cursor !== '0');
    faults.flush = { at: flushStart, t: (flushStart - t0) / 1000, keysDeleted: deleted };
    log(`flushed Redis prefix ${config.REDIS_PREFIX}*: ${deleted} keys deleted`);
    await sleepUntil(flushStart + RECONCILE_MS + 2000);
    faults.flush = { ...(faults.flush as object), delayedStepJobsAfterReconcile: await stepQueue.getDelayedCount() };

    // 3. PostgreSQL stopped as by a crash, and started again.
    await sleepUntil(at(PG_DOWN_AT));
    const stopAt = Date.now();
    pg.stop();
    const downAt = Date.now();
    log(`PostgreSQL stopped (-m immediate) in ${downAt - stopAt} ms`);
    await sleepUntil(downAt + PG_DOWN_FOR * 1000);
    const startAt = Date.now();
    pg.start();
    const upAt = Date.now();
    faults.postgres = { stopAt, downAt, startAt, upAt, tDown: (downAt - t0) / 1000, tUp: (upAt - t0) / 1000, downForMs: upAt - stopAt };
    log(`PostgreSQL started again after ${((upAt - stopAt) / 1000).toFixed(1)} s`);
  })();

  const [commands] = await Promise.all([load, monitor, faultPlan]);
  log(`load ended: ${commands.length} commands, ${journal.entries.length} requests`);

  // --- drain: the workers fire what falls due, relay and chain, then stop ---------------------
  await sleepUntil(at(DRAIN_UNTIL));
  const quiet = await holdsWithin(
    async () => {
      const r = await drained(sql.sql);
      return r.outbox === 0 && r.unchained === 0;
    },
    15_000,
    250,
  );
  const pending = await drained(sql.sql);
  const checkpointQueue = new Queue('audit-checkpoint', { connection: queueConn, prefix: queuePrefix(config) });
  const expiryQueue = new Queue('measure-expiry', { connection: queueConn, prefix: queuePrefix(config) });
  const schedulers = {
    auditCheckpoint: (await checkpointQueue.getJobSchedulers()).map((s) => s.key),
    measureExpiry: (await expiryQueue.getJobSchedulers()).map((s) => s.key),
  };
  const flushT = (faults.flush as { at: number }).at;
  const [checkpoints] = await sql.sql`select count(*)::int as n from audit_checkpoints where signed_at > ${new Date(flushT + (CHECKPOINT_EVERY_S + 2) * 1000).toISOString()}::timestamptz`;
  const live = services.filter((s) => s.role === 'worker' && s.running());
  const apiAlive = api.running();
  const exitCodes: Record<string, unknown> = {};
  for (const w of live) exitCodes[w.name] = await stopService(w);
  exitCodes.api = await stopService(api);
  // Nothing fires after this: open deadlines' steps due before it (less the allowed lateness) must have.
  const asOf = Date.now();
  log(`drained (${quiet ? 'outbox relayed and audit chained' : `still pending: ${pending.outbox} outbox rows, ${pending.unchained} unchained audit events`}); services stopped: ${JSON.stringify(exitCodes)}`);

  // --- checks --------------------------------------------------------------------------------
  const f = new Findings();
  const access = loadAccessPolicy(policiesDir);
  const workflow = loadWorkflowPolicy(policiesDir, access);
  const policy = loadDeadlinePolicy(policiesDir);
  const pgF = faults.postgres as { stopAt: number; downAt: number; startAt: number; upAt: number };
  const killF = faults.kill as { at: number };
  const base5 = RECONCILE_MS + 3000;
  const windows = [
    // Jobs held by the killed worker, and jobs lost in the flush: the reconciler (every RECONCILE_MS) fires them.
    { label: 'worker killed', from: killF.at - 2000, to: killF.at + 1000, graceMs: base5 + 5000 },
    { label: 'Redis flushed', from: flushT - 1000, to: flushT + RECONCILE_MS, graceMs: base5 },
    // Steps due while PostgreSQL is down fire once it is back and the workers' pools reconnect.
    { label: 'PostgreSQL down', from: pgF.stopAt - 1000, to: pgF.upAt, graceMs: 15_000 },
  ];
  const input = { sql: sql.sql, policy, workflow, commands, journal: journal.entries, lateness: base5, windows, asOf };
  const caseStats = await checkCommands(f, input);
  const stepStats = await checkSteps(f, input);

  // The API during the outage: 503 problem+json with a stable code, promptly, never a 500 or a hang.
  const apiEntries = journal.entries;
  for (const e of apiEntries) {
    f.expect('the API always answers (no hang, no dropped connection)', e.status !== null, () => `${e.kind} ${e.caseId ?? ''} at t=${((e.startedAt - t0) / 1000).toFixed(1)}: ${e.error} after ${e.ms} ms`);
    f.expect('no 500', e.status === null || e.status < 500 || e.status === 503, () => `${e.kind} ${e.caseId ?? ''} at t=${((e.startedAt - t0) / 1000).toFixed(1)}: ${e.status} ${JSON.stringify(e.body)}`);
    if (e.status === 503) f.expect('503 is problem+json service_unavailable', (e.contentType ?? '').startsWith('application/problem+json') && e.code === 'service_unavailable', () => `${e.kind}: ${e.contentType} ${JSON.stringify(e.body)}`);
  }
  const during = apiEntries.filter((e) => e.startedAt >= pgF.downAt + 300 && e.endedAt <= pgF.startAt);
  for (const e of during) {
    f.expect('503 while PostgreSQL is down', e.status === 503, () => `${e.kind} ${e.caseId ?? ''} at t=${((e.startedAt - t0) / 1000).toFixed(1)}: ${e.status ?? e.error}`);
    if (e.kind === 'readyz') f.expect('/readyz names PostgreSQL while it is down', (e.body as { checks?: { database?: string } } | null)?.checks?.database === 'down', () => JSON.stringify(e.body));
  }
  f.expect('requests were made during the outage', during.filter((e) => e.kind !== 'readyz').length > 0, () => 'no command or read was attempted while PostgreSQL was down');
  const duringMs = during.map((e) => e.ms);
  const firstOk = apiEntries.filter((e) => e.kind !== 'readyz' && e.startedAt >= pgF.upAt && e.status !== null && e.status < 300).sort((a, b) => a.endedAt - b.endedAt)[0];
  f.expect('served again after the outage, same API process', firstOk !== undefined && apiAlive, () => `first 2xx after the restart: ${firstOk ? 'yes' : 'none'}; API process alive until the end: ${apiAlive}`);
  const late503 = apiEntries.filter((e) => e.status === 503 && e.startedAt > pgF.upAt + 10_000);
  f.expect('no 503 once recovered', late503.length === 0, () => `${late503.length} 503s more than 10 s after PostgreSQL was back, first at t=${((late503[0]!.startedAt - t0) / 1000).toFixed(1)}`);

  // Redis holds only what PostgreSQL can rebuild: after the flush, the schedules and jobs came back.
  f.expect('audit checkpoint schedule rebuilt after the flush', schedulers.auditCheckpoint.length > 0 && checkpoints!.n > 0, () => `schedulers ${JSON.stringify(schedulers.auditCheckpoint)}, ${checkpoints!.n} checkpoints signed after the flush`);
  f.expect('measure expiry schedule rebuilt after the flush', schedulers.measureExpiry.length > 0, () => `schedulers ${JSON.stringify(schedulers.measureExpiry)}`);
  f.expect('outbox relayed and audit chained while the workers ran', quiet, () => `${pending.outbox} outbox rows pending, ${pending.unchained} audit events unchained 15 s after the load`);
  f.expect('workers and API stop gracefully', Object.values(exitCodes).every((c) => c === 0), () => JSON.stringify(exitCodes));

  // The audit chain, as the service verifies it (hashes, head, signed checkpoints), after chaining what was left.
  await sql.sql`select audit_requeue_unchained()`;
  await sql.sql`select audit_chain_pending(100000)`;
  const chain = await checkChainShape(f, sql.sql);
  const keys = await loadServerKeys(config);
  const verified = await createAuditService({ repo: createAuditRepository(sql.db), clock: systemClock, signingSecretKey: keys.audit.secretKey }).verify();
  f.expect('audit chain verifies', verified.ok && verified.headMatches, () => JSON.stringify(verified));

  // The statistics counters, kept by triggers in every command's transaction, through crashes and outages.
  const stats = await checkStatsRollup(f, sql.sql);

  // No sealed plaintext in any process's output.
  const outputs = services.map((s) => s.output()).join('\n');
  const leaked = scripts.filter((s) => outputs.includes(s.marker)).length;
  f.expect('no sealed plaintext in the logs', leaked === 0, () => `${leaked} cases' markers found in process output`);

  const errorsLogged = services.flatMap((s) => logEntries(s.output()).filter((e) => Number(e.level) >= 50).map((e) => ({ service: s.name, msg: e.msg, err: (e.err as { message?: string } | undefined)?.message })));

  // --- report --------------------------------------------------------------------------------
  const phases: Array<[string, number]> = [
    ['before faults', t0],
    ['worker killed', killF.at],
    ['Redis flushed', flushT],
    ['PostgreSQL down', pgF.stopAt],
    ['PostgreSQL back', pgF.upAt],
  ];
  const phaseOf = (e: JournalEntry) => [...phases].reverse().find(([, from]) => e.startedAt >= from)?.[0] ?? 'before faults';
  const histogram: Record<string, Record<string, Record<string, number>>> = {};
  for (const e of apiEntries) {
    const p = (histogram[phaseOf(e)] ??= {});
    const k = (p[e.kind === 'readyz' ? 'readyz' : 'requests'] ??= {});
    const key = e.status === null ? `no answer (${e.error})` : e.code ? `${e.status} ${e.code}` : String(e.status);
    k[key] = (k[key] ?? 0) + 1;
  }
  const outcomes: Record<string, Record<string, number>> = {};
  for (const c of commands) (outcomes[c.kind] ??= {})[c.outcome] = ((outcomes[c.kind] ??= {})[c.outcome] ?? 0) + 1;
  const report = {
    seed,
    startedAt: new Date(began).toISOString(),
    durationS: Math.round((Date.now() - began) / 100) / 10,
    plan: { windowS: WINDOW, cases: CASES, burst: BURST, loadEndsS: LOAD_ENDS, flushAtS: FLUSH_AT, pgDownAtS: PG_DOWN_AT, pgDownForS: PG_DOWN_FOR, reconcilerMs: RECONCILE_MS },
    processes: services.map((s) => ({ name: s.name, role: s.role, pid: s.pid })),
    faults,
    outage: {
      requestsDuringOutage: during.filter((e) => e.kind !== 'readyz').length,
      readyzDuringOutage: during.filter((e) => e.kind === 'readyz').length,
      maxAnswerMsDuringOutage: Math.max(0, ...duringMs),
      firstSuccessAfterRestartMs: firstOk ? firstOk.endedAt - pgF.upAt : null,
    },
    commands: { total: commands.length, outcomes, requests: apiEntries.filter((e) => e.kind !== 'readyz').length, readinessProbes: apiEntries.filter((e) => e.kind === 'readyz').length },
    histogram,
    cases: caseStats,
    steps: stepStats,
    redis: { schedulers, checkpointsAfterFlush: checkpoints!.n },
    audit: { ...chain, verify: verified },
    errorsLogged: errorsLogged.slice(0, 50),
    checks: f.summary(),
    violations: f.violations.slice(0, 200),
    violationCount: f.violations.length,
  };
  const dir = join(projectRoot(), 'test-artifacts', 'faults');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  for (const s of services) writeFileSync(join(dir, `${s.name}.log`), s.output());

  await stepQueue.close();
  await checkpointQueue.close();
  await expiryQueue.close();
  queueConn.disconnect();
  await sql.close();

  const line = (s = '') => process.stdout.write(`${s}\n`);
  line();
  line('=== faults run ===');
  line(`seed ${seed}, ${report.durationS} s; processes: ${report.processes.map((p) => `${p.name}(${p.pid})`).join(' ')}`);
  line(`worker kill: ${JSON.stringify(faults.kill)}`);
  line(`Redis flush: ${JSON.stringify(faults.flush)}`);
  line(`PostgreSQL: down ${((pgF.upAt - pgF.stopAt) / 1000).toFixed(1)} s; ${report.outage.requestsDuringOutage} requests and ${report.outage.readyzDuringOutage} probes during it, slowest answer ${report.outage.maxAnswerMsDuringOutage} ms; first success ${report.outage.firstSuccessAfterRestartMs} ms after restart`);
  line(`commands: ${JSON.stringify(outcomes)}`);
  line('status per phase (by when each request started; one started while PostgreSQL was down may succeed once it is back):');
  for (const [phase] of phases) line(`  ${phase.padEnd(16)} requests ${JSON.stringify(histogram[phase]?.requests ?? {})}  readyz ${JSON.stringify(histogram[phase]?.readyz ?? {})}`);
  line(`cases: ${caseStats.cases}; deadlines: ${stepStats.deadlines}; steps fired: ${stepStats.stepsFired} ${JSON.stringify(stepStats.byStep)}; lateness max ${stepStats.maxLatenessMs} ms (outside fault windows: max ${stepStats.maxLatenessOutsideFaultsMs} ms, p99 ${stepStats.p99LatenessOutsideFaultsMs} ms)`);
  line(`Redis rebuilt: schedulers ${JSON.stringify(schedulers)}, ${checkpoints!.n} checkpoints signed after the flush`);
  line(`statistics: ${stats.counters} counters equal to a recount (${stats.pending} changes were pending before the fold)`);
  line(`audit: ${chain.events} events, head seq ${chain.headSeq}, verify ${verified.ok && verified.headMatches ? 'ok' : 'FAILED'} (${verified.checkpoints} checkpoints checked)`);
  if (errorsLogged.length > 0) line(`error-level log lines: ${errorsLogged.length} (first: ${JSON.stringify(errorsLogged[0])})`);
  line('checks:');
  for (const [check, r] of Object.entries(report.checks)) line(`  ${r.violations === 0 ? 'ok  ' : 'FAIL'} ${check} (${r.passed} passed${r.violations ? `, ${r.violations} violations` : ''})`);
  for (const v of f.violations.slice(0, 30)) line(`  ! ${v.check}: ${v.detail}`);
  line(`report: ${join(dir, 'report.json')}`);
  line(f.violations.length === 0 ? 'FAULTS RUN PASSED' : `FAULTS RUN FAILED: ${f.violations.length} violations`);
  return f.violations.length === 0 ? 0 : 1;
}

const watchdog = setTimeout(() => {
  process.stderr.write('faults run: took more than 6 minutes, giving up\n');
  cleanUp();
  process.exit(2);
}, 6 * 60_000);
watchdog.unref();

let code = 1;
try {
  code = await main();
} catch (err) {
  process.stderr.write(`faults run aborted: ${(err as Error).stack ?? String(err)}\n`);
  for (const s of services) process.stderr.write(`--- ${s.name} (last output)\n${s.output().slice(-2500)}\n`);
  code = 2;
} finally {
  cleanUp();
}
process.exit(code);
