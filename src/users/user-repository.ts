import { and, asc, count, eq, gt, inArray, isNull, lt, ne, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { invitations, organisations, users } from '../db/schema/index.js';

export type UserRow = typeof users.$inferSelect;
export type InvitationRow = typeof invitations.$inferSelect;
export type UserRepository = ReturnType<typeof createUserRepository>;

export function createUserRepository(db: Queryable) {
  return {
    async byUsername(username: string, tx: Queryable = db): Promise<UserRow | undefined> {
      const [row] = await tx.select().from(users).where(eq(users.username, username));
      return row;
    },

    async byId(id: string, tx: Queryable = db): Promise<UserRow | undefined> {
      const [row] = await tx.select().from(users).where(eq(users.id, id));
      return row;
    },

    /** The active supervisors but one (told of a break-glass by another). */
    async activeSupervisorIdsExcept(userId: string, tx: Queryable = db): Promise<string[]> {
      const rows = await tx
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.role, 'supervisor'), eq(users.status, 'active'), ne(users.id, userId)));
      return rows.map((r) => r.id);
    },

    /** The active officers and supervisors of an organisation (the mechanism's staff), by username. */
    async activeStaffOf(orgId: string, roles: ReadonlyArray<UserRow['role']> = ['officer', 'supervisor'], tx: Queryable = db): Promise<Array<Pick<UserRow, 'id' | 'username' | 'role' | 'keyId'>>> {
      return tx
        .select({ id: users.id, username: users.username, role: users.role, keyId: users.keyId })
        .from(users)
        .where(and(eq(users.orgId, orgId), eq(users.status, 'active'), inArray(users.role, [...roles])))
        .orderBy(asc(users.username));
    },

    async insert(row: typeof users.$inferInsert, tx: Queryable = db): Promise<void> {
      await tx.insert(users).values(row);
    },

    async list(page: { after?: string; limit: number }, tx: Queryable = db): Promise<UserRow[]> {
      return tx
        .select()
        .from(users)
        .where(page.after ? gt(users.username, page.after) : undefined)
        .orderBy(asc(users.username))
        .limit(page.limit);
    },

    async disable(id: string, at: Date, tx: Queryable = db): Promise<boolean> {
      const out = await tx.update(users).set({ status: 'disabled', disabledAt: at }).where(and(eq(users.id, id), eq(users.status, 'active'))).returning({ id: users.id });
      return out.length > 0;
    },

    /** The same account back: id, keys, envelopes and keyring entries were never touched by the disable. */
    async enable(id: string, tx: Queryable = db): Promise<boolean> {
      const out = await tx.update(users).set({ status: 'active', disabledAt: null }).where(and(eq(users.id, id), eq(users.status, 'disabled'))).returning({ id: users.id });
      return out.length > 0;
    },

    async activeAdmins(tx: Queryable = db): Promise<number> {
      const [row] = await tx.select({ n: count() }).from(users).where(and(eq(users.role, 'admin'), eq(users.status, 'active')));
      return row?.n ?? 0;
    },

    /**
     * Serialises the changes that could leave the service without an admin or the mechanism key
     * without a holder (disabling and enabling accounts, removing keyring entries): all of them
     * lock the mechanism's row, so two admins disabling each other cannot both succeed.
     */
    async lockAccountChanges(tx: Queryable): Promise<void> {
      await tx.select({ id: organisations.id }).from(organisations).where(eq(organisations.kind, 'mechanism')).for('update');
    },

    /**
     * Serialises invitations of one username (a transaction-scoped advisory lock on its hash), so
     * two concurrent invitations cannot both find none pending.
     */
    async lockUsername(username: string, tx: Queryable): Promise<void> {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`egide:username:${username}`}, 0))`);
    },

    /** An invitation for this username that can still be used: not used, not expired. */
    async pendingInvitation(username: string, now: Date, tx: Queryable = db): Promise<InvitationRow | undefined> {
      const [row] = await tx
        .select()
        .from(invitations)
        .where(and(eq(invitations.username, username), isNull(invitations.usedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now)))
        .orderBy(asc(invitations.expiresAt))
        .limit(1);
      return row;
    },

    /**
     * Accepts a TOTP time step only if it is later than the last one used: a code can never be
     * replayed, even by two racing requests (the conditional update lets one win).
     */
    async consumeTotpStep(id: string, step: number, tx: Queryable = db): Promise<boolean> {
      const out = await tx.update(users).set({ totpLastStep: step }).where(and(eq(users.id, id), lt(users.totpLastStep, step))).returning({ id: users.id });
      return out.length > 0;
    },

    async setPassword(id: string, material: { salt: string; verifier: string; wrappedPrivateKey: string; recoveryWrap?: string }, at: Date, tx: Queryable = db): Promise<void> {
      await tx
        .update(users)
        .set({ ...material, passwordChangedAt: at })
        .where(eq(users.id, id));
    },

    /** A new TOTP secret (sealed) after a reset, with the step of the code that confirmed it. */
    async setTotpSecret(id: string, sealedSecret: string, lastStep: number, tx: Queryable = db): Promise<void> {
      await tx.update(users).set({ totpSecret: sealedSecret, totpLastStep: lastStep }).where(eq(users.id, id));
    },

    async insertInvitation(row: typeof invitations.$inferInsert, tx: Queryable = db): Promise<void> {
      await tx.insert(invitations).values(row);
    },

    /** Locks the invitation row so that one token enrols at most one user. */
    async invitationForUpdate(tokenHash: string, tx: Queryable): Promise<InvitationRow | undefined> {
      const [row] = await tx.select().from(invitations).where(eq(invitations.tokenHash, tokenHash)).for('update');
      return row;
    },

    /** The invitations that can still be used (not used, not revoked, not expired), soonest to expire first. */
    async pendingInvitations(now: Date, limit: number, tx: Queryable = db): Promise<InvitationRow[]> {
      return tx
        .select()
        .from(invitations)
        .where(and(isNull(invitations.usedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now)))
        .orderBy(asc(invitations.expiresAt), asc(invitations.id))
        .limit(limit);
    },

    /** Locks one invitation by id (a resend and a revoke, or an enrolment, never cross). */
    async invitationByIdForUpdate(id: string, tx: Queryable): Promise<InvitationRow | undefined> {
      const [row] = await tx.select().from(invitations).where(eq(invitations.id, id)).for('update');
      return row;
    },

    /** A new token for the same invitation: only its hash is kept, so the old token stops enrolling at once. */
    async replaceInvitationToken(id: string, tokenHash: string, expiresAt: Date, tx: Queryable = db): Promise<InvitationRow> {
      const [row] = await tx.update(invitations).set({ tokenHash, expiresAt }).where(eq(invitations.id, id)).returning();
      return row!;
    },

    async revokeInvitation(id: string, at: Date, tx: Queryable = db): Promise<InvitationRow> {
      const [row] = await tx.update(invitations).set({ revokedAt: at }).where(eq(invitations.id, id)).returning();
      return row!;
    },

    async markInvitationUsed(id: string, userId: string, at: Date, tx: Queryable = db): Promise<void> {
      await tx.update(invitations).set({ usedAt: at, userId }).where(eq(invitations.id, id));
    },
  };
}
