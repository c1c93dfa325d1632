/**
 * The blind index of the SDK against vectors an independent implementation computed
 * (test/fixtures/blind-index-v1.py: Python's unicodedata and keyed BLAKE2b), and the padding and
 * staff keyring entry around it.
 */
import t from 'tap';
import {
  fromB64u,
  generateKeyPair,
  generateSearchKey,
  keyIdOf,
  normalise,
  normalisePhone,
  openSearchKeyEntry,
  padTokens,
  queryTokens,
  ready,
  sealSearchKeyEntry,
  searchToken,
  searchTokens,
  type SearchTokenKind,
} from '../../src/sdk/index.js';
import vectors from '../fixtures/blind-index-v1.json' with { type: 'json' };

await ready();

const key = fromB64u(vectors.searchKey);
const phoneOptions = { countryCode: vectors.countryCode, nationalDigits: vectors.nationalDigits };

t.test('normalise: NFKD, marks removed, lower case, non-letters to one space, trimmed (French, Bambara, Arabic)', async (t) => {
  t.ok(vectors.normalise.length >= 15);
  for (const v of vectors.normalise) t.equal(normalise(v.input), v.normalised, JSON.stringify(v.input));
});

t.test('phones: +, 00, a leading 0, the country code without +, separators, full-width digits, and what is no phone', async (t) => {
  for (const v of vectors.phone) t.equal(normalisePhone(v.input, phoneOptions), v.digits, JSON.stringify(v.input));
  t.equal(normalisePhone('76 12 34 56'), '22376123456', 'Mali (223) is the default country code');
  t.equal(normalisePhone('06 12 34 56 78', { countryCode: '33', nationalDigits: 9 }), '33612345678', "another deployment's trunk 0");
});

t.test('one token: keyed BLAKE2b-128 of egide/v1/search/<kind>/<value>', async (t) => {
  for (const v of vectors.token) {
    const k = 'key' in v && typeof v.key === 'string' ? fromB64u(v.key) : key;
    t.equal(searchToken(k, v.kind as SearchTokenKind, v.value), v.token, `${v.kind}/${v.value}`);
  }
  t.throws(() => searchToken(new Uint8Array(16), 'name', 'x'), { code: 'bad_key_size' });
});

t.test("a case's tokens: name, phones, then each word of two letters or more, each once", async (t) => {
  for (const v of vectors.caseTokens) t.same(searchTokens(key, { name: v.name, phones: v.phones }, phoneOptions), v.tokens, v.name || '(no name)');
});

t.test('the tokens of what was typed', async (t) => {
  for (const v of vectors.queryTokens) t.same(queryTokens(key, v.typed, phoneOptions), v.tokens, JSON.stringify(v.typed));
  const stored = new Set(searchTokens(key, { name: 'Aminata Traoré', phones: ['+223 76 12 34 56'] }));
  for (const typed of ['traore aminata', 'AMINATA', 'Traoré', '0022376123456', '76-12-34-56']) {
    t.ok(queryTokens(key, typed).some((q) => stored.has(q)), `${typed} finds the case`);
  }
  t.notOk(queryTokens(key, 'Fatoumata').some((q) => stored.has(q)), 'another name does not');
});

t.test('padTokens: exactly the count, real tokens kept, random ones added, sorted; overflow keeps the most specific', async (t) => {
  const real = searchTokens(key, { name: 'Aminata Traoré', phones: ['76 12 34 56'] });
  const padded = padTokens(real, 12);
  t.equal(padded.length, 12);
  t.same([...padded].sort(), padded, 'sorted: the position says nothing of the kind');
  for (const r of real) t.ok(padded.includes(r));
  for (const p of padded) t.equal(fromB64u(p).length, 16);
  const again = padTokens(real, 12);
  t.notSame(again, padded, 'the padding is random');
  t.equal(padTokens(real).length, 12, 'the default count is 12');

  const long = vectors.caseTokens.find((c) => c.tokens.length > 12)!;
  const kept = padTokens(long.tokens, 12);
  t.equal(kept.length, 12, 'never more than the count');
  t.same([...kept].sort(), [...long.tokens.slice(0, 12)].sort(), 'the first 12: name, phone, then the first words');
  t.throws(() => padTokens(real, 0), { code: 'bad_length' });
});

t.test('the staff keyring entry: the search key sealed to a member, opened by that member only', async (t) => {
  const member = generateKeyPair();
  const other = generateKeyPair();
  const searchKey = generateSearchKey();
  t.equal(searchKey.length, 32);
  const entry = sealSearchKeyEntry(searchKey, member.publicKey);
  t.equal(entry.memberKeyId, keyIdOf(member.publicKey));
  t.match(entry.entry, /^v1\.[A-Za-z0-9_-]{107}$/);
  t.same(openSearchKeyEntry(entry, member), searchKey);
  t.same(openSearchKeyEntry(entry.entry, member), searchKey);
  t.throws(() => openSearchKeyEntry(entry, other), { code: 'key_id_mismatch' });
  t.throws(() => openSearchKeyEntry(entry.entry, other), { code: 'decrypt_failed' });
});
