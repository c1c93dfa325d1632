import { sql } from 'drizzle-orm';
import type { Db, Queryable } from '../db/client.js';

export type StaffOversightRepository = ReturnType<typeof createStaffOversightRepository>;

/** The most cases one person's holdings list: far above any caseload, a bound on one answer. */
const MAX_HELD = 2000;

/** Counts of open cases per assignee, and what one staff member still holds (cases, envelopes, keyrings). */
export function createStaffOversightRepository(db: Db) {
  return {
    /** Open cases per assignee and state, with urgent and overdue counts (one pass over the open cases). */
    async loadRows(now: Date, q: Queryable = db) {
      return q.execute<{ assignee_id: string | null; state: string; n: number; urgent: number; overdue: number }>(sql`
        select assignee_id, state, count(*)::int as n,
          count(*) filter (where urgent)::int as urgent,
          count(*) filter (where next_due_at < ${now.toISOString()}::timestamptz)::int as overdue
        from cases where state <> 'closed' group by assignee_id, state`);
    },

    /** Staff of the mechanism (officers and supervisors, active or not): a few dozen rows. */
    async staffRows(orgId: string, q: Queryable = db) {
      return q.execute<{ id: string; username: string; role: 'officer' | 'supervisor'; status: 'active' | 'disabled' }>(sql`
        select id, username, role, status from users where org_id = ${orgId} and role in ('officer', 'supervisor') order by username`);
    },

    async user(userId: string, q: Queryable = db) {
      const [row] = await q.execute<{ id: string; username: string; role: string; status: 'active' | 'disabled'; org_id: string; disabled_at: string | null }>(sql`
        select id, username, role, status, org_id, to_char(disabled_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as disabled_at from users where id = ${userId}`);
      return row;
    },

    /** Open cases assigned to the user, and every case with an envelope of theirs, oldest first. */
    async heldCases(userId: string, q: Queryable = db) {
      return q.execute<{ id: string; reference: string; state: string; urgent: boolean; assigned: boolean; key_ids: string[] }>(sql`
        select c.id, c.reference, c.state, c.urgent,
          (c.assignee_id = ${userId}::uuid and c.state <> 'closed') as assigned,
          coalesce((select array_agg(e.key_id order by e.key_id) from case_envelopes e where e.case_id = c.id and e.recipient_type = 'user' and e.recipient_id = ${userId}), '{}') as key_ids
        from cases c
        where (c.assignee_id = ${userId}::uuid and c.state <> 'closed')
          or exists(select 1 from case_envelopes e where e.case_id = c.id and e.recipient_type = 'user' and e.recipient_id = ${userId})
        order by c.created_at, c.id limit ${MAX_HELD}`);
    },

    /** The user's organisation keyring entries, with whether each is of the organisation's current key. */
    async keyring(userId: string, q: Queryable = db) {
      return q.execute<{ org_id: string; kind: string; org_key_id: string; current: boolean }>(sql`
        select k.org_id, o.kind, k.id as org_key_id, (k.retired_at is null) as current
        from keyring_entries e join org_keys k on k.id = e.org_key_id join organisations o on o.id = k.org_id
        where e.user_id = ${userId} order by k.created_at`);
    },

    async holdsSearchKey(userId: string, q: Queryable = db): Promise<boolean> {
      const [row] = await q.execute<{ held: boolean }>(sql`select exists(select 1 from search_key_entries where user_id = ${userId}) as held`);
      return row?.held === true;
    },
  };
}
