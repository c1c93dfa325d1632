import { sql } from 'drizzle-orm';
import type { Db, Queryable } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { CaseRow } from '../cases/case-repository.js';
import type { BreakGlassPolicy, ParticipationClause } from './break-glass-policy.js';
import type { Principal } from './principal.js';
import type { ScopeFacts } from './access-service.js';

/** Whether the caller is part of a case, by which clause, and their open break-glass on it. */
export interface Participation {
  participant: boolean;
  /** the first clause that holds (for logs and tests); null when none does, or when the case was purged */
  clause: ParticipationClause | null;
  breakGlassId: string | null;
}

/** How a service may serve a case's sealed values to the caller. */
export type SealedAccess = { served: true; breakGlassId: string | null } | { served: false };

const NOBODY: Participation = { participant: false, clause: null, breakGlassId: null };

type CaseFacts = Pick<CaseRow, 'id' | 'state' | 'supervisorId' | 'assigneeId' | 'purgedAt'>;

export type CaseParticipation = ReturnType<typeof createCaseParticipation>;

/**
 * The one place that decides whether a supervisor is part of a case (policies/break-glass.yaml)
 * and finds their open break-glass. Every service that serves sealed content or the mechanism's
 * envelope to a supervisor asks here: as scope facts (`participant`, `breakGlassId`) for actions
 * whose supervisor scopes are `participant` and `break_glass` (policies/access.yaml), or through
 * `sealedAccess` for reads that serve metadata to every supervisor and withhold the sealed values
 * from one outside the case. Other roles have their own scopes (assigned, own): they get nothing here.
 */
export function createCaseParticipation(deps: { db: Db; policy: BreakGlassPolicy; clock: Clock }) {
  const { db, policy, clock } = deps;
  const on = (c: ParticipationClause) => policy.clauses.has(c);

  async function of(principal: Principal, c: CaseFacts, tx: Queryable = db): Promise<Participation> {
    if (principal.kind !== 'user' || principal.role !== 'supervisor') return NOBODY;
    // Nothing sealed is left to protect: every supervisor is told the content was purged, not sent to open a break-glass for nothing.
    if (c.purgedAt) return { participant: true, clause: null, breakGlassId: null };
    const me = principal.userId;
    // Clauses known from the case row need no query.
    const fromRow: ParticipationClause | null =
      on('case_supervisor') && c.supervisorId === me ? 'case_supervisor' : on('intake_duty') && (policy.intakeStates as readonly string[]).includes(c.state) ? 'intake_duty' : null;
    // A participant needs no break-glass (its reads are ordinary ones, not break-glass reads), so
    // the row alone settles it: no query on every read of a case in intake or of one's own case.
    if (fromRow) return { participant: true, clause: fromRow, breakGlassId: null };
    const now = clock.now().toISOString();
    // One round trip for the rest; each clause is an EXISTS on an indexed case_id.
    const [row] = await tx.execute<{ own_envelope: boolean; measure_approval: boolean; appeal_decision: boolean; escalation: boolean; officer_grant: boolean; departed_staff: boolean; break_glass_id: string | null }>(sql`
      select
        exists(select 1 from case_envelopes e where e.case_id = ${c.id} and e.recipient_type = 'user' and e.recipient_id = ${me}) as own_envelope,
        exists(select 1 from measures m where m.case_id = ${c.id} and m.proposed_by <> ${me}
          and (m.status = 'consented' or (m.urgent and m.confirmed_at is null and m.status in ('approved', 'implementing', 'active')))) as measure_approval,
        exists(select 1 from appeals a where a.case_id = ${c.id} and a.state = 'filed' and a.decider_id is distinct from ${me}::uuid) as appeal_decision,
        exists(select 1 from deadline_steps s join deadlines d on d.id = s.deadline_id
          where d.case_id = ${c.id} and d.state in ('open', 'paused') and s.recipients @> jsonb_build_array(${me}::text)) as escalation,
        (${c.assigneeId}::uuid is not null and ${c.state} <> 'closed'
          and exists(select 1 from users u where u.id = ${c.assigneeId}::uuid and u.status = 'active')
          and not exists(select 1 from case_envelopes e where e.case_id = ${c.id} and e.recipient_type = 'user' and e.recipient_id = ${c.assigneeId}::text)) as officer_grant,
        -- What the leaver still holds, as the hand-over screen lists it: an open case assigned to
        -- them, or an envelope of theirs. A closed case they once followed is not routine work.
        ((${c.state} <> 'closed' and exists(select 1 from users u where u.id = ${c.assigneeId}::uuid and u.status = 'disabled'))
          or exists(select 1 from case_envelopes e join users u on u.id::text = e.recipient_id
            where e.case_id = ${c.id} and e.recipient_type = 'user' and u.status = 'disabled')) as departed_staff,
        (select b.id from break_glass b where b.case_id = ${c.id} and b.supervisor_id = ${me} and b.opened_at <= ${now}::timestamptz and b.expires_at > ${now}::timestamptz
          order by b.expires_at desc limit 1) as break_glass_id`);
    const held = (['own_envelope', 'measure_approval', 'appeal_decision', 'escalation', 'officer_grant', 'departed_staff'] as const).find((k) => on(k) && row?.[k] === true) ?? null;
    return { participant: held !== null, clause: held, breakGlassId: row?.break_glass_id ?? null };
  }

  return {
    of,

    /** The scope facts of a case for an action whose supervisor scopes are `participant` / `break_glass`. */
    async facts(principal: Principal, c: CaseFacts | undefined, tx?: Queryable): Promise<Pick<ScopeFacts, 'participant' | 'breakGlassId'>> {
      if (!c) return {};
      const p = await of(principal, c, tx);
      return { participant: p.participant, breakGlassId: p.breakGlassId };
    },

    /**
     * For a read that every staff member in scope may make but whose sealed values only a reader
     * of the case may get: served to anyone but a supervisor outside the case, to whom they are
     * served only through an open break-glass (the read is then audited as such).
     */
    async sealedAccess(principal: Principal, c: CaseFacts, tx?: Queryable): Promise<SealedAccess> {
      if (principal.kind !== 'user' || principal.role !== 'supervisor') return { served: true, breakGlassId: null };
      const p = await of(principal, c, tx);
      if (p.participant) return { served: true, breakGlassId: null };
      if (p.breakGlassId) return { served: true, breakGlassId: p.breakGlassId };
      return { served: false };
    },
  };
}
