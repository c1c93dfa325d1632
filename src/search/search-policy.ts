import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { PolicyError, loadPolicyFile } from '../access/policy.js';

const SearchFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    // Enough for a name of several words and two phones; small enough that a set stays cheap.
    tokensPerCase: Type.Integer({ minimum: 4, maximum: 64 }),
    maxQueryTokens: Type.Integer({ minimum: 1, maximum: 64 }),
    maxResults: Type.Integer({ minimum: 1, maximum: 200 }),
  },
  { additionalProperties: false },
);

/** policies/search.yaml: the fixed token count of a case and the bounds of one search. */
export type SearchPolicy = Omit<Static<typeof SearchFileSchema>, 'version'>;

/** policies/search.yaml, validated: the service refuses to start on any problem. */
export function parseSearchPolicy(raw: unknown, source = 'search policy'): SearchPolicy {
  const errors = Value.Errors(SearchFileSchema, raw);
  if (errors.length > 0) throw new PolicyError(`${source} is invalid:\n${[...new Set(errors.map((e) => `  - ${e.instancePath || '/'}: ${e.message}`))].slice(0, 20).join('\n')}`);
  const { tokensPerCase, maxQueryTokens, maxResults } = raw as Static<typeof SearchFileSchema>;
  return { tokensPerCase, maxQueryTokens, maxResults };
}

export function loadSearchPolicy(policiesDir: string): SearchPolicy {
  return loadPolicyFile(policiesDir, 'search.yaml', parseSearchPolicy);
}
