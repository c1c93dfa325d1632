/**
 * The risk model's numbers and lists (policies/risk.yaml), loaded and checked at start.
 *
 * The schema checks shapes and refuses unknown keys (a misspelt key would otherwise silently fall
 * back to nothing); the semantic checks below catch what a schema cannot: thresholds out of
 * order, a code listed twice, an empty scale. Every error names the path of the bad value so the
 * institution's staff can find it in the file.
 */
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { PolicyError, formatSchemaErrors, loadPolicyFile } from '../access/policy.js';

import { FEASIBILITY, RISK_LEVELS, THREAT_KINDS, type RiskLevel } from '../sdk/risk/risk-level.js';

const Text = Type.String({ minLength: 1, maxLength: 200 });
const Labels = Type.Object({ fr: Text, en: Text }, { additionalProperties: false });
const Code = Type.String({ pattern: '^[a-z][a-z0-9_]*$', maxLength: 64 });
const CodedEntry = Type.Object({ code: Code, label: Labels }, { additionalProperties: false });

const LevelRule = Type.Object(
  {
    label: Labels,
    from: Type.Number({ minimum: 0 }),
    urgentTrack: Type.Boolean(),
    checkInHours: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    reviewDays: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);

const RiskPolicySchema = Type.Object(
  {
    version: Type.Literal(1),
    rating: Type.Object({ min: Type.Integer({ minimum: 1 }), max: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
    levels: Type.Object(
      Object.fromEntries(RISK_LEVELS.map((l) => [l, LevelRule])) as Record<RiskLevel, typeof LevelRule>,
      { additionalProperties: false },
    ),
    override: Type.Object(
      {
        kind: Type.Union(THREAT_KINDS.map((k) => Type.Literal(k))),
        feasible: Type.Union(FEASIBILITY.map((f) => Type.Literal(f))),
        imminent: Type.Boolean(),
        level: Type.Union(RISK_LEVELS.map((l) => Type.Literal(l))),
        urgent: Type.Boolean(),
      },
      { additionalProperties: false },
    ),
    threatSources: Type.Array(CodedEntry, { minItems: 1 }),
    vulnerabilityFactors: Type.Array(CodedEntry, { minItems: 1 }),
    capacityFactors: Type.Array(CodedEntry, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export type RiskPolicyFile = Static<typeof RiskPolicySchema>;
export type CodedLabel = Static<typeof CodedEntry>;

export interface RiskPolicy extends RiskPolicyFile {
  /**
   * Each level's lower bound in hundredths, as an integer, lowest level first. computeRisk
   * compares with these so that a risk exactly on a threshold is decided without floating point.
   */
  readonly thresholdsHundredths: Readonly<Record<RiskLevel, number>>;
}

/** True when n has at most two decimals (2, 2.5, 2.25), tolerant of binary representation. */
function hasAtMostTwoDecimals(n: number): boolean {
  return Math.abs(n * 100 - Math.round(n * 100)) < 1e-9;
}

function checkUniqueCodes(list: readonly CodedLabel[], path: string, source: string): void {
  const seen = new Set<string>();
  list.forEach((entry, i) => {
    if (seen.has(entry.code)) throw new PolicyError(`${source}: ${path}/${i}/code: code "${entry.code}" appears twice`);
    seen.add(entry.code);
  });
}

/** Validates the parsed risk policy; the service refuses to start on any problem. */
export function parseRiskPolicy(raw: unknown, source = 'risk policy'): RiskPolicy {
  const errors = Value.Errors(RiskPolicySchema, raw);
  if (errors.length > 0) throw new PolicyError(`${source} is invalid:\n${formatSchemaErrors(errors)}`);
  const file = raw as RiskPolicyFile;

  if (file.rating.min >= file.rating.max) {
    throw new PolicyError(`${source}: /rating: min (${file.rating.min}) must be below max (${file.rating.max})`);
  }

  const first = file.levels[RISK_LEVELS[0]];
  if (first.from !== 0) {
    throw new PolicyError(`${source}: /levels/${RISK_LEVELS[0]}/from must be 0 (the lowest level covers every risk below the next one)`);
  }
  const thresholds = {} as Record<RiskLevel, number>;
  let previous: { level: RiskLevel; from: number } | undefined;
  for (const level of RISK_LEVELS) {
    const from = file.levels[level].from;
    if (!hasAtMostTwoDecimals(from)) {
      throw new PolicyError(`${source}: /levels/${level}/from: ${from} has more than two decimals`);
    }
    if (previous !== undefined && from <= previous.from) {
      throw new PolicyError(
        `${source}: /levels/${level}/from: thresholds must rise strictly (${level} from ${from} is not above ${previous.level} from ${previous.from})`,
      );
    }
    thresholds[level] = Math.round(from * 100);
    previous = { level, from };
  }

  checkUniqueCodes(file.threatSources, '/threatSources', source);
  checkUniqueCodes(file.vulnerabilityFactors, '/vulnerabilityFactors', source);
  checkUniqueCodes(file.capacityFactors, '/capacityFactors', source);

  return Object.freeze({ ...file, thresholdsHundredths: Object.freeze(thresholds) });
}

export function loadRiskPolicy(policiesDir: string): RiskPolicy {
  return loadPolicyFile(policiesDir, 'risk.yaml', parseRiskPolicy);
}
