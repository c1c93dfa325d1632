import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { PolicyError, loadPolicyFile, type AccessPolicy } from '../access/policy.js';

import { CASE_STATES } from '../contracts/shared.js';
export { CASE_STATES };

/** Preconditions a transition may name; each has one check in case-workflow-service.ts. */
export const TRANSITION_GUARDS = ['assessment_recorded', 'measures_in_place'] as const;
export type TransitionGuard = (typeof TRANSITION_GUARDS)[number];

/** What a transition may ask the person for, beyond the case and the caller. */
export type TransitionRequirement = 'reason' | 'closeReason' | 'declineReason';

/** The decline code of cases declined before decline codes existed: shown and counted, never chosen. */
export const NOT_STATED = 'not_stated';

const State = Type.Union(CASE_STATES.map((s) => Type.Literal(s)));
const Labelled = Type.Object({ code: Type.String({ pattern: '^[a-z_]+$' }), fr: Type.String({ minLength: 1 }), en: Type.String({ minLength: 1 }) }, { additionalProperties: false });
const Transition = Type.Object(
  {
    description: Type.String({ minLength: 1 }),
    action: Type.String({ pattern: '^[a-z_]+(\\.[a-z_]+)+$' }),
    from: Type.Array(State, { minItems: 1 }),
    /** absent: the case stays in the state it is in (a reassignment) */
    to: Type.Optional(State),
    /** what the timeline records (by default, the transition's name) */
    records: Type.Optional(Type.String({ pattern: '^[a-z_]+\\.[a-z_]+$' })),
    /**
     * the transition gives the case to a new assignee, and the request carries the case key sealed
     * to that person's current key (keyId, envelope), written in the same transaction
     */
    handsOver: Type.Optional(Type.Boolean()),
    event: Type.Optional(Type.String({ pattern: '^[a-z_]+\\.[a-z_]+$' })),
    closeReason: Type.Optional(Type.String()),
    requires: Type.Optional(Type.Array(Type.Union([Type.Literal('reason'), Type.Literal('closeReason'), Type.Literal('declineReason')]))),
    assigns: Type.Optional(Type.Boolean()),
    /** a precondition beyond the state, checked by the workflow service (TRANSITION_GUARDS) */
    guard: Type.Optional(Type.Union(TRANSITION_GUARDS.map((g) => Type.Literal(g)))),
  },
  { additionalProperties: false },
);
const WorkflowSchema = Type.Object(
  {
    version: Type.Literal(1),
    closeReasons: Type.Array(Type.String({ pattern: '^[a-z_]+$' }), { minItems: 1 }),
    declineReasons: Type.Array(Labelled, { minItems: 1 }),
    transitions: Type.Record(Type.String({ pattern: '^[a-z_]+$' }), Transition),
  },
  { additionalProperties: false },
);

export type TransitionRule = Omit<Static<typeof Transition>, 'guard'> & { name: string; requires: TransitionRequirement[]; guard?: TransitionGuard };
export type DeclineReason = Static<typeof Labelled>;
export interface WorkflowPolicy {
  closeReasons: readonly string[];
  /** the codes a person declining a request chooses from (NOT_STATED is not one of them) */
  declineReasons: readonly DeclineReason[];
  transitions: ReadonlyMap<string, TransitionRule>;
}

/**
 * policies/workflow.yaml: validated against itself and against the access policy (every
 * transition's action must exist there), so the service never meets a rule it cannot enforce.
 */
export function parseWorkflowPolicy(raw: unknown, source: string, access: AccessPolicy): WorkflowPolicy {
  const errors = Value.Errors(WorkflowSchema, raw);
  if (errors.length > 0) throw new PolicyError(`${source} is invalid:\n${errors.slice(0, 20).map((e) => `  - ${e.instancePath || '/'}: ${e.message}`).join('\n')}`);
  const file = raw as Static<typeof WorkflowSchema>;
  const codes = file.declineReasons.map((r) => r.code);
  if (codes.includes(NOT_STATED)) throw new PolicyError(`${source}: decline reason ${NOT_STATED} is kept for cases declined before the codes; it cannot be chosen`);
  const twice = codes.find((c, i) => codes.indexOf(c) !== i);
  if (twice) throw new PolicyError(`${source}: decline reason ${twice} is listed twice`);
  const transitions = new Map<string, TransitionRule>();
  for (const [name, t] of Object.entries(file.transitions)) {
    if (!access.has(t.action)) throw new PolicyError(`${source}: transition ${name} needs action ${t.action}, which policies/access.yaml does not define`);
    if (t.to === 'closed' && !t.closeReason && !(t.requires ?? []).includes('closeReason')) throw new PolicyError(`${source}: transition ${name} closes a case without a close reason`);
    if (t.handsOver && !t.assigns) throw new PolicyError(`${source}: transition ${name} hands the case over without assigning it`);
    if (t.closeReason && !file.closeReasons.includes(t.closeReason)) throw new PolicyError(`${source}: transition ${name} uses unknown close reason ${t.closeReason}`);
    transitions.set(name, { ...t, name, requires: t.requires ?? [], ...(t.guard ? { guard: t.guard as TransitionGuard } : {}) });
  }
  return { closeReasons: file.closeReasons, declineReasons: file.declineReasons, transitions };
}

export function loadWorkflowPolicy(policiesDir: string, access: AccessPolicy): WorkflowPolicy {
  return loadPolicyFile(policiesDir, 'workflow.yaml', (raw, source) => parseWorkflowPolicy(raw, source, access));
}
