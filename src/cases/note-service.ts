import { CryptoError, parseSealedField } from '../sdk/index.js';
import { AppError, type FieldError } from '../lib/problem.js';
import { checkEnvelope } from '../lib/key-envelope.js';
import type { Db, Queryable } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { actorOf, roleOf, type RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { CaseParticipation } from '../access/case-participation.js';
import { createCommandRunner } from '../audit/audited-command.js';
import { caseScope } from '../access/case-scope.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import type { UserRepository } from '../users/user-repository.js';
import type { CaseRepository } from './case-repository.js';
import type { CaseService } from './case-service.js';
import type { NoteRepository } from './note-repository.js';
import { staffEnvelopeProblems, staffReaders, type StaffEnvelopeInput } from './staff-key-plan.js';

export type NoteService = ReturnType<typeof createNoteService>;

const purged = (at: Date) => new AppError('case_purged', `the sealed content of this case was purged on ${at.toISOString()}`);

/**
 * Internal notes of the staff on a case (access.md: never the defender's). They are sealed under
 * a staff key of the case, not under the case key: the defender holds the case key (from the
 * receipt), so anything under it is theirs to read. The staff key is made by the first staff
 * client that needs it and sealed to the staff holders of the case only; the server checks who
 * it goes to, who may write and read, and the shape of what is sealed, never its content.
 */
export function createNoteService(deps: {
  db: Db;
  cases: Pick<CaseRepository, 'byIdForUpdate' | 'envelopes' | 'keyEpochForShare'>;
  caseService: Pick<CaseService, 'sealedFacts'>;
  notes: NoteRepository;
  users: Pick<UserRepository, 'byId'>;
  orgs: Pick<OrgRepository, 'mechanism' | 'currentKey'>;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  participation: Pick<CaseParticipation, 'facts'>;
  clock: Clock;
}) {
  const { db, cases, caseService, notes, users, orgs, access, participation, clock } = deps;
  const command = createCommandRunner({ db, audit: deps.audit });

  /**
   * Whom a staff key of the case goes to: its staff readers, each at the key of their case
   * envelope, with that key's public key when it is still their current one.
   */
  async function holdersOf(caseId: string, tx: Queryable = db) {
    const mechanism = await orgs.mechanism(tx);
    const out: Array<{ keyId: string; recipientType: 'org' | 'user'; recipientId: string; publicKey: string | null }> = [];
    for (const e of staffReaders(await cases.envelopes(caseId, tx), mechanism?.id)) {
      const current = e.recipientType === 'user' ? await users.byId(e.recipientId, tx) : await orgs.currentKey(e.recipientId, tx);
      out.push({ keyId: e.keyId, recipientType: e.recipientType as 'org' | 'user', recipientId: e.recipientId, publicKey: current && current.keyId === e.keyId ? current.publicKey : null });
    }
    return out;
  }

  return {
    /**
     * The first staff client that needs it uploads the staff key, sealed to every staff holder of
     * the case at the key of their case envelope. Once: a second one is refused (already_exists),
     * under the case row's lock, so two clients racing cannot leave two keys.
     */
    async createStaffKey(ctx: RequestContext, caseId: string, input: { envelopes: StaffEnvelopeInput[] }) {
      const errors: FieldError[] = [];
      input.envelopes.forEach((e, n) => {
        try {
          checkEnvelope(e.envelope);
        } catch (err) {
          if (!(err instanceof CryptoError)) throw err;
          errors.push({ field: `/body/envelopes/${n}/envelope`, message: `${err.code}: ${err.message}` });
        }
      });
      const { envelopes: own } = await caseService.sealedFacts(ctx, caseId);
      const ownKeyIds = own.map((e) => e.keyId);
      const resource = `case:${caseId}/staff-key`;
      return command(ctx, { action: 'case.staff_key', resource, caseId }, async (tx) => {
        const c = await cases.byIdForUpdate(caseId, tx);
        const facts = { ...caseScope(c), ...(await participation.facts(ctx.principal, c, tx)) };
        await access.authorize(ctx, 'case.staff_key', { resource, caseId: c ? caseId : null, facts }, tx);
        if (!c) throw new AppError('not_found');
        if (errors.length > 0) throw new AppError('validation_failed', 'every envelope must be v1.<sealed key>', { errors: errors.slice(0, 20) });
        if (c.purgedAt) throw purged(c.purgedAt);
        const current = await cases.envelopes(caseId, tx);
        if (!current.some((e) => ownKeyIds.includes(e.keyId))) throw new AppError('key_holder_required', 'no envelope of this case opens with your keys: only a reader of the case makes its staff key');
        if ((await notes.staffEnvelopes(caseId, tx)).length > 0) throw new AppError('already_exists', `this case has a staff key: read your envelope (GET /v1/cases/${caseId}/notes) or ask a holder to grant it`);
        const mechanism = await orgs.mechanism(tx);
        const expected = new Map(staffReaders(current, mechanism?.id).map((e) => [`${e.recipientType}:${e.recipientId}`, e.keyId]));
        const problems = staffEnvelopeProblems(input.envelopes, expected);
        if (problems.length > 0) throw new AppError('rekey_incomplete', `the staff key goes to every staff holder of the case and no one else: ${problems.join('; ')}`);
        const now = clock.now();
        await notes.insertStaffEnvelopes(input.envelopes.map((e) => ({ caseId, keyId: e.keyId, envelope: e.envelope, recipientType: e.recipientType, recipientId: e.recipientId, keyEpoch: c.keyEpoch, createdAt: now })), tx);
        return { caseId, keyEpoch: c.keyEpoch, envelopes: input.envelopes.map((e) => ({ keyId: e.keyId, recipientType: e.recipientType, recipientId: e.recipientId })) };
      });
    },

    /** A note sealed under the staff key by its author's client; the author is bound into its AD. */
    async create(ctx: RequestContext, caseId: string, input: { id: string; body: string; keyEpoch?: number }) {
      const { c, facts } = await caseService.sealedFacts(ctx, caseId);
      const author = actorOf(ctx.principal);
      const resource = `note:${input.id}`;
      return command(ctx, { action: 'note.create', resource, caseId: c ? caseId : null }, async (tx) => {
        await access.authorize(ctx, 'note.create', { resource, caseId: c ? caseId : null, found: c !== undefined, facts }, tx);
        if (!c) throw new AppError('not_found');
        try {
          parseSealedField(input.body);
        } catch (err) {
          throw new AppError('validation_failed', 'the body must be a sealed field', { errors: [{ field: '/body/body', message: err instanceof CryptoError ? `${err.code}: ${err.message}` : 'is invalid' }] });
        }
        if (c.purgedAt) throw purged(c.purgedAt);
        // Waits for a re-key (which locks the case for update): a note sealed under a staff key
        // that a re-key has just replaced would be lost to every reader.
        await cases.keyEpochForShare(caseId, tx);
        const staff = await notes.staffEnvelopes(caseId, tx);
        if (staff.length === 0) throw new AppError('no_staff_key', `create it first: POST /v1/cases/${caseId}/staff-key`);
        const epoch = staff[0]!.keyEpoch;
        if (input.keyEpoch !== undefined && input.keyEpoch !== epoch) throw new AppError('key_epoch_changed', `the staff key was re-keyed (key generation ${epoch}); open the new one and seal again`);
        const now = clock.now();
        const inserted = await notes.insertNote({ id: input.id, caseId, author, authorRole: roleOf(ctx.principal), body: input.body, createdAt: now }, tx);
        if (!inserted) throw new AppError('already_exists', 'a note with this id exists; the client must choose a new id');
        return { id: input.id, caseId, author, createdAt: now.toISOString() };
      });
    },

    /**
     * The notes oldest first, with the caller's staff-key envelope (null staffKey: none made yet)
     * and the holders a staff key goes to. Audited as a read of sealed data.
     */
    async list(ctx: RequestContext, caseId: string, page: { after?: { at: string; id: string }; limit: number }) {
      const { c, envelopes: own, facts } = await caseService.sealedFacts(ctx, caseId);
      const refusal = c?.purgedAt ? purged(c.purgedAt) : null;
      await access.authorize(ctx, 'note.read', { resource: `case:${caseId}/notes`, caseId: c ? caseId : null, found: c !== undefined, facts, refusal }, undefined, { read: true });
      if (!c) throw new AppError('not_found');
      const ownKeyIds = new Set(own.map((e) => e.keyId));
      const [staff, holders, items] = await Promise.all([notes.staffEnvelopes(caseId), holdersOf(caseId), notes.page(caseId, page)]);
      const staffKey = staff.length > 0 ? { keyEpoch: staff[0]!.keyEpoch, own: staff.filter((e) => ownKeyIds.has(e.keyId)).map((e) => ({ keyId: e.keyId, envelope: e.envelope })) } : null;
      return { staffKey, holders, items };
    },
  };
}
