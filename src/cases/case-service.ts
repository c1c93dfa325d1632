import { AppError } from '../lib/problem.js';
import { checkEnvelope } from '../lib/key-envelope.js';
import { CryptoError } from '../sdk/index.js';
import { actorOf, type RequestContext } from '../access/principal.js';
import type { Clock } from '../lib/clock.js';
import type { Db } from '../db/client.js';
import type { AccessService, ScopeFacts } from '../access/access-service.js';
import type { CaseParticipation } from '../access/case-participation.js';
import type { KeyringRepository } from '../keys/keyring-repository.js';
import type { UserRepository } from '../users/user-repository.js';
import { caseView, type CaseRepository, type CaseRow } from './case-repository.js';
import type { NoteRepository } from './note-repository.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { AuditService } from '../audit/audit-service.js';
import { caseScope } from '../access/case-scope.js';
import type { DefenderCase, StaffCase } from '../contracts/case-view.js';

/** Why the caller's sealed read of the case serves nothing (purged, or no envelope of theirs), or null. */
export function sealedRefusal(c: Pick<CaseRow, 'id' | 'purgedAt'>, envelopes: readonly unknown[]): AppError | null {
  if (c.purgedAt) return new AppError('case_purged', `the sealed content of this case was purged on ${c.purgedAt.toISOString()}`);
  // In scope (so not a 404) but nobody has sealed the case key to this reader yet.
  if (envelopes.length === 0) return new AppError('no_envelope', `no envelope of this case opens with your keys: ask a supervisor to give you the case key (POST /v1/cases/${c.id}/envelopes), then read again`);
  return null;
}

export type CaseService = ReturnType<typeof createCaseService>;

/** What a defender sees of their own case: where it stands, never internal assessments or staff. */
export function defenderView(c: StaffCase): DefenderCase {
  return { id: c.id, reference: c.reference, state: c.state, urgentClaimed: c.urgentClaimed, createdAt: c.createdAt, closedAt: c.closedAt };
}

/**
 * Reading a case. The scope facts come from the case row, so a case outside the caller's scope
 * (or that does not exist) is refused the same way: 404, audited.
 */
