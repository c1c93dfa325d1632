import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, logIn, type Actor } from '../helpers/actors.js';
import { loadAccessPolicy, type Role } from '../../src/access/policy.js';
import { policiesPath } from '../../src/app.js';

/**
 * Every route that exists, as every role: a role the policy does not name gets 403 (and the
 * refusal is audited), an anonymous caller gets 401 on protected routes, and a role the policy
 * names gets past authorisation (any answer but 401/403: its request here is deliberately
 * empty or aimed at unknown ids, so scopes and validation decide the rest).
 */
const T = await buildTestApp(t);
const dep = await bootstrap(T);
const org = await T.app.inject({ method: 'POST', url: '/v1/orgs', headers: dep.admin.auth(), payload: { name: 'Avocats Sans Frontières' } });
const partner = await enrolActor(T, dep.admin, { username: 'partner-asf', role: 'partner', orgId: org.json().id });
const officer = await enrolActor(T, dep.admin, { username: 'officer-1', role: 'officer', orgId: dep.mechanismId });
const actors: Partial<Record<Role, Actor>> = { admin: dep.admin, supervisor: dep.supervisor, officer, partner };
const policy = loadAccessPolicy(policiesPath(T.config));
const routes = T.app.routeTable().filter((r) => !r.url.startsWith('/docs/static'));

t.ok(routes.length >= 25, `walks ${routes.length} routes`);

const codeOf = (body: string): string => {
  try {
    return (JSON.parse(body) as { code?: string }).code ?? '';
  } catch {
    return '';
  }
};

const call = (r: { method: string; url: string }, headers: Record<string, string>) =>
  T.app.inject({
    method: r.method as 'GET',
    url: r.url.replace(/:[A-Za-z]+/g, () => randomUUID()).replace('*', 'x'),
    headers,
    ...(r.method === 'GET' ? {} : { payload: {} }),
  });

for (const route of routes) {
  t.test(`${route.method} ${route.url} (${route.action})`, async (t) => {
    const rule = policy.get(route.action)!;
    t.ok(rule, 'the action exists in the policy');
    const anon = await call(route, {});
    if (rule.public) t.not(anon.statusCode, 401, 'public: no token needed');
    else t.equal(anon.statusCode, 401, 'anonymous is refused');
    for (const [role, actor] of Object.entries(actors) as Array<[Role, Actor]>) {
      const res = await call(route, actor.auth());
      if (rule.public || rule.roles[role]) {
        t.notOk([401, 403].includes(res.statusCode), `${role} passes authorisation (got ${res.statusCode} ${codeOf(res.body)})`);
      } else {
        t.equal(res.statusCode, 403, `${role} is refused`);
        t.equal(codeOf(res.body), 'forbidden');
      }
      t.ok(res.statusCode < 500, `${role}: no server error`);
      // Logging out is a real effect: give the actor a new session for the next routes.
      if (route.action === 'auth.logout' && res.statusCode === 204) Object.assign(actor, await logIn(T, actor), { issuedAt: T.clock.now().getTime() });
    }
  });
}

t.test('every role-level refusal above is in the audit log', async (t) => {
  const expected = routes.reduce((n, r) => {
    const rule = policy.get(r.action)!;
    return n + (rule.public ? 0 : (Object.keys(actors) as Role[]).filter((role) => !rule.roles[role]).length);
  }, 0);
  const [row] = await T.database.sql`select count(*)::int as n from audit_events where outcome = 'denied' and resource like 'route:%'`;
  t.equal(row!.n, expected);
});

t.test('the policy matches the permission catalogue of access.md for these actions', async (t) => {
  const roles = (action: string) => Object.keys(policy.get(action)?.roles ?? {}).sort();
  t.same(roles('audit.read'), ['supervisor']);
  t.same(roles('audit.verify'), ['supervisor']);
  for (const a of ['user.invite', 'user.list', 'user.disable', 'org.create', 'keyring.remove']) t.same(roles(a), ['admin'], a);
  t.notOk(Object.keys(policy.get('keyring.add')?.roles ?? {}).includes('admin'), 'admins hold no case keys');
});
