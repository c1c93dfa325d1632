import { and, asc, eq, gt, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { cases, deadlines, referrals } from '../db/schema/index.js';
import type { DeadlineItem } from '../contracts/deadline-view.js';

const COLUMNS = {
  id: deadlines.id,
  caseId: deadlines.caseId,
  reference: cases.reference,
  rule: deadlines.rule,
  subjectId: deadlines.subjectId,
  urgent: deadlines.urgent,
  startedAt: deadlines.startedAt,
  dueAt: deadlines.dueAt,
  state: deadlines.state,
  levelReached: deadlines.levelReached,
  settledAt: deadlines.settledAt,
};
/** A deadline with its case's reference. */
type DeadlineViewRow = { id: string; caseId: string; reference: string; rule: string; subjectId: string | null; urgent: boolean; startedAt: Date; dueAt: Date; state: string; levelReached: number; settledAt: Date | null };

/** A deadline row as the lists show it, `overdue` at `now`. */
const item = (r: DeadlineViewRow, now: Date): DeadlineItem => ({
  id: r.id,
  caseId: r.caseId,
  reference: r.reference,
  rule: r.rule,
  subjectId: r.subjectId,
  urgent: r.urgent,
  startedAt: r.startedAt.toISOString(),
  dueAt: r.dueAt.toISOString(),
  state: r.state,
  levelReached: r.levelReached,
  settledAt: r.settledAt?.toISOString() ?? null,
  // Only a running deadline is late: a paused one waits on the defender, its clock stopped.
  overdue: r.state === 'open' && r.dueAt < now,
});

export type DeadlineViewRepository = ReturnType<typeof createDeadlineViewRepository>;

/** The deadline lists: metadata only, by due time then id. */
export function createDeadlineViewRepository(db: Queryable) {
  return {
    /**
     * Running deadlines (open or paused, or the one state asked) across cases, within a scope:
     * every case, the cases assigned to one officer, or the referrals of one organisation;
     * keyset after (due time, id).
     */
    async page(
      q: {
        state?: 'open' | 'paused' | undefined;
        assignedTo: string | null;
        partnerOrg: string | null;
        rule?: string | undefined;
        /** only open deadlines past due at this time */
        overdueAt: Date | null;
        after: { d: Date; i: string } | null;
        limit: number;
        /** the time `overdue` is told at */
        now: Date;
      },
      tx: Queryable = db,
    ): Promise<DeadlineItem[]> {
      const { after } = q;
      const where: Array<SQL | undefined> = [
        q.state ? eq(deadlines.state, q.state) : inArray(deadlines.state, ['open', 'paused']),
        q.assignedTo ? eq(cases.assigneeId, q.assignedTo) : undefined,
        q.partnerOrg ? sql`${deadlines.subjectId} in (select ${referrals.id}::text from ${referrals} where ${referrals.orgId} = ${q.partnerOrg})` : undefined,
        q.rule ? eq(deadlines.rule, q.rule) : undefined,
        q.overdueAt ? and(eq(deadlines.state, 'open'), lt(deadlines.dueAt, q.overdueAt)) : undefined,
        after ? or(gt(deadlines.dueAt, after.d), and(eq(deadlines.dueAt, after.d), gt(deadlines.id, after.i))) : undefined,
      ];
      const rows = await tx.select(COLUMNS).from(deadlines).innerJoin(cases, eq(cases.id, deadlines.caseId)).where(and(...where)).orderBy(asc(deadlines.dueAt), asc(deadlines.id)).limit(q.limit);
      return rows.map((r) => item(r, q.now));
    },

    /** One case's deadlines in every state, optionally of some rules only, at most `limit`; `overdue` at `now`. */
    async ofCase(caseId: string, rules: string[] | null, limit: number, now: Date, tx: Queryable = db): Promise<DeadlineItem[]> {
      const rows = await tx
        .select(COLUMNS)
        .from(deadlines)
        .innerJoin(cases, eq(cases.id, deadlines.caseId))
        .where(and(eq(deadlines.caseId, caseId), rules ? inArray(deadlines.rule, rules) : undefined))
        .orderBy(asc(deadlines.dueAt), asc(deadlines.id))
        .limit(limit);
      return rows.map((r) => item(r, now));
    },
  };
}