export function createCaseService(deps: {
  cases: CaseRepository;
  users: Pick<UserRepository, 'byId'>;
  keyring: Pick<KeyringRepository, 'forUser'>;
  /** the case's staff key (internal notes), granted with the case key */
  staffKeys: Pick<NoteRepository, 'staffEnvelopes' | 'upsertStaffEnvelope'>;
  access: Pick<AccessService, 'authorize'>;
  participation: Pick<CaseParticipation, 'facts'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  db: Db;
  /** messages of others after the reader's marker, per case (the messages module's repository) */
  unreadMessages: (caseIds: readonly string[], reader: string) => Promise<Map<string, number>>;
}) {
  const { cases, users, keyring, staffKeys, access, participation, clock, db, unreadMessages } = deps;
  const command = createCommandRunner({ db, audit: deps.audit });

  /** The keyIds whose envelopes the caller could open: their own key, and the org keys they hold. */
  async function callerKeyIds(ctx: RequestContext, c: CaseRow): Promise<string[]> {
    const p = ctx.principal;
    if (p.kind === 'defender') return c.defenderKeyId ? [c.defenderKeyId] : [];
    if (p.kind !== 'user') return [];
    const [me, ring] = await Promise.all([users.byId(p.userId), keyring.forUser(p.userId)]);
    return [...(me ? [me.keyId] : []), ...ring.map((r) => r.orgKeyId)];
  }

  /**
   * The case, the envelopes the caller's keys open, and what the policy's scopes need to know
   * about it: for a supervisor, whether they are part of the case or hold an open break-glass.
   */
  async function sealedFacts(ctx: RequestContext, caseId: string) {
    const c = await cases.byId(caseId);
    const keyIds = c ? await callerKeyIds(ctx, c) : [];
    const [envelopes, part] = await Promise.all([c ? cases.envelopeFor(caseId, keyIds) : [], participation.facts(ctx.principal, c)]);
    return { c, envelopes, facts: { ...caseScope(c), ...part } satisfies ScopeFacts };
  }

  return {
    sealedFacts,

    /**
     * A client that holds the case key seals it to a staff member (the assigned officer, usually)
     * and uploads the envelope. The server checks it is addressed to that person's current key.
     * With `staffKey`, the case's staff key (internal notes) goes to the same key in the same
     * transaction, so a colleague given the case gets its notes at once.
     */
    async grant(ctx: RequestContext, caseId: string, input: { userId: string; keyId: string; envelope: string; staffKey?: { envelope: string; keyEpoch: number } }) {
      const c = await cases.byId(caseId);
      // A supervisor adds a reader only while they could read the case themself (part of it, or a
      // break-glass), and nobody adds themself: else a case key kept from intake duty would make
      // its holder a reader for good, past the break-glass.
      const facts: ScopeFacts = { ...caseScope(c), ...(await participation.facts(ctx.principal, c)), granteeId: input.userId };
      // Authorisation first (a refusal is audited), so that nobody learns from a validation error
      // whether a case exists; the allowed decision is audited below, with the grant.
      await access.authorize(ctx, 'case.grant', { resource: `case:${caseId}/envelopes/${input.userId}`, caseId: c ? caseId : null, found: c !== undefined, facts }, undefined, { audit: false });
      const user = await users.byId(input.userId);
      if (!user || user.status !== 'active' || (user.role !== 'officer' && user.role !== 'supervisor')) {
        throw new AppError('validation_failed', 'envelopes go to active officers and supervisors only', { errors: [{ field: '/body/userId', message: 'not an active officer or supervisor' }] });
      }
      if (user.keyId !== input.keyId) throw new AppError('validation_failed', "the envelope is not addressed to this person's current key", { errors: [{ field: '/body/keyId', message: `expected ${user.keyId}` }] });
      for (const [field, envelope] of [['/body/envelope', input.envelope], ...(input.staffKey ? [['/body/staffKey/envelope', input.staffKey.envelope]] : [])] as const) {
        try {
          checkEnvelope(envelope);
        } catch (err) {
          if (!(err instanceof CryptoError)) throw err;
          throw new AppError('validation_failed', 'the envelope is malformed', { errors: [{ field, message: `${err.code}: ${err.message}` }] });
        }
      }
      // The grant and its audit event commit together.
      await command(ctx, { action: 'case.grant', resource: `case:${caseId}/envelopes/${user.id}`, caseId: c ? caseId : null }, async (tx) => {
        await access.authorize(ctx, 'case.grant', { resource: `case:${caseId}/envelopes/${user.id}`, caseId: c ? caseId : null, facts }, tx);
        if (!c) throw new AppError('not_found');
        await cases.upsertEnvelope({ caseId, keyId: input.keyId, envelope: input.envelope, recipientType: 'user', recipientId: user.id, createdAt: clock.now() }, tx);
        if (input.staffKey) {
          // Waits for a re-key in progress (it locks the case for update), then checks the staff
          // key the client sealed is the current one.
          await cases.keyEpochForShare(caseId, tx);
          const staff = await staffKeys.staffEnvelopes(caseId, tx);
          if (staff.length === 0) throw new AppError('no_staff_key', 'this case has no staff key to grant');
          if (staff[0]!.keyEpoch !== input.staffKey.keyEpoch) throw new AppError('key_epoch_changed', `the staff key was re-keyed (key generation ${staff[0]!.keyEpoch}); open the new one and seal it again`);
          await staffKeys.upsertStaffEnvelope({ caseId, keyId: input.keyId, envelope: input.staffKey.envelope, recipientType: 'user', recipientId: user.id, keyEpoch: input.staffKey.keyEpoch, createdAt: clock.now() }, tx);
        }
      });
      return { caseId, userId: user.id, keyId: input.keyId };
    },

    async read(ctx: RequestContext, caseId: string) {
      const c = await cases.byId(caseId);
      await access.authorize(ctx, 'case.read', { resource: `case:${caseId}`, caseId: c ? caseId : null, found: c !== undefined, facts: caseScope(c) }, undefined, { read: true });
      if (!c) throw new AppError('not_found');
      const [deadlines, unread] = await Promise.all([cases.openDeadlines(caseId), unreadMessages([caseId], actorOf(ctx.principal))]);
      const unreadCount = unread.get(caseId) ?? 0;
      if (ctx.principal.kind === 'defender') return { case: defenderView(caseView(c)), deadlines: deadlines.filter((d) => d.rule === 'info_reply' || d.rule === 'consent' || d.rule === 'checkin'), unreadMessages: unreadCount };
      return { case: caseView(c), deadlines, unreadMessages: unreadCount };
    },

    /**
     * The sealed fields and the envelopes the caller can open. Audited as a read of sealed data
     * (case.read_sealed), allowed or not.
     */
    async readSealed(ctx: RequestContext, caseId: string) {
      const { c, envelopes, facts } = await sealedFacts(ctx, caseId);
      // Refusals are decided with the policy, so that a refused read holds one event: its denial
      // (a caller out of scope is told so first; in scope, why nothing is served).
      const refusal = c ? sealedRefusal(c, envelopes) : null;
      await access.authorize(ctx, 'case.read_sealed', { resource: `case:${caseId}`, caseId: c ? caseId : null, found: c !== undefined, facts, refusal }, undefined, { read: true });
      if (!c) throw new AppError('not_found');
      const fields = await cases.fields(caseId);
      // keyEpoch: which case key these are sealed under; a writer sends it back so that a re-key
      // in between is refused (409 key_epoch_changed) rather than content sealed to a revoked key.
      return { caseId, keyEpoch: c.keyEpoch, fields: Object.fromEntries(fields.map((f) => [f.field, f.sealed])), envelopes: envelopes.map((e) => ({ keyId: e.keyId, envelope: e.envelope })) };
    },
  };
}
