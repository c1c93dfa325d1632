/**
 * What the shipped monitoring reads is what the service exports. A running API (and, for the
 * second half, the workers beside it on the same clock) is scraped at /metrics as Prometheus
 * does (bearer METRICS_TOKEN), and:
 * - the operational figures follow what happens: a deadline falls overdue without escalation,
 *   the workers' reconciler escalates it (the lateness shows), the relay empties the outbox, the
 *   chainer the audit queue, and a checkpoint's age grows with the clock; the time-stamp
 *   authority's certificate expiry is read from a stored token;
 * - every metric name in an alert rule (deploy/prometheus/alerts.yml) or a Grafana panel or
 *   variable (deploy/grafana/egide.json) is one the service exports, histograms' _bucket, _count
 *   and _sum series included, and each label value a rule selects on exists.
 */
import t from 'tap';
import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { parse } from 'yaml';
import { buildTestApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { bootstrap, fileCase } from '../helpers/world.js';
import { waitFor } from '../helpers/wait-for.js';
import { projectRoot } from '../../src/lib/paths.js';
import { startWorkers } from '../../workers/worker.js';
import { createTimestampClient } from '../../src/files/timestamp-authority.js';
import { startTimestampAuthority } from '../helpers/timestamp-authority.js';

const root = projectRoot();
const tsa = await startTimestampAuthority();
t.teardown(() => tsa.close());
// The database is its own read replica here: enough for the replica's series to be exported.
const db = await createTestDatabase();
const T = await buildTestApp(t, { db, now: '2026-03-02T08:00:00.000Z', env: { TIMESTAMP_AUTHORITY_URL: tsa.url, DATABASE_REPLICA_URL: db.url } });
// Given to the app, so dropped here (after the app's own teardown has closed it).
t.teardown(() => db.drop());
await T.app.listen({ port: 0, host: '127.0.0.1' });
const address = T.app.server.address();
if (!address || typeof address === 'string') throw new Error('no port');
const origin = `http://127.0.0.1:${address.port}`;

interface Scrape {
  /** metric family name -> type, from the # TYPE lines */
  families: Map<string, string>;
  /** series name (with its _bucket/_count/_sum suffix) -> the label sets of its samples */
  samples: Map<string, Array<{ labels: Record<string, string>; value: number }>>;
}

async function scrape(): Promise<Scrape> {
  const r = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${T.config.METRICS_TOKEN}` } });
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  const families = new Map<string, string>();
  const samples = new Map<string, Array<{ labels: Record<string, string>; value: number }>>();
  for (const line of (await r.text()).split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) families.set(type[1]!, type[2]!);
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) continue;
    const labels = Object.fromEntries([...(sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    const list = samples.get(sample[1]!) ?? [];
    list.push({ labels, value: Number(sample[3]) });
    samples.set(sample[1]!, list);
  }
  return { families, samples };
}

/** The value of a series without labels (or with the given ones); undefined when absent. */
function value(s: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  return s.samples.get(name)?.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;
}

/** The series names a family exports: a histogram's and a summary's come with their suffixes. */
function exportedNames(s: Scrape): Set<string> {
  const names = new Set<string>();
  for (const [name, type] of s.families) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(name + suffix);
    if (type === 'summary') for (const suffix of ['_count', '_sum']) names.add(name + suffix);
  }
  return names;
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'atan2']);

/**
 * The metric names of a PromQL expression: what is left once strings, label matchers, ranges,
 * grouping clauses, Grafana variables, function calls and keywords are taken out.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ');
  const names: string[] = [];
  for (const m of bare.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1]!.toLowerCase())) continue;
    names.push(m[1]!);
  }
  return names;
}

/** `name{label="value"}` equality matchers of an expression (not =~, !=, !~), Grafana variables left out. */
function equalityMatchers(expr: string): Array<{ name: string; label: string; value: string }> {
  const out: Array<{ name: string; label: string; value: string }> = [];
  for (const sel of expr.matchAll(/([a-zA-Z_:][\w:]*)\{([^}]*)\}/g)) {
    for (const m of sel[2]!.matchAll(/(\w+)\s*=\s*"([^"]*)"/g)) {
      const before = sel[2]!.slice(0, m.index).trimEnd();
      if (before.endsWith('!') || m[0].includes('=~') || m[2]!.includes('$')) continue;
      out.push({ name: sel[1]!, label: m[1]!, value: m[2]! });
    }
  }
  return out;
}

/** Series Prometheus makes itself for each target, never exported by a service. */
const PROMETHEUS_OWN = new Set(['up']);
/** Labels the scrape adds (prometheus.yml), not the service. */
const TARGET_LABELS = new Set(['job', 'instance']);

interface Rule {
  alert: string;
  expr: string;
}
const rules = (parse(readFileSync(join(root, 'deploy/prometheus/alerts.yml'), 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);
interface Panel {
  title: string;
  type: string;
  targets?: Array<{ expr: string }>;
}
const dashboard = JSON.parse(readFileSync(join(root, 'deploy/grafana/egide.json'), 'utf8')) as { panels: Panel[]; templating: { list: Array<{ name: string; definition: string }> } };
const panelQueries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((q) => ({ where: `panel "${p.title}"`, expr: q.expr })));
// label_values(metric, label): the metric is the first argument.
const variableQueries = dashboard.templating.list.map((v) => ({ where: `variable $${v.name}`, expr: /^label_values\(([^,)]+)/.exec(v.definition)?.[1] ?? v.definition }));

const dep = await bootstrap(T);
const filed = await fileCase(T, dep);
// An evidence file of the case, stamped by the authority: its token carries the TSA's certificate.
const ciphertextSha256 = createHash('sha256').update('ciphertext').digest();
const stamp = await createTimestampClient({ url: tsa.url }).stamp(ciphertextSha256);
await T.database.sql`
  insert into case_files (id, case_id, uploader, uploader_role, state, size, chunks, ciphertext_sha256, sealed, timestamp_token, timestamped_at, created_at, updated_at)
  values (${randomUUID()}, ${filed.caseId}, ${`d:${filed.caseId}`}, 'defender', 'available', 10, 1, ${ciphertextSha256.toString('hex')}, '{}'::jsonb, ${Buffer.from(stamp.token)}, now(), now(), now())`;
const [deadline] = await T.database.sql<{ id: string; dueAt: string }[]>`select id, due_at as "dueAt" from deadlines where state = 'open' order by due_at limit 1`;
if (!deadline) throw new Error('filing opened no deadline');

t.test('before the workers run: the figures of a fresh filing, then of its deadline overdue', async (t) => {
  const s = await scrape();
  t.equal(value(s, 'egide_database_up'), 1, 'PostgreSQL answered');
  t.equal(value(s, 'egide_deadlines_overdue_unescalated'), 0, 'nothing overdue yet');
  t.equal(value(s, 'egide_deadlines_overdue_unescalated_oldest_seconds'), 0);
  t.ok((value(s, 'egide_audit_unchained_events') ?? 0) > 0, 'the filing\'s audit events wait for the chainer');
  t.equal(value(s, 'egide_audit_checkpoint_age_seconds'), undefined, 'no checkpoint yet: no sample');
  t.equal(value(s, 'egide_audit_checkpoint_interval_seconds'), T.config.AUDIT_CHECKPOINT_INTERVAL_SECONDS);
  for (const queue of ['deadline-steps', 'webhooks']) t.equal(value(s, 'egide_queue_up', { queue }), 1, `${queue}: Redis answered`);
  t.equal(value(s, 'egide_db_replica_up'), 1, 'the replica answers');
  const free = value(s, 'egide_evidence_store_free_bytes') ?? 0;
  const size = value(s, 'egide_evidence_store_size_bytes') ?? 0;
  t.ok(free > 0 && free <= size, `the evidence store's disk: ${free} free of ${size}`);
  t.equal(value(s, 'egide_timestamp_authority_certificate_expiry_timestamp_seconds'), Date.parse(new X509Certificate(tsa.tsaCertPem).validTo) / 1000, 'the TSA certificate\'s expiry, from the stored token');

  T.clock.set(new Date(Date.parse(deadline.dueAt) + 600_000));
  const overdue = await scrape();
  t.equal(value(overdue, 'egide_deadlines_overdue_unescalated'), 1, 'the deadline is overdue and not escalated');
  t.equal(value(overdue, 'egide_deadlines_overdue_unescalated_oldest_seconds'), 600, 'for 10 minutes');
  t.equal(value(overdue, 'egide_escalation_lateness_seconds', { step: 'level1' }), 0, 'no step fired yet');
});

