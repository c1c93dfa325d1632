/**
 * The typed client's types are the contracts' own (no generation step): `tsc` on a fixture of
 * right and wrong calls (each wrong one marked `@ts-expect-error`) passes, and the same fixture
 * fails to compile against a copy of the sources where a route's schema changed.
 */
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = 'test/fixtures/client-types';
// The native compiler itself, as the package's own launcher finds it (a `node` child would get the test runner's loaders).
const { default: tscPath } = (await import(pathToFileURL(path.join(root, 'node_modules', 'typescript', 'lib', 'getExePath.js')).href)) as { default: () => string };
const tsc = tscPath();

function typecheck(dir: string): { status: number | null; output: string } {
  const r = spawnSync(tsc, ['--noEmit', '-p', path.join(dir, fixture, 'tsconfig.json')], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A copy of the sources, the fixture and the compiler settings, with node_modules linked. */
function copyOfSources(t: Test): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'egide-client-types-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const p of ['src', fixture, 'tsconfig.json', 'package.json']) cpSync(path.join(root, p), path.join(dir, p), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

function edit(dir: string, file: string, from: string, to: string): void {
  const p = path.join(dir, file);
  const text = readFileSync(p, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} no longer holds ${from}`);
  writeFileSync(p, text.replace(from, to));
}

t.test('right calls compile and every wrong call is an error', async (t) => {
  const r = typecheck(root);
  t.equal(r.status, 0, r.output || 'tsc passed: no @ts-expect-error went unused');
});

t.test("a change of a route's schema breaks the calls that no longer fit", async (t) => {
  const dir = copyOfSources(t);
  // The account answer renames a field; the case read renames its path parameter.
  edit(dir, 'src/contracts/auth-shapes.ts', '  username: Type.String(),\n  role: Type.String(),', '  login: Type.String(),\n  role: Type.String(),');
  edit(dir, 'src/contracts/case.ts', "export const getCase = operation('getCase', {\n  tags: ['cases'],\n  summary: 'Where a case stands: metadata and open deadlines (a defender sees their own case only)',\n  security: [{ bearer: [] }],\n  params: Type.Object({ caseId: Uuid }),", "export const getCase = operation('getCase', {\n  tags: ['cases'],\n  summary: 'Where a case stands: metadata and open deadlines (a defender sees their own case only)',\n  security: [{ bearer: [] }],\n  params: Type.Object({ id: Uuid }),");
  const r = typecheck(dir);
  t.not(r.status, 0, 'the fixture no longer compiles');
  const errors = r.output.split('\n').filter((l) => l.includes('calls.ts('));
  const at = (code: string) => readFileSync(path.join(root, fixture, 'calls.ts'), 'utf8').split('\n').findIndex((l) => l.includes(code)) + 1;
  const errorAt = (line: number) => errors.find((l) => l.includes(`calls.ts(${line},`));
  t.match(errorAt(at('me.username;')), /TS2339.*'username'/, `the answer's renamed field: ${errors.join('\n')}`);
  t.match(errorAt(at("client.call('getCase', { params: { caseId:")), /TS2353|TS2322|TS2561/, 'the renamed path parameter');
  t.match(errorAt(at("params: { id: 'x' }") - 1), /TS2578/, 'the call with the new name is no longer an error: its @ts-expect-error is unused');
  t.equal(errors.length, 3, `nothing else broke: ${errors.join('\n')}`);
});
