/**
 * Reports the size of an annual one (30 tables of 20 regions by 3 to 5 columns, with margins):
 * `protect` publishes no small count and leaves no suppressed cell that the exact audit finds
 * narrower than the minimum range. The time is printed, not asserted (docs/statistics-disclosure.md
 * gives the figures measured).
 */
import t, { type Test } from 'tap';
import { auditIntervals, protect, type DisclosurePolicy, type LinkedCells } from '../../src/stats/disclosure/index.js';
import { annualReport, periodReport, seeded, type ReportSizes } from './disclosure-tables.js';

const POLICY: DisclosurePolicy = { threshold: 5, minimumRange: 1 };

async function protectsWholly(t: Test, name: string, cells: LinkedCells): Promise<void> {
  const started = performance.now();
  const status = await protect(cells, POLICY);
  const took = performance.now() - started;
  const small = [...cells.values].filter(([, v]) => v >= 1 && v < POLICY.threshold);
  t.ok(small.length >= 30, `${name}: ${small.length} small counts to protect`);
  t.same(small.filter(([key]) => status.get(key) !== 'below_threshold'), [], `${name}: no small count published`);
  const audit = await auditIntervals(cells, status, POLICY);
  const suppressed = [...status].filter(([, s]) => s !== 'published').length;
  t.equal(audit.size, suppressed, `${name}: every suppressed cell audited`);
  t.same([...audit].filter(([, i]) => i.max - i.min < POLICY.minimumRange), [], `${name}: no suppressed cell exposed`);
  t.comment(`${name}: ${cells.values.size} cells, ${small.length} small, ${suppressed - small.length} complements, protected in ${Math.round(took)} ms`);
}

// Few small regions: the report has a few dozen small counts.
const LIGHT: ReportSizes = { smallRegions: [40, 47], largeRegions: [60, 80], minShare: 0.8 };
const HEAVY: ReportSizes = { smallRegions: [20, 27], largeRegions: [30, 80], minShare: 0.8 };

t.test('a year and its quarters, linked cell by cell, are protected as a whole', async (t) => {
  await protectsWholly(t, 'year and quarters', annualReport(seeded(3), LIGHT));
});

t.test('thirty breakdowns of one period sharing their margins are protected as a whole', async (t) => {
  await protectsWholly(t, 'one period', periodReport(seeded(2), HEAVY));
});
