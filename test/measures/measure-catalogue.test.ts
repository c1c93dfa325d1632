/**
 * The measure catalogue (workflow.md, "Protective measures"): the shipped file holds every
 * measure of the workflow with both labels and the stated durations, police patrols carry their
 * warning, and a broken file is refused with a message that says where.
 */
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PolicyError } from '../../src/access/policy.js';
import { projectRoot } from '../../src/lib/paths.js';
import { loadMeasureCatalogue, measureByCode, parseMeasureCatalogue, type MeasureCategory } from '../../src/measures/measure-catalogue.js';

const policiesDir = join(projectRoot(), 'policies');
const catalogue = loadMeasureCatalogue(policiesDir);

function shippedRaw(): Record<string, any> {
  return parse(readFileSync(join(policiesDir, 'measures.yaml'), 'utf8')) as Record<string, any>;
}

/** workflow.md's catalogue, by category, with the codes chosen for it. */
const EXPECTED: Record<MeasureCategory, string[]> = {
  urgent: ['emergency_relocation', 'safe_shelter', 'emergency_communication_device', 'urgent_police_protection', 'urgent_medical_care'],
  protection: [
    'communication_equipment',
    'securing_premises',
    'secure_transport',
    'temporary_relocation',
    'observer_accompaniment',
    'police_patrols',
    'legal_assistance',
    'medical_psychosocial_support',
    'family_support',
  ],
  prevention: ['security_training', 'digital_security_support', 'self_protection_plan', 'public_statement', 'prosecutor_liaison', 'trial_monitoring'],
};

t.test('every measure of workflow.md is in the shipped catalogue, in its category, with both labels', async (t) => {
  for (const [category, codes] of Object.entries(EXPECTED) as Array<[MeasureCategory, string[]]>) {
    for (const code of codes) {
      const m = catalogue.measureByCode(code);
      if (m === undefined) {
        t.fail(`${code} is missing`);
        continue;
      }
      t.equal(m.category, category, `${code}: category ${category}`);
      t.ok(m.label.fr.trim().length > 0 && m.label.en.trim().length > 0, `${code}: French and English labels`);
      t.not(m.label.fr, m.label.en, `${code}: the French label is not the English one copied`);
      t.ok(m.implementers.length > 0, `${code}: has an implementer`);
    }
    t.same(catalogue.measuresIn(category).map((m) => m.code).sort(), [...codes].sort(), `${category}: nothing more, nothing less`);
  }
  t.equal(catalogue.measureByCode('no_such_measure'), undefined, 'an unknown code is undefined');
  t.equal(measureByCode(catalogue, 'legal_assistance')?.code, 'legal_assistance', 'the standalone helper agrees');
});

t.test('durations and review reminders follow workflow.md', async (t) => {
  for (const m of catalogue.measures) {
    t.equal(m.durationDays, 182, `${m.code}: 6 months by default`);
    t.equal(m.reviewLeadDays, 30, `${m.code}: review reminder 30 days before the end`);
  }
  const relocation = catalogue.measureByCode('temporary_relocation');
  t.equal(relocation?.maxDurationDays, 365, 'temporary relocation: up to 12 months');
  t.equal(catalogue.measureByCode('emergency_relocation')?.durationDays, 182, 'emergency relocation: 6 months');
});

t.test('police patrols warn and require explicit consent', async (t) => {
  const patrols = catalogue.measureByCode('police_patrols');
  t.ok(patrols?.requiresExplicitConsent, 'explicit consent required');
  t.match(patrols?.warning?.fr ?? '', /expos/, 'the French warning says it can expose');
  t.match(patrols?.warning?.en ?? '', /expose/, 'the English warning says it can expose');
  t.same(patrols?.implementers, ['state_authority'], 'carried out by a state authority');
  t.notOk(catalogue.measureByCode('legal_assistance')?.requiresExplicitConsent, 'an ordinary measure does not');
  t.equal(catalogue.measureByCode('legal_assistance')?.warning, undefined, 'and has no warning');
});

t.test('broken catalogues are refused, naming the problem', async (t) => {
  const refuse = (t: Test, mutate: (raw: Record<string, any>) => void, pattern: RegExp, name: string): void => {
    const raw = shippedRaw();
    mutate(raw);
    try {
      parseMeasureCatalogue(raw, 'measures.yaml');
      t.fail(`${name}: accepted`);
    } catch (err) {
      t.ok(err instanceof PolicyError, `${name}: a PolicyError`);
      t.match((err as Error).message, pattern, `${name}: message names it`);
    }
  };
  refuse(t, (r) => { r['measures'][3].code = 'safe_shelter'; }, /\/measures\/3\/code: code "safe_shelter" appears twice/, 'duplicate code');
  refuse(t, (r) => { r['measures'][0].category = 'emergency'; }, /\/measures\/0\/category: unknown category "emergency"/, 'unknown category');
  refuse(t, (r) => { r['measures'][0].implementers = ['cndh', 'ngo']; }, /\/measures\/0\/implementers\/1: unknown implementer "ngo"/, 'unknown implementer');
  refuse(t, (r) => { r['measures'][0].durationDays = 0; }, /\/measures\/0\/durationDays/, 'zero duration');
  refuse(t, (r) => { r['measures'][0].durationDays = -30; }, /\/measures\/0\/durationDays/, 'negative duration');
  refuse(t, (r) => { r['defaults'].durationDays = 'six months'; }, /\/defaults\/durationDays/, 'duration not a number');
  refuse(t, (r) => { r['measures'][1].reviewLeadDays = 200; }, /\/measures\/1: the review reminder/, 'reminder before the start');
  refuse(t, (r) => { r['measures'][8].maxDurationDays = 90; }, /\/measures\/8\/maxDurationDays/, 'maximum below the duration');
  refuse(t, (r) => { r['measures'][2].labels = r['measures'][2].label; }, /\/measures\/2\/labels: unknown key "labels"/, 'misspelt key');
  refuse(t, (r) => { delete r['measures'][2].label.fr; }, /\/measures\/2\/label/, 'missing French label');
  refuse(t, (r) => { r['measures'][4].requiresExplicitConsent = true; }, /\/measures\/4\/warning/, 'explicit consent without a warning');
  refuse(t, (r) => { r['measures'][0].code = 'Emergency Relocation'; }, /\/measures\/0\/code/, 'a code that is not snake_case');
});

t.test('loadMeasureCatalogue names the file it cannot read', async (t) => {
  t.throws(() => loadMeasureCatalogue('/nonexistent-dir'), { name: 'PolicyError', message: /nonexistent-dir\/measures\.yaml/ });
});
