/**
 * prepareReceiptReissue on its own (no server): what the officer's client sends when a receipt is
 * replaced carries the new receipt's verifier and public key, never the receipt or its authKey;
 * the new case key goes to the new receipt key and to the other readers, never to the old one.
 */
import t from 'tap';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  caseFieldAd,
  deriveReceiptKeys,
  formatReceipt,
  generateDek,
  generateKeyPair,
  generateReceipt,
  keyIdOf,
  normaliseReceipt,
  openEnvelope,
  openField,
  prepareReceiptReissue,
  ready,
  sealField,
  toB64u,
  type RekeyBundle,
} from '../../src/sdk/index.js';

await ready();
const salt = toB64u(randomBytes(16));
const caseId = randomUUID();
const orgId = randomUUID();
const mechanism = generateKeyPair();
const oldReceipt = generateReceipt();
const old = deriveReceiptKeys(oldReceipt, salt);
const dek = generateDek();
const ad = caseFieldAd(caseId, 'identity');
const bundle: RekeyBundle = {
  caseId,
  epoch: 3,
  envelopes: [
    { keyId: keyIdOf(mechanism.publicKey), recipientType: 'org', recipientId: orgId, currentKeyId: keyIdOf(mechanism.publicKey), publicKey: toB64u(mechanism.publicKey) },
    { keyId: old.keyId, recipientType: 'defender', recipientId: caseId, currentKeyId: old.keyId, publicKey: toB64u(old.keyPair.publicKey) },
  ],
  own: [],
  items: [{ kind: 'case_field', id: caseId, field: 'identity', ad, sealed: sealField('Aminata Traoré', dek, ad) }],
};
const others = [{ keyId: keyIdOf(mechanism.publicKey), publicKey: mechanism.publicKey, recipientType: 'org' as const, recipientId: orgId }];

t.test('the body carries the new receipt’s public part only; the new key opens for the new receipt, not the old', async (t) => {
  const out = prepareReceiptReissue({ bundle, oldDek: dek, receiptSalt: salt, recipients: others, cause: 'seized' });
  const fresh = deriveReceiptKeys(out.receipt, salt);
  t.match(out.receipt, /^\d{4} \d{4} \d{4} \d{4}$/, 'a receipt to hand over, in four groups');
  const text = JSON.stringify(out.body);
  for (const secret of [out.receipt, normaliseReceipt(out.receipt), toB64u(fresh.authKey), toB64u(fresh.keyPair.privateKey)]) t.notOk(text.includes(secret), 'no receipt, authKey or private key in the body');
  t.same(out.body.receipt, { verifier: fresh.verifier, keyId: fresh.keyId, publicKey: toB64u(fresh.keyPair.publicKey) });
  t.same([out.body.epoch, out.body.cause], [3, 'seized']);
  t.notOk('revoke' in out.body, 'a re-issue revokes nobody else');
  const defender = out.body.envelopes.find((e) => e.recipientType === 'defender')!;
  t.same([defender.keyId, defender.recipientId], [fresh.keyId, caseId], "the defender's envelope is at the new receipt key");
  t.same(openEnvelope(defender.envelope, fresh.keyPair), out.dek);
  t.throws(() => openEnvelope(defender.envelope, old.keyPair), 'the old receipt key does not open it');
  t.same(openEnvelope(out.body.envelopes.find((e) => e.recipientType === 'org')!.envelope, mechanism), out.dek, 'the mechanism keeps reading');
  t.equal(openField(out.body.items[0]!.sealed, out.dek, ad), 'Aminata Traoré');
  t.throws(() => openField(out.body.items[0]!.sealed, dek, ad), 'the old case key opens nothing re-sealed');
});

t.test('a receipt the client was given is used as typed, and the current one is refused', async (t) => {
  const typed = '1234-5678-9012-3456';
  t.equal(prepareReceiptReissue({ bundle, oldDek: dek, receiptSalt: salt, recipients: others, cause: 'lost', receipt: typed }).receipt, formatReceipt(typed));
  t.throws(() => prepareReceiptReissue({ bundle, oldDek: dek, receiptSalt: salt, recipients: others, cause: 'lost', receipt: oldReceipt }), /current receipt/);
});

t.test('refused: a defender among the other readers, a case without a defender envelope', async (t) => {
  t.throws(() => prepareReceiptReissue({ bundle, oldDek: dek, receiptSalt: salt, recipients: [...others, { keyId: old.keyId, publicKey: old.keyPair.publicKey, recipientType: 'defender', recipientId: caseId }], cause: 'lost' }), /other readers/);
  t.throws(() => prepareReceiptReissue({ bundle: { ...bundle, envelopes: bundle.envelopes.filter((e) => e.recipientType !== 'defender') }, oldDek: dek, receiptSalt: salt, recipients: others, cause: 'lost' }), /no defender envelope/);
  t.throws(() => prepareReceiptReissue({ bundle, oldDek: dek, receiptSalt: salt, recipients: [], cause: 'lost' }), /remaining readers/, 'a reader left out');
});
