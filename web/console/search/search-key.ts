/**
 * The search key (blind index) in the crypto worker: opened from the caller's staff keyring entry
 * before each use, since the idle lock wipes it with every other key. Refused with
 * `no_search_key` (nobody granted it yet) or `stale_search_key` (sealed to a former key pair).
 */
import { call } from '../api.js';
import { crypto } from '../crypto-client.js';

/** Opens the search key in the worker; answers how many tokens a case uploads, and the key's generation. */
export async function openSearchKey(): Promise<{ tokensPerCase: number; generation: number }> {
  const own = await call('getOwnSearchKey');
  if (own.stale) throw Object.assign(new Error('stale entry'), { code: 'stale_search_key' });
  await crypto({ op: 'openSearchKey', memberKeyId: own.memberKeyId, entry: own.entry });
  return { tokensPerCase: own.tokensPerCase, generation: own.generation };
}
