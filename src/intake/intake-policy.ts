import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { PolicyError, loadPolicyFile } from '../access/policy.js';

export const INTAKE_LISTS = ['region', 'defenderCategory', 'gender', 'disability', 'threatType', 'language', 'contactChannel', 'filedFor', 'source', 'consentChannel'] as const;
export type IntakeList = (typeof INTAKE_LISTS)[number];

const Code = Type.Object({ code: Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' }), fr: Type.String({ minLength: 1, maxLength: 120 }), en: Type.String({ minLength: 1, maxLength: 120 }) }, { additionalProperties: false });
const IntakePolicySchema = Type.Object(
  { version: Type.Literal(1), lists: Type.Object(Object.fromEntries(INTAKE_LISTS.map((l) => [l, Type.Array(Code, { minItems: 1 })])) as Record<IntakeList, ReturnType<typeof Type.Array<typeof Code>>>, { additionalProperties: false }) },
  { additionalProperties: false },
);
export type IntakePolicyFile = Static<typeof IntakePolicySchema>;

export interface IntakePolicy {
  lists: IntakePolicyFile['lists'];
  /** Is `code` one of the list's codes? */
  has(list: IntakeList, code: string): boolean;
}

/** The metadata codes a filing may use (policies/intake.yaml); refused at start if malformed. */
export function parseIntakePolicy(raw: unknown, source = 'intake policy'): IntakePolicy {
  const errors = Value.Errors(IntakePolicySchema, raw);
  if (errors.length > 0) throw new PolicyError(`${source} is invalid:\n${errors.slice(0, 20).map((e) => `  - ${e.instancePath || '/'}: ${e.message}`).join('\n')}`);
  const file = raw as IntakePolicyFile;
  const sets = new Map<IntakeList, Set<string>>();
  for (const list of INTAKE_LISTS) {
    const codes = file.lists[list].map((c) => c.code);
    const dup = codes.find((c, i) => codes.indexOf(c) !== i);
    if (dup) throw new PolicyError(`${source}: code ${dup} appears twice in ${list}`);
    sets.set(list, new Set(codes));
  }
  return { lists: file.lists, has: (list, code) => sets.get(list)?.has(code) === true };
}

export function loadIntakePolicy(policiesDir: string): IntakePolicy {
  return loadPolicyFile(policiesDir, 'intake.yaml', parseIntakePolicy);
}
