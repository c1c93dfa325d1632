/**
 * Receipts: the only secret a defender holds. They must be uniformly random (a biased digit
 * shortens an attacker's search), survive being retyped on any keyboard, and derive the same
 * keys however they were typed.
 */
import t from 'tap';
import {
  RECEIPT_DIGITS,
  deriveReceiptKeys,
  formatReceipt,
  generateReceipt,
  normaliseReceipt,
  randomBytes,
  ready,
  toB64u,
} from '../../src/sdk/index.js';

await ready();

const RECEIPT_SHAPE = /^\d{4} \d{4} \d{4} \d{4}$/;

/** A random source that hands out the given arrays in turn, and records what was asked. */
function scripted(...calls: number[][]): { source: (n: number) => Uint8Array; asked: number[] } {
  const asked: number[] = [];
  let i = 0;
  return {
    asked,
    source: (n) => {
      asked.push(n);
      const next = calls[i++];
      if (!next) throw new Error(`random source called more often than scripted (${i} times)`);
      return Uint8Array.from(next);
    },
  };
}

t.test('generateReceipt: four groups of four digits', async (t) => {
  t.equal(RECEIPT_DIGITS, 16);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const r = generateReceipt();
    t.match(r, RECEIPT_SHAPE);
    t.equal(formatReceipt(normaliseReceipt(r)), r, 'normalising and formatting give it back');
    seen.add(r);
  }
  t.equal(seen.size, 200, 'no repeats among 200 receipts');
});

t.test('rejection sampling: bytes 250-255 are skipped, the rest give byte % 10', async (t) => {
  const { source, asked } = scripted(
    [255, 250, 3, 249, 13, 0, 99, 250, 251, 252, 253, 254, 255, 100, 1, 2],
    [255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255],
    [47, 58, 69, 250, 70, 81, 92, 103, 114, 125, 136],
  );
  t.equal(generateReceipt(source), '3930 9012 7890 1234');
  t.same(asked, [16, 16, 16], 'asks for another block while digits are missing');
});

t.test('rejection sampling: bytes beyond the 16th digit are not used', async (t) => {
  const { source, asked } = scripted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
  t.equal(generateReceipt(source), '1234 5678 9012 3456');
  t.same(asked, [16]);
});

t.test('rejection sampling: every accepted byte value maps to a digit exactly 25 times', async (t) => {
  // Exhaustive over byte values: this is what makes each digit exactly 1/10 likely. A plain
  // `byte % 10` would give digits 0-5 26 byte values each.
  const perDigit = new Array<number>(10).fill(0);
  let rejected = 0;
  for (let b = 0; b < 256; b++) {
    const { source, asked } = scripted(new Array<number>(16).fill(b), new Array<number>(16).fill(0));
    const digits = normaliseReceipt(generateReceipt(source));
    // A rejected block leaves every digit to the second block.
    if (asked.length === 2) {
      t.equal(digits, '0'.repeat(16), `byte ${b} rejected`);
      rejected++;
    } else {
      t.equal(digits, String(b % 10).repeat(16), `byte ${b}`);
      perDigit[b % 10]!++;
    }
  }
  t.equal(rejected, 6, 'exactly the six bytes 250-255 are rejected');
  t.same(perDigit, new Array<number>(10).fill(25));
});

t.test('generated digits are uniform (20,000 digits, each between 8% and 12%)', async (t) => {
  // Expected 2,000 per digit, standard deviation about 42: the bounds are over 9 sigma away.
  const counts = new Array<number>(10).fill(0);
  const receipts = 20_000 / RECEIPT_DIGITS;
  for (let i = 0; i < receipts; i++) for (const d of normaliseReceipt(generateReceipt())) counts[Number(d)]!++;
  t.equal(counts.reduce((a, b) => a + b, 0), 20_000);
  for (const [digit, n] of counts.entries()) {
    t.ok(n >= 1600 && n <= 2400, `digit ${digit} occurs ${n} times`);
  }
});

t.test('normaliseReceipt: what a person types', async (t) => {
  const digits = '4821093755621048';
  const typed = {
    'no separators': '4821093755621048',
    'spaces': '4821 0937 5562 1048',
    'dashes': '4821-0937-5562-1048',
    'dots': '4821.0937.5562.1048',
    'non-breaking spaces': '4821\u00a00937\u00a05562\u00a01048',
    'narrow non-breaking spaces': '4821\u202f0937\u202f5562\u202f1048',
    'en and em dashes': '4821\u20130937\u20145562\u20101048',
    'full-width digits': '４８２１ ０９３７ ５５６２ １０４８',
    'full-width digits and ideographic space': '４８２１\u3000０９３７\u3000５５６２\u3000１０４８',
    'leading and trailing whitespace, tab, double space': ' \t4821  0937 5562 1048\n',
    'irregular grouping': '48 2109 3755 621048',
  };
  for (const [label, text] of Object.entries(typed)) t.equal(normaliseReceipt(text), digits, label);
  t.equal(formatReceipt('４８２１-0937-5562-1048'), '4821 0937 5562 1048', 'formatReceipt normalises first');
});

t.test('deriveReceiptKeys: the same keys however the receipt is typed, others for another receipt', async (t) => {
  const salt = toB64u(randomBytes(16));
  const receipt = generateReceipt();
  const typed = receipt.replace(/ /g, '\u00a0').replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));
  t.not(typed, receipt);
  const a = deriveReceiptKeys(receipt, salt);
  const b = deriveReceiptKeys(typed, salt);
  t.equal(b.verifier, a.verifier, 'same verifier');
  t.equal(b.keyId, a.keyId, 'same defender key');
  t.same(b.keyPair, a.keyPair);

  const digits = normaliseReceipt(receipt);
  const last = digits.at(-1)!;
  const neighbour = digits.slice(0, -1) + String((Number(last) + 1) % 10);
  const c = deriveReceiptKeys(neighbour, salt);
  t.not(c.verifier, a.verifier, 'one digit changed: another verifier');
  t.not(c.keyId, a.keyId, 'one digit changed: another key pair');
  t.not(a.verifier, toB64u(a.authKey), 'the verifier is not the authKey itself');
});
