/**
 * The console's word catalogues: French and English have the same keys and the same {placeholders};
 * every key the sources ask for with `t('...')` exists (a dynamic key is checked against every
 * value it can take); every problem code of the API, and every code the crypto worker fails
 * with, has words in both. A missing key would show itself on screen as `area.key`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { cases, deadlines } from '../../src/db/schema/cases.js';
import { measures } from '../../src/db/schema/protection.js';
import { MEASURE_COMMANDS } from '../../src/contracts/measure.js';
import { MEASURE_CATEGORIES } from '../../src/measures/measure-catalogue.js';
import { VERIFICATION_STATUSES } from '../../src/contracts/case-verification.js';
import { parse } from 'yaml';
import { SCREENS } from '../../web/console/screen-list.js';
import { organisations, users } from '../../src/db/schema/identity.js';
import { webhookDeliveries } from '../../src/db/schema/notifications.js';
import { PROBLEMS } from '../../src/lib/problem.js';
import { THREAT_STEPS } from '../../src/contracts/assessment.js';
import { FEASIBILITY, THREAT_KINDS } from '../../src/sdk/risk/risk-level.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const consoleDir = path.join(root, 'web', 'console');
const load = (lang: string) => JSON.parse(readFileSync(path.join(consoleDir, 'i18n', `${lang}.json`), 'utf8')) as Record<string, string>;
const fr = load('fr');
const en = load('en');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'i18n' ? [] : sources(full);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}
const files = sources(consoleDir).map((f) => ({ file: path.relative(root, f), text: readFileSync(f, 'utf8') }));

/** The values a dynamic key's `${...}` part can take, by the key's fixed start. */
const workflow = parse(readFileSync(path.join(root, 'policies', 'workflow.yaml'), 'utf8')) as { closeReasons: string[]; transitions: Record<string, unknown> };
const referralPolicy = parse(readFileSync(path.join(root, 'policies', 'referrals.yaml'), 'utf8')) as { purposes: Array<{ code: string }> };
const DYNAMIC: Record<string, readonly string[]> = {
  'role.': users.role.enumValues,
  'state.': cases.state.enumValues,
  'deadline.state.': deadlines.state.enumValues,
  'deadlines.reached.': ['1', '2'],
  // The sealed fields of a filing (src/sdk/client/filing.ts).
  'case.field.': ['identity', 'contact', 'location', 'narrative', 'relatives'],
  'queue.tab.': ['pool', 'mine', 'all'],
  'nav.': SCREENS.flatMap((s) => (s.nav ? [s.nav] : [])),
  'search.': ['noKey', 'staleKey'],
  'transition.': Object.keys(workflow.transitions),
  'closeReason.': workflow.closeReasons,
  'verification.': cases.verification.enumValues,
  'referrals.purpose.': referralPolicy.purposes.map((p) => p.code),
  'referrals.state.': ['awaiting_consent', 'refused', 'consented', 'sent', 'accepted', 'declined', 'withdrawn', 'closed'],
  'referrals.consent.': ['none', 'refused', 'defender', 'oral', 'life_threat'],
  'referrals.reportStatus.': ['in_progress', 'completed', 'unable_to_act'],
  'assessment.kind.': THREAT_KINDS,
  'assessment.feasible.': FEASIBILITY,
  'assessment.step.': THREAT_STEPS,
  'measures.status.': measures.status.enumValues,
  'measures.implementer.': measures.implementer.enumValues,
  'measures.category.': MEASURE_CATEGORIES,
  'measures.command.': MEASURE_COMMANDS,
  'audit.verify.': ['audit_head_unsigned', 'audit_line_malformed', 'audit_chain_broken', 'audit_head_differs', 'audit_head_not_reached', 'audit_checkpoint_unsigned', 'audit_range_overrun'],
  'admin.orgs.kind.': organisations.category.enumValues,
  'admin.hooks.state.': webhookDeliveries.status.enumValues,
};

/** Every .ts file under src/, for what the services write. */
function serviceSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? serviceSources(full) : e.name.endsWith('.ts') ? [readFileSync(full, 'utf8')] : [];
  });
}

