/**
 * The offline split backup of the mechanism key: any k of n share codes rebuild the private key,
 * k-1 do not, and a mistyped code is caught by its checksum before anything is combined.
 */
import t from 'tap';
import { combine } from 'shamir-secret-sharing';
import { combineShareCodes, generateKeyPair, keyIdOf, readShareCode, ready, splitPrivateKey } from '../../src/sdk/index.js';

await ready();

const mechanism = generateKeyPair();
const keyId = keyIdOf(mechanism.publicKey);
const backup = await splitPrivateKey(mechanism.privateKey, 3, 5);

/** Every k-element subset of 0..n-1. */
function subsets(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  const out: number[][] = [];
  for (let i = 0; i <= n - k; i++) for (const rest of subsets(n - i - 1, k - 1)) out.push([i, ...rest.map((r) => r + i + 1)]);
  return out;
}

t.test('a 3-of-5 split: five distinct codes of sixteen groups of four, naming the key and the threshold', async (t) => {
  t.equal(backup.keyId, keyId);
  t.equal(backup.codes.length, 5);
  t.equal(new Set(backup.codes).size, 5);
  for (const code of backup.codes) {
    t.match(code, /^([0-9A-HJKMNP-TV-Z]{4} ){15}[0-9A-HJKMNP-TV-Z]{4}$/);
    const read = readShareCode(code);
    t.equal(read.threshold, 3);
    t.equal(read.keyTag, Buffer.from(keyId, 'base64url').subarray(0, 2).toString('hex'));
  }
});

t.test('any 3 of the 5 codes rebuild the key; order does not matter', async (t) => {
  const chosen = subsets(5, 3);
  t.equal(chosen.length, 10);
  for (const idx of chosen) {
    const rebuilt = await combineShareCodes(idx.reverse().map((i) => backup.codes[i]!), keyId);
    t.same(rebuilt.privateKey, mechanism.privateKey, `codes ${idx.join(',')}`);
    t.same(rebuilt.publicKey, mechanism.publicKey);
  }
  const four = await combineShareCodes(backup.codes.slice(1), keyId);
  t.same(four.privateKey, mechanism.privateKey, 'more than k works too');
});

t.test('2 codes do not rebuild it: refused before combining, and the raw shares give another key', async (t) => {
  for (const idx of subsets(5, 2)) {
    await t.rejects(combineShareCodes(idx.map((i) => backup.codes[i]!), keyId), { code: 'share_mismatch' });
    const raw = await combine(idx.map((i) => readShareCode(backup.codes[i]!).share));
    t.notSame(raw, mechanism.privateKey, `raw shares ${idx.join(',')} give another value`);
  }
});

t.test('a mistyped code is caught by its checksum; a typed one with lower case, dashes and O/I/L reads', async (t) => {
  const code = backup.codes[0]!;
  const chars = code.replace(/ /g, '');
  for (const at of [0, 5, 31, 63]) {
    const c = chars[at]!;
    const swapped = c === 'A' ? 'B' : 'A';
    const typo = chars.slice(0, at) + swapped + chars.slice(at + 1);
    t.throws(() => readShareCode(typo), { code: 'bad_share_code' }, `a wrong character at ${at}`);
  }
  const transposed = chars[0] === chars[1] ? null : chars[1]! + chars[0]! + chars.slice(2);
  if (transposed) t.throws(() => readShareCode(transposed), { code: 'bad_share_code' }, 'two characters swapped');
  t.throws(() => readShareCode(chars.slice(1)), { code: 'bad_share_code' }, 'a character left out');
  const relaxed = code.toLowerCase().replace(/ /g, '-').replace(/0/g, 'o').replace(/1/g, 'l');
  t.same(readShareCode(relaxed).share, readShareCode(code).share);
  await t.rejects(combineShareCodes([backup.codes[0]!, backup.codes[1]!.replace(/[0-9A-Z]/, (c) => (c === 'A' ? 'B' : 'A')), backup.codes[2]!], keyId), { code: 'bad_share_code' });
});

t.test('codes of another key, of two splits, or the same code twice are refused', async (t) => {
  const other = generateKeyPair();
  const otherSplit = await splitPrivateKey(other.privateKey, 3, 5);
  await t.rejects(combineShareCodes(otherSplit.codes.slice(0, 3), keyId), { code: 'key_id_mismatch' }, 'the shares of another key against the current keyId');
  await t.rejects(combineShareCodes([backup.codes[0]!, backup.codes[1]!, otherSplit.codes[2]!], keyId), { code: 'share_mismatch' });
  await t.rejects(combineShareCodes([backup.codes[0]!, backup.codes[0]!, backup.codes[1]!], keyId), { code: 'share_mismatch' });
  const again = await splitPrivateKey(mechanism.privateKey, 3, 5);
  t.notSame(again.codes, backup.codes, 'each split is new');
  t.same((await combineShareCodes(again.codes.slice(2), keyId)).privateKey, mechanism.privateKey);
  await t.rejects(splitPrivateKey(mechanism.privateKey, 4, 3), { code: 'share_mismatch' });
  await t.rejects(splitPrivateKey(mechanism.privateKey, 1, 3), { code: 'share_mismatch' });
});
