import { AppError, validationFailed, type FieldError } from '../lib/problem.js';
import { checkEnvelope } from '../lib/key-envelope.js';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { RequestContext } from '../access/principal.js';
import type { KeyringRepository } from '../keys/keyring-repository.js';
import type { OrgRepository, OrgRow } from '../orgs/org-repository.js';
import type { OrgQueries } from '../orgs/org-queries.js';
import type { CaseRepository } from '../cases/case-repository.js';
import type { NoteRepository } from '../cases/note-repository.js';
import { purged } from '../cases/case-rekey-plan.js';
import { CryptoError } from '../sdk/index.js';
import type { CustodyRepository } from './custody-repository.js';

export type CustodyRewrapService = ReturnType<typeof createCustodyRewrapService>;

export interface RewrapInput {
  epoch: number;
  fromKeyId: string;
  keyId: string;
  envelope: string;
  staffEnvelope?: string | undefined;
}

const callerId = (ctx: RequestContext): string | null => (ctx.principal.kind === 'user' ? ctx.principal.userId : null);

/**
 * After a rotation of the mechanism key, older cases still have their mechanism envelope sealed
 * to a retired key: a backup of the current key does not open them, and a leaver who kept the
 * retired private key could open them from a copy of the database. A holder's client moves them
 * onto the current key: it opens each case key with the retired key and seals the same key to
 * the current one (a re-wrap: the case key, its epoch and the sealed values stay). The server
 * serves the envelopes of the retired keys the caller holds, checks that each new envelope goes
 * to the current key at the case's current epoch, and replaces the old one (and the mechanism's
 * staff-key envelope of the same key) in one audited command per case.
 */