t.test('every action the service writes on a case timeline has words', async (t) => {
  const written = new Set<string>();
  for (const text of serviceSources(path.join(root, 'src'))) {
    for (const m of text.matchAll(/addTimeline\(\{[^}]*?action: '([a-z_.]+)'/g)) written.add(m[1]!);
    for (const m of text.matchAll(/timeline\(\w+, \w+, (?:\w+ \? )?'([a-z_.]+)'(?: : '([a-z_.]+)')?/g)) for (const a of [m[1], m[2]]) if (a) written.add(a);
  }
  t.ok(written.size >= 20, `found ${written.size} actions written as literals`);
  const intake = parse(readFileSync(path.join(root, 'policies', 'intake.yaml'), 'utf8')) as { lists: { source: Array<{ code: string }> } };
  // Written under a computed name: the values that name takes.
  const computed = [
    ...Object.keys(workflow.transitions),
    ...Object.values(workflow.transitions).flatMap((tr) => ((tr as { records?: string }).records ? [(tr as { records: string }).records] : [])),
    'filed',
    ...intake.lists.source.filter((s) => s.code !== 'online').map((s) => `filed_${s.code}`),
    'urgency_confirmed',
    'urgency_lifted',
    ...VERIFICATION_STATUSES.map((s) => `verification_${s}`),
    'assessment.recorded',
    'measure.consented',
    'measure.refused',
    'measure.expired',
    'measure.lapsed',
    'appeal_upheld',
    'appeal_dismissed',
    'deadline.reminder',
    'deadline.escalated',
  ];
  t.same([...new Set([...written, ...computed])].filter((a) => !(`action.${a}` in fr)), [], 'each has an action.<code> in the catalogues');
});

t.test('French and English have the same keys, each with words and the same placeholders', async (t) => {
  t.same(Object.keys(en).sort(), Object.keys(fr).sort());
  const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const key of Object.keys(fr)) {
    t.ok(fr[key]?.trim() && en[key]?.trim(), `${key}: words in both`);
    t.same(placeholders(en[key] ?? ''), placeholders(fr[key] ?? ''), `${key}: the same placeholders`);
  }
  t.equal(fr.$dir, 'ltr');
  t.equal(en.$dir, 'ltr');
});

t.test('every key the console asks for exists', async (t) => {
  const literal: string[] = [];
  const unchecked: string[] = [];
  // i18n.ts defines t and problemText (the `error.` keys, checked below against the codes).
  for (const { file, text } of files.filter((f) => !f.file.endsWith(`console${path.sep}i18n.ts`))) {
    // t( as a call of its own (not format(, setT(, ...), up to the end of its first argument.
    for (const m of text.matchAll(/(?<![\w$.])t\(\s*(?:'([^'\n]*)'|"([^"\n]*)"|`([^`\n]*)`|([^\s)]))/g)) {
      const key = m[1] ?? m[2];
      if (key !== undefined) {
        literal.push(key);
        continue;
      }
      const template = m[3];
      const start = template?.match(/^([^$]*)\$\{[^}]+\}$/)?.[1];
      const values = start !== undefined ? DYNAMIC[start] : undefined;
      // A key from an open set (a timeline action, a notification topic) is asked for only after
      // `hasText` said it exists; otherwise the screen shows the code itself.
      const guarded = template !== undefined && text.includes(`hasText(\`${template}\`) ? t(\`${template}\`)`);
      if (values) literal.push(...values.map((v) => `${start}${v}`));
      else if (guarded) continue;
      else unchecked.push(`${file}: t(${template !== undefined ? `\`${template}\`` : m[4]}...)`);
    }
  }
  t.ok(literal.length > 50, `found ${literal.length} keys`);
  t.same(unchecked, [], 'a key is a literal, or a template listed in DYNAMIC with its values');
  t.same([...new Set(literal.filter((k) => !(k in fr)))], [], 'every key used exists in fr.json');
});

t.test('every problem code of the API, and every failure of the crypto worker, has words', async (t) => {
  const worker = files.filter((f) => /crypto-(worker|client)\.ts$/.test(f.file)).flatMap((f) => [...f.text.matchAll(/(?:fail|CryptoFailure)\('([a-z_]+)'/g)].map((m) => m[1]!));
  t.ok(worker.includes('wrong_password'), 'the worker\'s codes were found');
  const codes = [...Object.keys(PROBLEMS), ...worker, 'network', 'unexpected'];
  for (const lang of [fr, en]) {
    t.same(codes.filter((c) => !(`error.${c}` in lang)), [], `error.<code> for every code (${lang.$name})`);
  }
});

t.test('the referral form offers exactly the purposes of policies/referrals.yaml, and the API\'s number of files', async (t) => {
  const { MAX_REFERRAL_FILES, PURPOSES } = await import('../../web/console/referrals/referral-purposes.js');
  t.same([...PURPOSES], referralPolicy.purposes.map((p) => p.code));
  const contract = await import('../../src/contracts/referral.js');
  t.equal(MAX_REFERRAL_FILES, contract.MAX_REFERRAL_FILES, 'and stops at as many files as the API takes');
});
