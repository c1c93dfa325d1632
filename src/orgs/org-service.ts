import { randomUUID } from 'node:crypto';
import { AppError, validationFailed, type FieldError } from '../lib/problem.js';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { RequestContext } from '../access/principal.js';
import type { KeyringRepository } from '../keys/keyring-repository.js';
import { publicKeyView } from '../keys/public-key-view.js';
import type { UserRepository, UserRow } from '../users/user-repository.js';
import { checkKeyMaterial } from '../users/key-material.js';
import { CryptoError, KDF_PARAMS, fromB64u } from '../sdk/index.js';
import type { OrgKeyRow, OrgRepository, OrgRow } from './org-repository.js';
import type { OrgQueries } from './org-queries.js';

/** `v1.<b64u(crypto_box_seal(orgPrivateKey, memberPublicKey))>`: 32-byte key + 48 bytes of seal overhead. */
const KEYRING_ENTRY_BYTES = 80;
const KEY_ID_BYTES = 16;

export interface NewOrgKeyInput {
  publicKey: string;
  keyId: string;
  entries: Array<{ userId: string; memberKeyId: string; entry: string }>;
}

function cryptoMessage(err: unknown): string {
  return err instanceof CryptoError ? `${err.code}: ${err.message}` : 'is invalid';
}

/** The strict shape of a keyring entry; the server cannot open it, only check it is one. */
export function keyringEntryProblem(value: string): string | null {
  try {
    const parts = value.split('.');
    if (parts[0] !== 'v1') throw new CryptoError('unsupported_version', 'must start with "v1."');
    if (parts.length !== 2) throw new CryptoError('bad_format', 'must be v1.<base64url>');
    if (fromB64u(parts[1] ?? '', 'keyring entry').length !== KEYRING_ENTRY_BYTES) throw new CryptoError('bad_length', `must seal a 32-byte key (${KEYRING_ENTRY_BYTES} bytes)`);
    return null;
  } catch (err) {
    return cryptoMessage(err);
  }
}

function keyIdProblem(value: string): string | null {
  try {
    if (fromB64u(value, 'keyId').length !== KEY_ID_BYTES) throw new CryptoError('bad_length', `must be ${KEY_ID_BYTES} bytes`);
    return null;
  } catch (err) {
    return cryptoMessage(err);
  }
}

function publicOrg(o: { id: string; kind: 'mechanism' | 'partner'; category: OrgRow['category']; name: string; createdAt: Date; disabledAt: Date | null; currentKeyId: string | null }) {
  return { id: o.id, kind: o.kind, category: o.category, name: o.name, currentKeyId: o.currentKeyId, createdAt: o.createdAt.toISOString(), disabledAt: o.disabledAt?.toISOString() ?? null };
}

function publicKeyRow(k: OrgKeyRow) {
  return { ...publicKeyView(k), current: k.retiredAt === null, createdAt: k.createdAt.toISOString(), retiredAt: k.retiredAt?.toISOString() ?? null };
}

/**
 * Why a user may not hold an organisation's key, or null if they may: a member of the
 * organisation, active, and never an admin ("admin: no case keys by design").
 */
function memberProblem(user: UserRow | undefined, org: OrgRow): string | null {
  if (!user) return 'no such user';
  if (user.orgId !== org.id) return 'not a member of this organisation';
  if (user.status !== 'active') return 'the user is disabled';
  if (user.role === 'admin') return 'an admin holds no organisation keys';
  if (org.kind === 'mechanism' && user.role !== 'officer' && user.role !== 'supervisor') return 'only officers and supervisors hold the mechanism key';
  if (org.kind === 'partner' && user.role !== 'partner') return 'only partner members hold a partner organisation key';
  return null;
}

/** The categories an admin may give a partner organisation (`mechanism` is the mechanism's own). */
export type PartnerCategory = Exclude<OrgRow['category'], 'mechanism'>;

export type OrgService = ReturnType<typeof createOrgService>;

/**
 * Organisations (the mechanism and partners), their public keys and keyrings. Keys are made on
 * clients; the server checks their shapes with the SDK's strict decoders, checks who may hold
 * them, and stores public halves and sealed entries.
 */
