/**
 * The risk level (workflow.md, "Risk assessment"): the shared vectors, every T x V x C of the
 * default scale against thresholds written out independently, the monotonicity a defender relies
 * on (more threat never means less protection), and the refusal of broken policy files.
 */
import t, { type Test } from 'tap';
import fc, { type IProperty } from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import fixture from '../fixtures/risk-v1.json' with { type: 'json' };
import { PolicyError } from '../../src/access/policy.js';
import { projectRoot } from '../../src/lib/paths.js';
import { computeRisk, type RiskInput, type ThreatInput } from '../../src/sdk/risk/risk-level.js';
import { RISK_LEVELS, type RiskLevel } from '../../src/contracts/shared.js';
import { loadRiskPolicy, parseRiskPolicy } from '../../src/risk/risk-policy.js';

const policiesDir = join(projectRoot(), 'policies');
const policy = loadRiskPolicy(policiesDir);

/** A fresh, mutable copy of the shipped file, for building broken variants. */
function shippedRaw(): Record<string, any> {
  return parse(readFileSync(join(policiesDir, 'risk.yaml'), 'utf8')) as Record<string, any>;
}

const rank = (level: RiskLevel): number => RISK_LEVELS.indexOf(level);

function check<Ts>(t: Test, name: string, prop: IProperty<Ts>, numRuns = 500): void {
  const r = fc.check(prop, { numRuns });
  t.notOk(r.failed, fc.defaultReportMessage(r) ?? name);
}

const rating = fc.integer({ min: 1, max: 5 });
const threat: fc.Arbitrary<ThreatInput> = fc.record({
  rating,
  kind: fc.constantFrom('declared' as const, 'possible' as const),
  feasible: fc.constantFrom('yes' as const, 'no' as const, 'unknown' as const),
  imminent: fc.boolean(),
});
const input: fc.Arbitrary<RiskInput> = fc.record({ threats: fc.array(threat, { maxLength: 6 }), vulnerability: rating, capacity: rating });
const isOverride = (th: ThreatInput): boolean => th.kind === 'declared' && th.feasible === 'yes' && th.imminent;

t.test('the shipped policy carries the defaults of workflow.md', async (t) => {
  t.same(
    RISK_LEVELS.map((l) => policy.levels[l].from),
    [0, 2, 6, 12],
    'thresholds low 0, medium 2, high 6, extreme 12',
  );
  t.same(policy.rating, { min: 1, max: 5 }, 'ratings 1-5');
  t.equal(policy.levels.extreme.checkInHours, 12, 'check-in every 12 h when extreme');
  t.equal(policy.levels.high.checkInHours, 24, 'check-in every 24 h when high');
  t.same(RISK_LEVELS.filter((l) => policy.levels[l].urgentTrack), ['extreme'], 'only extreme drives the urgent track');
  t.same(policy.override, { kind: 'declared', feasible: 'yes', imminent: true, level: 'extreme', urgent: true }, 'the override rule');
  for (const code of ['state_actor', 'armed_group', 'criminal_group', 'community', 'employer', 'unknown']) {
    t.ok(policy.threatSources.some((s) => s.code === code), `threat source ${code}`);
  }
  for (const code of ['exposed_location', 'no_secure_communications', 'no_legal_support', 'family_exposed', 'high_visibility', 'gender_specific_risk', 'disability']) {
    t.ok(policy.vulnerabilityFactors.some((s) => s.code === code), `vulnerability factor ${code}`);
  }
  for (const code of ['security_training', 'support_network', 'secure_communications', 'legal_support', 'safe_transport']) {
    t.ok(policy.capacityFactors.some((s) => s.code === code), `capacity factor ${code}`);
  }
});

