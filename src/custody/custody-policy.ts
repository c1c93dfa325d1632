import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { PolicyError, formatSchemaErrors, loadPolicyFile } from '../access/policy.js';

// At most 15 shares: a share code carries its threshold in four bits (src/sdk/crypto/custody-shares.ts).
const CustodyFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    threshold: Type.Integer({ minimum: 2, maximum: 15 }),
    shares: Type.Integer({ minimum: 2, maximum: 15 }),
    minimumHolders: Type.Integer({ minimum: 1, maximum: 20 }),
  },
  { additionalProperties: false },
);

/** policies/custody.yaml: k of n of the split backup, and the fewest holders before a warning. */
export type CustodyPolicy = Omit<Static<typeof CustodyFileSchema>, 'version'>;

export function parseCustodyPolicy(raw: unknown, source = 'custody policy'): CustodyPolicy {
  const errors = Value.Errors(CustodyFileSchema, raw);
  if (errors.length > 0) throw new PolicyError(`${source} is invalid:\n${formatSchemaErrors(errors)}`);
  const { threshold, shares, minimumHolders } = raw as Static<typeof CustodyFileSchema>;
  if (threshold > shares) throw new PolicyError(`${source} is invalid:\n  - /threshold: must not exceed shares (${threshold} of ${shares})`);
  return { threshold, shares, minimumHolders };
}

export function loadCustodyPolicy(policiesDir: string): CustodyPolicy {
  return loadPolicyFile(policiesDir, 'custody.yaml', parseCustodyPolicy);
}
