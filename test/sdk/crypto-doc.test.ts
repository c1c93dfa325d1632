/**
 * docs/crypto-v1.md is what a third party writes a compatible client from: its examples must be
 * the vectors, exactly, and it must name every sealed field's AD builder and every error code the
 * SDK has. A new AD, a regenerated vector or a new error that the page does not follow fails here.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import * as sdk from '../../src/sdk/index.js';
import { fromB64u, ready, recoveryKeyOf, wrapPrivateKey } from '../../src/sdk/index.js';
import v2 from '../fixtures/crypto-v2.json' with { type: 'json' };
import { docBlocks, docBlocksIn } from '../helpers/crypto-v2-vectors.js';
import { SEALED_JSON_BYTES, sealedFieldMaxLength } from '../../src/lib/schemas.js';
import { vectors as v1 } from '../helpers/vectors.js';

await ready();

const doc = await readFile(new URL('../../docs/crypto-v1.md', import.meta.url), 'utf8');
const section = (heading: string) => {
  const start = doc.indexOf(heading);
  if (start < 0) throw new Error(`no section ${heading}`);
  const next = doc.indexOf('\n## ', start + heading.length);
  return doc.slice(start, next < 0 ? undefined : next);
};

t.test('every quoted block is exactly what the vectors render', async (t) => {
  const expected = docBlocks(v2.vectors);
  const held = docBlocksIn(doc);
  t.same(Object.keys(held).sort(), Object.keys(expected).sort(), 'the document holds each block once');
  for (const [name, block] of Object.entries(expected)) t.equal(held[name], block, `block ${name} (npx tsx test/helpers/crypto-v2-vectors.ts --doc rewrites it)`);
});

t.test('every ciphertext, envelope, wrap and challenge the page shows is a vector (or is recomputed here)', async (t) => {
  const fixtures = JSON.stringify(v1) + JSON.stringify(v2);
  // §6.3: the recovery wrap of password[0]'s key under the code of the bytes 00..1f, with a zero nonce.
  const recovery = wrapPrivateKey(fromB64u(v1.password[0]!.privateKey), recoveryKeyOf('000G-40R4-0M30-E209-185G-R38E-1W81-24GK-2GAH-C5RR-34D1-P70X-3RFG'), new Uint8Array(24));
  const shown = [...doc.matchAll(/\bv[12]\.[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+)?/g)].map((m) => m[0]);
  t.ok(shown.length >= 25, `${shown.length} values shown`);
  for (const value of new Set(shown)) t.ok(fixtures.includes(value) || value === recovery, value.slice(0, 40));
  t.ok(shown.includes(recovery), 'the recovery wrap example is the one computed here');
});

t.test('the table of sealed fields names every AD builder of the SDK', async (t) => {
  const table = section('### 3.6 Every sealed field');
  const builders = Object.keys(sdk).filter((name) => name.endsWith('Ad'));
  t.ok(builders.length >= 8);
  for (const b of builders) t.ok(table.includes(`(\`${b}\`)`), b);
  // Each AD of the table, its <placeholders> read as one AD part, matches the vector of its kind.
  const templates = [...table.matchAll(/`(egide\/v1\/[^`]+)`/g)].map((m) => m[1]!);
  const matcher = (template: string) => new RegExp(`^${template.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/<[A-Za-z]+>/g, '[A-Za-z0-9_.:-]{1,128}')}$`);
  for (const v of v2.vectors.sealedFieldV2.filter((x) => x.quoted)) {
    t.ok(templates.some((template) => matcher(template).test(v.ad)), `${v.name}: ${v.ad}`);
  }
});

t.test('the error table names every code of CryptoError', async (t) => {
  const source = await readFile(new URL('../../src/sdk/crypto/errors.ts', import.meta.url), 'utf8');
  const codes = [...source.matchAll(/\| '([a-z_]+)'/g)].map((m) => m[1]!);
  t.ok(codes.includes('bad_padding'));
  const table = section('## 12. Errors');
  for (const code of codes) t.ok(table.includes(`| \`${code}\` |`), code);
});

t.test('the sender format and the recovery challenge are spelled out', async (t) => {
  const senders = section('## 3. Sealed fields');
  t.match(senders, /`u:<userId>`/);
  t.match(senders, /`d:<caseId>`/);
  const staff = v2.vectors.sealedFieldV2.find((v) => v.name === 'message body from staff')!;
  const defender = v2.vectors.sealedFieldV2.find((v) => v.name === 'message body from the defender')!;
  t.match(staff.args[1], /^u:/);
  t.match(defender.args[1], /^d:/);
  const recovery = section('## 6. Recovery codes');
  t.match(recovery, /challenge = "v1\." \+ b64u\(crypto_box_seal\(secret, accountPublicKey\)\)/);
  t.match(recovery, /answer = b64u\(secret\)/);
});

t.test('the limits the page states are those of the API', async (t) => {
  const table = section('## 3. Sealed fields');
  const n = (x: number) => x.toLocaleString('en');
  t.ok(table.includes(`${n(SEALED_JSON_BYTES.caseField)} bytes of JSON for case fields`), 'case fields');
  t.ok(table.includes(`${n(SEALED_JSON_BYTES.text)} bytes for every other kind`), 'other kinds');
  t.ok(table.includes(`${n(sealedFieldMaxLength(SEALED_JSON_BYTES.caseField))} characters for ${n(SEALED_JSON_BYTES.caseField)} bytes`), 'the length in characters');
});
