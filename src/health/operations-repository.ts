import type { Sql } from 'postgres';
import type { Step } from '../escalation/step-times.js';

/**
 * What an operator's alerts watch in PostgreSQL, as counts and ages only: never an id, a case
 * reference or anything sealed.
 */
export interface OperationalFigures {
  /** Open deadlines past their due time whose level-1 escalation has not fired. */
  overdueUnescalated: number;
  /** How long the oldest of them has been past due (0 when none). */
  oldestOverdueUnescalatedSeconds: number;
  /** Per escalation step, the largest delay between due and fired among those fired in the last hour (0 when none). */
  escalationLatenessSeconds: Record<EscalationStep, number>;
  /** Outbox rows not yet handed to the queues. */
  outboxPending: number;
  /** Age of the oldest of them (0 when none). */
  oldestOutboxPendingSeconds: number;
  /** Audit events recorded but not chained yet. */
  auditUnchained: number;
  /** Seconds since the last signed audit checkpoint; null before the first. */
  auditCheckpointAgeSeconds: number | null;
}

export type OperationsRepository = ReturnType<typeof createOperationsRepository>;

/** The ladder's escalations proper: a reminder is not one (LEVEL_OF). */
export const ESCALATION_STEPS = ['level1', 'level2'] as const satisfies readonly Step[];
type EscalationStep = (typeof ESCALATION_STEPS)[number];

/**
 * The scrape-time reads behind the operations metrics. Every query walks an index
 * (deadlines_open_due_idx, deadline_steps_fired_idx, outbox_pending_idx, a primary key) or a
 * table the workers keep small (audit_pending), inside one read-only transaction with a
 * statement timeout, so a scrape stays cheap on a large database and never holds a connection
 * for long.
 */
export function createOperationsRepository(sql: Sql, opts: { statementTimeoutMs?: number } = {}) {
  const timeoutMs = Math.max(1, Math.floor(opts.statementTimeoutMs ?? 1000));
  return {
    async figures(now: Date): Promise<OperationalFigures> {
      return sql.begin('read only', async (tx) => {
        await tx.unsafe(`set local statement_timeout = ${timeoutMs}`);
        // Small index reads: compiling them (JIT, on a large table's estimates) would cost more than running them.
        await tx.unsafe('set local jit = off');
        // Ages are computed in SQL: the pool is drizzle's, which makes postgres.js return timestamps as text.
        const at = now.toISOString();
        const [overdue] = await tx<{ n: number; oldest: number }[]>`
          select count(*)::int as n, coalesce(greatest(0, extract(epoch from ${at}::timestamptz - min(due_at))), 0)::float8 as oldest from deadlines
          where state = 'open' and due_at <= ${at}::timestamptz and level_reached < 1`;
        const late = await tx<{ step: EscalationStep; late: number }[]>`
          select step, max(extract(epoch from fired_at - due_at))::float8 as late from deadline_steps
          where fired_at > ${at}::timestamptz - interval '1 hour' and step in ('level1', 'level2')
          group by step`;
        const [outbox] = await tx<{ n: number; oldest: number }[]>`
          select count(*)::int as n, coalesce(greatest(0, extract(epoch from ${at}::timestamptz - min(created_at))), 0)::float8 as oldest from outbox where dispatched_at is null`;
        const [unchained] = await tx<{ n: number }[]>`select count(*)::int as n from audit_pending`;
        const [checkpoint] = await tx<{ age: number }[]>`select coalesce(greatest(0, extract(epoch from ${at}::timestamptz - signed_at)), 0)::float8 as age from audit_checkpoints order by seq desc limit 1`;
        const lateness = Object.fromEntries(ESCALATION_STEPS.map((step) => [step, Math.max(0, late.find((r) => r.step === step)?.late ?? 0)])) as Record<EscalationStep, number>;
        return {
          overdueUnescalated: overdue?.n ?? 0,
          oldestOverdueUnescalatedSeconds: overdue?.oldest ?? 0,
          escalationLatenessSeconds: lateness,
          outboxPending: outbox?.n ?? 0,
          oldestOutboxPendingSeconds: outbox?.oldest ?? 0,
          auditUnchained: unchained?.n ?? 0,
          auditCheckpointAgeSeconds: checkpoint ? checkpoint.age : null,
        };
      });
    },

    /**
     * The most recent time-stamp token stored, for its TSA certificate's expiry; null when none.
     * case_files has no index on timestamped_at, so this scans the table: the caller reads it
     * rarely (the certificate changes once in years), never at every scrape.
     */
    async latestTimestampToken(): Promise<Uint8Array | null> {
      return sql.begin('read only', async (tx) => {
        await tx.unsafe(`set local statement_timeout = ${10 * timeoutMs}`);
        const [row] = await tx<{ token: Uint8Array }[]>`
          select timestamp_token as token from case_files where timestamp_token is not null order by timestamped_at desc nulls last limit 1`;
        return row ? new Uint8Array(row.token) : null;
      });
    },
  };
}