export function createOrgService(deps: {
  db: Db;
  orgs: Pick<OrgRepository, 'byId' | 'mechanism' | 'insert' | 'currentKey' | 'keys' | 'keyByKeyId' | 'rotateKey' | 'insertKeyringEntry' | 'deleteKeyringEntries'>;
  queries: OrgQueries;
  keyring: Pick<KeyringRepository, 'holds'>;
  users: Pick<UserRepository, 'byId'>;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
}) {
  const { db, orgs, queries, keyring, users, access, clock } = deps;
  const command = createCommandRunner({ db, audit: deps.audit });

  const callerId = (ctx: RequestContext): string | null => (ctx.principal.kind === 'user' ? ctx.principal.userId : null);

  /** Does the caller hold (an entry for) the org's current key? */
  async function holdsCurrent(ctx: RequestContext, current: OrgKeyRow | undefined, tx: Tx): Promise<boolean> {
    const me = callerId(ctx);
    return me !== null && current !== undefined && (await keyring.holds(me, current.id, tx));
  }

  return {
    /** The mechanism's intake key, published unauthenticated; clients pin its keyId. */
    async intakeKey(ctx: RequestContext) {
      // A public, unauthenticated read: not audited (it would let anyone grow the audit chain).
      await access.authorize(ctx, 'keys.intake.read', { resource: 'keys:intake' }, undefined, { audit: false, read: true });
      const mechanism = await orgs.mechanism();
      const key = mechanism ? await orgs.currentKey(mechanism.id) : undefined;
      if (!mechanism || !key || !mechanism.receiptSalt) throw new AppError('not_found', 'this deployment is not bootstrapped yet');
      return { orgId: mechanism.id, publicKey: key.publicKey, keyId: key.keyId, receiptSalt: mechanism.receiptSalt, kdf: { alg: KDF_PARAMS.alg, opslimit: KDF_PARAMS.opslimit, memlimit: KDF_PARAMS.memlimit } };
    },

    /** An admin creates a partner organisation (it has no key until a member registers one); its category defaults to ngo. */
    async create(ctx: RequestContext, input: { name: string; category?: PartnerCategory }) {
      const name = input.name.trim();
      const id = randomUUID();
      return command(ctx, { action: 'org.create', resource: `org:${id}`, caseId: null }, async (tx) => {
        await access.authorize(ctx, 'org.create', { resource: `org:${id}` }, tx);
        if (name.length === 0) throw validationFailed('the name is empty', [{ field: '/body/name', message: 'must not be blank' }]);
        if (await queries.byName(name, tx)) throw new AppError('already_exists', 'an organisation with that name exists');
        await orgs.insert({ id, kind: 'partner', category: input.category ?? 'ngo', name }, tx);
        const [row] = await queries.listWithCurrentKey(id, tx);
        return publicOrg(row!);
      });
    },

    /** Everyone on staff sees every organisation; a partner sees only their own. */
    async list(ctx: RequestContext) {
      const own = ctx.principal.kind === 'user' ? ctx.principal.orgId : null;
      const { scope } = await access.authorize(ctx, 'org.list', { resource: 'orgs', facts: { orgId: own } }, undefined, { read: true });
      const rows = await queries.listWithCurrentKey(scope === 'all' ? null : own);
      return rows.map(publicOrg);
    },

    /** An organisation's public keys, current and retired. */
    async keys(ctx: RequestContext, orgId: string) {
      const org = await orgs.byId(orgId);
      await access.authorize(ctx, 'org.keys.read', { resource: `org:${orgId}/keys`, found: org !== undefined, facts: { orgId: org?.id ?? null } }, undefined, { read: true });
      if (!org) throw new AppError('not_found');
      return { orgId, kind: org.kind, keys: (await orgs.keys(orgId)).map(publicKeyRow) };
    },

    /**
     * Registers a new current key made client-side (creation or rotation), with keyring entries
     * that cover at least the caller. The previous key is retired, not deleted: old cases stay
     * readable to the members who hold it.
     */
    async createKey(ctx: RequestContext, orgId: string, input: NewOrgKeyInput) {
      // Shapes are checked before anything touches the database, and refused once the caller is authorised.
      const problems: FieldError[] = [];
      try {
        checkKeyMaterial({ publicKey: input.publicKey, keyId: input.keyId });
      } catch (err) {
        if (err instanceof AppError) problems.push(...(err.extra.errors ?? []));
        else throw err;
      }
      const seen = new Set<string>();
      input.entries.forEach((e, i) => {
        const m = keyIdProblem(e.memberKeyId);
        if (m) problems.push({ field: `/body/entries/${i}/memberKeyId`, message: m });
        const p = keyringEntryProblem(e.entry);
        if (p) problems.push({ field: `/body/entries/${i}/entry`, message: p });
        if (seen.has(e.userId)) problems.push({ field: `/body/entries/${i}/userId`, message: 'one entry per member' });
        seen.add(e.userId);
      });

      // One transaction; a refusal after authorisation leaves only its denial in the audit log.
      return command(ctx, { action: 'org.key.create', resource: `org:${orgId}/keys`, caseId: null }, async (tx) => {
        await queries.lockOrg(orgId, tx);
        const org = await orgs.byId(orgId, tx);
        const current = org ? await orgs.currentKey(org.id, tx) : undefined;
        const holder = await holdsCurrent(ctx, current, tx);
        await access.authorize(ctx, 'org.key.create', { resource: `org:${orgId}/keys`, found: org !== undefined, facts: { orgId: org?.id ?? null, keyHolder: holder } }, tx, {
          reason: `${current ? `rotation from ${current.keyId}` : 'first key'} to ${input.keyId}, ${input.entries.length} keyring entr${input.entries.length === 1 ? 'y' : 'ies'}`,
        });
        if (!org) throw new AppError('not_found');
        if (problems.length > 0) throw validationFailed('key material is malformed', problems);
        if (org.disabledAt) throw new AppError('conflict', 'the organisation is disabled');
        // Only a holder of the current key rotates it (the policy's key_holder scope says so for the mechanism; partners too).
        if (current && !holder) throw new AppError('key_holder_required', 'only a holder of the current key can rotate it');
        const me = callerId(ctx);
        if (!input.entries.some((e) => e.userId === me)) throw validationFailed('the new key must be sealed to its creator too', [{ field: '/body/entries', message: 'must include an entry for the caller' }]);
        const memberErrors: FieldError[] = [];
        for (const [i, e] of input.entries.entries()) {
          const user = await users.byId(e.userId, tx);
          const why = memberProblem(user, org);
          if (why) memberErrors.push({ field: `/body/entries/${i}/userId`, message: why });
          else if (user!.keyId !== e.memberKeyId) memberErrors.push({ field: `/body/entries/${i}/memberKeyId`, message: `key_id_mismatch: the member's registered keyId is ${user!.keyId}` });
        }
        if (memberErrors.length > 0) throw validationFailed('the keyring entries do not fit the organisation', memberErrors);
        if (await orgs.keyByKeyId(input.keyId, tx)) throw new AppError('already_exists', 'that key is registered already');
        const keyRowId = randomUUID();
        await orgs.rotateKey({ id: keyRowId, orgId, publicKey: input.publicKey, keyId: input.keyId, createdBy: me }, clock.now(), tx);
        for (const e of input.entries) {
          await orgs.insertKeyringEntry({ id: randomUUID(), orgKeyId: keyRowId, userId: e.userId, memberKeyId: e.memberKeyId, entry: e.entry, createdBy: me }, tx);
        }
        return { orgId, keyId: input.keyId, publicKey: input.publicKey, retiredKeyId: current?.keyId ?? null, entries: input.entries.length };
      });
    },

    /**
     * A holder of the org's current key seals it to another member, with every retired key of the
     * org they hold (entries for the member's registered key), in one transaction: the new holder
     * reads older material too. Each retired entry must be for a key the caller holds, and none
     * they hold (through an entry sealed to their registered key) may be left out.
     */
    async addEntry(ctx: RequestContext, orgId: string, input: { userId: string; entry: string; retired?: Array<{ orgKeyId: string; entry: string }> }) {
      const retired = input.retired ?? [];
      const shapes: FieldError[] = [];
      const p = keyringEntryProblem(input.entry);
      if (p) shapes.push({ field: '/body/entry', message: p });
      retired.forEach((r, i) => {
        const q = keyringEntryProblem(r.entry);
        if (q) shapes.push({ field: `/body/retired/${i}/entry`, message: q });
        if (retired.findIndex((o) => o.orgKeyId === r.orgKeyId) !== i) shapes.push({ field: `/body/retired/${i}/orgKeyId`, message: 'one entry per key' });
      });
      const resource = `org:${orgId}/keyring/${input.userId}`;
      return command(ctx, { action: 'keyring.add', resource, caseId: null }, async (tx) => {
        await queries.lockOrg(orgId, tx);
        const org = await orgs.byId(orgId, tx);
        const current = org ? await orgs.currentKey(org.id, tx) : undefined;
        const holder = await holdsCurrent(ctx, current, tx);
        const reason = current ? `key ${current.keyId}${retired.length > 0 ? ` and ${retired.length} retired: ${retired.map((r) => r.orgKeyId).join(', ')}` : ''}` : null;
        await access.authorize(ctx, 'keyring.add', { resource, found: org !== undefined && current !== undefined, facts: { orgId: org?.id ?? null, keyHolder: holder } }, tx, reason ? { reason } : {});
        if (!org || !current) throw new AppError('not_found');
        if (shapes.length > 0) throw validationFailed('the keyring entries are malformed', shapes);
        const user = await users.byId(input.userId, tx);
        const why = memberProblem(user, org);
        if (why) throw validationFailed('this user may not hold the organisation key', [{ field: '/body/userId', message: why }]);
        const keys = await orgs.keys(orgId, tx);
        const mine = await queries.entriesOf(callerId(ctx)!, orgId, tx);
        const rows: Array<{ key: OrgKeyRow; entry: string }> = [];
        const unknown: FieldError[] = [];
        for (const [i, r] of retired.entries()) {
          const key = keys.find((k) => k.keyId === r.orgKeyId && k.retiredAt !== null);
          if (!key) unknown.push({ field: `/body/retired/${i}/orgKeyId`, message: 'not a retired key of this organisation' });
          else if (!mine.some((m) => m.orgKeyId === key.id)) throw new AppError('key_holder_required', `you hold no entry for key ${r.orgKeyId}: only a holder seals it to another member`);
          else rows.push({ key, entry: r.entry });
        }
        if (unknown.length > 0) throw validationFailed('the retired entries do not fit the organisation', unknown);
        // What the caller opens (an entry sealed to their registered key) they pass on whole.
        const me = await users.byId(callerId(ctx)!, tx);
        const missing = keys.filter((k) => k.retiredAt !== null && mine.some((m) => m.orgKeyId === k.id && m.memberKeyId === me?.keyId) && !rows.some((r) => r.key.id === k.id));
        if (missing.length > 0) {
          throw validationFailed('every retired key you hold goes to the new holder too, so that they read older material', [{ field: '/body/retired', message: `missing an entry for ${missing.map((k) => k.keyId).join(', ')}` }]);
        }
        const createdBy = callerId(ctx);
        await orgs.insertKeyringEntry({ id: randomUUID(), orgKeyId: current.id, userId: user!.id, memberKeyId: user!.keyId, entry: input.entry, createdBy }, tx);
        for (const r of rows) {
          await orgs.insertKeyringEntry({ id: randomUUID(), orgKeyId: r.key.id, userId: user!.id, memberKeyId: user!.keyId, entry: r.entry, createdBy }, tx);
        }
        return { orgId, userId: user!.id, orgKeyId: current.keyId, memberKeyId: user!.keyId, retiredKeyIds: rows.map((r) => r.key.keyId) };
      });
    },

    /**
     * An admin removes every entry of a member for an organisation. Refused when it would leave
     * the organisation's current key with no active holder (nobody could read its cases again).
     * Removing an entry does not re-key: a client holding the key rotates it.
     */
    async removeEntries(ctx: RequestContext, orgId: string, userId: string, reason: string | null) {
      const resource = `org:${orgId}/keyring/${userId}`;
      return command(ctx, { action: 'keyring.remove', resource, caseId: null }, async (tx) => {
        await access.authorize(ctx, 'keyring.remove', { resource }, tx, { reason });
        if (!(await queries.lockOrg(orgId, tx))) throw new AppError('not_found');
        const current = await orgs.currentKey(orgId, tx);
        const heldCurrent = current ? await keyring.holds(userId, current.id, tx) : false;
        const removed = await orgs.deleteKeyringEntries(orgId, userId, tx);
        if (removed === 0) throw new AppError('not_found', 'this member holds no key of this organisation');
        if (current && heldCurrent && (await queries.activeHolders(current.id, tx)) === 0) {
          throw new AppError('last_keyholder', 'this would leave the current key without an active holder; add an entry for another member first');
        }
        return { orgId, userId, removed };
      });
    },

    /** Who holds which key of an organisation. */
    async listKeyring(ctx: RequestContext, orgId: string) {
      const org = await orgs.byId(orgId);
      await access.authorize(ctx, 'keyring.list', { resource: `org:${orgId}/keyring`, found: org !== undefined, facts: { orgId: org?.id ?? null } }, undefined, { read: true });
      if (!org) throw new AppError('not_found');
      const rows = await queries.keyringOf(orgId);
      return {
        orgId,
        items: rows.map((r) => ({ userId: r.userId, username: r.username, role: r.role, status: r.status, keyId: r.memberKeyId, stale: r.memberKeyId !== r.userKeyId, orgKeyId: r.orgKeyId, current: r.retiredAt === null, createdAt: r.createdAt.toISOString() })),
      };
    },
  };
}
