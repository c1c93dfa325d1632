/**
 * The referral policy is checked at start: the shipped file loads, and a file with a repeated
 * code, an unknown organisation category or an unknown key is refused with the path at fault.
 */
import t from 'tap';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { PolicyError } from '../../src/access/policy.js';
import { loadReferralPolicy, parseReferralPolicy, type ReferralPolicyFile } from '../../src/referrals/referral-policy.js';
import { INTAKE_FIELDS } from '../../src/intake/intake-service.js';
import { projectRoot } from '../../src/lib/paths.js';

const dir = join(projectRoot(), 'policies');
const shipped = parse(readFileSync(join(dir, 'referrals.yaml'), 'utf8')) as ReferralPolicyFile;

t.test('the shipped policy loads: purposes, shareable intake fields, the life-threat category', async (t) => {
  const p = loadReferralPolicy(dir);
  for (const code of ['legal_assistance', 'emergency_grant', 'relocation', 'medical_care', 'psychosocial_support', 'protection_measure', 'advocacy', 'investigation']) t.ok(p.purposes.has(code), code);
  t.same(p.purposes.get('relocation'), { fr: 'Relocalisation temporaire', en: 'Temporary relocation' });
  t.same([...p.fields.keys()].sort(), [...INTAKE_FIELDS].sort(), 'every field a filing may hold, and only those');
  t.same([...p.lifeThreatCategories], ['state_authority']);
});

t.test('a malformed policy is refused, naming where', async (t) => {
  const bad = (patch: Partial<ReferralPolicyFile> & Record<string, unknown>) => () => parseReferralPolicy({ ...shipped, ...patch }, 'referrals.yaml');
  t.throws(bad({ purposes: [...shipped.purposes, shipped.purposes[0]!] }), { name: 'PolicyError', message: /\/purposes\/\d+: "legal_assistance" appears twice/ });
  t.throws(bad({ lifeThreat: { eligibleCategories: ['ngo', 'army'] } }), { message: /\/lifeThreat\/eligibleCategories\/1: unknown organisation category "army"/ });
  t.throws(bad({ fields: [{ field: 'Identity/name', fr: 'x', en: 'x' }] }), PolicyError, 'a field name that cannot be bound into associated data');
  t.throws(bad({ purposes: [] }), PolicyError);
  t.throws(bad({ extra: true }), PolicyError, 'an unknown key');
});