t.test('with the workers: escalated (and how late), outbox relayed, audit chained and checkpointed', async (t) => {
  const logger = pino({ level: 'warn', base: { component: 'worker' } }, { write: (line: string) => void T.logs.push(line) });
  const workers = await startWorkers({ config: T.config, container: T.app.container, clock: T.clock, logger });
  t.teardown(() => workers.close());

  const s = await waitFor(
    async () => {
      const x = await scrape();
      const done =
        value(x, 'egide_deadlines_overdue_unescalated') === 0 &&
        value(x, 'egide_outbox_pending') === 0 &&
        value(x, 'egide_audit_unchained_events') === 0 &&
        value(x, 'egide_audit_checkpoint_age_seconds') !== undefined;
      return done ? x : null;
    },
    { what: 'the workers to escalate, relay, chain and checkpoint', timeoutMs: 30_000, everyMs: 200 },
  );
  t.equal(value(s, 'egide_deadlines_overdue_unescalated_oldest_seconds'), 0, 'nothing overdue left unescalated');
  t.equal(value(s, 'egide_escalation_lateness_seconds', { step: 'level1' }), 600, 'level 1 fired 10 minutes after it was due');
  t.equal(value(s, 'egide_escalation_lateness_seconds', { step: 'reminder' }), undefined, 'a reminder is not an escalation');
  t.equal(value(s, 'egide_escalation_lateness_seconds', { step: 'level2' }), 0, 'level 2 is not due');
  t.equal(value(s, 'egide_outbox_oldest_pending_seconds'), 0);
  t.equal(value(s, 'egide_audit_checkpoint_age_seconds'), 0, 'signed now, on the shared clock');

  T.clock.advance(120_000);
  t.equal(value(await scrape(), 'egide_audit_checkpoint_age_seconds'), 120, 'and two minutes older two minutes later');
});

