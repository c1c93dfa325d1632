import { randomBytes, randomUUID } from 'node:crypto';
import { prepareFiling, type FilingMetadata } from '../../src/sdk/index.js';

const metadata: FilingMetadata = { region: 'mopti', defenderCategory: 'journalist', gender: 'female', disability: 'none', threatTypes: ['death_threat', 'surveillance'], claimedUrgent: false, preferredLanguage: 'fr', contactChannel: 'signal', filedFor: 'self' };
const words = (n: number, seed: string) => Array.from({ length: n }, (_, i) => `${seed}${i % 7}`).join(' ');

/**
 * Real filings sealed by the SDK, about 4 KiB of sealed fields and 2 envelopes each, turned into
 * templates: each request gets a fresh case id and receipt verifier, so every request files a new
 * case. (The sealed fields stay bound to the template's case id in their AD; the server cannot
 * and does not check that, so its work is the same.) Returns the body of the next request.
 */
export function filingBodies(intakeKey: Parameters<typeof prepareFiling>[0]['intakeKey'], pinnedKeyId: string, count = 32): () => string {
  const pool = Array.from({ length: count }, () => {
    const f = prepareFiling({
      intakeKey,
      pinnedKeyId,
      metadata,
      secrets: { identity: words(12, 'nom'), contact: words(10, 'tel'), location: words(20, 'lieu'), narrative: words(260, 'recit'), relatives: words(40, 'proche') },
    });
    return JSON.stringify({ ...f.body, caseId: '@CASE@', receiptVerifier: '@RV@' });
  });
  let n = 0;
  return () => pool[n++ % count]!.replace('@CASE@', randomUUID()).replace('@RV@', randomBytes(32).toString('base64url'));
}
