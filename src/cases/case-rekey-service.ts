import { AppError } from '../lib/problem.js';
import { actorOf, type RequestContext } from '../access/principal.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import type { UserRepository } from '../users/user-repository.js';
import type { CaseRepository } from './case-repository.js';
import type { CaseService } from './case-service.js';
import type { SealedContentRepository } from './sealed-content-repository.js';
import type { NoteRepository } from './note-repository.js';
import { planStaffRekey } from './staff-key-plan.js';
import { noteBodyAd } from '../sdk/index.js';
import { checkShapes, createRekeyPlanner, notHolder, purged, readerOf, rekeyRefusal, type RekeyInput } from './case-rekey-plan.js';
import { createCommandRunner } from '../audit/audited-command.js';
import { caseScope } from '../access/case-scope.js';
import { denialReason } from '../audit/decision-trail.js';
import type { CaseParticipation } from '../access/case-participation.js';

export type CaseRekeyService = ReturnType<typeof createCaseRekeyService>;

/**
 * Removing a reader of a case (crypto.md, Key envelope): the reader's envelope is deleted AND the
 * case is re-keyed, by a client that holds the case key: new DEK, every sealed value re-sealed
 * under it (same AD), envelopes re-issued to the remaining readers. The server cannot check the
 * cryptography; it checks that nothing is left behind: the epoch the client read, every sealed
 * value exactly once and changed, an envelope for every remaining reader at their current key.
 * A case with a staff key (internal notes) gets a new one in the same request, sealed to the staff
 * holders who remain, with every note re-sealed under it (staff-key-plan.ts).
 * There is deliberately no way to delete an envelope without re-keying: the revoked reader may
 * have kept the old DEK. Allowed on a closed case too (its content is still there to protect).
 */