t.test('every metric an alert rule or a dashboard query names is exported', async (t) => {
  // A refused scrape, so the problem counters have samples too.
  t.equal((await fetch(`${origin}/metrics`)).status, 401);
  const s = await scrape();
  const exported = exportedNames(s);
  t.ok(exported.has('egide_http_request_duration_seconds_bucket') && exported.has('egide_queue_jobs'), 'the histogram and the queue gauges are exported');

  const queries = [...rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr, alert: true })), ...panelQueries.map((q) => ({ ...q, alert: false })), ...variableQueries.map((q) => ({ ...q, alert: false }))];
  t.ok(panelQueries.length >= 20, `${panelQueries.length} panel queries`);
  const used = new Set<string>();
  for (const q of queries) {
    const names = metricNames(q.expr);
    t.ok(names.length > 0, `${q.where}: reads a metric`);
    for (const name of names) {
      used.add(name);
      if (PROMETHEUS_OWN.has(name)) continue;
      t.ok(exported.has(name), `${q.where}: ${name} is exported`);
      // What an alert reads has samples now that the world ran: an absent series would never fire.
      if (q.alert) t.ok(s.samples.has(name), `${q.where}: ${name} has samples`);
    }
    for (const m of equalityMatchers(q.expr)) {
      if (TARGET_LABELS.has(m.label)) continue;
      const series = s.samples.get(m.name) ?? s.samples.get(`${m.name}_count`) ?? [];
      t.ok(series.some((x) => x.labels[m.label] === m.value), `${q.where}: ${m.name}{${m.label}="${m.value}"} is exported`);
    }
  }
  // The extraction itself must see through functions and clauses, or the checks above prove little.
  t.same(metricNames('sum by (job, le) (rate(a_bucket{route!~"/x|y"}[5m])) / on (job) group_left b > clamp_min(10 * c, 600) and d{s="x"} == 0'), ['a_bucket', 'b', 'c', 'd']);
  for (const name of ['egide_deadlines_overdue_unescalated_oldest_seconds', 'egide_escalation_lateness_seconds', 'egide_outbox_oldest_pending_seconds', 'egide_audit_checkpoint_age_seconds', 'egide_evidence_store_free_bytes', 'egide_queue_jobs']) {
    t.ok(used.has(name), `${name} is watched by a rule or a panel`);
  }
});
