/**
 * The import rules of `.dependency-cruiser.mjs` hold for src/, workers/ and web/: no cycle, and
 * no import up the layers (kernel <- data <- services <- routes and plugins <- composition;
 * workers above src/; the SDK and the web pages import only browser code). The same rules run
 * on a small fixture tree with one breach of each, so a rule that matches nothing (a renamed
 * folder, a parser that reads no TypeScript) fails here instead of passing in silence.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { cruise, type ICruiseOptions, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = path.join(root, 'test/fixtures/layers');
const options = await extractDepcruiseOptions(path.join(root, '.dependency-cruiser.mjs'));

async function cruiseTree(baseDir: string, extra: Partial<ICruiseOptions> = {}): Promise<ICruiseResult> {
  const { output } = await cruise(['src', 'workers', 'web'], { ...options, ...extra, baseDir });
  if (typeof output === 'string') throw new Error(`dependency-cruiser answered text: ${output.slice(0, 200)}`);
  return output;
}

function describe(v: IViolation): string {
  const through = v.cycle ? ` (cycle: ${[v.from, ...v.cycle.map((c) => c.name)].join(' -> ')})` : '';
  return `${v.rule.name}: ${v.from} -> ${v.to}${through}`;
}

t.test('src/, workers/ and web/ keep their layers and have no import cycle', async (t) => {
  const result = await cruiseTree(root);
  const modules = result.modules.filter((m) => /^(src|workers|web)\//.test(m.source));
  // The rules only see what was parsed: every part is there, and TypeScript imports were read.
  for (const part of ['src/', 'workers/', 'web/']) t.ok(modules.filter((m) => m.source.startsWith(part)).length >= 10, `${part} cruised`);
  const list = modules.find((m) => m.source === 'src/modules.ts');
  t.ok((list?.dependencies.filter((d) => d.resolved.startsWith('src/')).length ?? 0) >= 15, 'src/modules.ts imports are resolved to files');

  const violations = result.summary.violations;
  const open = violations.filter((v) => v.rule.severity !== 'ignore').map(describe);
  t.same(open, [], `import rule violations:\n  ${open.join('\n  ')}`);

  // An allowance that matches nothing any more is removed, so it cannot hide a new breach.
  const ignored = violations.filter((v) => v.rule.severity === 'ignore');
  const stale = (options.knownViolations ?? []).filter((k) => !ignored.some((v) => v.rule.name === k.rule.name && v.from === k.from && v.to === k.to)).map(describe);
  t.same(stale, [], `known violations that no longer occur (remove them from .dependency-cruiser.mjs):\n  ${stale.join('\n  ')}`);
});

t.test('each rule catches its breach in the fixture tree, and allowed imports pass', async (t) => {
  const result = await cruiseTree(fixture, { knownViolations: [] });
  const found = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.type === 'cycle' ? 'cycle' : v.to}`).sort();
  t.same(
    found,
    [
      'import-resolves: src/cases/case-rules.ts -> ./missing.js',
      'kernel-imports-only-kernel: src/lib/clock.ts -> src/orgs/org-service.ts',
      'no-cycle: src/cases/case-policy.ts -> cycle',
      'plugin-imports-no-route: src/plugins/auth.ts -> src/cases/case-routes.ts',
      'repository-imports-no-service: src/orgs/org-repository.ts -> src/orgs/org-service.ts',
      'repository-imports-no-service: src/outbox/outbox-relay.ts -> src/orgs/org-service.ts',
      'repository-returns-no-problem: src/orgs/org-repository.ts -> src/lib/problem.ts',
      'route-imports-no-composition: src/cases/case-routes.ts -> src/container.ts',
      'sdk-imports-no-server-code: src/sdk/seal.ts -> src/lib/clock.ts',
      'service-imports-no-plugin: src/orgs/org-service.ts -> src/plugins/auth.ts',
      'service-imports-no-route: src/orgs/org-service.ts -> src/orgs/org-routes.ts',
      'src-imports-no-workers: src/orgs/org-service.ts -> workers/job.ts',
      'web-imports-no-server-code: web/page.ts -> src/orgs/org-service.ts',
    ],
  );
  const rules = new Set(result.summary.violations.map((v) => v.rule.name));
  const silent = (options.ruleSet?.forbidden ?? []).map((r) => r.name ?? '(unnamed)').filter((name) => !rules.has(name));
  t.same(silent, [], 'every forbidden rule has a breach in the fixture tree');
});
