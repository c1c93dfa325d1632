import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { PolicyError, formatSchemaErrors, loadPolicyFile } from '../access/policy.js';

const ConsolePolicySchema = Type.Object(
  {
    version: Type.Literal(1),
    idleLockMinutes: Type.Integer({ minimum: 1, maximum: 120 }),
  },
  { additionalProperties: false },
);

/** policies/console.yaml: what the staff console needs that an institution may tune. */
export type ConsolePolicy = Static<typeof ConsolePolicySchema>;

export function parseConsolePolicy(raw: unknown, source = 'console policy'): ConsolePolicy {
  const errors = Value.Errors(ConsolePolicySchema, raw);
  if (errors.length > 0) throw new PolicyError(`${source} is invalid:\n${formatSchemaErrors(errors)}`);
  return raw as ConsolePolicy;
}

export function loadConsolePolicy(policiesDir: string): ConsolePolicy {
  return loadPolicyFile(policiesDir, 'console.yaml', parseConsolePolicy);
}
