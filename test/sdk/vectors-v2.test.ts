/**
 * Sealed-field format 2 (padded) and the worked examples of crypto-v2.json: the SDK reproduces
 * every vector, refuses every malformed one with its code, and the file is exactly what its
 * generator (test/helpers/crypto-v2-vectors.ts, libsodium without the SDK) makes.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import sodium from 'libsodium-wrappers-sumo';
import fc from 'fast-check';
import * as sdk from '../../src/sdk/index.js';
import {
  caseFieldAd,
  fromB64u,
  generateDek,
  isPaddedLength,
  keyIdOf,
  openField,
  openSecret,
  pad,
  paddedLength,
  paddingBlock,
  parseSealedField,
  publicKeyOf,
  ready,
  sealField,
  toB64u,
  unpad,
  type CryptoErrorCode,
  type JsonValue,
} from '../../src/sdk/index.js';
import fixture from '../fixtures/crypto-v2.json' with { type: 'json' };
import { cryptoV2FixtureText } from '../helpers/crypto-v2-vectors.js';
import { vectors as v1 } from '../helpers/vectors.js';

await ready();

const vectors = fixture.vectors;
const refusal = (code: CryptoErrorCode) => ({ name: 'CryptoError', code: new RegExp(`^${code}$`) });

t.test('the fixture is what its generator makes (nothing edited by hand, nothing stale)', async (t) => {
  const file = await readFile(new URL('../fixtures/crypto-v2.json', import.meta.url), 'utf8');
  t.equal(file, await cryptoV2FixtureText());
});

t.test('padded lengths: the table, libsodium sodium_pad, and the key-less check', async (t) => {
  for (const v of vectors.paddedLength) {
    t.equal(paddingBlock(v.length), v.block, `block of ${v.length}`);
    t.equal(paddedLength(v.length), v.padded, `padded length of ${v.length}`);
    t.ok(isPaddedLength(v.padded), `${v.padded} is a padded length`);
  }
  // Every length up to 9000, against libsodium's own padding and the spec's formula.
  const wrong: string[] = [];
  for (let length = 0; length <= 9000; length += 1) {
    const block = length < 1024 ? 64 : 2 ** (Math.floor(Math.log2(length)) - 4);
    const expected = sodium.pad(new Uint8Array(length), block).length;
    if (paddedLength(length) !== expected) wrong.push(`length ${length}: ${paddedLength(length)}, libsodium ${expected}`);
    if (expected - length > Math.max(64, length / 16)) wrong.push(`length ${length}: more than 1/16 of overhead`);
  }
  // isPaddedLength is true exactly on the values paddedLength takes.
  const taken = new Set(Array.from({ length: 9001 }, (_, l) => paddedLength(l)));
  for (let p = 0; p <= 9000; p += 1) if (isPaddedLength(p) !== taken.has(p)) wrong.push(`isPaddedLength(${p})`);
  t.same(wrong, [], 'every length up to 9000 pads as libsodium does, with at most 1/16 of overhead');
});

t.test('pad and unpad: m || 0x80 || zeros, and exactly one accepted encoding', async (t) => {
  const m = new TextEncoder().encode('"Aminata"');
  const p = pad(m);
  t.equal(p.length, 64);
  t.same([...p.subarray(m.length, m.length + 2)], [0x80, 0]);
  t.same(unpad(p), m);
  t.throws(() => unpad(sodium.pad(m, 128)), refusal('bad_padding'), 'an extra block');
  t.throws(() => unpad(new Uint8Array(64)), refusal('bad_padding'), 'zeros only');
  t.throws(() => unpad(new Uint8Array(0)), refusal('bad_padding'), 'nothing');
  t.same(unpad(pad(new Uint8Array(0))), new Uint8Array(0), 'the empty message');
});

t.test('sealedFieldV2: the nonce reproduces the ciphertext, it opens to the value, its AD is the SDK builder', async (t) => {
  t.ok(vectors.sealedFieldV2.length >= 15);
  const builders = sdk as unknown as Record<string, (...args: string[]) => string>;
  for (const v of vectors.sealedFieldV2) {
    const dek = fromB64u(v.dek);
    const value = v.value as JsonValue;
    t.equal(builders[v.builder]!(...v.args), v.ad, `${v.name}: ${v.builder} gives the AD`);
    t.equal(sealField(value, dek, v.ad, fromB64u(v.nonce)), v.sealed, `${v.name}: seal`);
    t.same(openField(v.sealed, dek, v.ad), value, `${v.name}: open`);
    const parsed = parseSealedField(v.sealed);
    t.equal(parsed.format, 2);
    t.equal(parsed.ciphertext.length, v.paddedLength + 16, `${v.name}: ciphertext = padded length + tag`);
    t.equal(paddedLength(v.plaintextLength), v.paddedLength);
  }
});

t.test('every AD builder of the SDK has a worked example', async (t) => {
  const builders = Object.keys(sdk).filter((name) => name.endsWith('Ad'));
  t.ok(builders.length >= 8, builders.join(', '));
  const used = new Set(vectors.sealedFieldV2.map((v) => v.builder));
  for (const b of builders) t.ok(used.has(b), `${b} has a vector`);
});

t.test('sealedFieldV2MustFail: each refused with its code', async (t) => {
  t.ok(vectors.sealedFieldV2MustFail.length >= 8);
  for (const v of vectors.sealedFieldV2MustFail) {
    t.throws(() => openField(v.sealed, fromB64u(v.dek), v.ad), refusal(v.code as CryptoErrorCode), v.name);
  }
  for (const code of ['decrypt_failed', 'bad_padding', 'bad_length', 'bad_plaintext']) {
    t.ok(vectors.sealedFieldV2MustFail.some((v) => v.code === code), `a vector refused with ${code}`);
  }
});

t.test('format 1 still opens: every v1 vector reads back through the same openField', async (t) => {
  for (const [i, v] of v1.sealedField.entries()) {
    t.same(openField(v.sealed, fromB64u(v.dek), v.ad), v.value, `sealedField[${i}]`);
    t.equal(parseSealedField(v.sealed).format, 1);
  }
});

t.test('values of different lengths in one block give ciphertexts of one length', async (t) => {
  const dek = generateDek();
  const ad = caseFieldAd('0193a5c4-7e21-7c3e-9a51-6f0b2d1e4a77', 'identity');
  const lengthOf = (value: JsonValue) => sealField(value, dek, ad).length;
  t.equal(lengthOf('Ali'), lengthOf('Aminata Traoré Diarra-Coulibaly'), 'two names, 5 and 33 bytes of JSON');
  t.equal(lengthOf(''), lengthOf('a'.repeat(61)), '2 and 63 bytes: both one block of 64');
  t.not(lengthOf('a'.repeat(61)), lengthOf('a'.repeat(62)), '63 and 64 bytes: 64 needs the next block');
  t.equal(lengthOf('x'.repeat(2050)), lengthOf('x'.repeat(2170)), 'above 2 KiB the block is 128: 2052 and 2172 bytes share one');
  // For any two values, equal padded lengths give equal sealed lengths, and the ciphertext is
  // exactly the padded length plus the tag.
  const r = fc.check(
    fc.property(fc.string({ maxLength: 1500 }), fc.string({ maxLength: 1500 }), (a, b) => {
      const la = new TextEncoder().encode(JSON.stringify(a)).length;
      const lb = new TextEncoder().encode(JSON.stringify(b)).length;
      const sa = sealField(a, dek, ad);
      const sb = sealField(b, dek, ad);
      return parseSealedField(sa).ciphertext.length === paddedLength(la) + 16 && (paddedLength(la) === paddedLength(lb)) === (sa.length === sb.length);
    }),
    { numRuns: 200 },
  );
  t.notOk(r.failed, fc.defaultReportMessage(r) ?? 'equal blocks, equal lengths');
});

t.test('envelopes: each kind opens with its recipient key pair to its secret', async (t) => {
  t.same(
    vectors.envelopes.map((e) => e.recipientType),
    ['org', 'defender', 'user', 'org', 'member'],
  );
  for (const e of vectors.envelopes) {
    const privateKey = fromB64u(e.recipientPrivateKey);
    const publicKey = publicKeyOf(privateKey);
    t.equal(toB64u(publicKey), e.recipientPublicKey, `${e.name}: key pair`);
    t.equal(keyIdOf(publicKey), e.keyId, `${e.name}: keyId`);
    t.equal(toB64u(openSecret(e.envelope, { publicKey, privateKey })), e.secret, `${e.name}: opens`);
  }
  const defender = vectors.envelopes[1]!;
  t.equal(defender.recipientPublicKey, v1.receipt[0]!.defenderPublicKey, "the defender key is receipt[0]'s");
  const member = vectors.envelopes[4]!;
  t.equal(member.secret, v1.orgKeyring[0]!.orgPrivateKey, "the keyring entry seals orgKeyring[0]'s organisation key");
});

t.test('recovery challenge: the account key pair opens it, the answer is the 32 bytes inside', async (t) => {
  const c = vectors.recoveryChallenge;
  const privateKey = fromB64u(c.recipientPrivateKey);
  const publicKey = publicKeyOf(privateKey);
  t.equal(toB64u(publicKey), c.recipientPublicKey);
  t.equal(c.recipientPublicKey, v1.password[0]!.publicKey, "the account of password[0]");
  const answer = openSecret(c.challenge, { publicKey, privateKey }, 'challenge');
  t.equal(answer.length, 32);
  t.equal(toB64u(answer), c.answer);
  t.equal(c.challenge.length, 110, 'v1. and 80 bytes, as any envelope');
});
