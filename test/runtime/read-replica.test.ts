/**
 * The statistics and the audit exports read a streaming replica (DATABASE_REPLICA_URL), commands
 * never; a replica lost leaves the service answering. On a primary and a hot standby of this
 * file's own (pg_basebackup -R), each logging its statements with the client's application_name:
 *  - with the replica's replay paused, a case filed and acknowledged on the primary (commands) is
 *    not in the statistics until replay resumes: they come from the replica;
 *  - an export reads its pages on the replica (its log), and is still complete, ending with its
 *    own audit event, while the replica lags (it then reads the primary);
 *  - a read from the lagging replica leaves the newer counters kept from the primary in place;
 *  - the replica stopped as a crash would: commands, statistics and exports still answer, from
 *    the primary, and the log and the metrics say why; started again, it answers once the retry
 *    delay has passed.
 */
import t from 'tap';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import type { ChainedAuditEvent } from '../../src/sdk/index.js';
import { createDatabase } from '../../src/db/client.js';
import { createReadReplica, REPLICA_POOL } from '../../src/db/read-replica.js';
import { buildTestApp } from '../helpers/app.js';
import { startReplication } from '../helpers/pg-replication.js';
import { buildWorld, caseRow, expectStatus, fileCase, requestAs, transitionAs } from '../helpers/world.js';

t.setTimeout(120_000);

const rep = await startReplication();
t.teardown(() => rep.destroy());
const METRICS_TOKEN = 'replica-metrics-token-0123456789abcdef';
const T = await buildTestApp(t, { db: rep.db, now: '2026-03-10T08:00:00.000Z', env: { DATABASE_REPLICA_URL: rep.replica.url(rep.db.name, 'egide_app'), METRICS_TOKEN } });
const w = await buildWorld(T, { officers: ['awa'] });
const as = requestAs(T);
const replicaAdmin = postgres(rep.replica.url(rep.db.name), { max: 1, onnotice: () => undefined });
t.teardown(() => replicaAdmin.end());

/** Cases received in 2026, as the statistics say. */
const received = async () => {
  const r = await expectStatus<{ cases: Array<{ n: number }> }>(as(w.supervisor, 'GET', '/v1/stats/table?series=region&from=2026-01&to=2026-12&period=year'));
  return r.cases[0]!.n;
};
const exported = async () => {
  const r = await as(w.supervisor, 'GET', '/v1/audit/export');
  t.equal(r.statusCode, 200);
  return r.body.trimEnd().split('\n').map((l) => JSON.parse(l) as ChainedAuditEvent);
};
/** Statements the app sent to the replica through its replica pool. */
const replicaStatements = (pattern: RegExp) =>
  rep.replica
    .log()
    .split(/\n(?=[\w.-]*@@)/)
    .filter((l) => l.startsWith('egide-replica-reads@@') && pattern.test(l)).length;
const metric = async (name: string) => {
  const r = await T.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(r.body)?.[1]);
};
const truth = async () => Number((await T.database.sql`select count(*)::int as n from cases`)[0]!.n);

t.test('the statistics come from the replica: paused, it does not see what commands just did', async (t) => {
  t.equal(await metric('egide_db_replica_up'), 1, 'the metrics say the replica answers');
  // The counters' first sync (a recount, on the primary) before anything is counted.
  await T.app.container.services.stats.ready();
  await fileCase(T, w.dep);
  await rep.caughtUp();
  t.equal(await received(), 1, 'the filed case is counted once the replica has it');
  t.ok(replicaStatements(/stats_deltas/) > 0, 'the counters were read on the replica');

  await replicaAdmin`select pg_wal_replay_pause()`;
  const late = await fileCase(T, w.dep);
  // A command on the new case: it reads and writes the primary, where the case exists.
  await transitionAs(T, w.officers.awa, late.caseId, 'acknowledge');
  t.equal((await caseRow(T, late.caseId)).state, 'triage', 'a command on a case the replica does not have yet succeeds');
  t.equal(await truth(), 2, 'the primary has both cases');
  t.equal(replicaStatements(/\b(insert|update|delete)\b/i), 0, 'no write ever reached the replica');
  t.equal(replicaStatements(/from "cases"|from cases\b/), 0, 'nor the reads of the case the command acted on');
  t.equal(await received(), 1, "the statistics show the replica's state: the second case is not there yet");

  await replicaAdmin`select pg_wal_replay_resume()`;
  await rep.caughtUp();
  t.equal(await received(), 2, 'replay resumed: the statistics catch up');
});

