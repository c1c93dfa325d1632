/**
 * The console's screens against policies/access.yaml: a screen's roles are exactly the staff roles
 * that may perform every action it calls, so no role is shown a screen the API would refuse, and
 * none is kept from a screen it may use. Every action named exists (a renamed action fails here).
 * The screens only some roles open are in chunks of their own, none of which an officer needs.
 */
import t from 'tap';
import { loadAccessPolicy } from '../../src/access/policy.js';
import { SCREENS, STAFF_ROLES, reachable, screenOf } from '../../web/console/screen-list.js';
import { projectRoot } from '../../src/lib/paths.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const policy = loadAccessPolicy(join(projectRoot(), 'policies'));

t.test('each screen is reachable by exactly the roles that may do what it calls', async (t) => {
  for (const screen of SCREENS) {
    for (const action of screen.needs) t.ok(policy.get(action), `${screen.path}: ${action} is an action of access.yaml`);
    if (screen.roles === 'public') {
      t.ok(screen.needs.every((a) => policy.get(a)?.public), `${screen.path}: a public screen calls public actions only`);
      continue;
    }
    const allowed = STAFF_ROLES.filter((role) => screen.needs.every((a) => Object.hasOwn(policy.get(a)?.roles ?? {}, role)));
    t.same([...screen.roles].sort(), [...allowed].sort(), `${screen.path}: roles`);
  }
});

t.test('paths match as the router matches them', async (t) => {
  t.equal(screenOf('/console/cases/3f1c/notes')?.path, '/console/cases/:caseId/notes');
  t.equal(screenOf('/console/cases/3f1c')?.path, '/console/cases/:caseId');
  t.equal(screenOf('/console/')?.path, '/console');
  t.equal(screenOf('/console/nowhere'), undefined);
  const invite = screenOf('/console/invite')!;
  t.ok(reachable(invite, 'admin'));
  t.notOk(reachable(invite, 'officer'));
  t.notOk(reachable(invite, undefined), 'nobody signed in reaches a staff screen');
});

t.test("the officer's screens and the public ones are in the main bundle, a role's own screens in its chunk", async (t) => {
  for (const screen of SCREENS) {
    if (screen.roles === 'public' || reachable(screen, 'officer')) {
      t.equal(screen.chunk, undefined, `${screen.path}: in the main bundle (public or an officer's)`);
      continue;
    }
    t.ok(screen.chunk, `${screen.path}: no officer opens it, so it is in a chunk`);
    // `<role>-screens`, or `<role>-<part>` for a heavy part of a role's screens fetched only when opened.
    const role = STAFF_ROLES.find((r) => screen.chunk?.startsWith(`${r}-`));
    if (role) t.same(screen.roles, [role], `${screen.path}: in the ${screen.chunk} chunk, a screen of that role alone`);
    else t.ok(screen.roles.length > 1, `${screen.path}: a chunk of its own for a screen that several roles share`);
  }
  // Each chunk is a file of web/console/chunks/ that lazy-screens.ts loads; the build makes an entry of each file there.
  const dir = join(projectRoot(), 'web', 'console');
  const chunks = [...new Set(SCREENS.flatMap((s) => (s.chunk ? [s.chunk] : [])))].sort();
  t.same(readdirSync(join(dir, 'chunks')).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '')).sort(), chunks, 'a file of chunks/ for each chunk, and no other');
  const loader = readFileSync(join(dir, 'lazy-screens.ts'), 'utf8');
  t.same([...new Set([...loader.matchAll(/import\('\.\/chunks\/([\w-]+)\.js'\)/g)].map((m) => m[1]))].sort(), chunks, 'lazy-screens.ts loads each');
});
