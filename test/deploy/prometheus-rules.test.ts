/**
 * The shipped alert rules (deploy/prometheus/alerts.yml) are valid for Prometheus
 * (`promtool check rules`) and behave as their unit tests say (`promtool test rules`); the scrape
 * configuration loads them (`promtool check config`). promtool is Debian's `prometheus` package,
 * which .ci/run installs: without it this test fails rather than passing in silence.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { projectRoot } from '../../src/lib/paths.js';

const run = promisify(execFile);
const dir = join(projectRoot(), 'deploy/prometheus');

async function promtool(...args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: dir, timeout: 60_000 });
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') return { ok: false, output: 'promtool is not installed: apt-get install prometheus (.ci/run does)' };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` };
  }
}

interface Rule {
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules = (parse(readFileSync(join(dir, 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);

t.test('promtool check rules: the rules are valid', async (t) => {
  const r = await promtool('check', 'rules', 'alerts.yml');
  t.ok(r.ok, r.output);
  t.match(r.output, new RegExp(`SUCCESS: ${rules.length} rules found`));
});

t.test('promtool test rules: every alert fires when it should and not before', async (t) => {
  const r = await promtool('test', 'rules', 'alerts.test.yml');
  t.ok(r.ok, r.output);
  t.match(r.output, /SUCCESS/);
  // A test file that tests nothing would pass too: each alert is expected to fire at least once.
  const tests = (parse(readFileSync(join(dir, 'alerts.test.yml'), 'utf8')) as { tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }> }).tests;
  const fired = new Set(tests.flatMap((x) => x.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname));
  for (const rule of rules) if (rule.alert) t.ok(fired.has(rule.alert), `${rule.alert}: a unit test expects it to fire`);
});

t.test('promtool check config: the scrape configuration and its rule file load', async (t) => {
  const r = await promtool('check', 'config', '--syntax-only', 'prometheus.yml');
  t.ok(r.ok, r.output);
});

t.test('every alert has a severity, a summary and a runbook-style description', async (t) => {
  t.ok(rules.length >= 10, `${rules.length} rules`);
  for (const rule of rules) {
    t.ok(rule.alert && /^Egide[A-Z]\w+$/.test(rule.alert), `${rule.alert}: named Egide...`);
    t.match(rule.labels?.severity, /^(critical|warning)$/, `${rule.alert}: severity`);
    t.ok((rule.annotations?.summary ?? '').length > 10, `${rule.alert}: a summary`);
    t.match(rule.annotations?.description ?? '', /Runbook/, `${rule.alert}: the description says what to do`);
  }
});