t.test('an export reads the replica, and stays a complete prefix of the chain while the replica lags', async (t) => {
  const before = replicaStatements(/audit_log/);
  const events = await exported();
  t.ok(replicaStatements(/audit_log/) > before, "the export's pages were read on the replica");
  const last = events.at(-1)!;
  t.equal(last.action, 'audit.read', 'it ends with its own audit event');
  t.same(events.map((e) => e.seq), events.map((_, i) => i + 1), 'every seq from genesis, once');

  await replicaAdmin`select pg_wal_replay_pause()`;
  const lagging = await exported();
  t.equal(lagging.at(-1)!.action, 'audit.read', 'replica paused: still ends with its own event (read on the primary)');
  t.ok(lagging.length > events.length, 'and includes what the replica has not replayed');
  t.ok(T.logs.some((l) => l.includes('the database replica lags')), 'the log says the replica lagged');
  await replicaAdmin`select pg_wal_replay_resume()`;
  await rep.caughtUp();
});

t.test('a lagging replica does not poison the counters kept in memory, which both servers share', async (t) => {
  const repo = T.app.container.repos.stats;
  const onReplica = async () => (await repo.counts(['cases'], '2026-01-01', '2027-01-01', 'year'))[0]!.n;
  const onPrimary = async () => (await repo.counts(['cases'], '2026-01-01', '2027-01-01', 'year', T.app.container.database.db))[0]!.n;
  await replicaAdmin`select pg_wal_replay_pause()`;
  await fileCase(T, w.dep);
  // A fold: a new generation of the counters on the primary, which the paused replica lacks.
  while ((await T.app.container.services.stats.fold()) > 0);
  const exact = await truth();
  t.equal(await onPrimary(), exact, 'the primary: exact, its folded part kept at the new generation');
  t.equal(await onReplica(), exact - 1, 'the replica, behind: the figure of its own older snapshot');
  // A write no fold makes (the counters changed, the generation not): a read that goes back to
  // stats_counts shows it, one answered from the kept part does not.
  const owner = postgres(T.db.adminUrl, { max: 1, onnotice: () => undefined });
  await owner`update stats_counts set n = n + 100 where series = 'cases' and month = '2026-03-01'`;
  t.equal(await onPrimary(), exact, 'the newer kept part is still there: the older read did not replace it');
  await owner`update stats_counts set n = n - 100 where series = 'cases' and month = '2026-03-01'`;
  await owner.end();
  await replicaAdmin`select pg_wal_replay_resume()`;
  await rep.caughtUp();
  t.equal(await onReplica(), exact, 'caught up: exact');
});

t.test('the replica lost: commands, statistics and exports still answer, from the primary', async (t) => {
  await replicaAdmin.end();
  rep.replica.stop();
  const c = await fileCase(T, w.dep);
  await transitionAs(T, w.officers.awa, c.caseId, 'acknowledge');
  t.equal((await caseRow(T, c.caseId)).state, 'triage', 'a command');
  t.equal(await received(), await truth(), 'the statistics, exact from the primary');
  const events = await exported();
  t.equal(events.at(-1)!.action, 'audit.read', 'a complete export');
  t.ok(T.logs.some((l) => l.includes('the database replica does not answer')), 'a warning in the log');
  t.equal(T.app.container.readReplica.replicaDown(), true, 'the replica is taken as down (retried later)');
  t.equal(await metric('egide_db_replica_up'), 0, 'the metrics say it is down');
  t.ok((await metric('egide_db_replica_fallback_reads_total')) > 0, 'and count the reads the primary answered');
});

t.test('the replica back: reads return to it once the retry delay has passed', async (t) => {
  // A handle of its own with a clock the test moves (the service's retries after 10 s of real time).
  let clock = 0;
  const pool = createDatabase(rep.replica.url(rep.db.name, 'egide_app'), REPLICA_POOL);
  t.teardown(() => pool.close());
  const reads = createReadReplica({ primary: T.database.db, replica: pool, now: () => clock });
  const casesOn = () => reads.read(async (q) => Number((await q.execute<{ n: number }>(sql`select count(*)::int as n from cases`))[0]!.n));
  t.equal(await casesOn(), await truth(), 'the replica stopped: answered by the primary');
  t.equal(reads.replicaDown(), true);
  rep.replica.start();
  await rep.caughtUp();
  clock += 5_000;
  const before = replicaStatements(/from cases/);
  await casesOn();
  t.equal(replicaStatements(/from cases/), before, 'within the delay: still the primary');
  clock += 6_000;
  t.equal(await casesOn(), await truth());
  t.equal(replicaStatements(/from cases/), before + 1, 'past it: the replica answers again');
  t.equal(reads.replicaDown(), false);
});
