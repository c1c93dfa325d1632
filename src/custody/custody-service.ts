import { randomUUID } from 'node:crypto';
import sodium from 'libsodium-wrappers-sumo';
import type { Redis } from 'ioredis';
import { AppError, validationFailed } from '../lib/problem.js';
import { equalB64u, sha256b64u } from '../lib/hash.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { RequestContext } from '../access/principal.js';
import type { KeyringRepository } from '../keys/keyring-repository.js';
import { fingerprintOf } from '../keys/public-key-view.js';
import { keyringEntryProblem } from '../orgs/org-service.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import type { OrgQueries } from '../orgs/org-queries.js';
import type { SearchRepository } from '../search/search-repository.js';
import type { UserRepository } from '../users/user-repository.js';
import { fromB64u, toB64u } from '../sdk/index.js';
import type { CustodyPolicy } from './custody-policy.js';
import type { CustodyRepository } from './custody-repository.js';
import { keyholderWarning } from './keyholder-warning.js';

/** A restore challenge lives this long in Redis: typing the shares comes before asking for it. */
const CHALLENGE_TTL_SECONDS = 300;

const callerId = (ctx: RequestContext): string | null => (ctx.principal.kind === 'user' ? ctx.principal.userId : null);

const proofFailed = () => new AppError('custody_proof_failed', 'the answer does not prove possession of the current mechanism private key');

export type CustodyService = ReturnType<typeof createCustodyService>;

/**
 * Custody of the mechanism key (crypto.md, organisation keys): who holds it and the search key,
 * the record that an offline split backup was made (k of n, the custodians' names; the codes
 * themselves exist only on paper), and a restore from such a backup. A supervisor who holds no
 * entry yet becomes a holder only by proving possession of the private key: a challenge sealed to
 * the current mechanism public key, which only the key rebuilt from the shares opens (as account
 * recovery proves the recovery code, src/auth/auth-service.ts).
 */
