/**
 * Keys, envelopes and secret hygiene: secrets are Uint8Arrays (strings cannot be wiped), wipe()
 * really zeroes them, and a wiped key no longer opens anything.
 */
import t from 'tap';
import {
  DEK_BYTES,
  KEY_ID_BYTES,
  equalBytes,
  fromB64u,
  generateDek,
  generateKeyPair,
  keyIdOf,
  openEnvelope,
  openField,
  pinnedPublicKey,
  publicKeyOf,
  randomBytes,
  ready,
  sealEnvelope,
  sealField,
  toB64u,
  wipe,
  type CryptoErrorCode,
} from '../../src/sdk/index.js';

await ready();

const refusal = (code: CryptoErrorCode) => ({ name: 'CryptoError', code: new RegExp(`^${code}$`) });
const isZero = (b: Uint8Array) => b.every((x) => x === 0);

t.test('a DEK is 32 random bytes, and wipe() zeroes it', async (t) => {
  const dek = generateDek();
  t.type(dek, Uint8Array);
  t.equal(dek.length, DEK_BYTES);
  t.notOk(isZero(dek), 'not zero before');
  const ad = 'egide/v1/case/c1/narrative';
  const sealed = sealField('secret', dek, ad);
  const copy = dek.slice();
  wipe(dek);
  t.equal(dek.length, DEK_BYTES, 'same length');
  t.ok(isZero(dek), 'all zeros after wipe');
  t.throws(() => openField(sealed, dek, ad), refusal('decrypt_failed'), 'the wiped DEK opens nothing');
  t.equal(openField(sealed, copy, ad), 'secret', 'while an unwiped copy still does (wipe works in place)');
});

t.test('wipe() takes several buffers, skips null and undefined, and zeroes views in place', async (t) => {
  const kp = generateKeyPair();
  const a = randomBytes(16);
  const big = randomBytes(64);
  const view = big.subarray(16, 48);
  wipe(kp.privateKey, null, a, undefined, view);
  t.ok(isZero(kp.privateKey), 'private key');
  t.ok(isZero(a), 'second buffer');
  t.ok(isZero(big.subarray(16, 48)), 'the viewed range');
  t.notOk(isZero(big.subarray(0, 16)) && isZero(big.subarray(48)), 'but not the bytes around it');
});

t.test('every DEK and key pair is fresh', async (t) => {
  const deks = new Set<string>();
  const keyIds = new Set<string>();
  for (let i = 0; i < 200; i++) {
    deks.add(toB64u(generateDek()));
    keyIds.add(keyIdOf(generateKeyPair().publicKey));
  }
  t.equal(deks.size, 200);
  t.equal(keyIds.size, 200);
});

t.test('keyId: 16 bytes of BLAKE2b of the public key, as base64url', async (t) => {
  const kp = generateKeyPair();
  const id = keyIdOf(kp.publicKey);
  t.match(id, /^[A-Za-z0-9_-]{22}$/);
  t.equal(fromB64u(id).length, KEY_ID_BYTES);
  t.equal(keyIdOf(publicKeyOf(kp.privateKey)), id, 'recomputed from the private key');
  t.same(pinnedPublicKey(toB64u(kp.publicKey), id), kp.publicKey);
  const flipped = kp.publicKey.slice();
  flipped[31]! ^= 1;
  t.not(keyIdOf(flipped), id, 'one bit of the key changes the keyId');
});

t.test('envelopes: only the addressed reader opens the DEK', async (t) => {
  const dek = generateDek();
  const reader = generateKeyPair();
  const env = sealEnvelope(dek, reader.publicKey);
  t.equal(env.keyId, keyIdOf(reader.publicKey));
  t.match(env.envelope, /^v1\.[A-Za-z0-9_-]{107}$/, '80 bytes: ephemeral key, sealed DEK, tag');
  t.same(openEnvelope(env, reader), dek);
  t.not(sealEnvelope(dek, reader.publicKey).envelope, env.envelope, 'sealing is randomised');
  t.throws(() => openEnvelope(env.envelope, generateKeyPair()), refusal('decrypt_failed'));
});

t.test('equalBytes compares content, including the length', async (t) => {
  const a = randomBytes(32);
  t.ok(equalBytes(a, a.slice()));
  const b = a.slice();
  b[0]! ^= 1;
  t.notOk(equalBytes(a, b));
  t.notOk(equalBytes(a, a.subarray(0, 31)));
  t.ok(equalBytes(new Uint8Array(0), new Uint8Array(0)));
});
