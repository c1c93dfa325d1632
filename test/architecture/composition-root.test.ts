/**
 * The object graph is built in one place, src/container.ts: no other file of src/ or workers/
 * builds a service or a repository, opens a pool, loads the server keys or reads a policy file.
 * (The definitions themselves, and the steps that run before a container exists, are named below.)
 */
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectRoot } from '../../src/lib/paths.js';

const root = projectRoot();
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });

/** What builds part of the graph: a service or repository factory, a pool, the keys, a policy file. */
const BUILDS = /\b(create[A-Z]\w*(?:Service|Repository)|createDatabase|loadServerKeys|loadPolicies|load[A-Z]\w*Policy|loadMeasureCatalogue)\(/g;

/** Where else a call may stand, and why. */
const ALLOWED: Record<string, string> = {
  'src/container.ts': 'the composition root',
  'src/policies.ts': 'loadPolicies: each policy file read once, for the container',
  'src/db/migrate.ts': 'migrations run as the owner role, before any container exists',
  'src/main.ts': 'sealing values an earlier release stored in clear, before the roles start',
  'src/cli/backup.ts': 'backup and restore run with no container (the database restored into is empty): the public halves of the keys only',
};

t.test('only the container builds the object graph', async (t) => {
  const found: string[] = [];
  for (const file of [...files(join(root, 'src')), ...files(join(root, 'workers'))]) {
    const path = relative(root, file);
    if (ALLOWED[path]) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(BUILDS)) {
      // The factory's own definition (and a policy loader calling its file reader) is not a build.
      const line = text.slice(text.lastIndexOf('\n', m.index) + 1, text.indexOf('\n', m.index));
      if (/^\s*(export\s+)?(async\s+)?function\s/.test(line)) continue;
      found.push(`${path}: ${line.trim()}`);
    }
  }
  t.same(found, [], `built outside src/container.ts:\n  ${found.join('\n  ')}`);
  // The pattern must keep matching what the container does, or the check above would pass on nothing.
  const inContainer = [...readFileSync(join(root, 'src/container.ts'), 'utf8').matchAll(BUILDS)].map((m) => m[1]);
  for (const build of ['createDatabase', 'loadServerKeys', 'loadPolicies', 'createCaseService', 'createCaseRepository']) t.ok(inContainer.includes(build), `the pattern finds ${build}( in src/container.ts`);
  t.ok(inContainer.length >= 30, `the pattern finds the container's builds (${inContainer.length})`);
});
