/**
 * The level the console shows while an assessment is typed: its module (run here in Node, as
 * the browser runs it) fed the risk model as JSON, the way the catalogues route sends it, gives
 * every level of the shared vectors, the server's level for every input of the default scale,
 * and no level while a rating is still to be chosen.
 */
import t from 'tap';
import { join } from 'node:path';
import fixture from '../fixtures/risk-v1.json' with { type: 'json' };
import { projectRoot } from '../../src/lib/paths.js';
import { loadRiskPolicy } from '../../src/risk/risk-policy.js';
import { computeRisk, type Feasibility, type ThreatKind } from '../../src/sdk/risk/risk-level.js';
import { draftLevel, riskRuleOf, type AssessmentDraft, type RiskCatalogue } from '../../web/console/case/assessment-level.js';

const policy = loadRiskPolicy(join(projectRoot(), 'policies'));
// What getConsoleCatalogues puts on the wire (src/console/console-service.ts), through JSON.
const { rating, levels, thresholdsHundredths, override } = policy;
const wire = JSON.parse(JSON.stringify({ rating, levels, thresholdsHundredths, override })) as RiskCatalogue;
const rule = riskRuleOf(wire);

interface Vector {
  threats: Array<{ rating: number; kind: ThreatKind; feasible: Feasibility; imminent: boolean }>;
  V: number;
  C: number;
  level: string;
  R: number | null;
}

/** The form's state for a vector: what an officer picks in each control. */
const draftOf = (v: Vector): AssessmentDraft => ({
  threats: v.threats.map((x) => ({ kind: x.kind, source: 'unknown', feasible: x.feasible, imminent: x.imminent, rating: x.rating })),
  vulnerability: v.V,
  capacity: v.C,
});

t.test('the console reads the risk model of the catalogues', async (t) => {
  t.ok(rule, 'the shipped model is understood');
  t.equal(riskRuleOf({ ...wire, override: { ...wire.override, level: 'catastrophic' } }), null, 'a level it does not know gives no rule (no level shown rather than a wrong one)');
  const { extreme: _dropped, ...three } = wire.thresholdsHundredths;
  t.equal(riskRuleOf({ ...wire, thresholdsHundredths: three }), null, 'a missing threshold gives no rule');
});

t.test('every shared vector gets its level (and R) in the console', async (t) => {
  const vectors = fixture.cases as Vector[];
  t.ok(vectors.length >= 13, `${vectors.length} vectors`);
  for (const v of vectors) {
    const shown = draftLevel(draftOf(v), rule!);
    t.equal(shown?.level, v.level, `${JSON.stringify(v.threats)} V${v.V} C${v.C}: ${v.level}`);
    t.equal(shown?.R ?? null, v.R, `R = ${v.R}`);
  }
});

t.test('the console and the server agree on every input of the default scale', async (t) => {
  let compared = 0;
  for (let T = 1; T <= 5; T++)
    for (let V = 1; V <= 5; V++)
      for (let C = 1; C <= 5; C++)
        for (const kind of ['declared', 'possible'] as const)
          for (const feasible of ['yes', 'no', 'unknown'] as const)
            for (const imminent of [true, false]) {
              const threats = [{ rating: T, kind, feasible, imminent }];
              const server = computeRisk({ threats, vulnerability: V, capacity: C }, policy);
              const shown = draftLevel({ threats: threats.map((x) => ({ ...x, source: 'unknown' })), vulnerability: V, capacity: C }, rule!);
              if (shown?.level !== server.level || shown.urgent !== server.urgent || shown.override !== server.override) t.fail(`T${T} V${V} C${C} ${kind} ${feasible} ${imminent}`);
              compared++;
            }
  t.equal(compared, 5 * 5 * 5 * 2 * 3 * 2, 'every combination compared');
});

t.test('no level while a rating is still to be chosen', async (t) => {
  const complete = draftOf((fixture.cases as Vector[])[3]!);
  t.equal(draftLevel({ ...complete, vulnerability: null }, rule!), null, 'V missing');
  t.equal(draftLevel({ ...complete, capacity: null }, rule!), null, 'C missing');
  t.equal(draftLevel({ ...complete, threats: [{ ...complete.threats[0]!, rating: null }] }, rule!), null, 'a threat rating missing');
  t.equal(draftLevel({ ...complete, vulnerability: 9 }, rule!), null, 'a rating off the scale shows no level');
  t.equal(draftLevel({ threats: [], vulnerability: 5, capacity: 1 }, rule!)?.level, 'low', 'no threat, no risk');
});