t.test('every vector of risk-v1.json', async (t) => {
  t.ok(fixture.cases.length >= 13, 'the fixture is not empty');
  for (const c of fixture.cases) {
    const threats = c.threats as ThreatInput[];
    const got = computeRisk({ threats, vulnerability: c.V, capacity: c.C }, policy);
    const label = `${JSON.stringify(threats.map((th) => th.rating))} V${c.V} C${c.C}`;
    t.equal(got.level, c.level, `${label}: level`);
    t.equal(got.R, c.R, `${label}: R`);
    t.equal(got.T, threats.length === 0 ? null : Math.max(...threats.map((th) => th.rating)), `${label}: T`);
    t.equal(got.override, threats.some(isOverride), `${label}: override`);
    t.equal(got.urgent, c.level === 'extreme', `${label}: urgent exactly when extreme`);
  }
});

t.test('all 125 T x V x C against the thresholds written out in whole numbers', async (t) => {
  // Independent oracle: R >= k  <=>  T*V >= k*C, with the thresholds of workflow.md typed in.
  const oracle = (T: number, V: number, C: number): RiskLevel =>
    T * V >= 12 * C ? 'extreme' : T * V >= 6 * C ? 'high' : T * V >= 2 * C ? 'medium' : 'low';
  let mismatches = 0;
  let onBoundary = 0;
  for (let T = 1; T <= 5; T++) {
    for (let V = 1; V <= 5; V++) {
      for (let C = 1; C <= 5; C++) {
        const got = computeRisk({ threats: [{ rating: T, kind: 'possible', feasible: 'unknown', imminent: false }], vulnerability: V, capacity: C }, policy);
        if (got.level !== oracle(T, V, C)) mismatches++;
        if ([2, 6, 12].some((k) => T * V === k * C)) onBoundary++;
      }
    }
  }
  t.equal(mismatches, 0, 'no combination is misjudged');
  t.ok(onBoundary > 0, 'the grid includes risks exactly on a threshold');
});

t.test('a threshold with decimals is exact on its boundary', async (t) => {
  const raw = shippedRaw();
  raw['levels'].medium.from = 2.5;
  const p = parseRiskPolicy(raw);
  const at = (T: number, V: number, C: number) => computeRisk({ threats: [{ rating: T, kind: 'possible', feasible: 'no', imminent: false }], vulnerability: V, capacity: C }, p).level;
  t.equal(at(5, 1, 2), 'medium', 'R = 2.5 exactly is medium');
  t.equal(at(4, 3, 5), 'low', 'R = 2.4 is low');
});

t.test('properties', async (t) => {
  check(t, 'adding a threat never lowers the level', fc.property(input, threat, (i, extra) =>
    rank(computeRisk({ ...i, threats: [...i.threats, extra] }, policy).level) >= rank(computeRisk(i, policy).level)));
  check(t, 'raising V never lowers the level', fc.property(input, rating, rating, (i, a, b) => {
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    return rank(computeRisk({ ...i, vulnerability: hi }, policy).level) >= rank(computeRisk({ ...i, vulnerability: lo }, policy).level);
  }));
  check(t, 'raising C never raises the level', fc.property(input, rating, rating, (i, a, b) => {
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    return rank(computeRisk({ ...i, capacity: hi }, policy).level) <= rank(computeRisk({ ...i, capacity: lo }, policy).level);
  }));
  check(t, 'a declared, feasible, imminent threat always gives extreme and urgent', fc.property(input, rating, fc.nat(), (i, r, at) => {
    const threats = [...i.threats];
    threats.splice(at % (threats.length + 1), 0, { rating: r, kind: 'declared', feasible: 'yes', imminent: true });
    const got = computeRisk({ ...i, threats }, policy);
    return got.level === 'extreme' && got.urgent && got.override;
  }));
  check(t, 'without such a threat there is no override and urgent means extreme', fc.property(input, (i) => {
    const threats = i.threats.filter((th) => !isOverride(th));
    const got = computeRisk({ ...i, threats }, policy);
    return !got.override && got.urgent === (got.level === 'extreme');
  }));
  check(t, 'no threat is always low with no R', fc.property(rating, rating, (V, C) => {
    const got = computeRisk({ threats: [], vulnerability: V, capacity: C }, policy);
    return got.level === 'low' && got.R === null && got.T === null;
  }));
});

