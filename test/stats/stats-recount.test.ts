/**
 * stats_recount() (set-based since migration 0027) builds the counters and case_stats rows that
 * the per-case definitions give (stats_expected(), stats_case_facts(), what the triggers use), on
 * a varied world: 3,000 cases over three years from the benchmark's generator (declined with and
 * without reason codes, verified, assessed with and without threats, measures, referrals,
 * deadlines met, missed, paused and cancelled, escalations, open cases in officers' hands), then
 * rows the generator never makes, changed through the triggers; and the open load per officer and
 * state (migration 0029) equal to the count over the open assigned cases it replaces.
 */
import t from 'tap';
import postgres from 'postgres';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, partnerOrg } from '../helpers/world.js';
import { seedStatsWorld } from '../../bench/lib/stats-world.js';

const CASES = 800;
const T = await buildTestApp(t, { now: '2026-03-15T10:00:00.000Z' });
const dep = await bootstrap(T);
const officers = [
  await enrolActor(T, dep.admin, { username: 'awa', role: 'officer', orgId: dep.mechanismId }),
  await enrolActor(T, dep.admin, { username: 'moussa', role: 'officer', orgId: dep.mechanismId }),
];
const org = await partnerOrg(T, dep.admin, { name: 'Avocats Sans Frontières Mali', category: 'lawyers', username: 'asf-referent' });
// The settings the counters are made with (crossings, SDG mapping), as the service writes them at start.
await T.app.container.services.stats.ready();
await seedStatsWorld({
  adminUrl: T.db.adminUrl,
  cases: CASES,
  auditEvents: 0,
  now: T.clock.now().getTime(),
  years: 3,
  officers: officers.map((o) => o.id),
  supervisorId: dep.supervisor.id,
  adminId: dep.admin.id,
  orgIds: [org.id],
  mechanismKeyId: dep.mechanismKeyId,
  policies: T.app.container.policies,
});
const admin = postgres(T.db.adminUrl, { max: 1, onnotice: () => undefined });
t.teardown(() => admin.end());
const sql = T.database.sql;
await admin`analyze`;

/** Counters a per-case recount has and the roll-up lacks (or has different), the reverse, and case_stats rows unlike stats_case_facts(). */
const differences = async () =>
  (
    await admin<Array<{ missing: number; extra: number; facts: number }>>`select
      (select count(*)::int from (select * from stats_expected() except select * from stats_current) x) as missing,
      (select count(*)::int from (select * from stats_current except select * from stats_expected()) y) as extra,
      (select count(*)::int from cases c left join case_stats k on k.case_id = c.id left join lateral stats_case_facts(c.id) f on true
         where k.case_id is null or f.month is distinct from k.month or f.dims is distinct from k.dims) as facts`
  )[0];
const none = { missing: 0, extra: 0, facts: 0 };
/** The open load as the roll-up holds it against the count over the open assigned cases it replaces (both ways). */
const openLoadDiff = async () =>
  (
    await admin<Array<{ n: number }>>`select count(*)::int as n from (
      (select assignee_id::text as a, state as b, count(*)::bigint as n from cases where assignee_id is not null and state <> 'closed' group by 1, 2
       except select a, b, sum(n)::bigint from stats_current where series = 'open_load' group by 1, 2)
      union all
      (select a, b, sum(n)::bigint from stats_current where series = 'open_load' group by 1, 2
       except select assignee_id::text, state, count(*)::bigint from cases where assignee_id is not null and state <> 'closed' group by 1, 2)
    ) x`
  )[0]!.n;

t.test('on the generated world, the counters and case facts of the per-case definitions', async (t) => {
  t.equal((await differences())!.missing > 0, true, 'the COPY ran without the triggers: the roll-up is empty before the recount');
  const [out] = await admin`select stats_recount() as n`;
  t.equal(Number(out!.n), CASES, 'every case counted');
  t.same(await differences(), none);
  t.equal(await openLoadDiff(), 0, 'the open load per officer and state is the count over the open assigned cases');

  const [shape] = await admin<Array<Record<string, number>>>`select
    (select sum(n)::int from stats_counts where series = 'decision' and a = 'declined') as declined,
    (select count(*)::int from stats_counts where series = 'decline_reason' and a <> 'not_stated') as reason_codes,
    (select sum(n)::int from stats_counts where series = 'perpetrator' and a = 'none_identified') as no_threat,
    (select sum(n)::int from stats_counts where series = 'sdg_violation:sdg_group') as sdg,
    (select sum(n)::int from stats_counts where series = 'escalation') as escalations,
    (select sum(n)::int from stats_counts where series = 'referral_answer') as answers,
    (select count(distinct b)::int from stats_counts where series = 'deadline') as outcomes,
    (select sum(n)::int from stats_counts where series = 'open_load') as open_load,
    (select count(distinct b)::int from stats_counts where series = 'open_load') as open_states`;
  for (const [k, v] of Object.entries(shape!)) t.ok(v > 0, `the world has ${k} (${v})`);
});

t.test('rows the generator never makes, changed through the triggers, then recounted', async (t) => {
  // A declined case from before the reason codes; a verified case citing an unknown (null) threat;
  // a declined case reopened and admitted (the later decision counts); a deadline settled
  // without a time; a referral answered though never sent.
  await sql`update cases set decline_reason = null where id = (select id from cases where decline_reason is not null order by id limit 1)`;
  await sql`update cases set threat_types = array['death_threat', null]::text[] where id = (select id from cases where verification = 'verified' order by id limit 1)`;
  const [declined] = await sql<Array<{ id: string }>>`select id from cases where decline_reason is not null and state = 'closed' order by id desc limit 1`;
  const at = T.clock.now().toISOString();
  await sql`insert into case_timeline (case_id, at, actor, action, from_state, to_state) values
    (${declined!.id}, ${at}, ${`u:${officers[0]!.id}`}, 'reopen', 'closed', 'triage'),
    (${declined!.id}, ${at}, ${`u:${officers[0]!.id}`}, 'admit', 'triage', 'assessment')`;
  await sql`update cases set state = 'assessment' where id = ${declined!.id}`;
  await sql`update deadlines set state = 'settled', settled_at = null where id = (select id from deadlines where state = 'open' and rule = 'acknowledge' order by id limit 1)`;
  await sql`update referrals set sent_at = null, responded_at = ${at} where id = (select id from referrals order by id limit 1)`;
  // The open load: a case handed to the other officer, one closed, one unassigned.
  await sql`update cases set assignee_id = ${officers[1]!.id} where id = (select id from cases where state <> 'closed' and assignee_id = ${officers[0]!.id} order by id limit 1)`;
  await sql`update cases set state = 'closed' where id = (select id from cases where state <> 'closed' and assignee_id is not null order by id desc limit 1)`;
  await sql`update cases set assignee_id = null where id = (select id from cases where state <> 'closed' and assignee_id is not null order by id limit 1)`;
  t.same(await differences(), none, 'the triggers kept the roll-up right');
  t.equal(await openLoadDiff(), 0, 'and the open load');
  await admin`select stats_recount()`;
  t.same(await differences(), none, 'the recount gives the same');
  t.equal(await openLoadDiff(), 0);
  const [facts] = await admin<Array<{ dims: string[] }>>`select dims from case_stats where case_id = ${declined!.id}`;
  t.ok(facts!.dims.includes('decision=admitted') && !facts!.dims.some((d) => d.startsWith('decline_reason=')), 'the later decision counts');
});
