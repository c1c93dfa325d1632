/**
 * policies/statistics.yaml is checked at start: every threat type and defender category of the
 * intake maps to SDG 16.10.1, no kept crossing is a refused one, the report's tables are kept
 * crossings, the SDG tables' crossings are there. The shipped file passes.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadIntakePolicy } from '../../src/intake/intake-policy.js';
import { parseStatisticsPolicy } from '../../src/stats/statistics-policy.js';
import { projectRoot } from '../../src/lib/paths.js';

const dir = join(projectRoot(), 'policies');
const intake = loadIntakePolicy(dir);
const shipped = parse(readFileSync(join(dir, 'statistics.yaml'), 'utf8')) as Record<string, any>;
const check = (raw: unknown) => parseStatisticsPolicy(raw, 'statistics.yaml', { intake });
const edit = (change: (p: Record<string, any>) => void) => {
  const p = structuredClone(shipped);
  change(p);
  return p;
};

t.test('the shipped policy passes and answers what it refuses', async (t) => {
  const p = check(shipped);
  t.equal(p.disclosure.threshold, 5);
  t.ok(p.refuses(['region', 'gender']), 'region x gender is refused');
  t.ok(p.refuses(['defender_category', 'region']), 'in either order');
  t.notOk(p.refuses(['region', 'violation']));
  t.same(p.crossingOf('perpetrator', 'violation'), ['violation', 'perpetrator'], 'a kept crossing in the other order');
  t.equal(p.crossingOf('urgency', 'gender'), undefined);
});

t.test('what the start refuses', async (t) => {
  t.throws(() => check(edit((p) => delete p.sdg16101.violations.abduction)), /threat type abduction .* is not mapped/);
  t.throws(() => check(edit((p) => delete p.sdg16101.populationGroups.journalist)), /defender category journalist .* is not mapped/);
  t.throws(() => check(edit((p) => (p.sdg16101.violations.teleportation = 'killing'))), /teleportation is not a threat type/);
  t.throws(() => check(edit((p) => p.crossings.push(['region', 'gender']))), /region x gender is a refused crossing/);
  t.throws(() => check(edit((p) => p.report.ofYear.push(['urgency', 'gender']))), /urgency x gender is not one of the crossings/);
  t.throws(() => check(edit((p) => (p.crossings = p.crossings.filter((c: string[]) => c[1] !== 'sdg_sex')))), /sdg_violation x sdg_sex is needed/);
  t.throws(() => check(edit((p) => p.crossings.push(['violation', 'perpetrator']))), /appears twice/);
  t.throws(() => check(edit((p) => p.crossings.push(['postcode', 'region']))), /invalid/);
  t.throws(() => check(edit((p) => (p.disclosure.threshold = 0))), /invalid/);
});
