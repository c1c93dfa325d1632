import { randomUUID } from 'node:crypto';
import { AppError, validationFailed, type FieldError } from '../lib/problem.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { RequestContext } from '../access/principal.js';
import type { KeyringRepository } from '../keys/keyring-repository.js';
import { fingerprintOf } from '../keys/public-key-view.js';
import { keyringEntryProblem } from '../orgs/org-service.js';
import type { UserRepository, UserRow } from '../users/user-repository.js';
import type { SearchPolicy } from './search-policy.js';
import type { SearchRepository } from './search-repository.js';

/** Why a user may not hold the search key, or null: an active officer or supervisor (access.md). */
function memberProblem(user: UserRow | undefined): string | null {
  if (!user) return 'no such user';
  if (user.status !== 'active') return 'the user is disabled';
  if (user.role !== 'officer' && user.role !== 'supervisor') return 'only officers and supervisors hold the search key';
  return null;
}

const callerId = (ctx: RequestContext): string | null => (ctx.principal.kind === 'user' ? ctx.principal.userId : null);

/** The problem a caller without an entry is told: nobody has sealed the search key to them. */
export const noSearchKey = (): AppError =>
  new AppError('no_search_key', 'you hold no entry of the staff keyring: a colleague who holds the search key must grant it to you (POST /v1/search-key/entries)');

/** The problem a command computed with a search key re-issued since is told. */
export const searchKeyChanged = (current: number): AppError =>
  new AppError('search_key_changed', `the search key was re-issued: the current generation is ${current}; open your entry again (GET /v1/me/search-key) and compute the tokens with it`);

type EntryInput = { userId: string; memberKeyId: string; entry: string };

/** Field errors for malformed entries and members listed twice. */
function entryShapes(entries: readonly EntryInput[]): FieldError[] {
  const problems: FieldError[] = [];
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    const p = keyringEntryProblem(e.entry);
    if (p) problems.push({ field: `/body/entries/${i}/entry`, message: p });
    if (seen.has(e.userId)) problems.push({ field: `/body/entries/${i}/userId`, message: 'one entry per member' });
    seen.add(e.userId);
  });
  return problems;
}

export type SearchKeyService = ReturnType<typeof createSearchKeyService>;

/**
 * The staff keyring (docs/crypto-v1.md §16): the blind index's search key, made once on the
 * client of a supervisor who holds the mechanism key and sealed to each officer and supervisor
 * who searches. Mirrors the organisation keyrings (org-service.ts): the server checks shapes and
 * who may hold it, stores sealed entries it cannot open, and audits every decision.
 */
