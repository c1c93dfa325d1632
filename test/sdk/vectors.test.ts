/**
 * Every vector of crypto-v1.json: passing them is what lets another client (a CLI, a partner's
 * own implementation, the intake page) interoperate with this SDK. Format 2 of sealed fields
 * and the worked examples of every field, envelope and challenge: vectors-v2.test.ts.
 */
import t from 'tap';
import sodium from 'libsodium-wrappers-sumo';
import {
  GENESIS_HASH,
  KDF_PARAMS,
  assertCheckpoint,
  canonicalEvent,
  chainHash,
  checkpointMessage,
  deriveReceiptKeys,
  derivePasswordKeys,
  formatReceipt,
  fromB64u,
  keyIdOf,
  login,
  normaliseReceipt,
  openAccount,
  openEnvelope,
  openField,
  openKeyringEntry,
  parseSealedField,
  pinnedPublicKey,
  publicKeyOf,
  ready,
  receiptPublicKey,
  sealField,
  toB64u,
  unwrapPrivateKey,
  verifierOf,
  verifyChain,
  verifyCheckpoint,
  wrapPrivateKey,
  type ChainedAuditEvent,
  type CryptoErrorCode,
  type JsonValue,
} from '../../src/sdk/index.js';
import { cryptoVectors, vectors } from '../helpers/vectors.js';

await ready();

// tap's match() compares strings by substring; anchoring makes the expected code exact.
const refusal = (code: CryptoErrorCode) => ({ name: 'CryptoError', code: new RegExp(`^${code}$`) });

t.test('the fixture declares the scheme parameters the SDK uses', async (t) => {
  t.equal(cryptoVectors.scheme, 'egide crypto v1');
  t.same(cryptoVectors.kdf, { ...KDF_PARAMS });
  t.equal(vectors.auditChain.genesis, GENESIS_HASH);
});

t.test('keyId', async (t) => {
  t.ok(vectors.keyId.length > 0);
  for (const [i, v] of vectors.keyId.entries()) {
    t.equal(keyIdOf(fromB64u(v.publicKey)), v.keyId, `keyId[${i}]`);
    t.equal(toB64u(pinnedPublicKey(v.publicKey, v.keyId)), v.publicKey, `keyId[${i}] pins`);
  }
});

/**
 * Format 1 as the v1 vectors were written: the JSON encrypted as it is. The SDK no longer writes
 * it (its writers pad: format 2, crypto-v2.json), so the vector is reproduced with libsodium.
 */
function sealFormat1(value: JsonValue, dek: Uint8Array, ad: string, nonce: Uint8Array): string {
  const te = new TextEncoder();
  return `v1.${toB64u(nonce)}.${toB64u(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(te.encode(JSON.stringify(value)), te.encode(ad), null, nonce, dek))}`;
}

t.test('sealedField (format 1): the given nonce reproduces the ciphertext, and the SDK still opens it', async (t) => {
  t.ok(vectors.sealedField.length > 0);
  for (const [i, v] of vectors.sealedField.entries()) {
    const dek = fromB64u(v.dek);
    const value = v.value as JsonValue;
    t.equal(sealFormat1(value, dek, v.ad, fromB64u(v.nonce)), v.sealed, `sealedField[${i}] seal`);
    t.match(sealField(value, dek, v.ad, fromB64u(v.nonce)), /^v2\./, `sealedField[${i}]: the SDK writes format 2 from the same inputs`);
    t.same(openField(v.sealed, dek, v.ad), value, `sealedField[${i}] open`);
    t.equal(toB64u(parseSealedField(v.sealed).nonce), v.nonce, `sealedField[${i}] nonce is the first part`);
  }
});

t.test('sealedFieldMustFail: refused with decrypt_failed, not a crash', async (t) => {
  t.ok(vectors.sealedFieldMustFail.length > 0);
  for (const [i, v] of vectors.sealedFieldMustFail.entries()) {
    t.throws(() => openField(v.sealed, fromB64u(v.dek), v.ad), refusal('decrypt_failed'), `sealedFieldMustFail[${i}]: ${v.why}`);
  }
});

t.test('keyEnvelope: the seeded recipient opens the DEK', async (t) => {
  t.ok(vectors.keyEnvelope.length > 0);
  for (const [i, v] of vectors.keyEnvelope.entries()) {
    const { publicKey, privateKey } = sodium.crypto_box_seed_keypair(fromB64u(v.recipientSeed));
    t.equal(toB64u(publicKey), v.recipientPublicKey, `keyEnvelope[${i}] public key`);
    t.equal(keyIdOf(publicKey), v.recipientKeyId, `keyEnvelope[${i}] keyId`);
    const envelope = v.envelope as `v1.${string}`;
    t.equal(toB64u(openEnvelope({ keyId: v.recipientKeyId, envelope }, { publicKey, privateKey })), v.dek, `keyEnvelope[${i}] opens`);
    t.equal(toB64u(openEnvelope(envelope, { publicKey, privateKey })), v.dek, `keyEnvelope[${i}] opens without keyId`);
  }
});

