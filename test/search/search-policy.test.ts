/**
 * policies/search.yaml is checked at start like every policy: the shipped file gives 12 tokens per
 * case, and a count or bound out of range, a missing key or an unknown one stops the service.
 */
import t from 'tap';
import { PolicyError } from '../../src/access/policy.js';
import { loadSearchPolicy, parseSearchPolicy } from '../../src/search/search-policy.js';
import { policiesPath } from '../../src/lib/paths.js';
import { testConfig } from '../helpers/app.js';

const shipped = { version: 1, tokensPerCase: 12, maxQueryTokens: 24, maxResults: 50 };

t.test('the shipped policy', async (t) => {
  t.same(loadSearchPolicy(policiesPath(await testConfig())), { tokensPerCase: 12, maxQueryTokens: 24, maxResults: 50 });
});

t.test('refused: out of range, missing, unknown, another version', async (t) => {
  for (const bad of [
    { ...shipped, tokensPerCase: 2 },
    { ...shipped, tokensPerCase: 65 },
    { ...shipped, tokensPerCase: 12.5 },
    { ...shipped, maxQueryTokens: 0 },
    { ...shipped, maxResults: 1000 },
    { version: 1, tokensPerCase: 12, maxQueryTokens: 24 },
    { ...shipped, padding: 'none' },
    { ...shipped, version: 2 },
  ]) {
    t.throws(() => parseSearchPolicy(bad), PolicyError, JSON.stringify(bad));
  }
});
