import type { Sql } from 'postgres';

const H = 3_600_000;
// A high-risk check-in: 24 h + 2 h grace (policies/deadlines.yaml).
const CHECKIN_WINDOW_MS = 26 * H;

/**
 * `count` cases in protection at high risk, each with its open check-in deadline falling due
 * between `firstDue` and `firstDue + spreadMs` (evenly, in whole milliseconds), and their
 * `deadline.opened` outbox rows, as the protection commands write them. Check-ins have no
 * reminder and their level 2 comes half a window (capped at 24 h) after the due time, 13 h here:
 * so each deadline has exactly one step in a run, level 1 at its due time, and the lateness of a
 * step is the lateness of an escalation. Run as the owner role (it analyzes the tables).
 */
export async function seedCheckinDeadlines(sql: Sql, opts: { count: number; firstDue: number; spreadMs: number; supervisorId: string; officerId: string }): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      insert into cases (id, reference, state, urgent, urgent_claimed, consent, source, filed_for, region, defender_category, gender, disability, threat_types, preferred_language, contact_channel, mechanism_key_id, risk_level, assignee_id, supervisor_id, created_at, updated_at)
      select gen_random_uuid(), 'E-' || lpad(g::text, 6, '0'), 'protection', false, false, 'given', 'online', 'self', 'bamako', 'journalist',
        'female', 'none', array['death_threat'], 'fr', 'signal', 'AAAAAAAAAAAAAAAAAAAAAA', 'high', ${opts.officerId}::uuid,
        -- half the cases name their supervisor, half go to every supervisor (both recipient paths)
        case when g % 2 = 0 then ${opts.supervisorId}::uuid else null end,
        now() - interval '30 days', now() - interval '30 days'
      from generate_series(1, ${opts.count}::int) g`;
    // Due times in whole milliseconds, evenly spread, assigned in an order unrelated to the ids.
    await tx`
      insert into deadlines (id, case_id, rule, urgent, started_at, due_at, state)
      select gen_random_uuid(), c.id, 'checkin', false, x.due - ${CHECKIN_WINDOW_MS}::bigint * interval '1 millisecond', x.due, 'open'
      from (select id, row_number() over (order by reference) as n from cases where reference like 'E-%') c
      cross join lateral (select to_timestamp((${opts.firstDue}::bigint + ((c.n - 1) * ${opts.spreadMs}::bigint) / ${opts.count}::bigint)::double precision / 1000) as due) x`;
    await tx`
      insert into outbox (topic, payload, created_at)
      select 'deadline.opened', jsonb_build_object('deadlineId', d.id), now() from deadlines d where d.rule = 'checkin' order by d.due_at`;
  });
  await sql.unsafe('vacuum (analyze) cases, deadlines, outbox');
}
