import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { PolicyError, formatSchemaErrors, loadPolicyFile } from '../access/policy.js';
import type { IntakePolicy } from '../intake/intake-policy.js';
import { CASE_DIMENSIONS, type CaseDimension } from './case-dimensions.js';
import { checkDisclosurePolicy } from './disclosure/index.js';

const Code = Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' });
const Dimension = Type.Unsafe<CaseDimension>(Type.Union(CASE_DIMENSIONS.map((d) => Type.Literal(d))));
const Labels = Type.Object({ fr: Type.String({ minLength: 1, maxLength: 120 }), en: Type.String({ minLength: 1, maxLength: 120 }) }, { additionalProperties: false });
const Pair = Type.Tuple([Dimension, Dimension]);

export const SDG_VIOLATIONS = ['killing', 'kidnapping', 'enforced_disappearance', 'arbitrary_detention', 'torture', 'other_harmful_acts'] as const;
export const SDG_GROUPS = ['journalists_media_workers', 'trade_unionists', 'human_rights_defenders'] as const;

const StatisticsPolicySchema = Type.Object(
  {
    version: Type.Literal(1),
    disclosure: Type.Object(
      { threshold: Type.Integer({ minimum: 1, maximum: 100 }), minimumRange: Type.Integer({ minimum: 1, maximum: 50 }), hideZeros: Type.Boolean() },
      { additionalProperties: false },
    ),
    crossings: Type.Array(Pair, { maxItems: 40 }),
    refusedCrossings: Type.Array(
      Type.Object({ all: Type.Array(Dimension, { minItems: 1 }), any: Type.Array(Dimension, { minItems: 1 }) }, { additionalProperties: false }),
      { maxItems: 20 },
    ),
    sdg16101: Type.Object(
      {
        violations: Type.Record(Code, Type.Unsafe<(typeof SDG_VIOLATIONS)[number]>(Type.Union(SDG_VIOLATIONS.map((v) => Type.Literal(v))))),
        populationGroups: Type.Record(Code, Type.Unsafe<(typeof SDG_GROUPS)[number]>(Type.Union(SDG_GROUPS.map((g) => Type.Literal(g))))),
        labels: Type.Record(Code, Labels),
      },
      { additionalProperties: false },
    ),
    report: Type.Object(
      { byQuarter: Type.Array(Dimension, { minItems: 1, maxItems: 30 }), ofYear: Type.Array(Pair, { maxItems: 30 }) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

type StatisticsPolicyFile = Static<typeof StatisticsPolicySchema>;
export type Crossing = readonly [CaseDimension, CaseDimension];

/** policies/statistics.yaml, checked against the intake lists it maps. */
export interface StatisticsPolicy extends StatisticsPolicyFile {
  /** Whether a set of dimensions may be crossed at all (refusedCrossings). */
  refuses(dimensions: readonly CaseDimension[]): boolean;
  /** Whether the roll-ups keep this pair (in either order). */
  crossingOf(a: CaseDimension, b: CaseDimension): Crossing | undefined;
}

export function parseStatisticsPolicy(raw: unknown, source: string, context: { intake: IntakePolicy }): StatisticsPolicy {
  const errors = Value.Errors(StatisticsPolicySchema, raw);
  if (errors.length > 0) throw new PolicyError(`${source} is invalid:\n${formatSchemaErrors(errors)}`);
  const file = raw as StatisticsPolicyFile;
  const problems: string[] = [];
  const refuses = (dims: readonly string[]) => file.refusedCrossings.some((r) => r.all.every((d) => dims.includes(d)) && r.any.some((d) => dims.includes(d)));
  const crossingOf = (a: CaseDimension, b: CaseDimension): Crossing | undefined => file.crossings.find(([x, y]) => (x === a && y === b) || (x === b && y === a));
  const seen = new Set<string>();
  for (const [a, b] of file.crossings) {
    if (a === b) problems.push(`crossings: ${a} with itself`);
    const key = [a, b].sort().join(':');
    if (seen.has(key)) problems.push(`crossings: ${a} x ${b} appears twice`);
    seen.add(key);
    if (refuses([a, b])) problems.push(`crossings: ${a} x ${b} is a refused crossing (refusedCrossings)`);
  }
  for (const [a, b] of file.report.ofYear) if (!crossingOf(a, b)) problems.push(`report.ofYear: ${a} x ${b} is not one of the crossings`);
  // The SDG 16.10.1 tables of the annual report.
  for (const b of ['sdg_group', 'sdg_sex'] as const) if (!crossingOf('sdg_violation', b)) problems.push(`crossings: sdg_violation x ${b} is needed for the SDG 16.10.1 tables`);
  // Every code a filing may use must map, or a verified case would silently fall out of the indicator.
  for (const t of context.intake.lists.threatType) if (!file.sdg16101.violations[t.code]) problems.push(`sdg16101.violations: threat type ${t.code} (intake.yaml) is not mapped`);
  for (const c of context.intake.lists.defenderCategory) if (!file.sdg16101.populationGroups[c.code]) problems.push(`sdg16101.populationGroups: defender category ${c.code} (intake.yaml) is not mapped`);
  for (const code of Object.keys(file.sdg16101.violations)) if (!context.intake.has('threatType', code)) problems.push(`sdg16101.violations: ${code} is not a threat type of intake.yaml`);
  for (const code of Object.keys(file.sdg16101.populationGroups)) if (!context.intake.has('defenderCategory', code)) problems.push(`sdg16101.populationGroups: ${code} is not a defender category of intake.yaml`);
  for (const code of [...SDG_VIOLATIONS, ...SDG_GROUPS]) if (!file.sdg16101.labels[code]) problems.push(`sdg16101.labels: ${code} has no label`);
  try {
    checkDisclosurePolicy(file.disclosure);
  } catch (err) {
    problems.push(`disclosure: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (problems.length > 0) throw new PolicyError(`${source} is invalid:\n${problems.map((x) => `  - ${x}`).join('\n')}`);
  return { ...file, refuses, crossingOf };
}

export function loadStatisticsPolicy(policiesDir: string, context: { intake: IntakePolicy }): StatisticsPolicy {
  return loadPolicyFile(policiesDir, 'statistics.yaml', (raw, source) => parseStatisticsPolicy(raw, source, context));
}
