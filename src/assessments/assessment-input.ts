/**
 * What a client may send as an assessment version, checked against policies/risk.yaml before
 * anything is written: codes from the policy's lists, ratings on its scale, and sealed fields
 * whose names the server knows (so that a ciphertext cannot sit under a name no reader expects).
 *
 * Sealed field names (each sealed under the case DEK with AD
 * `egide/v1/assessment/<assessmentId>/<field>`):
 *   threats.<i>.facts        step 1: the facts (what happened, when, where)
 *   threats.<i>.pattern      step 2: the pattern over time
 *   threats.<i>.objective    step 3: what the threat aims at
 *   threats.<i>.perpetrator  step 4: who is behind it
 *   threats.<i>.feasibility  step 5: why it can (or cannot) be carried out; the yes/no/unknown
 *                            answer itself is the threat's `canBeCarriedOut` code
 *   reasoning.vulnerability  why V has its rating
 *   reasoning.capacity       why C has its rating
 * `<i>` is the threat's index in `threats` (0-based). Every sealed field is optional.
 */
import { CryptoError, parseSealedField } from '../sdk/index.js';
import { AppError, type FieldError } from '../lib/problem.js';
import type { RiskPolicy } from '../risk/risk-policy.js';
import type { Feasibility, ThreatKind } from '../sdk/risk/risk-level.js';
import { REASONING_FIELDS, THREAT_STEPS } from '../contracts/assessment.js';


const THREAT_FIELD = /^threats\.(0|[1-9][0-9]?)\.([a-z]+)$/;

export interface ThreatInput {
  kind: ThreatKind;
  source: string;
  canBeCarriedOut: Feasibility;
  imminent: boolean;
  rating: number;
}

export interface AssessmentInput {
  id: string;
  threats: ThreatInput[];
  vulnerability: { factors: string[]; rating: number };
  capacity: { factors: string[]; rating: number };
  sealed: Record<string, string>;
  keyEpoch?: number;
}

/** Throws 400 `validation_failed` naming every bad field; returns normally when all is well. */
export function checkAssessmentInput(input: AssessmentInput, policy: RiskPolicy): void {
  const errors: FieldError[] = [];
  const { min, max } = policy.rating;
  const rating = (field: string, value: number) => {
    if (!Number.isInteger(value) || value < min || value > max) errors.push({ field, message: `must be a whole number from ${min} to ${max}` });
  };
  const sources = new Set(policy.threatSources.map((s) => s.code));
  const vulnerabilityFactors = new Set(policy.vulnerabilityFactors.map((s) => s.code));
  const capacityFactors = new Set(policy.capacityFactors.map((s) => s.code));

  input.threats.forEach((threat, i) => {
    if (!sources.has(threat.source)) errors.push({ field: `/body/threats/${i}/source`, message: `unknown threat source ${threat.source}` });
    rating(`/body/threats/${i}/rating`, threat.rating);
  });
  for (const [name, list, known] of [
    ['vulnerability', input.vulnerability, vulnerabilityFactors],
    ['capacity', input.capacity, capacityFactors],
  ] as const) {
    list.factors.forEach((code, i) => {
      if (!known.has(code)) errors.push({ field: `/body/${name}/factors/${i}`, message: `unknown ${name} factor ${code}` });
    });
    if (new Set(list.factors).size !== list.factors.length) errors.push({ field: `/body/${name}/factors`, message: 'a factor is listed twice' });
    rating(`/body/${name}/rating`, list.rating);
  }

  for (const [name, value] of Object.entries(input.sealed)) {
    const field = `/body/sealed/${name}`;
    const threat = THREAT_FIELD.exec(name);
    if (threat) {
      if (!(THREAT_STEPS as readonly string[]).includes(threat[2]!)) errors.push({ field, message: `unknown step; one of ${THREAT_STEPS.join(', ')}` });
      else if (Number(threat[1]) >= input.threats.length) errors.push({ field, message: `there is no threat ${threat[1]} in this assessment` });
    } else if (!(REASONING_FIELDS as readonly string[]).includes(name)) {
      errors.push({ field, message: `unknown sealed field; threats.<i>.(${THREAT_STEPS.join('|')}) or ${REASONING_FIELDS.join(', ')}` });
    }
    try {
      parseSealedField(value);
    } catch (err) {
      errors.push({ field, message: err instanceof CryptoError ? `not a sealed field: ${err.code}` : 'not a sealed field' });
    }
  }

  if (errors.length > 0) throw new AppError('validation_failed', 'the assessment does not follow the risk policy', { errors: errors.slice(0, 20) });
}