t.test('password: derived keys, verifier, unwrap, and a wrap reproduced from its nonce', async (t) => {
  t.ok(vectors.password.length > 0);
  for (const [i, v] of vectors.password.entries()) {
    const params = { salt: v.salt, ...cryptoVectors.kdf };
    const keys = derivePasswordKeys(v.password, params);
    t.equal(toB64u(keys.master), v.master, `password[${i}] master`);
    t.equal(toB64u(keys.authKey), v.authKey, `password[${i}] authKey`);
    t.equal(toB64u(keys.wrapKey), v.wrapKey, `password[${i}] wrapKey`);
    t.equal(verifierOf(keys.authKey), v.verifier, `password[${i}] verifier`);

    const kp = unwrapPrivateKey(v.wrappedPrivateKey, keys.wrapKey);
    t.equal(toB64u(kp.privateKey), v.privateKey, `password[${i}] private key`);
    t.equal(toB64u(kp.publicKey), v.publicKey, `password[${i}] public key`);
    t.same(openAccount(keys, v.wrappedPrivateKey), kp, `password[${i}] openAccount agrees`);

    const nonce = fromB64u(v.wrappedPrivateKey.split('.')[1] ?? '');
    t.equal(wrapPrivateKey(fromB64u(v.privateKey), keys.wrapKey, nonce), v.wrappedPrivateKey, `password[${i}] wrap`);
  }
  // `login` is what a client calls: it must be the same derivation, not a near copy.
  const v = vectors.password[0];
  if (v) t.equal(toB64u(login(v.password, { salt: v.salt, ...KDF_PARAMS }).authKey), v.authKey, 'login derives the vector authKey');
});

t.test('receipt: normalised digits, authKey, verifier, defender key pair', async (t) => {
  t.ok(vectors.receipt.length > 0);
  for (const [i, v] of vectors.receipt.entries()) {
    t.equal(normaliseReceipt(v.receipt), v.digits, `receipt[${i}] digits`);
    t.equal(formatReceipt(v.digits), v.receipt, `receipt[${i}] format`);
    const keys = deriveReceiptKeys(v.receipt, v.receiptSalt);
    t.equal(toB64u(keys.authKey), v.authKey, `receipt[${i}] authKey`);
    t.equal(keys.verifier, v.verifier, `receipt[${i}] verifier`);
    t.equal(verifierOf(keys.authKey), v.verifier, `receipt[${i}] verifier of authKey`);
    t.equal(receiptPublicKey(keys), v.defenderPublicKey, `receipt[${i}] defender public key`);
    t.equal(keys.keyId, v.defenderKeyId, `receipt[${i}] keyId`);
    t.equal(toB64u(publicKeyOf(keys.keyPair.privateKey)), v.defenderPublicKey, `receipt[${i}] key pair is consistent`);
  }
});

t.test('orgKeyring: the member opens the organisation key pair', async (t) => {
  t.ok(vectors.orgKeyring.length > 0);
  for (const [i, v] of vectors.orgKeyring.entries()) {
    const member = { publicKey: fromB64u(v.memberPublicKey), privateKey: fromB64u(v.memberPrivateKey) };
    t.equal(toB64u(publicKeyOf(member.privateKey)), v.memberPublicKey, `orgKeyring[${i}] member key pair`);
    const org = openKeyringEntry(v.entry, member);
    t.equal(toB64u(org.privateKey), v.orgPrivateKey, `orgKeyring[${i}] org private key`);
    t.equal(toB64u(org.publicKey), v.orgPublicKey, `orgKeyring[${i}] org public key`);
    t.equal(keyIdOf(org.publicKey), v.orgKeyId, `orgKeyring[${i}] org keyId`);
  }
});

const chained: ChainedAuditEvent[] = vectors.auditChain.entries.map((e) => ({ ...e.event, hash: e.hash }));

t.test('auditChain: canonical JSON, chained hashes, verifyChain', async (t) => {
  t.ok(vectors.auditChain.entries.length > 0);
  let prev = vectors.auditChain.genesis;
  for (const [i, e] of vectors.auditChain.entries.entries()) {
    t.equal(canonicalEvent(e.event), e.canonical, `auditChain.entries[${i}] canonical`);
    t.equal(chainHash(prev, e.event), e.hash, `auditChain.entries[${i}] hash`);
    prev = e.hash;
  }
  const last = chained[chained.length - 1]!;
  t.same(verifyChain(chained), { ok: true, count: chained.length, head: { seq: last.seq, hash: last.hash } });
});

t.test('auditCheckpoint: message and signature of the chain head', async (t) => {
  const v = vectors.auditCheckpoint;
  const head = chained[chained.length - 1]!;
  t.equal(checkpointMessage(head.seq, head.hash), v.message);
  const checkpoint = { seq: head.seq, hash: head.hash, signature: v.signature };
  t.equal(verifyCheckpoint(checkpoint, v.signingPublicKey), true, 'verifies with the key as text');
  t.equal(verifyCheckpoint(checkpoint, fromB64u(v.signingPublicKey)), true, 'verifies with the key as bytes');
  t.doesNotThrow(() => assertCheckpoint(checkpoint, v.signingPublicKey));

  const other = chained[chained.length - 2]!;
  t.equal(verifyCheckpoint({ ...checkpoint, seq: head.seq + 1 }, v.signingPublicKey), false, 'changed seq');
  t.equal(verifyCheckpoint({ ...checkpoint, seq: other.seq }, v.signingPublicKey), false, 'earlier seq');
  t.equal(verifyCheckpoint({ ...checkpoint, hash: other.hash }, v.signingPublicKey), false, 'changed hash');
  const sig = fromB64u(v.signature);
  for (const bit of [0, 7, 255, 511]) {
    const bad = sig.slice();
    bad[bit >> 3]! ^= 1 << (bit & 7);
    t.equal(verifyCheckpoint({ ...checkpoint, signature: toB64u(bad) }, v.signingPublicKey), false, `signature bit ${bit} flipped`);
  }
  const otherKey = sodium.crypto_sign_keypair().publicKey;
  t.equal(verifyCheckpoint(checkpoint, otherKey), false, 'another signing key');
  t.throws(() => assertCheckpoint({ ...checkpoint, seq: head.seq + 1 }, v.signingPublicKey), refusal('bad_signature'));
});
