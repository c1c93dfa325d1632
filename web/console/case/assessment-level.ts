/**
 * The level of the assessment being typed, computed by the SDK's computeRisk: the very function
 * the server records the level with, fed the risk rule the catalogues route gives. Nothing here
 * touches the page, so the same code runs in the browser and in a Node test.
 */
import { FEASIBILITY, RISK_LEVELS, THREAT_KINDS, computeRisk, type Feasibility, type RiskLevel, type RiskResult, type RiskRule, type ThreatKind } from '../../../src/sdk/risk/risk-level.js';

/** One threat as the form holds it: a rating not chosen yet is null. */
export interface ThreatDraft {
  kind: ThreatKind;
  source: string;
  feasible: Feasibility;
  imminent: boolean;
  rating: number | null;
}

export interface AssessmentDraft {
  threats: ThreatDraft[];
  vulnerability: number | null;
  capacity: number | null;
}

/** The risk model as getConsoleCatalogues sends it (codes as plain strings). */
export interface RiskCatalogue {
  rating: { min: number; max: number };
  levels: Record<string, { urgentTrack: boolean }>;
  thresholdsHundredths: Record<string, number>;
  override: { kind: string; feasible: string; imminent: boolean; level: string; urgent: boolean };
}

const isLevel = (s: string): s is RiskLevel => (RISK_LEVELS as readonly string[]).includes(s);
const isKind = (s: string): s is ThreatKind => (THREAT_KINDS as readonly string[]).includes(s);
const isFeasibility = (s: string): s is Feasibility => (FEASIBILITY as readonly string[]).includes(s);

/**
 * The catalogue as computeRisk's rule, or null when it names a level or code this console does
 * not know (then no level is shown rather than a wrong one; the server still decides).
 */
export function riskRuleOf(risk: RiskCatalogue): RiskRule | null {
  const { override } = risk;
  if (!isKind(override.kind) || !isFeasibility(override.feasible) || !isLevel(override.level)) return null;
  const levels = {} as Record<RiskLevel, { urgentTrack: boolean }>;
  const thresholdsHundredths = {} as Record<RiskLevel, number>;
  for (const level of RISK_LEVELS) {
    const rule = risk.levels[level];
    const from = risk.thresholdsHundredths[level];
    if (!rule || from === undefined) return null;
    levels[level] = { urgentTrack: rule.urgentTrack };
    thresholdsHundredths[level] = from;
  }
  return { rating: risk.rating, levels, thresholdsHundredths, override: { ...override, kind: override.kind, feasible: override.feasible, level: override.level } };
}

/** The level of the draft, or null while a rating is still to be chosen (or out of the scale). */
export function draftLevel(draft: AssessmentDraft, rule: RiskRule): RiskResult | null {
  const { vulnerability, capacity } = draft;
  if (vulnerability === null || capacity === null) return null;
  const threats = [];
  for (const threat of draft.threats) {
    if (threat.rating === null) return null;
    threats.push({ rating: threat.rating, kind: threat.kind, feasible: threat.feasible, imminent: threat.imminent });
  }
  try {
    return computeRisk({ threats, vulnerability, capacity }, rule);
  } catch {
    return null;
  }
}
