/**
 * Every decision is audited once (access.md, "What is audited"; ASVS 5.0 16.3.2): this walks every
 * operation of the OpenAPI document as each role (anonymously for the public ones) with a request
 * that reaches the service and is refused, and asserts exactly one audit event for its request id,
 * denied, its reason starting with the problem code the caller was answered. A role the policy does
 * not list is refused by the policy (403); a listed role by the service: out of scope, no such
 * resource (a random id), or a conflict the table below provokes. The requests are the access
 * matrix's (access-matrix/entries.ts). Public operations ignore any token (their caller is
 * anonymous whoever sends them), so they are walked anonymously. Where no refusal can be
 * provoked, `UNREFUSABLE` says why; an operation and role with neither a refusal nor a reason
 * fails the suite.
 */
import t from 'tap';
import { randomBytes, randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { loadAccessPolicy, ROLES, type Role } from '../../src/access/policy.js';
import { policiesPath } from '../../src/lib/paths.js';
import { loadLimitsPolicy } from '../../src/limits/limits-policy.js';
import { toB64u } from '../../src/sdk/index.js';
import { buildWorld, type World } from './access-matrix/world.js';
import { entries, sharedCase, type Probe } from './access-matrix/entries.js';
import { created, creationHeaders, newUpload, type MatrixUpload } from './access-matrix/files.js';

// A walk of some 400 refused requests over the matrix's world: longer than the suite's default.
t.setTimeout(600_000);
const T = await buildTestApp(t, { env: { REFRESH_TOKEN_TTL_SECONDS: String(30 * 24 * 3600) } });
const policy = loadAccessPolicy(policiesPath(T.config));
const limits = loadLimitsPolicy(policiesPath(T.config));
const actionOf = new Map(T.app.routeTable().map((r) => [`${r.method} ${r.url}`, r.action]));
const doc = (await T.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
  Object.keys(ops)
    .filter((m) => ['get', 'head', 'post', 'put', 'patch', 'delete'].includes(m))
    .map((m) => ({ method: m.toUpperCase(), url: path.replace(/\{(\w+)\}/g, ':$1') })),
);
const w = await buildWorld(T);
const sql = T.database.sql;

type Caller = Role | 'anonymous';

interface Refusal {
  /** the problem code the service answers */
  code: string;
  probe(w: World, role: Caller): Promise<Probe>;
}

const NO_SERVICE = 'no service behind it: a static answer of the process (nothing is decided about anyone)';

/** Operations and callers for which no request reaching a service can be refused, and why. */
const UNREFUSABLE: Record<string, Partial<Record<Caller, string>>> = {
  'GET /healthz': { anonymous: NO_SERVICE },
  'GET /readyz': { anonymous: NO_SERVICE },
  'GET /metrics': { anonymous: 'the scraper token is checked by the route, like an access token: a refusal before any service (counted, not audited)' },
  'GET /': { anonymous: NO_SERVICE },
  'GET /suivi': { anonymous: NO_SERVICE },
  'GET /assets/{name}': { anonymous: NO_SERVICE },
  'GET /v1/page/settings': { anonymous: "the public settings of the defender's page: always answered" },
  'GET /.well-known/egide/manifest.json': { anonymous: NO_SERVICE },
  'GET /.well-known/egide/manifest.json.sig': { anonymous: NO_SERVICE },
  'GET /console': { anonymous: NO_SERVICE },
  'GET /console/assets/{name}': { anonymous: NO_SERVICE },
  'GET /v1/console/settings': { anonymous: 'the public settings of the console: always answered' },
  'GET /v1/files/settings': { anonymous: 'the public file settings (policy data): always answered' },
  'POST /v1/auth/prelogin': { anonymous: 'answers every username alike (a stable fake salt for an unknown one): there is nothing to refuse' },
  'POST /v1/auth/recovery/start': { anonymous: 'answers every username alike (a fake challenge for an unknown one): there is nothing to refuse' },
  'GET /v1/keys/intake': { anonymous: 'the published intake key: once the deployment is bootstrapped it always answers' },
  'POST /v1/auth/logout': Object.fromEntries(ROLES.map((r) => [r, "the caller's own session, live since its token was just checked: nothing to refuse"])),
  'POST /v1/me/sessions/revoke': Object.fromEntries(ROLES.map((r) => [r, "the caller's own sessions, one of them live since its token was just checked: nothing to refuse"])),
  'GET /v1/me': { officer: "the caller's own account", supervisor: "the caller's own account", partner: "the caller's own account", admin: "the caller's own account" },
  'GET /v1/notifications': { officer: "the caller's own inbox (its cursor is checked by the schema)", supervisor: "the caller's own inbox", partner: "the caller's own inbox", admin: "the caller's own inbox" },
  'POST /v1/notifications/read-all': { officer: "the caller's own inbox", supervisor: "the caller's own inbox", partner: "the caller's own inbox", admin: "the caller's own inbox" },
  'GET /v1/console/catalogues': { officer: 'policy data, the same for every member of staff', supervisor: 'policy data', partner: 'policy data', admin: 'policy data' },
  'GET /v1/measures/catalogue': { defender: 'policy data, the same for everyone who may read it', officer: 'policy data', supervisor: 'policy data' },
  'GET /v1/orgs': { officer: 'a list, cut to the caller’s scope (a partner sees its own organisation): nothing to refuse', supervisor: 'a list of every organisation', partner: 'its own organisation', admin: 'a list of every organisation' },
  'GET /v1/users': { admin: 'a list of every account (its cursor is a username, checked by the schema)' },
  'GET /v1/referrals': { supervisor: 'a list of every referral (its cursor is checked by the schema)', partner: 'the referrals to its own organisation' },
  'GET /v1/retention': { supervisor: 'a list of what awaits a purge; its cursor is checked by the route, like the schema' },
  'GET /v1/approvals': { supervisor: 'a list of what awaits every supervisor, each item saying whether the caller may take it: nothing to refuse' },
  'GET /v1/admin/health': { admin: 'the service’s own health: nothing to refuse' },
  'GET /v1/invitations': { admin: 'a list of the pending invitations, with no parameter but a bounded limit' },
  'GET /v1/policies': { supervisor: 'the loaded policies, the same for everyone who may read them', admin: 'the loaded policies' },
  'GET /v1/audit/events': { supervisor: 'the whole log is the supervisor’s to read (filters are checked by the schema)' },
  'GET /v1/audit/head': { supervisor: 'the signed head of the log' },
  'POST /v1/audit/verify': { supervisor: 'a verification of the whole log' },
  'GET /v1/custody': { supervisor: 'who holds the mechanism and search keys, and the backups recorded: every supervisor reads it' },
  'POST /v1/custody/restore/challenge': { supervisor: 'a challenge sealed to the mechanism key, issued to any supervisor (the proof is the answer)' },
  'GET /v1/search-key/entries': { officer: 'a list of who holds the search key', supervisor: 'a list of who holds the search key', admin: 'a list of who holds the search key' },
  'GET /v1/staff': { officer: "a list of the mechanism's active staff, with no parameter to refuse", supervisor: "a list of the mechanism's active staff, with no parameter to refuse", partner: "a list of its own organisation's active members, with no parameter to refuse" },
  'GET /v1/staff/load': { supervisor: 'counts of every officer’s open cases, with no parameter to refuse' },
  'GET /v1/me/views': { officer: "the caller's own views", supervisor: "the caller's own views" },
  'GET /v1/on-call/roster': { officer: 'the whole roster is staff’s to read, with no parameter to refuse', supervisor: 'the whole roster, with no parameter to refuse' },
  'GET /v1/on-call/pages': { officer: "the caller's own pages", supervisor: "the caller's own pages" },
  'GET /v1/stats/catalogue': { supervisor: 'policy data and the months with cases, the same for everyone who may read it', admin: 'policy data and the months with cases' },
  'GET /v1/stats/reports/{year}': { supervisor: "any year's report may be read (a year without cases is all zeros)" },
  'GET /v1/cases/counts': { officer: "counts within the caller's own scope, with no parameter to refuse", supervisor: 'counts of every case, with no parameter to refuse' },
};

/** A body made by the matrix's request for this operation, with the changes a refusal needs. */
async function matrixProbe(key: string, role: Caller): Promise<Probe> {
  const entry = entries[key];
  if (!entry) throw new Error(`no access-matrix entry for ${key}`);
  return (await entry.probe(w, role === 'anonymous' ? 'defender' : role, 'deny'))!;
}

const b64u32 = () => toB64u(randomBytes(32));
/** A refused request answers a problem, not a list: the matrix's `listed` check does not apply. */
const refusedProbe = ({ listed: _listed, ...p }: Probe): Probe => p;
/** A cursor of the right alphabet that decodes to nothing the list wrote. */
const notACursor = Buffer.from('{"not":"a cursor"}').toString('base64url');

/** A filing (by the defender's page, or staff on behalf) whose case id is taken: the service refuses it. */
async function refiled(key: string, role: Caller): Promise<Probe> {
  const p = await matrixProbe(key, role);
  const existing = await w.shared('case:received', () => w.newCase('received'));
  return { ...p, body: { ...(p.body as object), caseId: existing.id } };
}

/** Refusals the services decide, where a random id does not apply or a conflict says more. */
const REFUSALS: Record<string, Partial<Record<Caller, Refusal>>> = {
  // Statistics: a refused crossing, a range that runs backwards, a table or publication that does not exist, a year not ended.
  ...(
      [
        ['GET /v1/stats/table', 'supervisor', 'stats_crossing_refused', '/v1/stats/table?series=region&by=gender&from=2026-01&to=2026-12'],
        ['GET /v1/stats/table/csv', 'supervisor', 'stats_crossing_refused', '/v1/stats/table/csv?series=defender_category&by=region&from=2026-01&to=2026-12'],
        ['GET /v1/stats/response-times', 'supervisor', 'stats_range_invalid', '/v1/stats/response-times?from=2026-12&to=2026-01'],
        ['GET /v1/stats/workload', 'supervisor', 'stats_range_invalid', '/v1/stats/workload?from=2026-12&to=2026-01'],
        ['GET /v1/stats/reports/{year}/tables/{tableId}', 'supervisor', 'not_found', '/v1/stats/reports/2026/tables/no-such-table'],
        ['GET /v1/stats/reports/{year}/tables/{tableId}/csv', 'supervisor', 'not_found', '/v1/stats/reports/2026/tables/no-such-table/csv'],
        ['GET /v1/stats/reports/{year}/publication', 'supervisor', 'not_found', '/v1/stats/reports/2199/publication'],
        ['POST /v1/stats/reports/{year}/publication', 'supervisor', 'stats_year_not_ended', '/v1/stats/reports/2199/publication'],
      ] as const
    ).reduce<Record<string, Partial<Record<Caller, Refusal>>>>((out, [key, role, code, url]) => {
      out[key] = { ...out[key], [role]: { code, probe: async () => ({ ...refusedProbe(await matrixProbe(key.replace(/\{(\w+)\}/g, ':$1'), role)), url }) } };
      return out;
    }, {}),
  'GET /v1/stats/service': {
    supervisor: { code: 'stats_range_invalid', probe: async () => ({ ...refusedProbe(await matrixProbe('GET /v1/stats/service', 'supervisor')), url: '/v1/stats/service?from=2026-12&to=2026-01' }) },
    admin: { code: 'stats_range_invalid', probe: async () => ({ ...refusedProbe(await matrixProbe('GET /v1/stats/service', 'admin')), url: '/v1/stats/service?from=2026-12&to=2026-01' }) },
  },
  // The whole log is the supervisor's to export; a range must be one a client can verify.
  'GET /v1/audit/export': { supervisor: { code: 'audit_range_reversed', probe: async () => ({ ...refusedProbe(await matrixProbe('GET /v1/audit/export', 'supervisor')), url: '/v1/audit/export?afterSeq=2&toSeq=1' }) } },
  'GET /v1/audit/checkpoints': { supervisor: { code: 'audit_period_empty', probe: async () => ({ ...refusedProbe(await matrixProbe('GET /v1/audit/checkpoints', 'supervisor')), url: '/v1/audit/checkpoints?from=2001-01-01T00:00:00.000Z&to=2001-01-02T00:00:00.000Z' }) } },
  'POST /v1/auth/login': {
    anonymous: { code: 'invalid_credentials', probe: async (w) => ({ who: null, url: '/v1/auth/login', body: { username: w.officerB.username, authKey: b64u32(), totp: '123456' } }) },
  },
  'POST /v1/auth/refresh': { anonymous: { code: 'invalid_refresh_token', probe: async () => ({ who: null, url: '/v1/auth/refresh', body: { refreshToken: b64u32() } }) } },
  'POST /v1/auth/receipt': { anonymous: { code: 'invalid_credentials', probe: async () => ({ who: null, url: '/v1/auth/receipt', body: { authKey: b64u32() } }) } },
  'POST /v1/auth/recovery/finish': {
    anonymous: {
      code: 'invalid_credentials',
      probe: async () => {
        const p = await matrixProbe('POST /v1/auth/recovery/finish', 'anonymous');
        return { ...p, body: { ...(p.body as object), challengeId: randomUUID() } };
      },
    },
  },
  'POST /v1/enrolments': {
    anonymous: {
      code: 'invitation_invalid',
      probe: async () => {
        const p = await matrixProbe('POST /v1/enrolments', 'anonymous');
        return { ...p, body: { ...(p.body as object), token: b64u32() } };
      },
    },
  },
  'POST /v1/cases': { anonymous: { code: 'already_exists', probe: () => refiled('POST /v1/cases', 'anonymous') } },
  'POST /v1/cases/on-behalf': {
    officer: { code: 'already_exists', probe: (_w, role) => refiled('POST /v1/cases/on-behalf', role) },
    supervisor: { code: 'already_exists', probe: (_w, role) => refiled('POST /v1/cases/on-behalf', role) },
  },
  'GET /v1/cases': {
    officer: { code: 'validation_failed', probe: async (w) => ({ who: w.officerA, url: `/v1/cases?cursor=${notACursor}` }) },
    supervisor: { code: 'validation_failed', probe: async (w) => ({ who: w.supervisor, url: `/v1/cases?cursor=${notACursor}` }) },
  },
  'GET /v1/deadlines': {
    // The list across cases is out of a defender's scope (their deadlines are on their case).
    defender: { code: 'not_found', probe: async () => refusedProbe(await matrixProbe('GET /v1/deadlines', 'defender')) },
    officer: { code: 'validation_failed', probe: async (w) => ({ who: w.officerA, url: `/v1/deadlines?after=${notACursor}` }) },
    supervisor: { code: 'validation_failed', probe: async (w) => ({ who: w.supervisor, url: `/v1/deadlines?after=${notACursor}` }) },
    partner: { code: 'validation_failed', probe: async (w) => ({ who: w.orgP.member, url: `/v1/deadlines?after=${notACursor}` }) },
  },
  'GET /v1/referrals': {
    // A defender's and an officer's referrals are those of their cases: the list is out of their scope.
    defender: { code: 'not_found', probe: async () => refusedProbe(await matrixProbe('GET /v1/referrals', 'defender')) },
    officer: { code: 'not_found', probe: async () => refusedProbe(await matrixProbe('GET /v1/referrals', 'officer')) },
  },
  'POST /v1/me/password': Object.fromEntries(
    (['officer', 'supervisor', 'partner', 'admin'] as const).map((role) => [
      role,
      {
        code: 'invalid_credentials',
        probe: async () => {
          const p = await matrixProbe('POST /v1/me/password', role);
          return { ...p, body: { ...(p.body as object), currentAuthKey: b64u32() } };
        },
      },
    ]),
  ),
  'POST /v1/invitations': {
    admin: {
      code: 'invitation_pending',
      probe: async (w) => {
        const body = { username: `pending-${randomBytes(3).toString('hex')}`, role: 'officer', orgId: w.dep.mechanismId };
        await w.must(w.admin, 'POST', '/v1/invitations', body, 201);
        return { who: w.admin, url: '/v1/invitations', body };
      },
    },
  },
  'POST /v1/orgs': { admin: { code: 'already_exists', probe: async (w) => ({ who: w.admin, url: '/v1/orgs', body: { name: w.orgP.name } }) } },
  // The world has one admin: disabling their own account would leave none (self_disable is test/users').
  'POST /v1/users/{userId}/disable': { admin: { code: 'last_admin', probe: async (w) => ({ who: w.admin, url: `/v1/users/${w.admin.id}/disable`, body: { reason: 'Je pars' } }) } },
  'POST /v1/users/{userId}/enable': { admin: { code: 'conflict', probe: async (w) => ({ who: w.admin, url: `/v1/users/${w.officerB.id}/enable`, body: { reason: 'Toujours actif' } }) } },
  // An admin's own second factor is reset by another admin.
  'POST /v1/users/{userId}/totp-reset': { admin: { code: 'separation_of_duties', probe: async (w) => ({ who: w.admin, url: `/v1/users/${w.admin.id}/totp-reset`, body: { reason: 'Téléphone perdu' } }) } },
  'POST /v1/auth/totp-reset': {
    anonymous: {
      code: 'invalid_credentials',
      probe: async () => {
        const p = await matrixProbe('POST /v1/auth/totp-reset', 'anonymous');
        return { ...p, body: { ...(p.body as object), token: b64u32() } };
      },
    },
  },
  // Admins hold no keys: an admin's public key is nobody's to read (out of scope, 404), one denial.
  'GET /v1/users/{userId}/public-key': Object.fromEntries(
    (['officer', 'supervisor', 'partner'] as const).map((role) => [role, { code: 'not_found', probe: async (w: World) => ({ who: role === 'officer' ? w.officerA : role === 'supervisor' ? w.supervisor : w.orgP.member, url: `/v1/users/${w.admin.id}/public-key` }) }]),
  ),
  // Custody: supervisor 2 holds no mechanism key (no backup recorded, no case moved); a restore answered wrongly is no proof.
  'POST /v1/custody/backups': { supervisor: { code: 'not_found', probe: async (w) => ({ ...(await matrixProbe('POST /v1/custody/backups', 'supervisor')), who: w.supervisor2 }) } },
  'GET /v1/custody/rewrap': { supervisor: { code: 'not_found', probe: async (w) => ({ ...(await matrixProbe('GET /v1/custody/rewrap', 'supervisor')), who: w.supervisor2 }) } },
  'POST /v1/custody/restore': {
    supervisor: {
      code: 'custody_proof_failed',
      probe: async () => {
        const p = await matrixProbe('POST /v1/custody/restore', 'supervisor');
        return { ...p, body: { ...(p.body as object), answer: b64u32() } };
      },
    },
  },
  // The blind index: the keyring is made once; officer B and supervisor 2 hold no entry of it.
  'POST /v1/search-key': { supervisor: { code: 'already_exists', probe: () => matrixProbe('POST /v1/search-key', 'supervisor') } },
  'GET /v1/me/search-key': {
    officer: { code: 'no_search_key', probe: async (w) => ({ ...(await matrixProbe('GET /v1/me/search-key', 'officer')), who: w.officerB }) },
    supervisor: { code: 'no_search_key', probe: async (w) => ({ ...(await matrixProbe('GET /v1/me/search-key', 'supervisor')), who: w.supervisor2 }) },
  },
  'POST /v1/search-key/entries': {
    officer: { code: 'not_found', probe: async (w) => ({ ...(await matrixProbe('POST /v1/search-key/entries', 'officer')), who: w.officerB }) },
    supervisor: { code: 'not_found', probe: async (w) => ({ ...(await matrixProbe('POST /v1/search-key/entries', 'supervisor')), who: w.supervisor2 }) },
  },
  // Supervisor 2 holds neither the search key nor the mechanism key: no re-issue, nothing to re-index.
  'POST /v1/search-key/reissue': { supervisor: { code: 'not_found', probe: async (w) => ({ ...(await matrixProbe('POST /v1/search-key/reissue', 'supervisor')), who: w.supervisor2 }) } },
  'GET /v1/search-key/reindex': { supervisor: { code: 'not_found', probe: async (w) => ({ ...(await matrixProbe('GET /v1/search-key/reindex', 'supervisor')), who: w.supervisor2 }) } },
  'POST /v1/cases/search': {
    officer: { code: 'no_search_key', probe: async (w) => ({ ...refusedProbe(await matrixProbe('POST /v1/cases/search', 'officer')), who: w.officerB }) },
    supervisor: { code: 'no_search_key', probe: async (w) => ({ ...refusedProbe(await matrixProbe('POST /v1/cases/search', 'supervisor')), who: w.supervisor2 }) },
  },
  // One view more than the policy allows: the caller's views are filled up first.
  'POST /v1/me/views': Object.fromEntries(
    (['officer', 'supervisor'] as const).map((role) => [
      role,
      {
        code: 'conflict',
        probe: async (w: World) => {
          const who = role === 'officer' ? w.officerA : w.supervisor;
          for (let i = 0; i < limits.savedViews.maxPerUser; i++) await w.call(who, 'POST', '/v1/me/views', { name: `Vue ${i}`, query: {} });
          return { who, url: '/v1/me/views', body: { name: 'Une de trop', query: {} } };
        },
      },
    ]),
  ),
  // A tus creation is refused by the file service: on a case that does not exist, an Upload-Length
  // no padded file has, a file id already taken (the client must choose a new one).
  'POST /v1/uploads': {
    defender: { code: 'not_found', probe: () => newUploadProbe('defender', (u) => ({ ...u, c: { ...u.c, id: randomUUID() } })) },
    officer: { code: 'validation_failed', probe: () => newUploadProbe('officer', (u) => ({ ...u, size: u.size + 1 })) },
    supervisor: {
      code: 'already_exists',
      probe: async (w) => {
        const p = await matrixProbe('POST /v1/uploads', 'supervisor');
        const taken = await created(w, await sharedCase(w, 'triage'), w.supervisor);
        return { ...p, headers: creationHeaders(taken) };
      },
    },
  },
  // A case that does not exist: its denial is the one event (no break-glass row, timeline entry or notice).
  // Only active officers and supervisors go on the roster: an admin's account is refused.
  'PUT /v1/on-call/roster': {
    supervisor: {
      code: 'validation_failed',
      probe: async (w) => {
        const p = await matrixProbe('PUT /v1/on-call/roster', 'supervisor');
        const [entry] = (p.body as { entries: Array<Record<string, unknown>> }).entries;
        return { ...p, body: { entries: [{ ...entry, userId: w.admin.id }] } };
      },
    },
  },
  'POST /v1/cases/{caseId}/break-glass': { supervisor: { code: 'not_found', probe: () => onMissing('POST /v1/cases/:caseId/break-glass', 'supervisor') } },
};

/** The matrix's tus creation by `role` on the shared triage case, the upload it declares changed by `change`. */
async function newUploadProbe(role: Role, change: (u: MatrixUpload) => MatrixUpload): Promise<Probe> {
  const p = await matrixProbe('POST /v1/uploads', role);
  return { ...p, headers: creationHeaders(change(newUpload(await sharedCase(w, 'triage')))) };
}

/** The matrix's request on a resource that does not exist: the first id of the path replaced by a random one. */
async function onMissing(key: string, role: Role): Promise<Probe> {
  const p = await matrixProbe(key, role);
  const template = key.split(' ')[1]!.split('/');
  const at = template.findIndex((s) => s.startsWith(':'));
  const [path, query] = p.url.split('?') as [string, string | undefined];
  const parts = path.split('/');
  parts[at] = randomUUID();
  return { ...refusedProbe(p), url: `${parts.join('/')}${query ? `?${query}` : ''}` };
}

const docKey = (method: string, url: string) => `${method} ${url.replace(/:(\w+)/g, '{$1}')}`;

interface Cell {
  key: string;
  caller: Caller;
  code: string;
  probe: () => Promise<Probe>;
}

/** What each operation and caller is sent, or why nothing can be refused. */
function plan(method: string, url: string): { cells: Cell[]; unrefusable: Array<{ caller: Caller; why: string }>; missing: Caller[] } {
  const key = `${method} ${url}`;
  const dkey = docKey(method, url);
  const rule = policy.get(actionOf.get(key) ?? '');
  const callers: Caller[] = !rule || rule.public ? ['anonymous'] : [...ROLES];
  const cells: Cell[] = [];
  const unrefusable: Array<{ caller: Caller; why: string }> = [];
  const missing: Caller[] = [];
  for (const caller of callers) {
    const special = REFUSALS[dkey]?.[caller];
    const why = UNREFUSABLE[dkey]?.[caller];
    if (special) cells.push({ key, caller, code: special.code, probe: () => special.probe(w, caller) });
    else if (why) unrefusable.push({ caller, why });
    else if (caller !== 'anonymous' && !rule?.roles[caller]) cells.push({ key, caller, code: 'forbidden', probe: () => matrixProbe(key, caller) });
    else if (caller !== 'anonymous' && url.includes('/:')) cells.push({ key, caller, code: 'not_found', probe: () => onMissing(key, caller) });
    else missing.push(caller);
  }
  return { cells, unrefusable, missing };
}

const codeAndRequest = (body: string): { code: string; requestId: string } => {
  try {
    const doc = JSON.parse(body) as { code?: string; instance?: string };
    return { code: doc.code ?? '', requestId: (doc.instance ?? '').replace('urn:egide:request:', '') };
  } catch {
    return { code: '', requestId: '' };
  }
};

let refused = 0;
const listed: string[] = [];
for (const op of operations) {
  const { cells, unrefusable, missing } = plan(op.method, op.url);
  t.test(`${op.method} ${op.url}`, async (t) => {
    t.same(missing, [], 'every caller gets a refusal, or the reason it cannot be refused (UNREFUSABLE)');
    for (const u of unrefusable) listed.push(`${op.method} ${op.url} as ${u.caller}: ${u.why}`);
    for (const cell of cells) {
      const p = await cell.probe();
      const res = await w.call(p.who, op.method, p.url, p.body, p.headers);
      const { code } = codeAndRequest(res.body);
      const requestId = w.requestIdOf(res);
      t.ok(res.statusCode >= 400 && res.statusCode < 500, `${cell.caller}: refused — got ${res.statusCode} ${res.body.slice(0, 200)}`);
      // A HEAD answer has no body (RFC 9110 §9.3.2): its code is the audit event's, checked below.
      if (op.method !== 'HEAD') t.equal(code, cell.code, `${cell.caller}: ${cell.code}`);
      t.not(requestId, '', `${cell.caller}: the request is known by its id`);
      const events = await sql`select outcome, reason from audit_events where request_id = ${requestId}`;
      t.equal(events.length, 1, `${cell.caller} (${code || cell.code}): exactly one audit event for the request — got ${JSON.stringify(events)}`);
      t.equal(events[0]?.outcome, 'denied', `${cell.caller}: denied`);
      t.ok(String(events[0]?.reason ?? '').startsWith(cell.code), `${cell.caller}: the reason starts with the code — ${events[0]?.reason}`);
      refused++;
    }
  });
}

t.test('the walk covered the document', async (t) => {
  t.ok(operations.length >= 90, `${operations.length} operations`);
  t.ok(refused >= 250, `${refused} refused requests, one audit event each`);
  t.comment(`not refusable (${listed.length}):\n  ${listed.join('\n  ')}`);
});
