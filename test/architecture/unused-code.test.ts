/**
 * No dead code: knip (knip.jsonc lists the entry points) finds no unused dependency, file or
 * export in the project. The same run on a small fixture project with one of each proves that
 * knip reads this code base's TypeScript and reports what it should.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const knipBin = path.join(root, 'node_modules/knip/bin/knip.js');

// Whole-project analysis of a few hundred files on a shared machine.
t.setTimeout(180_000);

/** knip's JSON report: per file, a list of findings under each issue type. */
interface KnipReport {
  issues: Array<{ file: string } & Record<string, unknown>>;
}

async function knip(directory: string): Promise<string[]> {
  const child = spawn(process.execPath, [knipBin, '--directory', directory, '--reporter', 'json', '--no-progress', '--no-config-hints'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  // 0: nothing found, 1: findings; anything else is knip failing to run.
  if (code !== 0 && code !== 1) throw new Error(`knip exited ${code}:\n${err}`);
  const report = JSON.parse(out) as KnipReport;
  return report.issues
    .flatMap(({ file, ...kinds }) =>
      Object.entries(kinds).flatMap(([kind, found]) => (Array.isArray(found) ? found.map((f: { name?: string }) => `${kind}: ${file} ${f.name ?? ''}`.trim()) : [])),
    )
    .sort();
}

t.test('the project has no unused dependency, file or export', async (t) => {
  const found = await knip(root);
  t.same(found, [], `knip findings (delete the dead code, or list a real entry point in knip.jsonc):\n  ${found.join('\n  ')}`);
});

t.test('knip reports an unused dependency, file and export in the fixture project', async (t) => {
  t.same(await knip(path.join(root, 'test/fixtures/unused')), ['dependencies: package.json left-pad', 'exports: src/helpers.ts neverImported', 'files: src/orphan.ts src/orphan.ts']);
});
