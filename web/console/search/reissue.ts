/**
 * The search key re-issued (a member left, docs/crypto-v1.md §16.1), then every case re-indexed
 * with it. The new key is made and sealed to each active member of the staff keyring in the crypto
 * worker (their public keys checked against their keyIds), sent in one command; the previous key
 * can then no longer be fetched. The re-index asks the server what remains before every batch
 * (GET /v1/search-key/reindex), so a run stopped half-way continues where the server says it
 * stands; each case's sealed name and contact are opened and turned into tokens in the worker, and
 * only the tokens come back, one command per case.
 */
import { caseFieldAd } from '../../../src/sdk/crypto/associated-data.js';
import { call } from '../api.js';
import { crypto } from '../crypto-client.js';
import { account } from '../session.js';
import { keyringOf } from '../custody/custody-view.js';
import { openSearchKey } from './search-key.js';

const BATCH = '20';

const failure = (code: string, message: string): Error => Object.assign(new Error(message), { code });

/** Re-issues the search key to the active members of the keyring; answers how many cases to re-index. */
export async function reissueSearchKey(): Promise<number> {
  const own = await call('getOwnSearchKey');
  const members = (await call('listSearchKeyring')).items.filter((m) => m.status === 'active' && (m.role === 'officer' || m.role === 'supervisor'));
  const keys = [];
  for (const m of members) {
    const k = await call('getUserPublicKey', { params: { userId: m.userId } });
    keys.push({ userId: m.userId, publicKey: k.publicKey, keyId: k.keyId });
  }
  const { entries } = await crypto({ op: 'searchReissue', members: keys });
  return (await call('reissueSearchKey', { body: { generation: own.generation, entries } })).casesToReindex;
}

/** Re-indexes, batch by batch, every case still indexed with an older key; answers how many remain (none, unless refused). */
export async function reindexCases(onProgress: (remaining: number) => void): Promise<number> {
  const { generation } = await openSearchKey();
  const done = new Set<string>();
  for (;;) {
    const batch = await call('getSearchReindex', { query: { limit: BATCH } });
    onProgress(batch.remaining);
    if (batch.cases.length === 0) return batch.remaining;
    if (batch.generation !== generation) throw failure('search_key_changed', 'the search key was re-issued again');
    // A case re-indexed in this run and listed again: the server did not take it; stop rather than loop.
    if (batch.cases.some((c) => done.has(c.caseId))) throw failure('conflict', 'a re-indexed case is listed again');
    for (const c of batch.cases) {
      await crypto({ op: 'openCaseKey', caseId: c.caseId, keyEpoch: c.keyEpoch, envelopes: c.envelopes, keyring: keyringOf(account.value) });
      const item = (field: string) => {
        const value = c.fields[field];
        return value ? { sealed: value, ad: caseFieldAd(c.caseId, field) } : null;
      };
      const { padded } = await crypto({ op: 'caseTokens', caseId: c.caseId, identity: item('identity'), contact: item('contact'), count: batch.tokensPerCase });
      const res = await call('reindexSearchCase', { params: { caseId: c.caseId }, body: { generation, tokens: padded } });
      done.add(c.caseId);
      onProgress(res.remaining);
    }
  }
}