export function createCustodyService(deps: {
  db: Db;
  redis: Redis;
  prefix: string;
  custody: Pick<CustodyRepository, 'backups' | 'insertBackup' | 'casesOnRetiredKeys'>;
  orgs: Pick<OrgRepository, 'mechanism' | 'currentKey' | 'insertKeyringEntry'>;
  orgQueries: Pick<OrgQueries, 'keyringOf'>;
  search: Pick<SearchRepository, 'members' | 'currentGeneration' | 'olderTokens'>;
  keyring: Pick<KeyringRepository, 'holds' | 'mechanismKeyHolders'>;
  users: Pick<UserRepository, 'byId'>;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  policy: CustodyPolicy;
}) {
  const { db, redis, prefix, custody, orgs, orgQueries, search, keyring, users, access, clock, policy } = deps;
  const command = createCommandRunner({ db, audit: deps.audit });
  // Under the caller's id: someone else's challenge id finds nothing, and does not spend it.
  const challengeKey = (userId: string | null, id: string) => `${prefix}:custody-restore:${userId ?? 'none'}:${id}`;

  async function mechanismAndKey(tx?: Parameters<OrgRepository['currentKey']>[1]) {
    const mechanism = await orgs.mechanism(tx);
    const key = mechanism ? await orgs.currentKey(mechanism.id, tx) : undefined;
    return { mechanism, key };
  }

  return {
    async overview(ctx: RequestContext) {
      await access.authorize(ctx, 'custody.read', { resource: 'custody' }, undefined, { read: true });
      const { mechanism, key } = await mechanismAndKey();
      if (!mechanism) throw new AppError('not_found', 'this deployment is not bootstrapped yet');
      const [entries, searchMembers, backups, active, onRetired, searchGeneration] = await Promise.all([orgQueries.keyringOf(mechanism.id), search.members(), custody.backups(mechanism.id), keyring.mechanismKeyHolders(), custody.casesOnRetiredKeys(mechanism.id), search.currentGeneration()]);
      const { remaining: casesToReindex } = await search.olderTokens(searchGeneration, 0);
      const holder = (r: { userId: string; username: string; role: string; status: 'active' | 'disabled'; userKeyId: string; memberKeyId: string; grantedBy: string | null; grantedAt: Date }) => ({
        userId: r.userId,
        username: r.username,
        role: r.role,
        status: r.status,
        keyId: r.memberKeyId,
        fingerprint: fingerprintOf(r.memberKeyId),
        stale: r.memberKeyId !== r.userKeyId,
        grantedBy: r.grantedBy,
        grantedAt: r.grantedAt.toISOString(),
      });
      const older = new Map<string, { keyId: string; fingerprint: string; retiredAt: string | null; holders: string[]; cases: number }>();
      for (const e of entries) {
        if (e.retiredAt === null) continue;
        const k = older.get(e.orgKeyId) ?? { keyId: e.orgKeyId, fingerprint: fingerprintOf(e.orgKeyId), retiredAt: e.retiredAt.toISOString(), holders: [], cases: onRetired.get(e.orgKeyId) ?? 0 };
        k.holders.push(e.username);
        older.set(e.orgKeyId, k);
      }
      return {
        orgId: mechanism.id,
        key: key ? { keyId: key.keyId, publicKey: key.publicKey, fingerprint: fingerprintOf(key.keyId), createdAt: key.createdAt.toISOString() } : null,
        holders: entries.filter((e) => e.retiredAt === null).map((e) => holder({ ...e, grantedAt: e.createdAt })),
        // Newest retired key first: the keyring comes oldest key first.
        olderKeys: [...older.values()].reverse(),
        casesOnOlderKeys: [...onRetired.values()].reduce((a, b) => a + b, 0),
        searchHolders: searchMembers.map((m) => holder({ ...m, grantedBy: m.granterName })),
        searchGeneration,
        casesToReindex,
        backups: backups.map((b) => ({ id: b.id, keyId: b.keyId, fingerprint: fingerprintOf(b.keyId), current: b.retiredAt === null, threshold: b.threshold, shares: b.shares, custodians: b.custodians, madeBy: b.madeBy, madeAt: b.madeAt.toISOString() })),
        policy: { threshold: policy.threshold, shares: policy.shares, minimumHolders: policy.minimumHolders },
        // A backup of a retired key does not count: it does not open cases moved to the current key.
        warning: keyholderWarning(active, policy.minimumHolders, backups.some((b) => b.retiredAt === null)),
      };
    },

    /** A holder of the current key records that a split backup of it was made; the shares never come here. */
    async recordBackup(ctx: RequestContext, input: { keyId: string; threshold: number; shares: number; custodians: string[] }) {
      const custodians = input.custodians.map((c) => c.trim());
      return command(ctx, { action: 'custody.backup.record', resource: 'custody/backups', caseId: null }, async (tx) => {
        const { mechanism, key } = await mechanismAndKey(tx);
        const me = callerId(ctx);
        const holder = me !== null && key !== undefined && (await keyring.holds(me, key.id, tx));
        await access.authorize(ctx, 'custody.backup.record', { resource: 'custody/backups', facts: { keyHolder: holder } }, tx, { reason: `${input.threshold} of ${input.shares} of key ${input.keyId}` });
        if (!mechanism || !key) throw new AppError('not_found');
        if (input.keyId !== key.keyId) throw new AppError('conflict', 'the backup is of another key than the current mechanism key');
        const errors = [];
        if (input.threshold !== policy.threshold) errors.push({ field: '/body/threshold', message: `must be ${policy.threshold} (policies/custody.yaml)` });
        if (input.shares !== policy.shares) errors.push({ field: '/body/shares', message: `must be ${policy.shares} (policies/custody.yaml)` });
        if (custodians.length !== input.shares) errors.push({ field: '/body/custodians', message: 'one custodian per share' });
        if (custodians.some((c) => c.length === 0)) errors.push({ field: '/body/custodians', message: 'a custodian is named' });
        if (new Set(custodians).size !== custodians.length) errors.push({ field: '/body/custodians', message: 'each custodian holds one share' });
        if (errors.length > 0) throw validationFailed('the backup does not fit policies/custody.yaml', errors);
        const id = randomUUID();
        const madeAt = clock.now();
        await custody.insertBackup({ id, orgKeyId: key.id, threshold: input.threshold, shares: input.shares, custodians, madeBy: me!, madeAt }, tx);
        const maker = await users.byId(me!, tx);
        return { id, keyId: key.keyId, fingerprint: fingerprintOf(key.keyId), current: true, threshold: input.threshold, shares: input.shares, custodians, madeBy: maker?.username ?? '', madeAt: madeAt.toISOString() };
      });
    },

    /** Restore, step 1: 32 random bytes sealed to the current mechanism public key; their hash waits in Redis. */
    async startRestore(ctx: RequestContext) {
      await sodium.ready;
      return command(ctx, { action: 'custody.restore', resource: 'custody/restore', caseId: null }, async (tx) => {
        await access.authorize(ctx, 'custody.restore', { resource: 'custody/restore' }, tx, { reason: 'challenge issued' });
        const { key } = await mechanismAndKey(tx);
        if (!key) throw new AppError('not_found', 'the mechanism has no key');
        const challengeId = randomUUID();
        const secret = sodium.randombytes_buf(32);
        await redis.set(challengeKey(callerId(ctx), challengeId), JSON.stringify({ userId: callerId(ctx), orgKeyRowId: key.id, answer: sha256b64u(secret) }), 'EX', CHALLENGE_TTL_SECONDS);
        const challenge = `v1.${toB64u(sodium.crypto_box_seal(secret, fromB64u(key.publicKey)))}`;
        sodium.memzero(secret);
        return { challengeId, challenge, keyId: key.keyId, expiresInSeconds: CHALLENGE_TTL_SECONDS };
      });
    },

    /**
     * Restore, step 2: the opened challenge is the proof; then the caller's own entry for the
     * current key is stored. A wrong, expired or someone else's challenge is refused and audited.
     */
    async finishRestore(ctx: RequestContext, input: { challengeId: string; answer: string; entry: string }) {
      const shape = keyringEntryProblem(input.entry);
      return command(ctx, { action: 'custody.restore', resource: 'custody/restore', caseId: null }, async (tx) => {
        await access.authorize(ctx, 'custody.restore', { resource: 'custody/restore' }, tx, { reason: 'proof of possession offered' });
        // A malformed entry is refused before the challenge is spent: nothing about the proof was tried.
        if (shape) throw validationFailed('the keyring entry is malformed', [{ field: '/body/entry', message: shape }]);
        const me = callerId(ctx);
        // One try per challenge: read and forget it at once.
        const stored = await redis.getdel(challengeKey(me, input.challengeId));
        const challenge = stored ? (JSON.parse(stored) as { userId: string | null; orgKeyRowId: string; answer: string }) : null;
        if (!challenge || challenge.userId !== me) throw proofFailed();
        if (!equalB64u(sha256b64u(Buffer.from(input.answer, 'base64url')), challenge.answer)) throw proofFailed();
        const { mechanism, key } = await mechanismAndKey(tx);
        if (!mechanism || !key || key.id !== challenge.orgKeyRowId) throw new AppError('conflict', 'the mechanism key was rotated meanwhile: restore from a backup of the current key');
        const user = me ? await users.byId(me, tx) : undefined;
        if (!user || user.status !== 'active' || user.orgId !== mechanism.id || user.role !== 'supervisor') throw new AppError('forbidden', 'only an active supervisor of the mechanism holds its key');
        await orgs.insertKeyringEntry({ id: randomUUID(), orgKeyId: key.id, userId: user.id, memberKeyId: user.keyId, entry: input.entry, createdBy: user.id }, tx);
        return { keyId: key.keyId, userId: user.id };
      });
    },
  };
}
