/**
 * The console's screens against policies/access.yaml: a screen's roles are exactly the staff roles
 * that may perform every action it calls, so no role is shown a screen the API would refuse, and
 * none is kept from a screen it may use. Every action named exists (a renamed action fails here).
 */
import t from 'tap';
import { loadAccessPolicy } from '../../src/access/policy.js';
import { SCREENS, STAFF_ROLES, reachable, screenOf } from '../../web/console/screen-list.js';
import { projectRoot } from '../../src/lib/paths.js';
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
