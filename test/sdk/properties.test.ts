/**
 * Property tests (fast-check): the guarantees hold for any value, any associated data, any
 * single-bit change and any set of readers, not only for the examples in the other files.
 */
import t, { type Test } from 'tap';
import fc, { type IProperty } from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import {
  caseFieldAd,
  createRecoveryCode,
  fromB64u,
  generateDek,
  generateKeyPair,
  isCryptoError,
  keyIdOf,
  normaliseReceipt,
  openEnvelope,
  openField,
  openKeyringEntry,
  parseSealedField,
  pinnedPublicKey,
  ready,
  recoverKeyPair,
  recoveryKeyOf,
  rekey,
  sealField,
  toB64u,
  unwrapPrivateKey,
  type CryptoErrorCode,
  type JsonValue,
} from '../../src/sdk/index.js';

await ready();

/** Runs a property and turns its outcome into one tap assertion (with fast-check's counterexample). */
function check<Ts>(t: Test, name: string, prop: IProperty<Ts>, numRuns: number): void {
  const r = fc.check(prop, { numRuns });
  t.notOk(r.failed, fc.defaultReportMessage(r) ?? name);
}

/** The code of the CryptoError `fn` throws; anything else (no error, another error) fails the property. */
function codeOf(fn: () => unknown): CryptoErrorCode {
  try {
    fn();
  } catch (err) {
    if (isCryptoError(err)) return err.code;
    throw err;
  }
  throw new Error('did not throw');
}

const LONE_SURROGATE = /\p{Cs}/u;
const dek = generateDek();
const ad = caseFieldAd('0193a5c4-7e21-7c3e-9a51-6f0b2d1e4a77', 'narrative');
const sameAsJson = (opened: unknown, v: unknown) => isDeepStrictEqual(opened, JSON.parse(JSON.stringify(v)));

t.test('seal then open gives back any JSON value', async (t) => {
  // -0 travels as 0 in JSON, hence the comparison with a JSON round trip of the input.
  check(t, 'json round trip', fc.property(fc.jsonValue(), (v) => sameAsJson(openField(sealField(v as JsonValue, dek, ad), dek, ad), v)), 300);
  check(
    t,
    'json round trip, any UTF-16 including lone surrogates',
    fc.property(fc.jsonValue({ stringUnit: 'binary' }), (v) => sameAsJson(openField(sealField(v as JsonValue, dek, ad), dek, ad), v)),
    300,
  );
});

t.test('any other associated data breaks opening', async (t) => {
  /** Never a plaintext under `other`: decrypt_failed, or a refusal of text that has no unique UTF-8. */
  const refusedUnder = (sealedAd: string, other: string): boolean => {
    let sealed: string;
    try {
      sealed = sealField({ secret: 1 }, dek, sealedAd);
    } catch (err) {
      return isCryptoError(err, 'bad_associated_data') && LONE_SURROGATE.test(sealedAd);
    }
    const code = codeOf(() => openField(sealed, dek, other));
    return code === 'decrypt_failed' || (code === 'bad_associated_data' && LONE_SURROGATE.test(other));
  };
  // Any UTF-16, with surrogate halves made common: they are where text and its UTF-8 part ways.
  const unit = fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
    fc.constantFrom('a', '/', '.', '\ufffd'),
  );
  const anyText = fc.string({ unit, maxLength: 30 });
  check(
    t,
    'two unrelated strings',
    fc.property(anyText, anyText, (a, b) => {
      fc.pre(a !== b);
      return refusedUnder(a, b);
    }),
    300,
  );
  // Near misses are the interesting case: one character changed, inserted or removed.
  const nearMiss = fc.tuple(anyText, fc.nat(), unit, fc.constantFrom('replace', 'insert', 'delete')).map(([a, k, c, op]) => {
    const i = a.length === 0 ? 0 : k % a.length;
    const b = op === 'replace' ? a.slice(0, i) + c + a.slice(i + 1) : op === 'insert' ? a.slice(0, i) + c + a.slice(i) : a.slice(0, i) + a.slice(i + 1);
    return [a, b] as const;
  });
  check(
    t,
    'one character changed',
    fc.property(nearMiss, ([a, b]) => {
      fc.pre(a !== b);
      return refusedUnder(a, b);
    }),
    500,
  );
  // The same over the ids and field names a client really uses.
  const part = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,40}$/);
  check(
    t,
    'case id or field changed',
    fc.property(part, part, part, part, (case1, field1, case2, field2) => {
      fc.pre(case1 !== case2 || field1 !== field2);
      return refusedUnder(caseFieldAd(case1, field1), caseFieldAd(case2, field2));
    }),
    300,
  );
});

t.test('any single-bit flip in the nonce or the ciphertext breaks opening', async (t) => {
  check(
    t,
    'bit flip',
    fc.property(fc.jsonValue({ maxDepth: 2 }), fc.nat(), (v, k) => {
      const sealed = sealField(v as JsonValue, dek, ad);
      const { nonce, ciphertext } = parseSealedField(sealed);
      const bytes = new Uint8Array([...nonce, ...ciphertext]);
      const bit = k % (bytes.length * 8);
      bytes[bit >> 3]! ^= 1 << (bit & 7);
      const flipped = `${sealed.slice(0, 3)}${toB64u(bytes.subarray(0, nonce.length))}.${toB64u(bytes.subarray(nonce.length))}`;
      return codeOf(() => openField(flipped, dek, ad)) === 'decrypt_failed';
    }),
    500,
  );
});

