/**
 * After a rotation of the mechanism key: the cases whose mechanism envelope is still sealed to a
 * retired key, moved onto the current key batch by batch. What remains is asked of the server
 * before every batch (GET /v1/custody/rewrap), so a run stopped half-way (a reload, a refusal)
 * continues where the server says it stands. Each case key is opened and sealed again in the
 * crypto worker, unchanged; one command per case (POST /v1/custody/rewrap/:caseId).
 */
import { call } from '../api.js';
import { crypto } from '../crypto-client.js';
import { account } from '../session.js';
import { keyringOf } from './custody-view.js';

/** How many cases the server still lists: in all, and of those, sealed to a retired key the account does not hold. */
export interface RewrapProgress {
  remaining: number;
  unreachable: number;
}

const BATCH = '20';

export async function moveCasesToCurrentKey(onProgress: (p: RewrapProgress) => void): Promise<RewrapProgress> {
  const moved = new Set<string>();
  for (;;) {
    const batch = await call('getCustodyRewrap', { query: { limit: BATCH } });
    onProgress({ remaining: batch.remaining, unreachable: batch.unreachable });
    if (batch.cases.length === 0) return { remaining: batch.remaining, unreachable: batch.unreachable };
    // A case moved in this run and listed again: the server did not take it; stop rather than loop.
    if (batch.cases.some((c) => moved.has(c.caseId))) throw Object.assign(new Error('a moved case is listed again'), { code: 'conflict' });
    const sealed = await crypto({ op: 'custodyRewrap', currentKeyId: batch.keyId, keyring: keyringOf(account.value), cases: batch.cases });
    for (const c of batch.cases) {
      const next = sealed.cases.find((s) => s.caseId === c.caseId)!;
      await call('rewrapCustodyCase', {
        params: { caseId: c.caseId },
        body: { epoch: c.epoch, fromKeyId: c.envelope.keyId, keyId: next.keyId, envelope: next.envelope, ...(next.staffEnvelope ? { staffEnvelope: next.staffEnvelope } : {}) },
      });
      moved.add(c.caseId);
    }
  }
}
