/**
 * How the statistics screen lays out a table of the API, without a browser: one series as codes
 * by every period of the range (zeros included, codes in the catalogue's order, codes the
 * catalogue does not list after them by label, codes never counted left out), two codes summed
 * over the range, margins that add up, and a chart folded to its biggest lines with the rest
 * summed as "other".
 */
import t from 'tap';
import { byPeriod, crossed, fold, isTwoWay, rowLines } from '../../web/console/stats/series-pivot.js';

const label = (code: string) => code.toUpperCase();

t.test('one series: codes by period, in the catalogue order, with margins', async (t) => {
  const table = {
    periods: ['2026-Q1', '2026-Q2', '2026-Q3'],
    cells: [
      { period: '2026-Q1', a: 'kidal', b: '', n: 3 },
      { period: '2026-Q1', a: 'bamako', b: '', n: 1 },
      { period: '2026-Q2', a: 'gao', b: '', n: 2 },
      { period: '2026-Q2', a: 'zz_unlisted', b: '', n: 1 },
      { period: '2026-Q2', a: 'aa_unlisted', b: '', n: 4 },
    ],
  };
  t.notOk(isTwoWay(table.cells));
  const g = byPeriod(table, label, ['bamako', 'gao', 'kidal', 'mopti'], (p) => `[${p}]`);
  t.same(g.rows.map((r) => r.code), ['bamako', 'gao', 'kidal', 'aa_unlisted', 'zz_unlisted'], 'listed codes first, in order; others by label; none never counted');
  t.same(g.columns.map((c) => c.label), ['[2026-Q1]', '[2026-Q2]', '[2026-Q3]'], 'every period, an empty one too');
  t.same(g.values[2], [3, 0, 0]);
  t.same(g.rowTotals, [1, 2, 3, 4, 1]);
  t.same(g.columnTotals, [4, 7, 0]);
  t.equal(g.total, 11);
});

t.test('two codes: summed over the range', async (t) => {
  const cells = [
    { period: '2026-Q1', a: 'arbitrary_arrest', b: 'police', n: 2 },
    { period: '2026-Q2', a: 'arbitrary_arrest', b: 'police', n: 1 },
    { period: '2026-Q2', a: 'abduction', b: 'armed_group', n: 3 },
    { period: '2026-Q2', a: 'abduction', b: 'police', n: 0 },
  ];
  t.ok(isTwoWay(cells));
  const g = crossed({ cells }, label, ['abduction', 'arbitrary_arrest'], label, ['armed_group', 'police']);
  t.same(g.rows.map((r) => r.label), ['ABDUCTION', 'ARBITRARY_ARREST']);
  t.same(g.values, [
    [3, 0],
    [0, 3],
  ]);
  t.same(g.columnTotals, [3, 3]);
  t.equal(g.total, 6);
});

t.test('a chart keeps the biggest lines and sums the others as one', async (t) => {
  const lines = Array.from({ length: 12 }, (_x, i) => ({ label: `c${i}`, values: [i, 1] }));
  const folded = fold(lines, 8, 'other');
  t.equal(folded.length, 9);
  t.same(folded.slice(0, 8).map((l) => l.label), ['c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10', 'c11'], 'the eight biggest, in their order');
  t.same(folded[8], { label: 'other', values: [0 + 1 + 2 + 3, 4], other: true }, 'the rest summed');
  t.equal(fold(lines.slice(0, 9), 8, 'other').length, 9, 'one more line than the limit is drawn as is, not as "other"');
  t.same(rowLines({ rows: [{ code: 'a', label: 'A' }], columns: [], values: [[1, 2]], rowTotals: [3], columnTotals: [], total: 3 }), [{ label: 'A', values: [1, 2] }]);
});
