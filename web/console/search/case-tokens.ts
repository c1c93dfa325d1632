/**
 * A case's blind-index tokens, refreshed from its sealed identity and contact, and the other cases
 * that share one (a possible duplicate). The name and phones are opened, turned into tokens and
 * padded in the crypto worker; only the tokens reach the page and the API.
 */
import { caseFieldAd } from '../../../src/sdk/crypto/associated-data.js';
import { call, type ResponseOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import { account } from '../session.js';
import { openSearchKey } from './search-key.js';

export type CaseMatch = ResponseOf<'searchCases'>['items'][number];

/**
 * Opens the case key, uploads the case's tokens (padded to the policy's count), then asks which
 * other cases within the caller's scope hold one of its real tokens, most matched first.
 */
export async function refreshCaseTokens(caseId: string): Promise<CaseMatch[]> {
  const { tokensPerCase, generation } = await openSearchKey();
  const sealed = await call('getCaseSealed', { params: { caseId } });
  const keyring = (account.value?.keyring ?? []).map((k) => ({ orgKeyId: k.orgKeyId, entry: k.entry }));
  await crypto({ op: 'openCaseKey', caseId, keyEpoch: sealed.keyEpoch, envelopes: sealed.envelopes, keyring });
  const item = (field: string) => {
    const value = sealed.fields[field];
    return value ? { sealed: value, ad: caseFieldAd(caseId, field) } : null;
  };
  const { real, padded } = await crypto({ op: 'caseTokens', caseId, identity: item('identity'), contact: item('contact'), count: tokensPerCase });
  // With the key's generation: tokens of a key re-issued since are refused rather than stored unfindable.
  await call('putCaseSearchTokens', { params: { caseId }, body: { tokens: padded, generation } });
  if (real.length === 0) return [];
  return (await call('searchCases', { body: { tokens: real, excludeCaseId: caseId } })).items;
}
