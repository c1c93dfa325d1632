import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { refreshTokens, sessions, users } from '../db/schema/index.js';

export type SessionRow = typeof sessions.$inferSelect;
export type SessionRepository = ReturnType<typeof createSessionRepository>;

export function createSessionRepository(db: Queryable) {
  // Every authenticated request runs this: built once, not per request (drizzle's builder costs
  // more CPU than the indexed lookup itself).
  const liveQuery = db
    .select({ session: sessions, userStatus: users.status, userOrgId: users.orgId })
    .from(sessions)
    .leftJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sql.placeholder('id')))
    .prepare('session_live');

  return {
    async create(row: typeof sessions.$inferInsert, tx: Queryable = db): Promise<void> {
      await tx.insert(sessions).values(row);
    },

    /** The session with its user's status: what every authenticated request checks. */
    async live(id: string, tx?: Queryable): Promise<{ session: SessionRow; userStatus: string | null; userOrgId: string | null } | undefined> {
      if (!tx) return (await liveQuery.execute({ id }))[0];
      const [row] = await tx
        .select({ session: sessions, userStatus: users.status, userOrgId: users.orgId })
        .from(sessions)
        .leftJoin(users, eq(users.id, sessions.userId))
        .where(eq(sessions.id, id));
      return row;
    },

    async revoke(id: string, reason: string, at: Date, tx: Queryable = db): Promise<boolean> {
      const out = await tx.update(sessions).set({ revokedAt: at, revokedReason: reason }).where(and(eq(sessions.id, id), isNull(sessions.revokedAt))).returning({ id: sessions.id });
      return out.length > 0;
    },

    async revokeAllOfUser(userId: string, reason: string, at: Date, tx: Queryable = db): Promise<number> {
      const out = await tx.update(sessions).set({ revokedAt: at, revokedReason: reason }).where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt))).returning({ id: sessions.id });
      return out.length;
    },

    /** Every live receipt session of a case's defender (a receipt opens one case: its sessions are the case's). */
    async revokeAllOfCase(caseId: string, reason: string, at: Date, tx: Queryable = db): Promise<number> {
      const out = await tx.update(sessions).set({ revokedAt: at, revokedReason: reason }).where(and(eq(sessions.caseId, caseId), isNull(sessions.revokedAt))).returning({ id: sessions.id });
      return out.length;
    },

    async addRefreshToken(tokenHash: string, sessionId: string, tx: Queryable = db): Promise<void> {
      await tx.insert(refreshTokens).values({ tokenHash, sessionId });
    },

    /** Marks a refresh token used, atomically: only one of two racing refreshes wins. */
    async useRefreshToken(tokenHash: string, at: Date, tx: Queryable = db): Promise<{ sessionId: string; alreadyUsed: boolean } | undefined> {
      const [row] = await tx.select({ sessionId: refreshTokens.sessionId, usedAt: refreshTokens.usedAt }).from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash));
      if (!row) return undefined;
      if (row.usedAt) return { sessionId: row.sessionId, alreadyUsed: true };
      const updated = await tx.update(refreshTokens).set({ usedAt: at }).where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.usedAt))).returning({ s: refreshTokens.sessionId });
      return { sessionId: row.sessionId, alreadyUsed: updated.length === 0 };
    },

    async countLive(userId: string, at: Date, tx: Queryable = db): Promise<number> {
      const [row] = await tx.select({ n: sql<number>`count(*)::int` }).from(sessions).where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), sql`${sessions.expiresAt} > ${at}`));
      return row?.n ?? 0;
    },
  };
}