export function createCustodyRewrapService(deps: {
  db: Db;
  custody: Pick<CustodyRepository, 'onRetiredKeys'>;
  orgs: Pick<OrgRepository, 'mechanism' | 'currentKey' | 'keyByKeyId'>;
  orgQueries: Pick<OrgQueries, 'lockOrg'>;
  cases: Pick<CaseRepository, 'byIdForUpdate' | 'envelopes' | 'deleteEnvelope' | 'insertEnvelopes' | 'update'>;
  notes: Pick<NoteRepository, 'staffEnvelopes' | 'deleteStaffEnvelope' | 'insertStaffEnvelopes'>;
  keyring: Pick<KeyringRepository, 'holds'>;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
}) {
  const { db, custody, orgs, orgQueries, cases, notes, keyring, access, clock } = deps;
  const command = createCommandRunner({ db, audit: deps.audit });

  /** The mechanism's current key, and whether the caller holds it (the policy's key_holder scope). */
  async function holder(ctx: RequestContext, mechanism: OrgRow | undefined, tx?: Tx) {
    const key = mechanism ? await orgs.currentKey(mechanism.id, tx) : undefined;
    const me = callerId(ctx);
    const holds = me !== null && key !== undefined && (await keyring.holds(me, key.id, tx));
    return { key, me, holds };
  }

  function shapes(input: RewrapInput): FieldError[] {
    const errors: FieldError[] = [];
    for (const [field, value] of [['/body/envelope', input.envelope], ['/body/staffEnvelope', input.staffEnvelope]] as const) {
      if (value === undefined) continue;
      try {
        checkEnvelope(value);
      } catch (err) {
        if (!(err instanceof CryptoError)) throw err;
        errors.push({ field, message: `${err.code}: ${err.message}` });
      }
    }
    return errors;
  }

  return {
    /** What remains to move, and the next cases with their envelopes of the retired keys the caller holds. */
    async remaining(ctx: RequestContext, limit: number) {
      const mechanism = await orgs.mechanism();
      const { key, me, holds } = await holder(ctx, mechanism);
      const found = mechanism !== undefined && key !== undefined;
      const out = mechanism && holds ? await custody.onRetiredKeys(mechanism.id, me!, limit) : null;
      const served = out?.cases.map((c) => c.case_id) ?? [];
      await access.authorize(ctx, 'custody.rewrap', { resource: 'custody/rewrap', found, facts: { keyHolder: holds } }, undefined, {
        read: true,
        reason: out ? `${served.length} mechanism envelope(s) of retired keys served, ${out.remaining} case(s) remaining${served.length > 0 ? `: ${served.join(', ')}` : ''}` : null,
      });
      if (!out || !key) throw new AppError('not_found');
      return {
        keyId: key.keyId,
        remaining: out.remaining,
        unreachable: out.unreachable,
        cases: out.cases.map((c) => ({
          caseId: c.case_id,
          reference: c.reference,
          epoch: c.key_epoch,
          envelope: { keyId: c.key_id, envelope: c.envelope },
          staffEnvelope: c.staff_key_id !== null && c.staff_envelope !== null ? { keyId: c.staff_key_id, envelope: c.staff_envelope } : null,
        })),
      };
    },

    /** Replaces one case's mechanism envelope (and staff-key envelope) of a retired key with the caller's, sealed to the current key. */
    async rewrap(ctx: RequestContext, caseId: string, input: RewrapInput) {
      const malformed = shapes(input);
      const resource = `case:${caseId}/envelopes/mechanism`;
      return command(ctx, { action: 'custody.rewrap', resource, caseId }, async (tx) => {
        const mechanism = await orgs.mechanism(tx);
        // A rotation (it locks the organisation) waits for this move, or this move sees the new key.
        if (mechanism) await orgQueries.lockOrg(mechanism.id, tx);
        const { key, me, holds } = await holder(ctx, mechanism, tx);
        const c = await cases.byIdForUpdate(caseId, tx);
        await access.authorize(ctx, 'custody.rewrap', { resource, caseId: c ? caseId : null, found: c !== undefined && key !== undefined, facts: { keyHolder: holds } }, tx, {
          reason: `mechanism envelope from key ${input.fromKeyId} to ${input.keyId}`,
        });
        if (!c || !mechanism || !key) throw new AppError('not_found');
        if (c.purgedAt) throw purged(c.purgedAt);
        if (malformed.length > 0) throw validationFailed('every envelope must be v1.<sealed key>', malformed);
        const old = (await cases.envelopes(caseId, tx)).find((e) => e.recipientType === 'org' && e.recipientId === mechanism.id);
        if (!old) throw new AppError('conflict', 'this case has no mechanism envelope');
        // Moved already (by this client before a retry, or by another holder): nothing to do.
        if (old.keyId === key.keyId) return { caseId, keyId: key.keyId, moved: false, staffKey: false };
        if (input.keyId !== key.keyId) throw new AppError('intake_key_changed', `the envelope must be sealed to the current mechanism key ${key.keyId}, not ${input.keyId}`);
        if (input.epoch !== c.keyEpoch) throw new AppError('key_epoch_changed', `the case is at key epoch ${c.keyEpoch}, not ${input.epoch}: fetch GET /v1/custody/rewrap again`);
        if (input.fromKeyId !== old.keyId) throw new AppError('conflict', `the mechanism envelope of this case is sealed to key ${old.keyId}, not ${input.fromKeyId}: fetch GET /v1/custody/rewrap again`);
        const from = await orgs.keyByKeyId(old.keyId, tx);
        if (!from || !(await keyring.holds(me!, from.id, tx))) throw new AppError('key_holder_required', `you hold no entry for the retired key ${old.keyId}: a holder of it moves this case`);
        if (input.envelope === old.envelope) throw validationFailed('the envelope is the old one', [{ field: '/body/envelope', message: 'must be the case key sealed to the current mechanism key' }]);
        const staff = (await notes.staffEnvelopes(caseId, tx)).find((e) => e.recipientType === 'org' && e.recipientId === mechanism.id && e.keyId === old.keyId);
        if (staff && input.staffEnvelope === undefined) throw new AppError('rekey_incomplete', "the case's staff key is sealed to the retired key too: send it sealed to the current key (staffEnvelope)");
        if (!staff && input.staffEnvelope !== undefined) throw validationFailed('this case has no staff key sealed to the retired key', [{ field: '/body/staffEnvelope', message: 'must be absent' }]);
        if (staff && input.staffEnvelope === staff.envelope) throw validationFailed('the staff-key envelope is the old one', [{ field: '/body/staffEnvelope', message: 'must be the staff key sealed to the current mechanism key' }]);

        const now = clock.now();
        await cases.deleteEnvelope(caseId, old.keyId, tx);
        await cases.insertEnvelopes([{ caseId, keyId: key.keyId, envelope: input.envelope, recipientType: 'org', recipientId: mechanism.id, createdAt: now }], tx);
        if (staff) {
          await notes.deleteStaffEnvelope(caseId, staff.keyId, tx);
          // The staff key is the same: its epoch stays.
          await notes.insertStaffEnvelopes([{ caseId, keyId: key.keyId, envelope: input.staffEnvelope!, recipientType: 'org', recipientId: mechanism.id, keyEpoch: staff.keyEpoch, createdAt: now }], tx);
        }
        await cases.update(caseId, { mechanismKeyId: key.keyId }, tx);
        return { caseId, keyId: key.keyId, moved: true, staffKey: staff !== undefined };
      });
    },
  };
}