t.test('re-keying: remaining readers read everything with the new DEK; the old DEK and removed readers read nothing', async (t) => {
  const items = fc.uniqueArray(fc.record({ field: fc.stringMatching(/^[a-z][a-z0-9_.]{0,20}$/), value: fc.jsonValue({ maxDepth: 2 }) }), {
    selector: (x) => x.field,
    minLength: 1,
    maxLength: 6,
  });
  const prop = fc.property(items, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), (fields, keep, remove) => {
    const caseId = 'case-rekey';
    const oldDek = generateDek();
    const sealedItems = fields.map(({ field, value }) => ({ id: field, ad: caseFieldAd(caseId, field), sealed: sealField(value as JsonValue, oldDek, caseFieldAd(caseId, field)) }));
    const remaining = Array.from({ length: keep }, generateKeyPair);
    const removed = Array.from({ length: remove }, generateKeyPair);

    const out = rekey(oldDek, sealedItems, remaining.map((r) => r.publicKey));
    if (isDeepStrictEqual(out.dek, oldDek)) throw new Error('the new DEK is the old one');
    if (out.envelopes.length !== keep) throw new Error('one envelope per remaining reader');
    if (!isDeepStrictEqual(out.items.map((i) => [i.id, i.ad]), sealedItems.map((i) => [i.id, i.ad]))) throw new Error('ids and ADs are kept');

    for (const reader of remaining) {
      const envelope = out.envelopes.find((e) => e.keyId === keyIdOf(reader.publicKey));
      if (!envelope) throw new Error('a remaining reader has no envelope');
      const newDek = openEnvelope(envelope, reader);
      out.items.forEach((item, i) => {
        if (!sameAsJson(openField(item.sealed, newDek, item.ad), fields[i]!.value)) throw new Error(`item ${item.id} does not read back`);
      });
    }
    for (const item of out.items) {
      if (codeOf(() => openField(item.sealed, oldDek, item.ad)) !== 'decrypt_failed') throw new Error(`the old DEK opens ${item.id}`);
    }
    for (const reader of removed) {
      for (const envelope of out.envelopes) {
        if (codeOf(() => openEnvelope(envelope, reader)) !== 'key_id_mismatch') throw new Error('an envelope is addressed to a removed reader');
        if (codeOf(() => openEnvelope(envelope.envelope, reader)) !== 'decrypt_failed') throw new Error('a removed reader opens a new envelope');
      }
    }
    return true;
  });
  check(t, 'rekey', prop, 40);
});

t.test('rekey fails whole when an item does not open with the old DEK', async (t) => {
  const oldDek = generateDek();
  const good = { id: 'a', ad: caseFieldAd('c', 'a'), sealed: sealField('a', oldDek, caseFieldAd('c', 'a')) };
  const moved = { id: 'b', ad: caseFieldAd('c', 'b'), sealed: sealField('b', oldDek, caseFieldAd('c', 'x')) };
  t.equal(codeOf(() => rekey(oldDek, [good, moved], [generateKeyPair().publicKey])), 'decrypt_failed');
});

t.test('base64url: one spelling per byte string', async (t) => {
  check(t, 'bytes round trip', fc.property(fc.uint8Array({ maxLength: 100 }), (b) => isDeepStrictEqual(fromB64u(toB64u(b)), b)), 300);
  // Any text either is refused or is the canonical spelling of what it decodes to.
  const b64ish = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= '.split('')), maxLength: 40 });
  check(
    t,
    'canonical or refused',
    fc.property(b64ish, (text) => {
      let bytes: Uint8Array;
      try {
        bytes = fromB64u(text);
      } catch (err) {
        return isCryptoError(err, 'bad_base64url');
      }
      return toB64u(bytes) === text;
    }),
    1000,
  );
});

t.test('no input string crashes a parser: every refusal is a CryptoError', async (t) => {
  const kp = generateKeyPair();
  const wrapKey = generateDek();
  const recoveryWrap = 'v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
  const parsers: Record<string, (s: string) => unknown> = {
    openField: (s) => openField(s, dek, ad),
    openEnvelope: (s) => openEnvelope(s, kp),
    openKeyringEntry: (s) => openKeyringEntry(s, kp),
    unwrapPrivateKey: (s) => unwrapPrivateKey(s, wrapKey),
    pinnedPublicKey: (s) => pinnedPublicKey(s, 'DAc7wilTFmbAkvPXAeAPQQ'),
    normaliseReceipt: (s) => normaliseReceipt(s),
    recoveryKeyOf: (s) => recoveryKeyOf(s),
    recoverKeyPair: (s) => recoverKeyPair(s, recoveryWrap),
  };
  const b64 = fc.base64String().map((s) => s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
  const input = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.tuple(fc.constantFrom('v1', 'v2', ''), fc.array(b64, { maxLength: 3 })).map(([v, parts]) => [v, ...parts].join('.')),
    fc.constant(createRecoveryCode().slice(0, -1)),
  );
  for (const [name, parse] of Object.entries(parsers)) {
    check(
      t,
      name,
      fc.property(input, (s) => {
        try {
          parse(s);
          return true;
        } catch (err) {
          return isCryptoError(err);
        }
      }),
      300,
    );
  }
});
