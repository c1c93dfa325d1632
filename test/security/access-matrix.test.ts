/**
 * The access matrix (access.md): every route of the app's own route table x every role x
 * a resource in the caller's scope and one out of it, the expected answer derived from
 * policies/access.yaml: a role the action does not list gets 403 `forbidden`; a listed role gets
 * the route's success on a resource in scope and 404 `not_found` on one out of scope (so existence
 * does not leak), or for a list, a 200 without it; an anonymous caller gets 401 on every route
 * that is not public. Every refused cell (a 403, an out-of-scope 404, a refusal an entry expects)
 * is audited exactly once: the request's only event is `denied`, on the route's action, its reason
 * starting with the problem code the caller was answered. A route without an entry in
 * access-matrix/entries.ts, or an entry without a route, fails the suite.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { loadAccessPolicy, ROLES, type Role } from '../../src/access/policy.js';
import { policiesPath } from '../../src/lib/paths.js';
import { buildWorld, type Who } from './access-matrix/world.js';
import { appendHeaders, ciphertextOf, created, descriptionOf, received, TUS } from './access-matrix/files.js';
import { dashboardEntry, entries, type Entry, type Mode, type Probe } from './access-matrix/entries.js';

// Sessions last 30 days of the test clock: the matrix's many TOTP logins move it by 31 s each.
// Every role against every route (some 2,000 requests, each over its own world state): longer than the suite's default.
t.setTimeout(600_000);
const T = await buildTestApp(t, { env: { REFRESH_TOKEN_TTL_SECONDS: String(30 * 24 * 3600) } });
const policy = loadAccessPolicy(policiesPath(T.config));
const routes = T.app.routeTable();
const keyOf = (r: { method: string; url: string }) => `${r.method} ${r.url}`;

// The success status each route documents (its one 2xx response), from the OpenAPI document.
const doc = (await T.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
function documentedOk(method: string, url: string): number {
  const op = doc.paths[url.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
  const ok = Object.keys(op?.responses ?? {}).filter((c) => c.startsWith('2'));
  return ok.length === 1 ? Number(ok[0]) : 200;
}

const w = await buildWorld(T);
// Made before the entries marked `last` rotate the mechanism key that filings pin.
const uploadsCase = await w.newCase('triage');

t.test('every route has an entry and every entry a route', async (t) => {
  const routeKeys = new Set(routes.map(keyOf));
  t.same(
    routes.filter((r) => !entries[keyOf(r)] && !dashboardEntry(r.method, r.url)).map(keyOf),
    [],
    'routes without an entry in access-matrix/entries.ts',
  );
  t.same(
    Object.keys(entries).filter((k) => !routeKeys.has(k)),
    [],
    'entries without a route',
  );
  t.ok(routes.length >= 90, `${routes.length} routes`);
});

const sql = T.database.sql;

/** A refused cell: the request that was refused and the problem code it was answered. */
interface RefusedCell {
  label: string;
  requestId: string;
  /** the code answered; null: refused before any service ran (no token), so nothing is audited */
  code: string | null;
}

/** The request id a problem document names (`instance: urn:egide:request:<id>`), or for a HEAD answer (no body) the log's. */
const requestIdOf = (res: Parameters<typeof w.requestIdOf>[0]): string => w.requestIdOf(res);

/**
 * Each refused cell of a route holds exactly one audit event: its denial, on the route's action,
 * its reason starting with the code answered; a request refused before any service ran holds
 * none. One query for all the cells of the route.
 */
