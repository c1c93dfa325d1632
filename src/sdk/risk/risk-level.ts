/**
 * The risk level of an assessment (workflow.md, "Risk assessment"): a pure function of the
 * threats, V, C and the risk policy, so that the same assessment always gets the same level and
 * the rule can be tested exhaustively.
 *
 *   T = the highest threat rating; with no threat there is no risk and the level is the lowest.
 *   R = T x V / C.
 *   level = the highest level whose threshold R reaches.
 *   override: a threat matching the policy's override (by default declared, can be carried out,
 *   imminent) raises the level to the override level (extreme) and makes the case urgent.
 *
 * Floating point: R is a ratio and thresholds sit exactly on values R can take (4 x 3 / 2 = 6,
 * 2 x 5 / 5 = 2). A float comparison is right only as long as R is computed with a single
 * division and the threshold parses to the same double; T x (V / C), or a threshold such as 0.3
 * met by a ratio like 3 / 10, can land one rounding below and give the lower level. Instead, `R >= from` is decided as `T x V x 100 >= from_hundredths x C`, all whole
 * numbers (the policy allows at most two decimals in a threshold, held in hundredths). The R
 * returned is T x V / C computed with one division, i.e. the nearest double to the true ratio
 * (0.2, 12.5, 6): for display and storage only, never for the level.
 *
 * It lives in the SDK because the console computes the level as the officer types, with the
 * very function the server records it with: it imports nothing, so it runs in a browser.
 */
/** Level names are fixed, lowest first: the rest of the service (urgent track, deadlines) refers to them. */
export const RISK_LEVELS = ['low', 'medium', 'high', 'extreme'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export const THREAT_KINDS = ['declared', 'possible'] as const;
export type ThreatKind = (typeof THREAT_KINDS)[number];

export const FEASIBILITY = ['yes', 'no', 'unknown'] as const;
export type Feasibility = (typeof FEASIBILITY)[number];

/**
 * The part of the risk policy (policies/risk.yaml) the level depends on: the server's loaded
 * policy, or the console's catalogues once their codes are checked.
 */
export interface RiskRule {
  rating: { min: number; max: number };
  levels: Readonly<Record<RiskLevel, { urgentTrack: boolean }>>;
  /** Each level's lower bound in hundredths, as an integer. */
  thresholdsHundredths: Readonly<Record<RiskLevel, number>>;
  override: { kind: ThreatKind; feasible: Feasibility; imminent: boolean; level: RiskLevel; urgent: boolean };
}

export interface ThreatInput {
  /** A whole number within the policy's rating scale (1-5 by default). */
  rating: number;
  kind: ThreatKind;
  feasible: Feasibility;
  imminent: boolean;
}

export interface RiskInput {
  threats: readonly ThreatInput[];
  /** Overall vulnerability rating, within the policy's scale. */
  vulnerability: number;
  /** Overall capacity rating, within the policy's scale (at least 1, so never a division by 0). */
  capacity: number;
}

export interface RiskResult {
  level: RiskLevel;
  /** T x V / C; null when there is no threat ("if there is no threat, there is no risk"). */
  R: number | null;
  /** The highest threat rating; null when there is no threat. */
  T: number | null;
  /** True when a threat matched the override rule. */
  override: boolean;
  /** True when the case goes on the urgent track: the level says so, or the override does. */
  urgent: boolean;
}

function rank(level: RiskLevel): number {
  return RISK_LEVELS.indexOf(level);
}

function checkRating(name: string, value: number, policy: RiskRule): void {
  // Refused rather than clamped: a rating outside the scale is a bug upstream, and a silently
  // clamped rating would give a defender a level nobody chose.
  if (!Number.isInteger(value) || value < policy.rating.min || value > policy.rating.max) {
    throw new RangeError(`${name} must be a whole number from ${policy.rating.min} to ${policy.rating.max}, got ${value}`);
  }
}

export function computeRisk(input: RiskInput, policy: RiskRule): RiskResult {
  checkRating('vulnerability', input.vulnerability, policy);
  checkRating('capacity', input.capacity, policy);
  input.threats.forEach((threat, i) => checkRating(`threats[${i}].rating`, threat.rating, policy));

  const lowest = RISK_LEVELS[0];
  if (input.threats.length === 0) {
    return { level: lowest, R: null, T: null, override: false, urgent: policy.levels[lowest].urgentTrack };
  }

  const T = Math.max(...input.threats.map((threat) => threat.rating));
  const V = input.vulnerability;
  const C = input.capacity;
  const scaledRisk = T * V * 100;

  let level: RiskLevel = lowest;
  for (const candidate of RISK_LEVELS) {
    if (scaledRisk >= policy.thresholdsHundredths[candidate] * C) level = candidate;
  }

  // `imminent: true` in the policy requires imminence; `false` means imminence is not required.
  const rule = policy.override;
  const override = input.threats.some((threat) => threat.kind === rule.kind && threat.feasible === rule.feasible && (threat.imminent || !rule.imminent));
  // The override only ever raises the level: a computed level above the override's stays.
  if (override && rank(rule.level) > rank(level)) level = rule.level;

  const urgent = policy.levels[level].urgentTrack || (override && rule.urgent);
  return { level, R: (T * V) / C, T, override, urgent };
}
