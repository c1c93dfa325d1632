/**
 * Static guard: the shared SDK (src/sdk/ except src/sdk/node/) must run unchanged in a browser,
 * so no file there may import a `node:` module, a Node builtin by bare name (fs, path, crypto,
 * ...), or any file outside src/sdk/ (server code) or inside src/sdk/node/. The API contracts
 * (src/contracts/) are the one exception: the typed client takes its types from them, and at run
 * time only their route table (plain data).
 *
 * Two independent readings of every file: a source scan that also sees type-only imports, and
 * esbuild's import records (what really loads at run time, including `require` and `import()`).
 */
import { builtinModules } from 'node:module';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import t from 'tap';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sdkDir = path.join(root, 'src/sdk');
const nodeOnlyDir = path.join(sdkDir, 'node');
const contractsDir = path.join(root, 'src/contracts');
/** The one contracts module the SDK may load at run time: the route table (no TypeBox, no server code). */
const routeTable = path.join(contractsDir, 'routes');
const CODE = /\.(?:[cm]?[jt]sx?)$/;

const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

const rel = (file: string): string => path.relative(root, file).split(path.sep).join('/');
const inside = (file: string, dir: string): boolean => file === dir || file.startsWith(dir + path.sep);

/**
 * Why `specifier`, imported from `fromFile`, is not allowed in shared SDK code; undefined when it
 * is fine. `runtime`: the import loads at run time (esbuild's reading), not only for types.
 */
function refusal(specifier: string, fromFile: string, runtime = false): string | undefined {
  if (specifier.startsWith('node:')) return 'Node builtin (node: scheme)';
  const bare = specifier.split('/')[0] ?? specifier;
  if (BUILTINS.has(specifier) || BUILTINS.has(bare)) return 'Node builtin by bare name';
  if (specifier.startsWith('#')) return 'package.json import map entry: may point anywhere';
  let target: string | undefined;
  if (specifier.startsWith('.')) target = path.resolve(path.dirname(fromFile), specifier);
  else if (specifier.startsWith('/')) target = path.resolve(specifier);
  else if (specifier.startsWith('file:')) target = fileURLToPath(specifier);
  else if (/^[a-z][a-z0-9+.-]*:/i.test(specifier)) return 'URL import';
  if (target === undefined) return undefined; // an npm package; the browser bundle test checks it bundles without Node builtins
  if (inside(target, contractsDir)) return runtime && target.replace(/\.[cm]?[jt]s$/, '') !== routeTable ? `contracts loaded at run time (${rel(target)}): import their types only` : undefined;
  if (!inside(target, sdkDir)) return `outside src/sdk (${rel(target)})`;
  if (inside(target, nodeOnlyDir)) return `Node-only helper (${rel(target)})`;
  return undefined;
}

/**
 * Module specifiers written in a source file: static imports and re-exports (type-only ones
 * too), side-effect imports, `import()` (also in type positions) and `require()`.
 * Comments are removed first so that documentation mentioning `node:fs` is not an import.
 */
function writtenSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const patterns = [
    /(?:^|[;}\s])(?:import|export)\s+(?:type\s+)?[^;'"`]*?\bfrom\s*(['"])([^'"\n]+)\1/g,
    /(?:^|[;}\s])import\s*(['"])([^'"\n]+)\1/g,
    /\bimport\s*\(\s*(['"`])([^'"`\n]+)\1/g,
    /\brequire\s*\(\s*(['"`])([^'"`\n]+)\1/g,
  ];
  const found = new Set<string>();
  for (const re of patterns) for (const m of code.matchAll(re)) if (m[2]) found.add(m[2]);
  return [...found];
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!inside(full, nodeOnlyDir)) out.push(...(await walk(full)));
    } else if (CODE.test(entry.name)) {
      out.push(full);
    }
  }
  return out.sort();
}

/** esbuild's reading of the import records of each file (packages left external, nothing bundled in). */
async function esbuildSpecifiers(files: string[]): Promise<Map<string, string[]>> {
  const result = await esbuild.build({
    entryPoints: files,
    bundle: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    platform: 'neutral',
    format: 'esm',
    packages: 'external',
    external: ['node:*', ...BUILTINS],
    outdir: path.join(root, '.purity-out-never-written'),
    absWorkingDir: root,
  });
  const out = new Map<string, string[]>();
  for (const [input, info] of Object.entries(result.metafile.inputs)) {
    out.set(path.resolve(root, input), info.imports.map((i) => i.original ?? i.path));
  }
  return out;
}

function offences(file: string, specifiers: Iterable<string>, runtime = false): string[] {
  const out: string[] = [];
  for (const s of specifiers) {
    const why = refusal(s, file, runtime);
    if (why) out.push(`${rel(file)} imports '${s}': ${why}`);
  }
  return out;
}

t.test('the checker catches what it must (controls)', async (t) => {
  const fake = path.join(sdkDir, 'crypto', 'fake.ts');
  const sample = [
    "import fs from 'fs';",
    "import { randomBytes } from 'node:crypto';",
    "import type { App } from '../../server/app.js';",
    'import {\n  type Job,\n  queue,\n} from "../../workers/queue.js";',
    "export { helper } from '../node/files.js';",
    "import 'path';",
    "const p = await import('fs/promises');",
    "const c = require('crypto');",
    "// import { nothing } from 'node:comment-only';",
    "/* import x from 'os'; */",
    "import { ready } from './sodium.js';",
    "import sodium from 'libsodium-wrappers-sumo';",
    "const url = 'https://example.org/x'; // a string with // inside",
  ].join('\n');
  const found = offences(fake, writtenSpecifiers(sample));
  t.same(
    found.map((f) => f.split("'")[1]).sort(),
    ['../../server/app.js', '../../workers/queue.js', '../node/files.js', 'crypto', 'fs', 'fs/promises', 'node:crypto', 'path'].sort(),
    `the source scan flags exactly the forbidden imports:\n${found.join('\n')}`,
  );

  t.same(offences(fake, ['../../contracts/case.js']), [], 'a contract imported for its types is fine');
  t.equal(offences(fake, ['../../contracts/case.js'], true).length, 1, 'a contract loaded at run time is flagged (it would bring TypeBox)');
  t.same(offences(fake, ['../../contracts/routes.js'], true), [], 'the route table may load at run time');

  let records: string[] = [];
  try {
    const r = await esbuild.build({
      stdin: { contents: "const m = await import('node:fs'); const x = require('path'); export { m, x };", resolveDir: path.join(sdkDir, 'crypto'), sourcefile: 'probe.ts', loader: 'ts' },
      bundle: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
      platform: 'neutral',
      format: 'esm',
      packages: 'external',
      external: ['node:*', ...BUILTINS],
    });
    records = Object.values(r.metafile.inputs).flatMap((i) => i.imports.map((x) => x.original ?? x.path));
  } catch (err) {
    t.fail(`esbuild could not read the probe: ${err instanceof Error ? err.message : String(err)}`);
  }
  t.same(offences(path.join(sdkDir, 'crypto', 'probe.ts'), records).length, 2, `esbuild's import records flag import('node:fs') and require('path'): ${records.join(', ')}`);
});

t.test('shared SDK code imports no Node builtin and nothing outside src/sdk', async (t) => {
  const files = await walk(sdkDir);
  t.ok(files.includes(path.join(sdkDir, 'index.ts')), `walked ${files.length} files of src/sdk (excluding src/sdk/node/), including index.ts`);
  t.ok(files.length >= 10, 'the walk found the crypto modules');

  const bySource = new Map<string, string[]>();
  for (const file of files) bySource.set(file, writtenSpecifiers(await readFile(file, 'utf8')));

  let byEsbuild = new Map<string, string[]>();
  try {
    byEsbuild = await esbuildSpecifiers(files);
  } catch (err) {
    const errors = (err as { errors?: esbuild.Message[] }).errors;
    t.fail(`esbuild could not read src/sdk: ${errors ? errors.map((e) => `${e.location?.file ?? '?'}: ${e.text}`).join('; ') : String(err)}`);
  }

  const problems: string[] = [];
  const packages = new Set<string>();
  for (const file of files) {
    const specifiers = new Set([...(bySource.get(file) ?? []), ...(byEsbuild.get(file) ?? [])]);
    problems.push(...new Set([...offences(file, bySource.get(file) ?? []), ...offences(file, byEsbuild.get(file) ?? [], true)]));
    for (const s of specifiers) if (!s.startsWith('.') && !refusal(s, file)) packages.add(s);
  }
  t.same(problems, [], problems.length ? `forbidden imports in shared SDK code:\n${problems.join('\n')}` : 'no forbidden import');
  t.ok(
    files.every((f) => byEsbuild.has(f)),
    'esbuild read every walked file (both readings cover the same files)',
  );
  t.comment(`packages used by shared SDK code: ${[...packages].sort().join(', ')}`);
});