let refusalsChecked = 0;
async function assertRefusalsAudited(t: Pick<typeof import('tap').t, 'ok' | 'not' | 'same'>, action: string, refused: readonly RefusedCell[]): Promise<void> {
  if (refused.length === 0) return;
  const ids = refused.map((r) => r.requestId).filter((id) => id !== '');
  const rows = ids.length === 0 ? [] : await sql<Array<{ request_id: string; action: string; outcome: string; reason: string | null }>>`
    select request_id, action, outcome, reason from audit_events where request_id in ${sql(ids)} order by id`;
  for (const cell of refused) {
    t.not(cell.requestId, '', `${cell.label}: the problem names its request`);
    const events = rows.filter((r) => r.request_id === cell.requestId).map((r) => ({ action: r.action, outcome: r.outcome, reason: r.reason ?? '' }));
    refusalsChecked++;
    if (cell.code === null) {
      t.same(events, [], `${cell.label}: refused before any service ran, nothing in the log`);
      continue;
    }
    const reason = events[0]?.reason ?? '';
    t.same(
      events.map((e) => ({ action: e.action, outcome: e.outcome, code: e.reason.split(/[:( ]/, 1)[0] })),
      [{ action, outcome: 'denied', code: cell.code }],
      `${cell.label}: one denied event, ${action}, reason starting with ${cell.code} — got ${JSON.stringify(events)}`,
    );
    t.ok(reason === cell.code || reason.startsWith(`${cell.code}:`) || reason.startsWith(`${cell.code} (`), `${cell.label}: the reason starts with the answered code — ${reason}`);
  }
}

const codeOf = (body: string): string => {
  try {
    return (JSON.parse(body) as { code?: string }).code ?? '';
  } catch {
    return '';
  }
};

async function send(p: Probe, method: string, withAuth = true) {
  return w.call(withAuth ? p.who : null, method, p.url, p.body, p.headers);
}

/** Is there a resource this role can be out of scope of? Not with `all`; `self` has its own entries. */
const canBeOut = (scopes: readonly string[]) => !scopes.includes('all') && !(scopes.length === 1 && scopes[0] === 'self');

const ordered = [...routes].sort((a, b) => Number(entryOf(a)?.last ?? false) - Number(entryOf(b)?.last ?? false));
function entryOf(r: { method: string; url: string }): Entry | undefined {
  return entries[keyOf(r)] ?? dashboardEntry(r.method, r.url);
}

let cells = 0;
for (const route of ordered) {
  const entry = entryOf(route);
  if (!entry) continue;
  const rule = policy.get(route.action)!;
  t.test(`${route.method} ${route.url} (${route.action})`, async (t) => {
    t.ok(rule, 'the action is in the policy');
    const refused: RefusedCell[] = [];
    const refusedCell = (label: string, res: Parameters<typeof requestIdOf>[0], code: string | null) => refused.push({ label, requestId: requestIdOf(res), code });
    // A HEAD answer has no body (RFC 9110 §9.3.2): its problem code is checked through the one audit event of its refusal.
    const codeIs = (res: { body: string }, code: string, what: string) => {
      if (route.method !== 'HEAD') t.equal(codeOf(res.body), code, what);
    };
    const expectOk = (res: Parameters<typeof requestIdOf>[0], what: string, role?: Role) => {
      const ok = (role && entry.okFor?.[role]) || entry.ok;
      const okStatus = ok?.status ?? documentedOk(route.method, route.url);
      const allowed = Array.isArray(okStatus) ? okStatus : [okStatus];
      t.ok(allowed.includes(res.statusCode), `${what}: ${allowed.join(' or ')}${ok ? ` (${ok.why})` : ''} — got ${res.statusCode} ${res.body.slice(0, 300)}`);
      if (ok?.code) codeIs(res, ok.code, `${what}: ${ok.code}`);
      // A refusal the entry expects from a service (not one of the dashboard's own answers, taken before any service ran).
      if (ok?.code && !rule.public && !dashboardEntry(route.method, route.url) && allowed.every((s) => s >= 400 && s < 500)) refusedCell(what, res, ok.code);
      cells++;
    };

    if (rule.public) {
      const p = (await entry.probe(w, 'defender', 'in'))!;
      expectOk(await send(p, route.method, false), 'anonymous');
      return;
    }

    // Anonymous, once per route: a request on a shared resource, without a token.
    const anon = await send((await entry.probe(w, ROLES.find((r) => rule.roles[r])!, 'deny'))!, route.method, false);
    t.equal(anon.statusCode, 401, 'anonymous: 401');
    codeIs(anon, 'unauthenticated', 'anonymous: unauthenticated');
    refused.push({ label: 'anonymous', requestId: requestIdOf(anon), code: null });

    for (const role of ROLES) {
      const perm = rule.roles[role];
      if (!perm) {
        const p = (await entry.probe(w, role, 'deny'))!;
        const res = await send(p, route.method);
        t.equal(res.statusCode, 403, `${role}: 403 — got ${res.statusCode} ${res.body.slice(0, 200)}`);
        codeIs(res, 'forbidden', `${role}: forbidden`);
        refusedCell(`${role}: forbidden`, res, 'forbidden');
        cells++;
        continue;
      }
      if (canBeOut(perm.scopes)) {
        const p = await entry.probe(w, role, 'out');
        t.ok(p, `${role} (${perm.scopes.join(', ')}): the entry gives an out-of-scope request`);
        if (p) {
          const res = await send(p, route.method);
          if (entry.okFor?.[role]) {
            const ok = entry.okFor[role]!;
            t.same([res.statusCode], [ok.status].flat(), `${role} out of scope: as in scope (${ok.why})`);
            if (ok.code && [ok.status].flat().every((s) => s >= 400 && s < 500)) refusedCell(`${role} out of scope: as in scope`, res, ok.code);
          } else if (p.listed) {
            t.equal(res.statusCode, 200, `${role} out of scope: a list answers 200`);
            t.notOk(p.listed(res.json()), `${role} out of scope: the resource is not listed`);
          } else if (perm.scopes.includes('break_glass')) {
            // The role sees the case's metadata anyway: it is told a break-glass would open it.
            t.equal(res.statusCode, 403, `${role} outside the case: 403 — got ${res.statusCode} ${res.body.slice(0, 200)}`);
            codeIs(res, 'break_glass_required', `${role} outside the case: break_glass_required`);
            refusedCell(`${role} outside the case`, res, 'break_glass_required');
          } else {
            t.equal(res.statusCode, 404, `${role} out of scope: 404 — got ${res.statusCode} ${res.body.slice(0, 200)}`);
            codeIs(res, 'not_found', `${role} out of scope: not_found`);
            refusedCell(`${role} out of scope`, res, 'not_found');
          }
          cells++;
        }
      }
      const p = (await entry.probe(w, role, 'in'))!;
      const res = await send(p, route.method);
      expectOk(res, `${role} in scope (${perm.scopes.join(', ')})`, role);
      if (p.listed && res.statusCode === 200 && !entry.okFor?.[role]) t.ok(p.listed(res.json()), `${role} in scope: the resource is listed`);
    }
    await assertRefusalsAudited(t, route.action, refused);
  });
}

t.test('an upload answers its uploader only: anyone else in scope of its case gets 404', async (t) => {
  // The matrix's out-of-scope callers are outside the case; here every caller may add files to it.
  const c = uploadsCase;
  const people: Array<[string, Who]> = [['defender', c.defender], ['officer', c.assignee!], ['supervisor', w.supervisor]];
  for (const [uploaderName, uploader] of people) {
    const open = await created(w, c, uploader);
    const done = await received(w, c, uploader);
    const refused: RefusedCell[] = [];
    for (const [name, who] of people.filter(([, p]) => p !== uploader)) {
      const calls: Array<[string, string, unknown, Record<string, string> | undefined]> = [
        ['HEAD', `/v1/uploads/${open.fileId}`, undefined, TUS],
        ['PATCH', `/v1/uploads/${open.fileId}`, await ciphertextOf(open), appendHeaders],
        ['DELETE', `/v1/uploads/${open.fileId}`, undefined, TUS],
        ['PUT', `/v1/cases/${c.id}/files/${done.fileId}`, descriptionOf(done), undefined],
      ];
      for (const [method, url, body, headers] of calls) {
        const res = await w.call(who, method, url, body, headers);
        const label = `${name} on the ${uploaderName}'s upload: ${method}`;
        t.equal(res.statusCode, 404, `${label}: 404 — got ${res.statusCode} ${res.body.slice(0, 200)}`);
        refused.push({ label, requestId: requestIdOf(res), code: 'not_found' });
      }
    }
    await assertRefusalsAudited(t, 'file.upload', refused);
    const head = await w.call(uploader, 'HEAD', `/v1/uploads/${open.fileId}`, undefined, TUS);
    t.equal(head.headers['upload-offset'], '0', `the ${uploaderName}'s upload is untouched`);
    t.equal((await w.call(uploader, 'PUT', `/v1/cases/${c.id}/files/${done.fileId}`, descriptionOf(done))).statusCode, 200, `the ${uploaderName} attaches their own`);
  }
});

t.test('the policy matches the permission catalogue of access.md for these actions', async (t) => {
  const roles = (action: string) => Object.keys(policy.get(action)?.roles ?? {}).sort();
  t.same(roles('audit.read'), ['supervisor']);
  t.same(roles('audit.verify'), ['supervisor']);
  for (const a of ['user.invite', 'user.list', 'user.disable', 'user.enable', 'user.totp_reset', 'admin.health', 'org.create', 'keyring.remove', 'webhook.manage', 'queues.dashboard']) t.same(roles(a), ['admin'], a);
  t.notOk(Object.keys(policy.get('keyring.add')?.roles ?? {}).includes('admin'), 'admins hold no case keys');
  for (const a of ['case.read_sealed', 'message.read', 'assessment.read', 'case.timeline']) t.notOk(roles(a).includes('admin') || roles(a).includes('partner'), `${a}: no admin, no partner`);
  // What serves the mechanism envelope serves it to a supervisor part of the case, or through a break-glass.
  for (const a of ['case.read_sealed', 'message.read', 'message.create', 'case.rekey', 'case.grant']) t.same(policy.get(a)?.roles.supervisor?.scopes, ['participant', 'break_glass'], `${a}: supervisors part of the case, or break-glass`);
  t.same(roles('case.break_glass'), ['supervisor'], 'only a supervisor opens a break-glass');
  t.same(policy.get('case.grant')?.roles.supervisor?.unless, ['grantee'], 'nobody makes themself a reader');
  t.same(policy.get('measure.approve')?.roles.supervisor?.unless, ['proposer'], 'four eyes on measures');
  t.same(policy.get('appeal.decide')?.roles.supervisor?.unless, ['decider'], 'appeals decided by another supervisor');
});

t.test('the matrix covered every cell', async (t) => {
  t.ok(cells > 250, `${cells} role x scope cells checked`);
  t.ok(refusalsChecked > 500, `${refusalsChecked} refusals checked against the audit log`);
});

export type { Mode };
