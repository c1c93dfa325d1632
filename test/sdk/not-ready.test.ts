/**
 * Before `await ready()` every operation that needs libsodium refuses with 'not_ready' instead
 * of failing obscurely. ready() is process-global, so this file is the only one that tests the
 * state before it and must not call ready() until the checks are done.
 */
import t from 'tap';
import {
  canonicalEvent,
  caseFieldAd,
  chainHash,
  createRecoveryCode,
  encryptFile,
  equalBytes,
  generateDek,
  generateKeyPair,
  generateReceipt,
  keyIdOf,
  normalise,
  normalisePhone,
  normaliseReceipt,
  openField,
  padTokens,
  ready,
  sealField,
  searchToken,
  toB64u,
  wipe,
  type AuditEvent,
  type CryptoErrorCode,
} from '../../src/sdk/index.js';

const refusal = (code: CryptoErrorCode) => ({ name: 'CryptoError', code: new RegExp(`^${code}$`) });

const key = new Uint8Array(32).fill(1);
const ad = caseFieldAd('c1', 'narrative');
const event: AuditEvent = { seq: 1, at: '2026-03-04T08:15:00.000Z', actor: 'u:a', role: 'officer', action: 'case.read', resource: 'case:c1', caseId: 'c1', outcome: 'allowed', reason: null, requestId: 'r1' };
const genesis = '0'.repeat(64);

const needSodium: Record<string, () => unknown> = {
  generateDek: () => generateDek(),
  generateKeyPair: () => generateKeyPair(),
  keyIdOf: () => keyIdOf(key),
  toB64u: () => toB64u(key),
  sealField: () => sealField('x', key, ad),
  openField: () => openField('v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA', key, ad),
  wipe: () => wipe(new Uint8Array(4)),
  equalBytes: () => equalBytes(key, key),
  generateReceipt: () => generateReceipt(),
  createRecoveryCode: () => createRecoveryCode(),
  encryptFile: () => encryptFile(key),
  chainHash: () => chainHash(genesis, event),
  searchToken: () => searchToken(key, 'name', 'aminata traore'),
  padTokens: () => padTokens([], 12),
};

t.test('before ready(): not_ready', async (t) => {
  for (const [name, fn] of Object.entries(needSodium)) t.throws(fn, refusal('not_ready'), name);
  // Pure checks need no libsodium and still answer.
  t.equal(normaliseReceipt('4821 0937 5562 1048'), '4821093755621048');
  t.match(canonicalEvent(event), /^\{"action":"case.read",/);
  t.equal(normalise('Aminata Traoré'), 'aminata traore');
  t.equal(normalisePhone('76 12 34 56'), '22376123456');
});

t.test('after ready(): the same calls work, and ready() may be awaited again', async (t) => {
  await Promise.all([ready(), ready()]);
  await ready();
  for (const [name, fn] of Object.entries(needSodium)) {
    if (name === 'openField') {
      // Now it gets far enough to authenticate (and fail to).
      t.throws(fn, refusal('decrypt_failed'), name);
    } else {
      t.doesNotThrow(fn, name);
    }
  }
  t.equal(openField(sealField('x', key, ad), key, ad), 'x');
});