export function createSearchKeyService(deps: {
  db: Db;
  search: SearchRepository;
  keyring: Pick<KeyringRepository, 'mechanismKeyHolderIds'>;
  users: Pick<UserRepository, 'byId'>;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  policy: SearchPolicy;
}) {
  const { db, search, keyring, users, access, clock, policy } = deps;
  const command = createCommandRunner({ db, audit: deps.audit });

  return {
    /** Creates the keyring with its first entries, the caller's among them; only while none exists. */
    async create(ctx: RequestContext, input: { entries: EntryInput[] }) {
      const problems = entryShapes(input.entries);
      return command(ctx, { action: 'search_key.create', resource: 'search-key', caseId: null }, async (tx) => {
        await search.lockKeyring(tx);
        const me = callerId(ctx);
        // Made once by a holder of the mechanism key (crypto.md): as sensitive as that key.
        const holder = me !== null && (await keyring.mechanismKeyHolderIds(tx)).includes(me);
        await access.authorize(ctx, 'search_key.create', { resource: 'search-key', facts: { keyHolder: holder } }, tx, { reason: `${input.entries.length} entr${input.entries.length === 1 ? 'y' : 'ies'}` });
        if (problems.length > 0) throw validationFailed('the keyring entries are malformed', problems);
        if (await search.anyEntry(tx)) throw new AppError('already_exists', 'the staff keyring exists already: a holder grants the search key to more members (POST /v1/search-key/entries)');
        if (!input.entries.some((e) => e.userId === me)) throw validationFailed('the search key must be sealed to its creator too', [{ field: '/body/entries', message: 'must include an entry for the caller' }]);
        const memberErrors: FieldError[] = [];
        for (const [i, e] of input.entries.entries()) {
          const user = await users.byId(e.userId, tx);
          const why = memberProblem(user);
          if (why) memberErrors.push({ field: `/body/entries/${i}/userId`, message: why });
          else if (user!.keyId !== e.memberKeyId) memberErrors.push({ field: `/body/entries/${i}/memberKeyId`, message: `key_id_mismatch: the member's registered keyId is ${user!.keyId}` });
        }
        if (memberErrors.length > 0) throw validationFailed('the keyring entries do not fit the members', memberErrors);
        const at = clock.now();
        const generation = await search.currentGeneration(tx);
        for (const e of input.entries) await search.upsertEntry({ id: randomUUID(), userId: e.userId, memberKeyId: e.memberKeyId, entry: e.entry, grantedBy: me!, grantedAt: at, generation }, tx);
        return { entries: input.entries.length };
      });
    },

    /**
     * A re-issue (docs/crypto-v1.md §16.1): a new search key made on the client of a supervisor
     * who holds the current search key and the mechanism key (so opens every case to re-index it),
     * sealed to exactly the active members of the keyring. The previous key's entries are deleted
     * in the same transaction: nobody can fetch it any more. The cases' tokens stay until each
     * case is re-indexed with the new key (search-reindex-service.ts); a search matches the
     * new generation's only.
     */
    async reissue(ctx: RequestContext, input: { generation: number; entries: EntryInput[] }) {
      const problems = entryShapes(input.entries);
      return command(ctx, { action: 'search_key.reissue', resource: 'search-key', caseId: null }, async (tx) => {
        await search.lockKeyring(tx);
        const me = callerId(ctx);
        const own = me ? await search.entryOf(me, tx) : undefined;
        const caller = me ? await users.byId(me, tx) : undefined;
        const holder = own !== undefined && own.memberKeyId === caller?.keyId && (await keyring.mechanismKeyHolderIds(tx)).includes(me!);
        const current = await search.currentGeneration(tx);
        await access.authorize(ctx, 'search_key.reissue', { resource: 'search-key', facts: { keyHolder: holder } }, tx, {
          reason: `generation ${current} to ${current + 1}, ${input.entries.length} entr${input.entries.length === 1 ? 'y' : 'ies'}`,
        });
        if (problems.length > 0) throw validationFailed('the keyring entries are malformed', problems);
        if (input.generation !== current) throw searchKeyChanged(current);
        const members = await search.members(tx);
        const memberIds = new Set(members.map((m) => m.userId));
        const memberErrors: FieldError[] = [];
        for (const [i, e] of input.entries.entries()) {
          const user = await users.byId(e.userId, tx);
          const why = memberProblem(user) ?? (memberIds.has(e.userId) ? null : 'holds no entry of the staff keyring: grant the new key to them after the re-issue');
          if (why) memberErrors.push({ field: `/body/entries/${i}/userId`, message: why });
          else if (user!.keyId !== e.memberKeyId) memberErrors.push({ field: `/body/entries/${i}/memberKeyId`, message: `key_id_mismatch: the member's registered keyId is ${user!.keyId}` });
        }
        if (memberErrors.length > 0) throw validationFailed('the keyring entries do not fit the members', memberErrors);
        const sent = new Set(input.entries.map((e) => e.userId));
        const missing = members.filter((m) => m.status === 'active' && (m.role === 'officer' || m.role === 'supervisor') && !sent.has(m.userId));
        if (missing.length > 0) throw new AppError('search_key_member_missing', `no entry for ${missing.map((m) => `${m.username} (${m.userId})`).join(', ')}: seal the new key to every active member`);
        const at = clock.now();
        const generation = current + 1;
        await search.replaceEntries(input.entries.map((e) => ({ id: randomUUID(), userId: e.userId, memberKeyId: e.memberKeyId, entry: e.entry, grantedBy: me!, grantedAt: at, generation })), tx);
        const { remaining } = await search.olderTokens(generation, 0, tx);
        return { generation, entries: input.entries.length, casesToReindex: remaining };
      });
    },

    /** The caller's own entry, and the token count their client pads each case to. */
    async own(ctx: RequestContext) {
      const me = callerId(ctx);
      const [row, user] = me ? await Promise.all([search.entryOf(me), users.byId(me)]) : [undefined, undefined];
      await access.authorize(ctx, 'search_key.read', { resource: `search-key/entries/${me ?? 'none'}`, facts: { self: true }, refusal: row ? null : noSearchKey() }, undefined, { read: true });
      if (!row) throw noSearchKey();
      return { generation: row.generation, memberKeyId: row.memberKeyId, entry: row.entry, stale: row.memberKeyId !== user?.keyId, grantedBy: row.grantedBy, grantedAt: row.grantedAt.toISOString(), tokensPerCase: policy.tokensPerCase };
    },

    /** Who holds the search key (no entry content). */
    async list(ctx: RequestContext) {
      await access.authorize(ctx, 'search_key.list', { resource: 'search-key/entries' }, undefined, { read: true });
      const rows = await search.members();
      return {
        items: rows.map((r) => ({ userId: r.userId, username: r.username, role: r.role, status: r.status, keyId: r.memberKeyId, fingerprint: fingerprintOf(r.memberKeyId), stale: r.memberKeyId !== r.userKeyId, grantedBy: r.grantedBy, grantedAt: r.grantedAt.toISOString() })),
      };
    },

    /** A holder seals the search key to another officer or supervisor's registered key. */
    async grant(ctx: RequestContext, input: { userId: string; entry: string; generation?: number | undefined }) {
      const p = keyringEntryProblem(input.entry);
      const resource = `search-key/entries/${input.userId}`;
      return command(ctx, { action: 'search_key.grant', resource, caseId: null }, async (tx) => {
        const me = callerId(ctx);
        const own = me ? await search.entryOf(me, tx) : undefined;
        await access.authorize(ctx, 'search_key.grant', { resource, facts: { keyHolder: own !== undefined } }, tx);
        if (p) throw validationFailed('the keyring entry is malformed', [{ field: '/body/entry', message: p }]);
        const user = await users.byId(input.userId, tx);
        const why = memberProblem(user);
        if (why) throw validationFailed('this user may not hold the search key', [{ field: '/body/userId', message: why }]);
        // A re-issue waits on the lock or is seen: the key the granter sealed must still be the current one.
        await search.lockKeyring(tx);
        const generation = await search.currentGeneration(tx);
        if (input.generation !== undefined && input.generation !== generation) throw searchKeyChanged(generation);
        await search.upsertEntry({ id: randomUUID(), userId: user!.id, memberKeyId: user!.keyId, entry: input.entry, grantedBy: me!, grantedAt: clock.now(), generation }, tx);
        return { userId: user!.id, memberKeyId: user!.keyId };
      });
    },

    /**
     * Removes a member's entry (someone who leaves). Refused when no active holder would be left:
     * nobody could grant the key again. Removing an entry does not make the member forget the key:
     * a holder re-issues it (docs/crypto-v1.md §16).
     */
    async remove(ctx: RequestContext, userId: string, reason: string | null) {
      const resource = `search-key/entries/${userId}`;
      return command(ctx, { action: 'search_key.remove', resource, caseId: null }, async (tx) => {
        await search.lockKeyring(tx);
        const me = callerId(ctx);
        const holder = me !== null && (await search.entryOf(me, tx)) !== undefined;
        await access.authorize(ctx, 'search_key.remove', { resource, facts: { keyHolder: holder } }, tx, { reason });
        if (!(await search.deleteEntry(userId, tx))) throw new AppError('not_found', 'this user holds no entry of the staff keyring');
        if ((await search.activeHolders(tx)) === 0) throw new AppError('last_keyholder', 'this would leave the search key without an active holder; grant it to another member first');
        return { userId, removed: true };
      });
    },
  };
}
