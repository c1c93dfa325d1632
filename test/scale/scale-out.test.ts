import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAccessPolicy } from '../../src/access/policy.js';
import { createAuditRepository } from '../../src/audit/audit-repository.js';
import { createAuditService } from '../../src/audit/audit-service.js';
import { loadWorkflowPolicy } from '../../src/cases/workflow-policy.js';
import { loadConfig } from '../../src/config/config.js';
import { createDatabase } from '../../src/db/client.js';
import { loadDeadlinePolicy } from '../../src/deadlines/deadline-policy.js';
import { systemClock } from '../../src/lib/clock.js';
import { generateSecrets, loadServerKeys } from '../../src/lib/server-keys.js';
import { REDIS_URL, testRedisPrefix } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { launchService, logEntries, shortDeadlinePolicies, stopService, type ServiceProcess } from '../faults/fleet.js';
import { holdsWithin } from '../helpers/wait-for.js';
import { call, Journal, setUpDeployment } from '../faults/http-client.js';
import { checkChainShape, checkCommands, checkSteps, drained, Findings } from '../faults/invariants.js';
import { planCases, rng, runLoad } from '../faults/load.js';
import { freePort } from '../faults/own-servers.js';

/**
 * Scale-out: two API processes and two worker processes, as operators run them, on one
 * PostgreSQL database and one Redis prefix, sharing nothing in memory. Cases are filed and moved
 * through the workflow through both APIs at once, read (audited) through both, while the two
 * workers race for the deadline steps falling due. Afterwards: every command is all there or not
 * at all, the audit chain has each seq, event and hash once (no fork) and verifies, and every
 * step that fell due fired exactly once (no double escalation) with one timeline entry, audit
 * event and notification.
 */
const WINDOW = 8; // short deadlines: reminder 4 s, level 1 8 s, level 2 12 s after they start
const LOAD_ENDS = 18;
const DRAIN_UNTIL = 24;

const db = await createTestDatabase();
const prefix = await testRedisPrefix(t);
const policiesDir = shortDeadlinePolicies(mkdtempSync(join(tmpdir(), 'egide-scale-policies-')), WINDOW);
const secrets = await generateSecrets();
const env: Record<string, string> = {
  ...(secrets as Record<string, string>),
  DATABASE_URL: db.url,
  DATABASE_POOL_SIZE: '4',
  REDIS_URL,
  REDIS_PREFIX: prefix,
  POLICIES_DIR: policiesDir,
  LOG_LEVEL: 'warn',
  LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
  FILING_RATE_LIMIT_PER_MINUTE: '100000',
  RECONCILER_INTERVAL_MS: '2000',
};
const config = loadConfig(env);
const sql = createDatabase(db.url, { max: 2 });
const services: ServiceProcess[] = [];
t.teardown(async () => {
  await Promise.all(services.map((s) => stopService(s, 5000)));
  await sql.close();
  await db.drop();
  rmSync(policiesDir, { recursive: true, force: true });
});

// Should the setup below throw, tap's teardown may not run: the children must not outlive this file.
process.on('exit', () => {
  for (const s of services) if (s.running()) s.child.kill('SIGKILL');
});

const ports = [await freePort(), await freePort()];
const apis = ports.map((port, i) => ({ name: `api-${i + 1}`, base: `http://127.0.0.1:${port}` }));
for (const [i, port] of ports.entries()) services.push(launchService({ name: apis[i]!.name, role: 'api', env: { ...env, HOST: '127.0.0.1', PORT: String(port) } }));
// info: a worker says when it has started
for (const name of ['worker-1', 'worker-2']) services.push(launchService({ name, role: 'worker', env: { ...env, LOG_LEVEL: 'info' } }));
const ready = async () => (await Promise.all(apis.map((a) => call(a.base, 'GET', '/readyz', { timeoutMs: 2000 })))).every((r) => r.status === 200);
if (!(await holdsWithin(ready, 60_000, 250))) throw new Error(`the APIs did not become ready:\n${services.map((s) => `${s.name}: ${s.output().slice(-1500)}`).join('\n')}`);
if (!(await holdsWithin(() => services.filter((s) => s.role === 'worker').every((w) => w.output().includes('workers started') || !w.running()), 60_000))) throw new Error(`workers did not start:\n${services.map((s) => `${s.name}: ${s.output().slice(-1500)}`).join('\n')}`);

// Bootstrapped once; the officers enrol through one API and work through both.
const dep = await setUpDeployment(apis[0]!.base, config, 2);
const scripts = planCases(dep, { count: 30, burst: 10, burstAt: 0.5, fileWindow: [1, 6], ackAfter: [1, 10], nextAfter: [1, 5], readAfter: [0, 2], random: rng(7) });

