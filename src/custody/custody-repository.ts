import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { custodyBackups, orgKeys, users } from '../db/schema/index.js';

export type CustodyRepository = ReturnType<typeof createCustodyRepository>;

/**
 * The split backups made of the mechanism key (never a share), and the cases whose mechanism
 * envelope is still sealed to a retired mechanism key (to be moved onto the current one).
 */
export function createCustodyRepository(db: Queryable) {
  return {
    async backups(orgId: string, tx: Queryable = db) {
      return tx
        .select({ id: custodyBackups.id, keyId: orgKeys.keyId, retiredAt: orgKeys.retiredAt, threshold: custodyBackups.threshold, shares: custodyBackups.shares, custodians: custodyBackups.custodians, madeBy: users.username, madeAt: custodyBackups.madeAt })
        .from(custodyBackups)
        .innerJoin(orgKeys, eq(orgKeys.id, custodyBackups.orgKeyId))
        .innerJoin(users, eq(users.id, custodyBackups.madeBy))
        .where(eq(orgKeys.orgId, orgId))
        .orderBy(desc(custodyBackups.madeAt));
    },

    /** Whether a split backup of the organisation's current key was recorded; one of a retired key does not count. */
    async currentKeyBackedUp(orgId: string, tx: Queryable = db): Promise<boolean> {
      const [row] = await tx
        .select({ id: custodyBackups.id })
        .from(custodyBackups)
        .innerJoin(orgKeys, eq(orgKeys.id, custodyBackups.orgKeyId))
        .where(and(eq(orgKeys.orgId, orgId), isNull(orgKeys.retiredAt)))
        .limit(1);
      return row !== undefined;
    },

    /** How many cases each retired key of the organisation still opens (their envelope for the organisation is sealed to it). */
    async casesOnRetiredKeys(orgId: string, tx: Queryable = db): Promise<Map<string, number>> {
      const rows = await tx.execute<{ key_id: string; n: number }>(sql`
        select e.key_id, count(*)::int as n
        from case_envelopes e join org_keys k on k.key_id = e.key_id and k.org_id = ${orgId}
        where e.recipient_type = 'org' and e.recipient_id = ${orgId}::text and k.retired_at is not null
        group by e.key_id`);
      return new Map(rows.map((r) => [r.key_id, r.n]));
    },

    /**
     * The next cases whose envelope for the organisation is sealed to a retired key `userId` holds
     * (an entry sealed to their registered key), oldest first, with that envelope and the case's
     * staff-key envelope of the same key; and how many such cases there are in all, and how many of
     * them are sealed to a retired key they do not hold.
     */
    async onRetiredKeys(orgId: string, userId: string, limit: number, tx: Queryable = db) {
      const held = sql`(select ke.org_key_id from keyring_entries ke join users u on u.id = ke.user_id and u.key_id = ke.member_key_id where ke.user_id = ${userId})`;
      const [counts] = await tx.execute<{ remaining: number; unreachable: number }>(sql`
        select count(*)::int as remaining, (count(*) filter (where k.id not in ${held}))::int as unreachable
        from case_envelopes e join org_keys k on k.key_id = e.key_id and k.org_id = ${orgId} and k.retired_at is not null
        where e.recipient_type = 'org' and e.recipient_id = ${orgId}::text`);
      const cases = await tx.execute<{ case_id: string; reference: string; key_epoch: number; key_id: string; envelope: string; staff_key_id: string | null; staff_envelope: string | null }>(sql`
        select c.id as case_id, c.reference, c.key_epoch, e.key_id, e.envelope, s.key_id as staff_key_id, s.envelope as staff_envelope
        from case_envelopes e
        join org_keys k on k.key_id = e.key_id and k.org_id = ${orgId} and k.retired_at is not null
        join cases c on c.id = e.case_id
        left join staff_key_envelopes s on s.case_id = e.case_id and s.key_id = e.key_id and s.recipient_type = 'org' and s.recipient_id = e.recipient_id
        where e.recipient_type = 'org' and e.recipient_id = ${orgId}::text and k.id in ${held}
        order by c.created_at, c.id
        limit ${limit}`);
      return { remaining: counts?.remaining ?? 0, unreachable: counts?.unreachable ?? 0, cases };
    },

    async insertBackup(row: typeof custodyBackups.$inferInsert, tx: Queryable): Promise<void> {
      await tx.insert(custodyBackups).values(row);
    },
  };
}