t.test('ratings outside the scale are refused, not clamped', async (t) => {
  const one: ThreatInput = { rating: 3, kind: 'possible', feasible: 'no', imminent: false };
  t.throws(() => computeRisk({ threats: [one], vulnerability: 0, capacity: 3 }, policy), RangeError, 'V = 0');
  t.throws(() => computeRisk({ threats: [one], vulnerability: 3, capacity: 6 }, policy), RangeError, 'C = 6');
  t.throws(() => computeRisk({ threats: [{ ...one, rating: 2.5 }], vulnerability: 3, capacity: 3 }, policy), /threats\[0\]\.rating/, 'a fractional threat rating');
});

t.test('broken policy files are refused, naming the problem', async (t) => {
  const refuse = (t: Test, mutate: (raw: Record<string, any>) => void, pattern: RegExp, name: string): void => {
    const raw = shippedRaw();
    mutate(raw);
    try {
      parseRiskPolicy(raw, 'risk.yaml');
      t.fail(`${name}: accepted`);
    } catch (err) {
      t.ok(err instanceof PolicyError, `${name}: a PolicyError`);
      t.match((err as Error).message, pattern, `${name}: message names it`);
    }
  };
  refuse(t, (r) => { r['levels'].high.from = 1; }, /\/levels\/high\/from.*rise strictly/, 'high below medium');
  refuse(t, (r) => { r['levels'].extreme.from = 6; }, /\/levels\/extreme\/from/, 'extreme equal to high');
  refuse(t, (r) => { r['levels'].low.from = 1; }, /\/levels\/low\/from must be 0/, 'low not starting at 0');
  refuse(t, (r) => { r['levels'].medium.from = 2.555; }, /\/levels\/medium\/from.*two decimals/, 'three decimals');
  refuse(t, (r) => { r['levels'].high.checkinHours = 24; }, /\/levels\/high\/checkinHours: unknown key "checkinHours"/, 'misspelt key');
  refuse(t, (r) => { r['thresholds'] = { medium: 2 }; }, /\/thresholds: unknown key/, 'unknown top-level key');
  refuse(t, (r) => { r['levels'].severe = r['levels'].extreme; }, /\/levels\/severe: unknown key/, 'unknown level');
  refuse(t, (r) => { delete r['levels'].medium; }, /\/levels/, 'missing level');
  refuse(t, (r) => { r['threatSources'].push({ code: 'employer', label: { fr: 'Patron', en: 'Boss' } }); }, /\/threatSources\/\d+\/code: code "employer" appears twice/, 'duplicate threat source');
  refuse(t, (r) => { r['capacityFactors'][1].code = r['capacityFactors'][0].code; }, /\/capacityFactors\/1\/code/, 'duplicate capacity factor');
  refuse(t, (r) => { r['vulnerabilityFactors'][0].label = { fr: 'Exposé' }; }, /\/vulnerabilityFactors\/0\/label/, 'missing English label');
  refuse(t, (r) => { r['rating'] = { min: 0, max: 5 }; }, /\/rating\/min/, 'a scale starting at 0 (C divides)');
  refuse(t, (r) => { r['rating'] = { min: 5, max: 5 }; }, /\/rating: min/, 'an empty scale');
  refuse(t, (r) => { r['override'].feasible = true; }, /\/override\/feasible/, 'feasible as a boolean instead of "yes"');
});

t.test('loadRiskPolicy names the file it cannot read', async (t) => {
  t.throws(() => loadRiskPolicy('/nonexistent-dir'), { name: 'PolicyError', message: /nonexistent-dir\/risk\.yaml/ });
});
