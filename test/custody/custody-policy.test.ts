/**
 * policies/custody.yaml is checked at start: the shipped file asks for 3 of 5 and two holders, and
 * a threshold above the share count, a count out of range (a code carries k in four bits), a
 * missing or unknown key stops the service.
 */
import t from 'tap';
import { PolicyError } from '../../src/access/policy.js';
import { loadCustodyPolicy, parseCustodyPolicy } from '../../src/custody/custody-policy.js';
import { policiesPath } from '../../src/lib/paths.js';
import { testConfig } from '../helpers/app.js';

const shipped = { version: 1, threshold: 3, shares: 5, minimumHolders: 2 };

t.test('the shipped policy: 3 of 5, warn below 2 holders', async (t) => {
  t.same(loadCustodyPolicy(policiesPath(await testConfig())), { threshold: 3, shares: 5, minimumHolders: 2 });
});

t.test('refused: k above n, out of range, missing, unknown, another version', async (t) => {
  for (const bad of [
    { ...shipped, threshold: 6 },
    { ...shipped, threshold: 1 },
    { ...shipped, shares: 16, threshold: 3 },
    { ...shipped, minimumHolders: 0 },
    { version: 1, threshold: 3, shares: 5 },
    { ...shipped, extra: true },
    { ...shipped, version: 2 },
  ]) {
    t.throws(() => parseCustodyPolicy(bad), PolicyError, JSON.stringify(bad));
  }
  t.same(parseCustodyPolicy({ ...shipped, threshold: 2, shares: 2 }), { threshold: 2, shares: 2, minimumHolders: 2 }, '2 of 2 is allowed');
});
