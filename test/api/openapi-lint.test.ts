/**
 * The OpenAPI document passes Redocly's lint (redocly.yaml at the repository root: the
 * recommended rules and a few stricter ones) with no error and no warning, as served by the app.
 * The same lint run on a copy of the document with the defects it once had (a public operation
 * without `security`, no `servers`, an operation without operationId or without a 4xx answer, a
 * problem documented as plain JSON) finds each of them, so the lint is really run with that config.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTestApp } from '../helpers/app.js';

const CONFIG = fileURLToPath(new URL('../../redocly.yaml', import.meta.url));
const CLI = join(createRequire(import.meta.url).resolve('@redocly/cli/package.json'), '..', 'bin', 'cli.js');

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: Array<{ pointer: string }>;
}
interface LintReport {
  totals: { errors: number; warnings: number };
  problems: LintProblem[];
}
type Doc = { servers?: unknown; paths: Record<string, Record<string, Record<string, unknown>>> };

const T = await buildTestApp(t);
const res = await T.app.inject({ method: 'GET', url: '/docs/json' });
if (res.statusCode !== 200) throw new Error(`/docs/json answered ${res.statusCode}`);
const doc = res.json() as Doc;

const dir = await mkdtemp(join(tmpdir(), 'egide-openapi-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

/** Runs `redocly lint` on the document as a file; the CLI exits 1 when it finds errors, its JSON report is on stdout either way. */
async function lint(name: string, document: unknown): Promise<LintReport> {
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(document));
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, 'lint', file, '--config', CONFIG, '--format', 'json', '--max-problems', '1000'],
      { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' }, maxBuffer: 32 * 1024 * 1024, timeout: 90_000 },
      (err, out, errOut) => {
        if (out.trim().startsWith('{')) resolve(out);
        else reject(new Error(`redocly lint gave no report (${err?.message ?? 'exit 0'}):\n${errOut}`));
      },
    );
  });
  return JSON.parse(stdout) as LintReport;
}

const describe = (p: LintProblem) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`;

t.test('the served document has no lint error and no warning', async (t) => {
  const report = await lint('served', doc);
  t.same(report.problems.map(describe), [], 'no problem: fix the route schema, or justify a rule override in redocly.yaml');
  t.equal(report.totals.errors, 0, 'no error');
  t.equal(report.totals.warnings, 0, 'no warning');
});

t.test('the lint finds each defect the document used to have', async (t) => {
  const bad = structuredClone(doc);
  delete bad.servers;
  delete bad.paths['/v1/auth/prelogin']!.post!.security;
  delete bad.paths['/v1/me']!.get!.operationId;
  const liveness = bad.paths['/healthz']!.get!.responses as Record<string, unknown>;
  for (const status of Object.keys(liveness)) if (status.startsWith('4')) delete liveness[status];
  const conflict = (bad.paths['/v1/invitations']!.post!.responses as Record<string, { content: Record<string, unknown> }>)['409']!;
  conflict.content = { 'application/json': conflict.content['application/problem+json'] };

  const report = await lint('defective', bad);
  const found = new Set(report.problems.filter((p) => p.severity === 'error' || p.ruleId === 'operation-4xx-response').map((p) => `${p.ruleId} ${p.location[0]?.pointer ?? ''}`));
  for (const expected of [
    'no-empty-servers #/openapi',
    'security-defined #/paths/~1v1~1auth~1prelogin/post',
    'operation-operationId #/paths/~1v1~1me/get/operationId',
    'operation-4xx-response #/paths/~1healthz/get/responses',
    'operation-4xx-problem-details-rfc7807 #/paths/~1v1~1invitations/post/responses/409',
  ]) {
    t.ok(found.has(expected), `${expected} is reported`);
  }
  t.ok(report.totals.errors >= 4, `${report.totals.errors} errors`);
});