export function createCaseRekeyService(deps: {
  db: Db;
  cases: Pick<CaseRepository, 'byId' | 'byIdForUpdate' | 'update' | 'addTimeline' | 'envelopes' | 'deleteEnvelopes' | 'insertEnvelopes'>;
  /** every value sealed under the case key */
  sealed: Pick<SealedContentRepository, 'items' | 'write'>;
  /** the staff key and the internal notes under it: re-keyed with the case */
  notes: Pick<NoteRepository, 'staffEnvelopes' | 'all' | 'deleteStaffEnvelopes' | 'insertStaffEnvelopes' | 'writeNotes'>;
  caseService: Pick<CaseService, 'sealedFacts'>;
  users: Pick<UserRepository, 'byId'>;
  orgs: Pick<OrgRepository, 'mechanism' | 'currentKey'>;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  /** A supervisor re-keys a case they are part of, or through an open break-glass. */
  participation: Pick<CaseParticipation, 'facts'>;
  clock: Clock;
}) {
  const { db, cases, sealed, notes, caseService, access, audit, participation, clock } = deps;

  const command = createCommandRunner({ db, audit });
  const { currentKeyOf, plan } = createRekeyPlanner(deps);

  /** For the bundle, a read: its allowed read is audited already; the refusal is added to it. */
  async function refuse(ctx: RequestContext, caseId: string, error: AppError): Promise<never> {
    await audit.record(ctx, { action: 'case.rekey', resource: `case:${caseId}`, caseId, outcome: 'denied', reason: denialReason(error.code, error.detail) });
    throw error;
  }

  return {
    /**
     * What a re-keying client needs, read in one snapshot: the epoch, who reads the case (and the
     * key each one's new envelope must go to), the caller's own envelope(s), and every sealed value
     * with its AD. Audited as a read of sealed data.
     */
    async bundle(ctx: RequestContext, caseId: string) {
      const { c, envelopes: own, facts } = await caseService.sealedFacts(ctx, caseId);
      // Refused before the read is audited, so the request holds one event: the denial.
      const refusal = c ? rekeyRefusal(c, own) : null;
      await access.authorize(ctx, 'case.rekey', { resource: `case:${caseId}`, caseId: c ? caseId : null, found: c !== undefined, facts, refusal }, undefined, { read: true });
      if (!c) throw new AppError('not_found');
      const ownKeyIds = own.map((e) => e.keyId);
      const out = await db.transaction(
        async (tx) => {
          const row = (await cases.byId(caseId, tx))!;
          const all = await cases.envelopes(caseId, tx);
          const mine = all.filter((e) => ownKeyIds.includes(e.keyId));
          if (mine.length === 0) return null;
          const envelopes = [];
          for (const e of all) {
            const key = await currentKeyOf(row, e, tx);
            envelopes.push({ keyId: e.keyId, recipientType: e.recipientType, recipientId: e.recipientId, currentKeyId: 'none' in key ? null : key.keyId, publicKey: 'none' in key ? null : key.publicKey });
          }
          const staffEnvelopes = await notes.staffEnvelopes(caseId, tx);
          const staff =
            staffEnvelopes.length === 0
              ? null
              : {
                  epoch: staffEnvelopes[0]!.keyEpoch,
                  own: staffEnvelopes.filter((e) => ownKeyIds.includes(e.keyId)).map((e) => ({ keyId: e.keyId, envelope: e.envelope })),
                  holders: staffEnvelopes.map((e) => ({ keyId: e.keyId, recipientType: e.recipientType, recipientId: e.recipientId })),
                  notes: (await notes.all(caseId, tx)).map((n) => ({ id: n.id, author: n.author, ad: noteBodyAd(caseId, n.id, n.author), sealed: n.body })),
                };
          return { caseId, epoch: row.keyEpoch, envelopes, own: mine.map((e) => ({ keyId: e.keyId, envelope: e.envelope })), items: await sealed.items(caseId, tx), staff };
        },
        { isolationLevel: 'repeatable read', accessMode: 'read only' },
      );
      // Only if the caller's envelope was revoked between the two reads (the read above is then audited too).
      if (!out) return refuse(ctx, caseId, notHolder());
      return out;
    },

    /**
     * Replaces every sealed value and every envelope of the case at once, moving it to the next
     * key epoch. One transaction with the case row locked; a refusal changes nothing.
     */
    async rekey(ctx: RequestContext, caseId: string, input: RekeyInput) {
      checkShapes(input);
      const { envelopes: own } = await caseService.sealedFacts(ctx, caseId);
      const ownKeyIds = own.map((e) => e.keyId);
      return command(ctx, { action: 'case.rekey', resource: `case:${caseId}`, caseId }, async (tx) => {
        const c = await cases.byIdForUpdate(caseId, tx);
        const reason = input.revoke.length > 0 ? `revoke ${input.revoke.join(', ')}` : 'no envelope revoked';
        const facts = { ...caseScope(c), ...(await participation.facts(ctx.principal, c, tx)) };
        await access.authorize(ctx, 'case.rekey', { resource: `case:${caseId}`, caseId: c ? caseId : null, facts }, tx, { reason });
        if (!c) throw new AppError('not_found');
        if (c.purgedAt) throw purged(c.purgedAt);
        const p = await plan(c, input, ownKeyIds, tx);
        await planStaffRekey(notes, caseId, input.staff, p.remaining, tx);

        const now = clock.now();
        await sealed.write(caseId, input.items, now, tx);
        await cases.deleteEnvelopes(caseId, tx);
        await cases.insertEnvelopes(input.envelopes.map((e) => ({ caseId, keyId: e.keyId, envelope: e.envelope, recipientType: e.recipientType, recipientId: e.recipientId, createdAt: now })), tx);
        const epoch = c.keyEpoch + 1;
        if (input.staff) {
          await notes.writeNotes(caseId, input.staff.notes, tx);
          await notes.deleteStaffEnvelopes(caseId, tx);
          await notes.insertStaffEnvelopes(input.staff.envelopes.map((e) => ({ caseId, keyId: e.keyId, envelope: e.envelope, recipientType: e.recipientType, recipientId: e.recipientId, keyEpoch: epoch, createdAt: now })), tx);
        }
        await cases.update(caseId, { keyEpoch: epoch, mechanismKeyId: p.mechanismKeyId, updatedAt: now }, tx);
        const who = p.revoked.map((e) => `${readerOf(e)} (key ${e.keyId})`);
        await cases.addTimeline({ caseId, at: now, actor: actorOf(ctx.principal), action: 'case.rekeyed', fromState: c.state, toState: c.state, reason: `key epoch ${epoch}; ${who.length > 0 ? `revoked ${who.join(', ')}` : 'no reader revoked'}` }, tx);
        return {
          caseId,
          epoch,
          revoked: p.revoked.map((e) => ({ keyId: e.keyId, recipientType: e.recipientType, recipientId: e.recipientId })),
          envelopes: input.envelopes.map((e) => ({ keyId: e.keyId, recipientType: e.recipientType, recipientId: e.recipientId })),
          items: input.items.length,
        };
      });
    },
  };
}
