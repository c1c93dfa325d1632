import { AppError, type FieldError } from '../lib/problem.js';
import { actorOf, type RequestContext } from '../access/principal.js';
import { CryptoError, fromB64u, keyIdOf } from '../sdk/index.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import type { UserRepository } from '../users/user-repository.js';
import type { SessionRepository } from '../auth/session-repository.js';
import type { CaseRepository } from './case-repository.js';
import type { CaseService } from './case-service.js';
import type { SealedContentRepository } from './sealed-content-repository.js';
import type { BodyOf } from '../contracts/operation.js';
import type { reissueReceipt } from '../contracts/case-receipt.js';
import { checkShapes, createRekeyPlanner, notHolder, purged } from './case-rekey-plan.js';
import type { CaseRow } from './case-repository.js';
import { createCommandRunner } from '../audit/audited-command.js';
import { caseScope } from '../access/case-scope.js';
import type { CaseParticipation } from '../access/case-participation.js';

export type ReissueInput = BodyOf<typeof reissueReceipt>;
export type CaseReceiptService = ReturnType<typeof createCaseReceiptService>;

/** The new receipt's public part: its keyId must be its public key's, its verifier a SHA-256. */
function checkReceipt(receipt: ReissueInput['receipt']): void {
  const errors: FieldError[] = [];
  try {
    if (keyIdOf(fromB64u(receipt.publicKey)) !== receipt.keyId) errors.push({ field: '/body/receipt/keyId', message: 'key_id_mismatch: keyId is not the keyId of publicKey' });
  } catch (err) {
    if (!(err instanceof CryptoError)) throw err;
    errors.push({ field: '/body/receipt/publicKey', message: `${err.code}: ${err.message}` });
  }
  if (fromB64u(receipt.verifier).length !== 32) errors.push({ field: '/body/receipt/verifier', message: 'bad_length: must be 32 bytes' });
  if (errors.length > 0) throw new AppError('validation_failed', "the new receipt's verifier and key are not valid", { errors });
}

/**
 * Why the caller cannot replace the case's receipt now (nothing left to re-key, no receipt to
 * replace, or no envelope of theirs to open the case key with), or null. The case's list of
 * actions asks the same function.
 */
export function receiptRefusal(c: Pick<CaseRow, 'purgedAt' | 'receiptVerifier' | 'defenderKeyId'>, own: readonly unknown[]): AppError | null {
  if (c.purgedAt) return purged(c.purgedAt);
  if (!c.receiptVerifier || !c.defenderKeyId) return new AppError('conflict', 'this case has no receipt to replace');
  if (own.length === 0) return notHolder();
  return null;
}

/**
 * Re-issuing a defender's receipt when it is lost or seized (crypto.md, Defenders): the receipt is
 * the defender's only credential AND their key, so replacing it is a re-key in which the
 * defender's envelope goes to the new receipt's key and the old one gets none, plus the swap of
 * what the server keeps of the receipt (verifier, keyId, public key: the same as at filing) and
 * the end of every session the old receipt opened. One transaction with the case row locked: the
 * old receipt stops logging in, its sessions end and the content moves to the new case key
 * together, or nothing changes. The new receipt never reaches the server; the officer's client
 * draws it (SDK prepareReceiptReissue) and the officer hands it over.
 */
export function createCaseReceiptService(deps: {
  db: Db;
  cases: Pick<CaseRepository, 'byIdForUpdate' | 'byReceiptVerifier' | 'update' | 'addTimeline' | 'envelopes' | 'deleteEnvelopes' | 'insertEnvelopes'>;
  sealed: Pick<SealedContentRepository, 'items' | 'write'>;
  caseService: Pick<CaseService, 'sealedFacts'>;
  users: Pick<UserRepository, 'byId'>;
  orgs: Pick<OrgRepository, 'mechanism' | 'currentKey'>;
  sessions: Pick<SessionRepository, 'revokeAllOfCase'>;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  participation: Pick<CaseParticipation, 'facts'>;
  clock: Clock;
}) {
  const { db, cases, sealed, caseService, sessions, access, audit, participation, clock } = deps;
  const command = createCommandRunner({ db, audit });
  const { plan } = createRekeyPlanner(deps);

  return {
    async reissue(ctx: RequestContext, caseId: string, input: ReissueInput) {
      const rekey = { epoch: input.epoch, revoke: [], envelopes: input.envelopes, items: input.items };
      checkShapes(rekey);
      checkReceipt(input.receipt);
      const { envelopes: own } = await caseService.sealedFacts(ctx, caseId);
      const ownKeyIds = own.map((e) => e.keyId);
      return command(ctx, { action: 'case.reissue_receipt', resource: `case:${caseId}`, caseId }, async (tx) => {
        const c = await cases.byIdForUpdate(caseId, tx);
        const facts = { ...caseScope(c), ...(await participation.facts(ctx.principal, c, tx)) };
        await access.authorize(ctx, 'case.reissue_receipt', { resource: `case:${caseId}`, caseId: c ? caseId : null, facts }, tx, { reason: `cause: ${input.cause}` });
        if (!c) throw new AppError('not_found');
        const refused = receiptRefusal(c, ownKeyIds);
        if (refused) throw refused;
        if (input.receipt.verifier === c.receiptVerifier || input.receipt.keyId === c.defenderKeyId) {
          throw new AppError('receipt_unchanged', 'the receipt material is the current receipt’s: the client must draw a new receipt', { errors: [{ field: '/body/receipt', message: 'must be a new receipt' }] });
        }
        if (await cases.byReceiptVerifier(input.receipt.verifier, tx)) throw new AppError('already_exists', 'this receipt is already in use; the client must draw a new one');
        // The plan of a re-key revoking nobody, with the defender's current key being the new
        // receipt's: the defender's envelope must be addressed to it, so the old key gets none.
        const p = await plan({ ...c, defenderKeyId: input.receipt.keyId, defenderPublicKey: input.receipt.publicKey }, rekey, ownKeyIds, tx);

        const now = clock.now();
        const epoch = c.keyEpoch + 1;
        await cases.update(caseId, { receiptVerifier: input.receipt.verifier, defenderKeyId: input.receipt.keyId, defenderPublicKey: input.receipt.publicKey, keyEpoch: epoch, mechanismKeyId: p.mechanismKeyId, updatedAt: now }, tx);
        await sealed.write(caseId, input.items, now, tx);
        await cases.deleteEnvelopes(caseId, tx);
        await cases.insertEnvelopes(input.envelopes.map((e) => ({ caseId, keyId: e.keyId, envelope: e.envelope, recipientType: e.recipientType, recipientId: e.recipientId, createdAt: now })), tx);
        // A receipt opens one case: the case's defender sessions are all the old receipt's.
        const sessionsEnded = await sessions.revokeAllOfCase(caseId, 'receipt reissued', now, tx);
        // Staff read the timeline: the cause code and the epoch, never a key, a verifier or a receipt.
        await cases.addTimeline({ caseId, at: now, actor: actorOf(ctx.principal), action: 'case.receipt_reissued', fromState: c.state, toState: c.state, reason: `new receipt issued to the defender (${input.cause}); the previous receipt no longer opens the case; key epoch ${epoch}` }, tx);
        return { caseId, epoch, keyId: input.receipt.keyId, sessionsEnded, items: input.items.length };
      });
    },
  };
}