t.test('two APIs and two workers on one database: cases, audit chain and deadlines stay right', async (t) => {
  t.ok(services.every((s) => s.running()), 'four processes running');
  const journal = new Journal();
  const t0 = Date.now() + 300;
  const commands = await runLoad(scripts, { apis, dep, journal, t0, stopAt: t0 + LOAD_ENDS * 1000 });
  // Reads of every case through both APIs at once: each is audited, and the chain takes them all.
  const reads = await Promise.all(
    scripts.flatMap((s) => apis.map(async (api) => ({ api: api.name, caseId: s.caseId, startedAt: Date.now(), ...(await call(api.base, 'GET', `/v1/cases/${s.caseId}`, { headers: dep.supervisor.auth() })) }))),
  );
  for (const r of reads) journal.add({ ...r, kind: 'read', actor: dep.supervisor.username, attempt: 1, endedAt: r.startedAt + r.ms });
  t.ok(
    apis.every((a) => reads.filter((r) => r.api === a.name && r.status === 200).length === scripts.length),
    'every case reads back through both APIs',
  );
  t.ok(
    apis.every((a) => journal.entries.some((e) => e.api === a.name && e.kind !== 'read' && e.status !== null && e.status < 300)),
    'both APIs took commands',
  );
  const refusals = journal.entries.filter((e) => e.status === null || e.status >= 400);
  t.same(
    refusals.map((e) => `${e.api} ${e.kind} ${e.status ?? e.error} ${e.code ?? ''}`),
    [],
    'no request refused or failed',
  );

  // The workers fire what falls due, relay the notifications and chain the audit events; then stop.
  await new Promise((r) => setTimeout(r, Math.max(0, t0 + DRAIN_UNTIL * 1000 - Date.now())));
  const quiet = await holdsWithin(
    async () => {
      const r = await drained(sql.sql);
      return r.outbox === 0 && r.unchained === 0;
    },
    15_000,
    250,
  );
  t.ok(quiet, 'outbox relayed and every audit event chained while the workers run');
  const codes = await Promise.all(services.map((s) => stopService(s)));
  t.same(codes, [0, 0, 0, 0], 'every process stops gracefully');
  const asOf = Date.now();

  const f = new Findings();
  const policy = loadDeadlinePolicy(policiesDir);
  const workflow = loadWorkflowPolicy(policiesDir, loadAccessPolicy(policiesDir));
  // No fault here: a step fires within the reconciler interval of its due time at worst.
  const input = { sql: sql.sql, policy, workflow, commands, journal: journal.entries, lateness: 5000, windows: [], asOf };
  const cases = await checkCommands(f, input);
  const steps = await checkSteps(f, input);
  // A step may fire between the drain above and the stop: chain what the stopped workers left, as
  // the next worker start does, so that the shape check sees every event.
  await sql.sql`select audit_chain_pending(100000)`;
  const chain = await checkChainShape(f, sql.sql);
  const keys = await loadServerKeys(config);
  const verified = await createAuditService({ repo: createAuditRepository(sql.db), clock: systemClock, signingSecretKey: keys.audit.secretKey }).verify();
  f.expect('audit chain verifies', verified.ok && verified.headMatches, () => JSON.stringify(verified));

  t.equal(cases.cases, scripts.length, `all ${scripts.length} cases filed`);
  t.ok(steps.stepsFired > scripts.length, `deadline steps fired under both workers (${JSON.stringify(steps.byStep)})`);
  t.ok((steps.byStep.level1 ?? 0) > 0 && (steps.byStep.level2 ?? 0) > 0, 'escalations at level 1 and level 2 happened');
  // Who fired what, from each worker's own log: both took part, and together they account for every step once.
  const firedBy = services
    .filter((s) => s.role === 'worker')
    .map((w) =>
      logEntries(w.output()).reduce((n, e) => n + (e.msg === 'deadline step fired' && Array.isArray(e.fired) ? e.fired.length : e.msg === 'reconciler fired overdue deadline steps' && typeof e.fired === 'number' ? e.fired : 0), 0),
    );
  t.ok(firedBy.every((n) => n > 0), `both workers fired steps (${firedBy.join(' and ')})`);
  t.equal(firedBy[0]! + firedBy[1]!, steps.stepsFired, 'their logs account for every step exactly once');
  t.ok(chain.headSeq > 0, `audit chain of ${chain.headSeq} events`);
  t.same(f.violations, [], `no violation (${Object.entries(f.summary()).map(([k, v]) => `${k}: ${v.passed}`).join('; ')})`);
});
