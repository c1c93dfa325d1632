import { and, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { deadlines, deadlineSteps, referrals, users } from '../db/schema/index.js';
import type { Step } from './step-times.js';

export type EscalationRepository = ReturnType<typeof createEscalationRepository>;
export type OpenDeadline = { id: string; caseId: string; rule: string; urgent: boolean; startedAt: Date; dueAt: Date; fired: Step[] };

export function createEscalationRepository(db: Queryable) {
  return {
    async caseIdOf(deadlineId: string, tx: Queryable = db): Promise<string | undefined> {
      const [row] = await tx.select({ caseId: deadlines.caseId }).from(deadlines).where(eq(deadlines.id, deadlineId));
      return row?.caseId;
    },

    async deadlineForUpdate(id: string, tx: Queryable) {
      const [row] = await tx.select().from(deadlines).where(eq(deadlines.id, id)).for('update');
      return row;
    },

    /** Inserts the step unless it fired already; true when this call inserted it (and so must notify). */
    async insertStep(row: { deadlineId: string; step: Step; dueAt: Date; firedAt: Date; recipients: string[] }, tx: Queryable): Promise<boolean> {
      const inserted = await tx.insert(deadlineSteps).values(row).onConflictDoNothing().returning({ step: deadlineSteps.step });
      return inserted.length > 0;
    },

    async raiseLevel(id: string, level: number, tx: Queryable): Promise<void> {
      await tx
        .update(deadlines)
        .set({ levelReached: sql`greatest(${deadlines.levelReached}, ${level})` })
        .where(eq(deadlines.id, id));
    },

    async activeUserIds(role: 'officer' | 'supervisor', tx: Queryable = db): Promise<string[]> {
      const rows = await tx
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.role, role), eq(users.status, 'active')))
        .orderBy(users.id);
      return rows.map((r) => r.id);
    },

    async isActive(userId: string, tx: Queryable = db): Promise<boolean> {
      const [row] = await tx.select({ id: users.id }).from(users).where(and(eq(users.id, userId), eq(users.status, 'active')));
      return row !== undefined;
    },

    async referralOrg(referralId: string, tx: Queryable = db): Promise<string | undefined> {
      const [row] = await tx.select({ orgId: referrals.orgId }).from(referrals).where(eq(referrals.id, referralId));
      return row?.orgId;
    },

    /** Open deadlines (some ids, or a page of all after `after`), with the steps they have fired. */
    async open(filter: { ids: string[] } | { after: string | null; limit: number }, tx: Queryable = db): Promise<OpenDeadline[]> {
      const where =
        'ids' in filter
          ? and(eq(deadlines.state, 'open'), inArray(deadlines.id, filter.ids))
          : and(eq(deadlines.state, 'open'), filter.after === null ? undefined : gt(deadlines.id, filter.after));
      const q = tx
        .select({
          id: deadlines.id,
          caseId: deadlines.caseId,
          rule: deadlines.rule,
          urgent: deadlines.urgent,
          startedAt: deadlines.startedAt,
          dueAt: deadlines.dueAt,
          fired: sql<Step[]>`coalesce((select array_agg(s.step) from ${deadlineSteps} s where s.deadline_id = ${deadlines.id}), '{}')`,
        })
        .from(deadlines)
        .where(where)
        .orderBy(deadlines.id);
      return 'ids' in filter ? q : q.limit(filter.limit);
    },
  };
}
