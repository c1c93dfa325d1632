/** policies/break-glass.yaml is validated at start: the service refuses to start on a wrong rule. */
import t from 'tap';
import { join } from 'node:path';
import { PolicyError, loadAccessPolicy, parseAccessPolicy } from '../../src/access/policy.js';
import { loadBreakGlassPolicy, parseBreakGlassPolicy, PARTICIPATION_CLAUSES } from '../../src/access/break-glass-policy.js';
import { projectRoot } from '../../src/lib/paths.js';

const dir = join(projectRoot(), 'policies');
const valid = { version: 1, window: { hours: 8 }, partOfTheCase: ['intake_duty'], intakeStates: ['received', 'triage'] };

t.test('the shipped policy: an 8-hour window, every clause, intake and triage', async (t) => {
  const p = loadBreakGlassPolicy(dir);
  t.equal(p.windowMs, 8 * 3600_000);
  t.same([...p.clauses].sort(), [...PARTICIPATION_CLAUSES].sort());
  t.same(p.intakeStates, ['received', 'triage', 'info_requested']);
});

t.test('wrong rules are refused with the path at fault', async (t) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['an unknown clause', { ...valid, partOfTheCase: ['took_a_decision'] }, /partOfTheCase/],
    ['an unknown state', { ...valid, intakeStates: ['pending'] }, /intakeStates/],
    ['a closed case on intake duty', { ...valid, intakeStates: ['closed'] }, /closed case/],
    ['no window', { ...valid, window: { hours: 0 } }, /window/],
    ['a window of days', { ...valid, window: { hours: 24 * 7 } }, /window/],
    ['a window in minutes', { ...valid, window: { minutes: 30 } }, /window/],
    ['an unknown key', { ...valid, notify: 'all' }, /is invalid/],
    ['another version', { ...valid, version: 2 }, /version/],
  ];
  for (const [label, raw, message] of cases) t.throws(() => parseBreakGlassPolicy(raw, 'break-glass.yaml'), { name: 'PolicyError', message }, label);
  t.throws(() => loadBreakGlassPolicy('/nonexistent'), PolicyError, 'a missing file');
});

t.test('the access policy knows the scopes and the condition of break-glass, and refuses unknown ones', async (t) => {
  const p = loadAccessPolicy(dir);
  t.same(p.get('case.read_sealed')?.roles.supervisor?.scopes, ['participant', 'break_glass']);
  t.throws(() => parseAccessPolicy({ version: 1, actions: { 'case.read_sealed': { description: 'd', roles: { supervisor: ['envelope'] } } } }), PolicyError, 'the old envelope scope is gone');
  t.throws(() => parseAccessPolicy({ version: 1, actions: { 'case.grant': { description: 'd', roles: { supervisor: { scopes: ['all'], unless: ['self'] } } } } }), PolicyError, 'an unknown condition');
});
