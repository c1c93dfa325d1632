/** policies/appeals.yaml is validated at start: the service refuses to start on a wrong rule. */
import t from 'tap';
import { join } from 'node:path';
import { PolicyError } from '../../src/access/policy.js';
import { loadAppealPolicy, parseAppealPolicy } from '../../src/appeals/appeal-policy.js';
import { projectRoot } from '../../src/lib/paths.js';

const valid = {
  version: 1,
  fileWithinDays: 30,
  subjects: {
    decline: { description: 'd', upheld: 'reopen_to_triage' },
    no_measures: { description: 'n', upheld: 'reopen_to_decision' },
    measure_rejected: { description: 'r', upheld: 'measure_to_consented' },
    measure_lifted: { description: 'l', upheld: 'measure_to_active' },
  },
};

t.test('the shipped policy: 30 days (Mexico art. 57), the four decisions, each undone as workflow.md says', async (t) => {
  const p = loadAppealPolicy(join(projectRoot(), 'policies'));
  t.equal(p.fileWithinDays, 30);
  t.same(Object.fromEntries([...p.subjects].map(([s, r]) => [s, r.upheld])), { decline: 'reopen_to_triage', no_measures: 'reopen_to_decision', measure_rejected: 'measure_to_consented', measure_lifted: 'measure_to_active' });
});

t.test('a subject left out cannot be appealed', async (t) => {
  const p = parseAppealPolicy({ ...valid, subjects: { decline: valid.subjects.decline } });
  t.same([...p.subjects.keys()], ['decline']);
});

t.test('wrong rules are refused with the path at fault', async (t) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['an effect that does not fit its subject', { ...valid, subjects: { ...valid.subjects, decline: { description: 'd', upheld: 'measure_to_active' } } }, /\/subjects\/decline\/upheld/],
    ['an unknown subject', { ...valid, subjects: { ...valid.subjects, assessment: { description: 'a', upheld: 'record_only' } } }, /subjects/],
    ['an unknown effect', { ...valid, subjects: { ...valid.subjects, decline: { description: 'd', upheld: 'reopen' } } }, /\/subjects\/decline\/upheld/],
    ['no window', { ...valid, fileWithinDays: 0 }, /fileWithinDays/],
    ['a window in fractions of days', { ...valid, fileWithinDays: 1.5 }, /fileWithinDays/],
    ['nothing appealable', { ...valid, subjects: {} }, /at least one/],
    ['an unknown key', { ...valid, decideWithinDays: 15 }, /is invalid/],
    ['another version', { ...valid, version: 2 }, /version/],
  ];
  for (const [label, raw, message] of cases) t.throws(() => parseAppealPolicy(raw, 'appeals.yaml'), { name: 'PolicyError', message }, label);
  t.throws(() => loadAppealPolicy('/nonexistent'), PolicyError, 'a missing file');
});
