/**
 * The policies as the service loaded them: every file of policies/, its parsed document and its
 * text, for admins and supervisors (policy.read); never the configuration; officers and partners
 * are refused; each read is audited.
 */
import t from 'tap';
import { readdirSync } from 'node:fs';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor } from '../helpers/world.js';
import { policiesPath } from '../../src/lib/paths.js';

const T = await buildTestApp(t);
const dep = await bootstrap(T);

t.test('admins and supervisors read every loaded policy file; officers do not', async (t) => {
  const r = await T.app.inject({ method: 'GET', url: '/v1/policies', headers: dep.admin.auth() });
  t.equal(r.statusCode, 200, 'answered');
  const body = r.json() as { files: Array<{ name: string; file: string; data: any; source: string }> };
  t.same(body.files.map((f) => f.file), readdirSync(policiesPath(T.config)).filter((f) => f.endsWith('.yaml')).sort(), 'one entry per file');
  const deadlines = body.files.find((f) => f.name === 'deadlines')!;
  t.type(deadlines.data, 'object', 'the parsed document');
  t.match(deadlines.source, /\S/, 'and its text');
  const access = body.files.find((f) => f.name === 'access')!;
  t.ok(access.data.actions['policy.read'], 'the access rules as loaded, this one included');
  for (const secret of [T.config.SERVER_SECRET, T.config.DATABASE_URL]) t.notOk(r.body.includes(String(secret)), 'never the configuration');

  t.equal((await T.app.inject({ method: 'GET', url: '/v1/policies', headers: dep.supervisor.auth() })).statusCode, 200, 'supervisors read them too');
  const officer = await enrolActor(T, dep.admin, { username: 'officer-policies', role: 'officer', orgId: dep.mechanismId });
  t.equal((await T.app.inject({ method: 'GET', url: '/v1/policies', headers: officer.auth() })).statusCode, 403);
  const events = await T.database.sql`select role, outcome from audit_events where action = 'policy.read' order by id`;
  t.match(events, [{ role: 'admin', outcome: 'allowed' }, { role: 'supervisor', outcome: 'allowed' }, { role: 'officer', outcome: 'denied' }]);
});
