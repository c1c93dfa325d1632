import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { cases } from '../db/schema/index.js';
import { PolicyError, loadPolicyFile } from './policy.js';

/** The situations that make a supervisor part of a case (policies/break-glass.yaml explains each). */
export const PARTICIPATION_CLAUSES = ['case_supervisor', 'own_envelope', 'intake_duty', 'measure_approval', 'appeal_decision', 'escalation', 'officer_grant', 'departed_staff'] as const;
export type ParticipationClause = (typeof PARTICIPATION_CLAUSES)[number];

const CASE_STATES = cases.state.enumValues;
export type CaseState = (typeof CASE_STATES)[number];

const lits = <T extends string>(xs: readonly T[]) => Type.Union(xs.map((x) => Type.Literal(x)));
const BreakGlassFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    // Long enough for a night's emergency, short enough that nobody keeps a case open for good.
    window: Type.Object({ hours: Type.Integer({ minimum: 1, maximum: 72 }) }, { additionalProperties: false }),
    partOfTheCase: Type.Array(lits(PARTICIPATION_CLAUSES), { uniqueItems: true }),
    intakeStates: Type.Array(lits(CASE_STATES), { uniqueItems: true }),
  },
  { additionalProperties: false },
);
type BreakGlassFile = Static<typeof BreakGlassFileSchema>;

export interface BreakGlassPolicy {
  /** How long a break-glass stays open, in milliseconds. */
  windowMs: number;
  clauses: ReadonlySet<ParticipationClause>;
  intakeStates: readonly CaseState[];
}

/** policies/break-glass.yaml, validated: the service refuses to start on any problem. */
export function parseBreakGlassPolicy(raw: unknown, source = 'break-glass policy'): BreakGlassPolicy {
  const errors = Value.Errors(BreakGlassFileSchema, raw);
  if (errors.length > 0) throw new PolicyError(`${source} is invalid:\n${[...new Set(errors.map((e) => `  - ${e.instancePath || '/'}: ${e.message}`))].slice(0, 20).join('\n')}`);
  const file = raw as BreakGlassFile;
  if ((file.intakeStates as readonly string[]).includes('closed')) throw new PolicyError(`${source}: /intakeStates: a closed case is nobody's intake duty`);
  return { windowMs: file.window.hours * 3600_000, clauses: new Set(file.partOfTheCase), intakeStates: file.intakeStates };
}

export function loadBreakGlassPolicy(policiesDir: string): BreakGlassPolicy {
  return loadPolicyFile(policiesDir, 'break-glass.yaml', parseBreakGlassPolicy);
}
