/**
 * One entry per route of the app (`METHOD url` as the route table gives it): how to make a real
 * request on a resource in the caller's scope, and on one out of it. The test
 * (test/security/access-matrix.test.ts) derives what each role must get from policies/access.yaml:
 *   - a role the action does not list: 403 `forbidden`;
 *   - a listed role, in scope: the route's success status (2xx), or `ok` when the entry says why not;
 *   - a listed role, out of scope: 404 `not_found` (or, for a list, 200 without the resource).
 * Modes: `in` builds a fresh resource when the call changes it; `out` and `deny` calls are refused,
 * so they use shared ones. A route without an entry, or an entry without a route, fails the suite.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Role } from '../../../src/access/policy.js';
import { nextTotp, baseMetadata, type Actor } from '../../helpers/world.js';
import type { Case, Stage, Who, World } from './world.js';

let publishedYears = 0;
let publishedOnce: Promise<unknown> | undefined;
import {
  appealGroundsAd,
  changePassword,
  createOrgKey,
  createRecoveryCode,
  enrol,
  fromB64u,
  generateSearchKey,
  login,
  messageBodyAd,
  openRekeyDek,
  openSecret,
  padTokens,
  prepareFiling,
  prepareReceiptReissue,
  prepareRekey,
  createStaffKey,
  sealNote,
  queryTokens,
  recoverKeyPair,
  recoveryKeyOf,
  sealEnvelope,
  sealKeyringEntry,
  sealSearchKeyEntry,
  searchTokens,
  toB64u,
  wrapPrivateKey,
  type RekeyBundle,
} from '../../../src/sdk/index.js';
import { generateTotpSecret } from '../../../src/auth/totp.js';
import { appendHeaders, attached, carry, ciphertextOf, created, creationHeaders, descriptionOf, newUpload, received, stamp, TUS, type MatrixUpload } from './files.js';

export type Mode = 'in' | 'out' | 'deny';

export interface Probe {
  /** the caller; null for an anonymous request */
  who: Who | null;
  url: string;
  body?: unknown;
  /** request headers beyond the caller's token (the tus protocol's) */
  headers?: Record<string, string>;
  /** for a list: is the probed resource in the answer? (in scope: listed; out of scope: not) */
  listed?: (json: any) => boolean;
}

export interface Outcome {
  /** one status, or the few a route may answer by design */
  status: number | number[];
  code?: string;
  why: string;
}

export interface Entry {
  probe(w: World, role: Role, mode: Mode): Promise<Probe | null>;
  /** the allowed status when the route's own 2xx cannot be reached by design, with the code and why */
  ok?: Outcome | undefined;
  /** the same, for one role only */
  okFor?: Partial<Record<Role, Outcome>>;
  /** run after every other entry (it changes something the others rely on, e.g. the mechanism key) */
  last?: boolean;
}

// --- who calls -----------------------------------------------------------------------------

/**
 * The caller of `role` for a resource of case `c`: in scope, the case's own defender, its officer,
 * the supervisor holding the mechanism key, the partner of the organisation it was referred to;
 * out of scope, another case's defender, another officer, the supervisor without any envelope,
 * another organisation's partner. A role refused outright calls as its in-scope self.
 */
async function callerFor(w: World, role: Role, c: Case | null, mode: Mode): Promise<Who> {
  const out = mode === 'out';
  switch (role) {
    case 'defender':
      if (out || !c) return (await stranger(w)).defender;
      return c.defender;
    case 'officer':
      return out ? w.officerB : (c?.assignee ?? w.officerA);
    case 'supervisor':
      return out ? w.supervisor2 : w.supervisor;
    case 'partner':
      return out ? w.orgQ.member : w.orgP.member;
    case 'admin':
      return w.admin;
  }
}

/** A case of nobody in the matrix's way: its defender is the out-of-scope defender. */
const stranger = (w: World) => w.shared('stranger', () => w.newCase('received'));

/** A case at `stage`, shared by every call that only reads it or is refused on it. */
export const sharedCase = (w: World, stage: Stage) => w.shared(`case:${stage}`, () => w.newCase(stage));

/** A fresh case for an allowed call that changes it; the shared one otherwise. */
const caseFor = (w: World, stage: Stage, mode: Mode, changes: boolean) => (mode === 'in' && changes ? w.newCase(stage) : sharedCase(w, stage));

interface CaseRoute {
  stage: Stage;
  /**
   * The stage of the case an out-of-scope call is made on, when not `stage`: a sealed route's
   * supervisor scopes (participant, break_glass) hold for every supervisor during intake and
   * triage, so a supervisor is outside a case only once it is admitted.
   */
  outStage?: Stage;
  /** the path after /v1/cases/:caseId */
  path: string;
  /** the allowed call changes the case (a fresh one per call) */
  changes?: boolean;
  body?: (w: World, c: Case, who: Who, role: Role) => unknown | Promise<unknown>;
  ok?: Entry['ok'];
}

/** A route under /v1/cases/:caseId. */
function onCase(r: CaseRoute): Entry {
  return {
    ok: r.ok,
    async probe(w, role, mode) {
      const c = await caseFor(w, mode === 'out' && r.outStage ? r.outStage : r.stage, mode, r.changes ?? false);
      const who = await callerFor(w, role, c, mode);
      return { who, url: `/v1/cases/${c.id}${r.path}`, body: r.body ? await r.body(w, c, who, role) : undefined };
    },
  };
}

/** A case transition (POST /v1/cases/:caseId/<step>): a fresh case for each allowed call. */
const step = (stage: Stage, path: string, body: object = {}, ok?: Entry['ok']): Entry => onCase({ stage, path, changes: true, body: () => body, ok });

/**
 * referral.read and deadline.list name the partner with scope `organisation` for what concerns
 * their organisation's referrals (GET /v1/referrals, /v1/referrals/:id, /v1/deadlines); a case's
 * own lists are never theirs: a case is no organisation's resource, so the scope never holds.
 */
const partnerNotOnCase: Outcome = { status: 404, code: 'not_found', why: "a partner reads its organisation's referrals and deadlines, never a case's lists" };

const reason = { reason: 'Motif consigné au dossier, sans détail sensible' };

// --- evidence files --------------------------------------------------------------------------

/**
 * The case and caller of a file route: the shared triage case (every supervisor is part of a
 * case in triage), and for a supervisor out of scope an admitted case (assessment) they are not
 * part of. Out of scope: another case's defender, the other officer, the supervisor without any
 * envelope.
 */
async function fileCaller(w: World, role: Role, mode: Mode): Promise<{ c: Case; who: Who }> {
  const c = await sharedCase(w, mode === 'out' && role === 'supervisor' ? 'assessment' : 'triage');
  return { c, who: await callerFor(w, role, c, mode) };
}

const makeUpload = { created, received } as const;

/**
 * A route on one upload (tus HEAD, PATCH, DELETE; the attach). In scope: an upload the caller has
 * just made on the case (only its uploader may touch it). Refused and out of scope: the upload
 * the case's defender made, shared (the refusal leaves it as it is).
 */
function onUpload(state: keyof typeof makeUpload, request: (u: MatrixUpload) => Promise<Pick<Probe, 'headers' | 'body'>>, urlOf: (u: MatrixUpload) => string = (u) => `/v1/uploads/${u.fileId}`): Entry {
  return {
    async probe(w, role, mode) {
      const { c, who } = await fileCaller(w, role, mode);
      const make = makeUpload[state];
      const u = mode === 'in' ? await make(w, c, who) : await w.shared(`upload:${state}:${c.id}`, () => make(w, c, c.defender));
      return { who, url: urlOf(u), ...(await request(u)) };
    },
  };
}

/**
 * Files attached (and time-stamped) once and only read: one on the shared triage case, one on
 * the shared assessment case, and one on a case in decision that a referral sent to
 * organisation P carries (Q's member is out of its scope).
 */
const sharedFiles = (w: World) =>
  w.shared('files', async () => {
    const triage = await attached(w, await sharedCase(w, 'triage'), (await sharedCase(w, 'triage')).defender);
    const assessed = await sharedCase(w, 'assessment');
    const assessment = await attached(w, assessed, assessed.defender);
    const decided = await w.shared('case:decision:files', () => w.newCase('decision'));
    const referred = await attached(w, decided, decided.defender);
    await carry(w, await w.referral(decided, 'sent'), [referred]);
    await stamp(w, [triage, assessment, referred]);
    return { triage, assessment, referred };
  });

/** A read of one attached file (its ciphertext, its time-stamp): a partner through the referral carrying it. */
function onSharedFile(path: string): Entry {
  return {
    async probe(w, role, mode) {
      const files = await sharedFiles(w);
      if (role === 'partner') return { who: await callerFor(w, role, files.referred.c, mode), url: `/v1/cases/${files.referred.c.id}/files/${files.referred.fileId}${path}` };
      const { c, who } = await fileCaller(w, role, mode);
      const f = c.id === files.assessment.c.id ? files.assessment : files.triage;
      return { who, url: `/v1/cases/${c.id}/files/${f.fileId}${path}` };
    },
  };
}

// --- measures and referrals ---------------------------------------------------------------

type MeasureStatus = Parameters<World['measure']>[1];

/** A route under /v1/measures/:measureId, on a measure at `status` of a case at `stage`. */
function onMeasure(stage: Stage, status: MeasureStatus, path: string, body: (w: World, c: Case, who: Who) => unknown, changes = true): Entry {
  return {
    async probe(w, role, mode) {
      const make = async () => {
        const c = await w.newCase(stage);
        return { c, id: await w.measure(c, status) };
      };
      const { c, id } = mode === 'in' && changes ? await make() : await w.shared(`measure:${stage}:${status}`, make);
      const who = await callerFor(w, role, c, mode);
      return { who, url: `/v1/measures/${id}${path}`, body: body(w, c, who) };
    },
  };
}

type ReferralStage = Parameters<World['referral']>[1];

/** A route under /v1/referrals/:referralId, on a referral at `stage` to organisation P. */
function onReferral(stageOf: ReferralStage | ((role: Role) => ReferralStage), path: string, body: (w: World, c: Case, id: string, who: Who) => unknown | Promise<unknown>, changes = true): Entry {
  return {
    async probe(w, role, mode) {
      const stage = typeof stageOf === 'function' ? stageOf(role) : stageOf;
      const make = async () => {
        const c = await w.newCase('decision');
        return { c, id: await w.referral(c, stage) };
      };
      const { c, id } = mode === 'in' && changes ? await make() : await w.shared(`referral:${stage}`, make);
      const who = await callerFor(w, role, c, mode);
      return { who, url: `/v1/referrals/${id}${path}`, body: await body(w, c, id, who) };
    },
  };
}

// --- organisations and accounts -----------------------------------------------------------

/** The organisation a role's call is about: its own (in), another (out). The mechanism for staff. */
function orgOf(w: World, role: Role, mode: Mode): string {
  if (role === 'partner') return mode === 'out' ? w.orgQ.id : w.orgP.id;
  return w.dep.mechanismId;
}

/** The caller of an organisation route: always the member of P (out of scope: on Q's organisation). */
const orgCaller = (w: World, role: Role, mode: Mode) => callerFor(w, role, null, mode === 'out' ? 'in' : mode);

/** A staff member of `role` whose session or password a call may spend. */
async function spendable(w: World, role: Role): Promise<Actor> {
  if (role === 'defender') throw new Error('no spendable defender account');
  return w.spareActor(role);
}

const publicRoute = (probe: (w: World) => Promise<Omit<Probe, 'who'>>, ok?: Entry['ok']): Entry => ({
  ok,
  async probe(w) {
    return { who: null, ...(await probe(w)) };
  },
});

/** A staff route on the caller's own account or session: `self` is never out of scope. */
const selfRoute = (probe: (w: World, who: Who, role: Role) => Promise<Omit<Probe, 'who'>>, spend = false): Entry => ({
  async probe(w, role, mode) {
    if (mode === 'out') return null;
    const who: Who = role === 'defender' ? (await sharedCase(w, 'triage')).defender : mode === 'in' && spend ? await spendable(w, role) : await callerFor(w, role, null, mode);
    return { who, ...(await probe(w, who, role)) };
  },
});

// --- the queue dashboard (bull-board, read-only) -----------------------------------------

const QUEUE = 'deadline-steps';
const dashboardUrl = (url: string) =>
  url
    .replace(':queueName', QUEUE)
    .replace(':jobId', 'no-such-job')
    .replace(':queueStatus', 'failed')
    .replace(':schedulerId', 'no-such-scheduler')
    .replace('*', 'favicon.ico');

/**
 * Every dashboard route is admin-only. Its pages and queue-level reads answer 200; a job that does
 * not exist 404 (bull-board's own answer); every write 405, since the dashboard is read-only
 * (bull-board's readOnlyMode: PostgreSQL is the truth, jobs are never retried behind the audit log).
 */
function dashboard(method: string, url: string): Entry {
  const writes = method !== 'GET';
  const noSuchJob = /^\/admin\/queues\/api\/queues\/:queueName\/:jobId(\/flow)?$/.test(url);
  const ok: Entry['ok'] = writes
    ? { status: 405, code: 'method_not_allowed', why: 'the dashboard is read-only: egide refuses every write before bull-board sees it' }
    : noSuchJob
      ? { status: 404, why: 'no such job: bull-board answers 404 (the admin passed authorisation)' }
      : undefined;
  return {
    ok,
    async probe(w, role) {
      return { who: await callerFor(w, role, null, 'in'), url: dashboardUrl(url), body: writes ? {} : undefined };
    },
  };
}

// --- the entries ---------------------------------------------------------------------------

const docs = (url: string): Entry => publicRoute(async () => ({ url }));

// --- the blind index -------------------------------------------------------------------------

/**
 * The staff keyring of the search key, made once by the supervisor (who holds the mechanism key)
 * for themself, officer A, and a spare officer assigned no case (an officer out of scope of the
 * matrix's cases who may still search). Officer B and supervisor 2 hold no entry.
 */
export const searchKeyring = (w: World) =>
  w.shared('search-key', async () => {
    const key = generateSearchKey();
    const searcher = await w.spareActor('officer');
    const members = [w.supervisor, w.officerA, searcher];
    await w.must(w.supervisor, 'POST', '/v1/search-key', { entries: members.map((m) => ({ userId: m.id, ...sealSearchKeyEntry(key, m.keyPair.publicKey) })) }, 201);
    return { key, searcher };
  });

/** The shared triage case, with its tokens uploaded by its officer: the name it is found by. */
const searchableCase = (w: World) =>
  w.shared('case:triage:searchable', async () => {
    const { key } = await searchKeyring(w);
    const c = await sharedCase(w, 'triage');
    await w.must(c.assignee ?? w.officerA, 'PUT', `/v1/cases/${c.id}/search-tokens`, { tokens: padTokens(searchTokens(key, { name: 'Awa Matrice Sangaré' })) });
    return c;
  });


export const entries: Record<string, Entry> = {
  // health and documentation (public)
  'GET /docs/': docs('/docs/'),
  'GET /docs/static/index.html': publicRoute(async () => ({ url: '/docs/static/index.html' }), { status: 302, why: 'swagger-ui sends the bare index page to /docs/' }),
  'GET /docs/static/swagger-initializer.js': docs('/docs/static/swagger-initializer.js'),
  'GET /docs/json': docs('/docs/json'),
  'GET /docs/yaml': docs('/docs/yaml'),
  'GET /docs/static/*': docs('/docs/static/swagger-ui.css'),
  'GET /metrics': publicRoute(async () => ({ url: '/metrics' }), { status: 401, code: 'unauthenticated', why: 'the Prometheus scraper presents METRICS_TOKEN (test/api/health); no user token opens it' }),
  'GET /healthz': docs('/healthz'),
  'GET /readyz': docs('/readyz'),
  'GET /v1/keys/intake': docs('/v1/keys/intake'),

  // the defender's page (public; 503 until `npm run build:web` has built it)
  'GET /': publicRoute(async () => ({ url: '/' }), { status: [200, 503], why: 'the page answers 503 until it is built' }),
  'GET /suivi': publicRoute(async () => ({ url: '/suivi' }), { status: [200, 503], why: 'the page answers 503 until it is built' }),
  'GET /assets/:name': publicRoute(async () => ({ url: '/assets/no-such-asset.js' }), { status: 404, code: 'not_found', why: 'anonymous passes; the asset name decides' }),
  'GET /v1/page/settings': docs('/v1/page/settings'),
  'GET /.well-known/egide/manifest.json': publicRoute(async () => ({ url: '/.well-known/egide/manifest.json' }), { status: [200, 404], why: 'the manifest answers 404 until the web applications are built' }),
  'GET /.well-known/egide/manifest.json.sig': publicRoute(async () => ({ url: '/.well-known/egide/manifest.json.sig' }), { status: [200, 404], why: 'the signature answers 404 until the operator signs the manifest' }),

  // the staff console (public files; 503 until built) and the settings it starts with
  'GET /console': publicRoute(async () => ({ url: '/console' }), { status: [200, 503], why: 'the console answers 503 until it is built' }),
  'GET /console/*': publicRoute(async () => ({ url: '/console/cases/x' }), { status: [200, 503], why: 'every screen address answers the console, 503 until it is built' }),
  'GET /console/assets/:name': publicRoute(async () => ({ url: '/console/assets/no-such-asset.js' }), { status: 404, code: 'not_found', why: 'anonymous passes; the asset name decides' }),
  'GET /v1/console/settings': docs('/v1/console/settings'),
  'GET /v1/files/settings': docs('/v1/files/settings'),
  'GET /v1/console/catalogues': { probe: async (w, role, mode) => ({ who: await callerFor(w, role, null, mode), url: '/v1/console/catalogues' }) },

  // authentication (public)
  'POST /v1/auth/prelogin': publicRoute(async (w) => ({ url: '/v1/auth/prelogin', body: { username: w.officerA.username } })),
  'POST /v1/auth/login': publicRoute(async (w) => {
    const pre = (await w.call(null, 'POST', '/v1/auth/prelogin', { username: w.officerB.username })).json();
    return { url: '/v1/auth/login', body: { username: w.officerB.username, authKey: toB64u(login(w.officerB.password, pre).authKey), totp: nextTotp(w.T, w.officerB.totpSecret) } };
  }),
  'POST /v1/auth/refresh': publicRoute(async (w) => ({ url: '/v1/auth/refresh', body: { refreshToken: (await w.secondSession(w.officerB)).refreshToken } })),
  'POST /v1/auth/recovery/start': publicRoute(async (w) => ({ url: '/v1/auth/recovery/start', body: { username: w.officerB.username } })),
  'POST /v1/auth/recovery/finish': publicRoute(async (w) => {
    const u = await w.spareActor('officer');
    const start = (await w.call(null, 'POST', '/v1/auth/recovery/start', { username: u.username })).json();
    const kp = recoverKeyPair(u.recoveryCode, start.recoveryWrap);
    const next = changePassword(kp, 'recovered passphrase of the matrix');
    return {
      url: '/v1/auth/recovery/finish',
      body: {
        username: u.username,
        challengeId: start.challengeId,
        answer: toB64u(openSecret(start.challenge, kp, 'challenge')),
        totp: nextTotp(w.T, u.totpSecret),
        publicKey: toB64u(kp.publicKey),
        salt: next.salt,
        verifier: next.verifier,
        wrappedPrivateKey: next.wrappedPrivateKey,
        recoveryWrap: wrapPrivateKey(kp.privateKey, recoveryKeyOf(createRecoveryCode())),
      },
    };
  }),
  'POST /v1/auth/totp-reset': publicRoute(async (w) => {
    const u = await w.spareActor('officer');
    const reset = await w.must(w.admin, 'POST', `/v1/users/${u.id}/totp-reset`, { reason: 'Téléphone perdu' }, 201);
    const pre = (await w.call(null, 'POST', '/v1/auth/prelogin', { username: u.username })).json();
    const totpSecret = generateTotpSecret();
    return { url: '/v1/auth/totp-reset', body: { username: u.username, token: reset.token, authKey: toB64u(login(u.password, pre).authKey), totpSecret, totpCode: nextTotp(w.T, totpSecret) } };
  }),
  'POST /v1/enrolments': publicRoute(async (w) => {
    const inv = await w.must(w.admin, 'POST', '/v1/invitations', { username: `enrolled-${randomBytes(3).toString('hex')}`, role: 'officer', orgId: w.dep.mechanismId }, 201);
    const e = enrol('a long passphrase for the matrix');
    const totpSecret = generateTotpSecret();
    return { url: '/v1/enrolments', body: { token: inv.token, ...e.upload, totpSecret, totpCode: nextTotp(w.T, totpSecret) } };
  }),
  'POST /v1/cases': publicRoute(async (w) => {
    const intakeKey = (await w.call(null, 'GET', '/v1/keys/intake')).json();
    const filing = prepareFiling({ intakeKey, pinnedKeyId: w.dep.mechanismKeyId, metadata: baseMetadata, secrets: { identity: 'Identité', contact: 'Contact', narrative: 'Récit' } });
    return { url: '/v1/cases', body: filing.body };
  }),
  'POST /v1/auth/receipt': publicRoute(async (w) => ({ url: '/v1/auth/receipt', body: { authKey: (await sharedCase(w, 'received')).authKey } })),

  // own session and account
  'POST /v1/auth/logout': {
    async probe(w, role, mode) {
      if (mode === 'out') return null;
      if (role === 'defender') {
        const c = await sharedCase(w, 'triage');
        const token = (await w.call(null, 'POST', '/v1/auth/receipt', { authKey: c.authKey })).json().accessToken as string;
        return { who: { ...c.defender, auth: () => ({ authorization: `Bearer ${token}` }), relogin: async () => undefined }, url: '/v1/auth/logout' };
      }
      return { who: mode === 'in' ? await w.secondSession(await callerFor(w, role, null, 'in') as Actor) : await callerFor(w, role, null, mode), url: '/v1/auth/logout' };
    },
  },
  'POST /v1/me/sessions/revoke': {
    // Every session of the caller ends: a spare staff member, or the defender of a case of their own.
    async probe(w, role, mode) {
      if (mode === 'out') return null;
      if (role === 'defender') return { who: (await w.newCase('received')).defender, url: '/v1/me/sessions/revoke' };
      return { who: await spendable(w, role), url: '/v1/me/sessions/revoke' };
    },
  },
  'GET /v1/me': selfRoute(async () => ({ url: '/v1/me' })),
  'POST /v1/me/password': selfRoute(async (w, who) => {
    if (!('username' in who)) return { url: '/v1/me/password', body: {} };
    const pre = (await w.call(null, 'POST', '/v1/auth/prelogin', { username: who.username })).json();
    const next = changePassword(who.keyPair, 'a new long passphrase of the matrix');
    return { url: '/v1/me/password', body: { currentAuthKey: toB64u(login(who.password, pre).authKey), totp: nextTotp(w.T, who.totpSecret), salt: next.salt, verifier: next.verifier, wrappedPrivateKey: next.wrappedPrivateKey } };
  }, true),

  // users and organisations (admin)
  'POST /v1/invitations': {
    async probe(w, role, mode) {
      return { who: await callerFor(w, role, null, mode), url: '/v1/invitations', body: { username: `invited-${randomBytes(3).toString('hex')}`, role: 'officer', orgId: w.dep.mechanismId } };
    },
  },
  'GET /v1/invitations': { probe: async (w, role, mode) => ({ who: await callerFor(w, role, null, mode), url: '/v1/invitations' }) },
  'POST /v1/invitations/:invitationId/resend': {
    async probe(w, role, mode) {
      const inv = await w.must<{ invitationId: string }>(w.admin, 'POST', '/v1/invitations', { username: `resent-${randomBytes(3).toString('hex')}`, role: 'officer', orgId: w.dep.mechanismId }, 201);
      return { who: await callerFor(w, role, null, mode), url: `/v1/invitations/${inv.invitationId}/resend` };
    },
  },
  'POST /v1/invitations/:invitationId/revoke': {
    async probe(w, role, mode) {
      const inv = await w.must<{ invitationId: string }>(w.admin, 'POST', '/v1/invitations', { username: `revoked-${randomBytes(3).toString('hex')}`, role: 'officer', orgId: w.dep.mechanismId }, 201);
      return { who: await callerFor(w, role, null, mode), url: `/v1/invitations/${inv.invitationId}/revoke` };
    },
  },
  'GET /v1/policies': { probe: async (w, role, mode) => ({ who: await callerFor(w, role, null, mode), url: '/v1/policies' }) },
  // Statistics: policy data and counts, no resource of a caller's scope (all or nothing per role).
  ...Object.fromEntries(
    [
      ['GET /v1/stats/catalogue', '/v1/stats/catalogue'],
      ['GET /v1/stats/table', '/v1/stats/table?series=region&by=violation&from=2026-01&to=2026-12&period=quarter'],
      ['GET /v1/stats/table/csv', '/v1/stats/table/csv?series=violation&from=2026-01&to=2026-12'],
      ['GET /v1/stats/response-times', '/v1/stats/response-times?from=2026-01&to=2026-12'],
      ['GET /v1/stats/workload', '/v1/stats/workload?from=2026-01&to=2026-12'],
      ['GET /v1/stats/service', '/v1/stats/service?from=2026-01&to=2026-12&period=quarter'],
      ['GET /v1/stats/reports/:year', '/v1/stats/reports/2026'],
      ['GET /v1/stats/reports/:year/tables/:tableId', '/v1/stats/reports/2026/tables/violation-by-perpetrator?variant=internal'],
      ['GET /v1/stats/reports/:year/tables/:tableId/csv', '/v1/stats/reports/2026/tables/sdg-16-10-1/csv'],
    ].map(([route, url]) => [route!, { probe: async (w: World, role: Role, mode: Mode) => ({ who: await callerFor(w, role, null, mode), url: url! }) }]),
  ),
  'POST /v1/stats/reports/:year/publication': {
    // Each allowed call publishes another ended year (a year is published once).
    async probe(w, role, mode) {
      return { who: await callerFor(w, role, null, mode), url: `/v1/stats/reports/${2001 + publishedYears++}/publication` };
    },
  },
  'GET /v1/stats/reports/:year/publication': {
    async probe(w, role, mode) {
      publishedOnce ??= w.must(w.supervisor, 'POST', '/v1/stats/reports/2000/publication', undefined, 201);
      await publishedOnce;
      return { who: await callerFor(w, role, null, mode), url: '/v1/stats/reports/2000/publication' };
    },
  },
  'GET /v1/users': {
    async probe(w, role, mode) {
      return { who: await callerFor(w, role, null, mode), url: '/v1/users?limit=200' };
    },
  },
  'POST /v1/users/:userId/disable': {
    async probe(w, role, mode) {
      const target = mode === 'in' ? (await w.spareActor('officer')).id : w.officerB.id;
      return { who: await callerFor(w, role, null, mode), url: `/v1/users/${target}/disable`, body: { reason: 'A quitté le mécanisme' } };
    },
  },
  'POST /v1/users/:userId/enable': {
    // In scope: an account the admin has just disabled; refused roles ask for one that is active.
    async probe(w, role, mode) {
      let target = w.officerB.id;
      if (mode === 'in') {
        target = (await w.spareActor('officer')).id;
        await w.must(w.admin, 'POST', `/v1/users/${target}/disable`, { reason: 'En congé' });
      }
      return { who: await callerFor(w, role, null, mode), url: `/v1/users/${target}/enable`, body: { reason: 'De retour de congé' } };
    },
  },
  'GET /v1/admin/health': { probe: async (w, role, mode) => ({ who: await callerFor(w, role, null, mode), url: '/v1/admin/health' }) },
  'POST /v1/users/:userId/totp-reset': {
    async probe(w, role, mode) {
      const target = mode === 'in' ? (await w.spareActor('officer')).id : w.officerB.id;
      return { who: await callerFor(w, role, null, mode), url: `/v1/users/${target}/totp-reset`, body: { reason: 'Téléphone perdu, identité vérifiée' } };
    },
  },
  'POST /v1/orgs': {
    async probe(w, role, mode) {
      return { who: await callerFor(w, role, null, mode), url: '/v1/orgs', body: { name: `Organisation ${randomBytes(3).toString('hex')}` } };
    },
  },
  'GET /v1/orgs': {
    async probe(w, role, mode) {
      const org = role === 'partner' ? w.orgP.id : w.dep.mechanismId;
      return { who: await callerFor(w, role, null, mode), url: '/v1/orgs', listed: (json) => (json.items as Array<{ id: string }>).some((o) => o.id === org) };
    },
  },
  'GET /v1/users/:userId/public-key': {
    // In scope: a colleague one may seal to (staff: an officer; a partner: a member of its
    // organisation, here itself); out of scope: another organisation's member.
    async probe(w, role, mode) {
      const target = role === 'partner' ? (mode === 'out' ? w.orgQ.member : w.orgP.member) : mode === 'out' ? w.orgP.member : w.officerA;
      return { who: await callerFor(w, role, null, role === 'partner' ? 'in' : mode), url: `/v1/users/${target.id}/public-key` };
    },
  },
  'GET /v1/staff': {
    async probe(w, role, mode) {
      // A partner's directory is its organisation's members: P's member is listed to P's, not to Q's.
      const listedId = role === 'partner' ? w.orgP.member.id : w.officerA.id;
      return { who: await callerFor(w, role, null, mode), url: '/v1/staff', listed: (json) => (json.items as Array<{ userId: string }>).some((i) => i.userId === listedId) };
    },
  },
  'GET /v1/staff/load': {
    async probe(w, role, mode) {
      return { who: await callerFor(w, role, null, mode), url: '/v1/staff/load', listed: (json) => (json.items as Array<{ userId: string }>).some((i) => i.userId === w.officerA.id) };
    },
  },
  'GET /v1/staff/:userId/holdings': { probe: async (w, role, mode) => ({ who: await callerFor(w, role, null, mode), url: `/v1/staff/${w.officerA.id}/holdings` }) },
  'GET /v1/orgs/:orgId/keys': {
    async probe(w, role, mode) {
      return { who: await orgCaller(w, role, mode), url: `/v1/orgs/${orgOf(w, role, mode)}/keys` };
    },
  },
  'POST /v1/orgs/:orgId/keys': {
    // A rotation of the mechanism key (supervisor) changes the intake key every filing pins: last.
    last: true,
    async probe(w, role, mode) {
      const who = (await (role === 'partner' ? orgCaller(w, role, mode) : callerFor(w, role, null, mode))) as Actor;
      const orgId = orgOf(w, role, mode);
      const key = createOrgKey([who.keyPair.publicKey]);
      const entry = key.entries[0]!;
      return { who, url: `/v1/orgs/${orgId}/keys`, body: { publicKey: key.publicKey, keyId: key.keyId, entries: [{ userId: who.id, memberKeyId: entry.memberKeyId, entry: entry.entry }] } };
    },
  },
  'GET /v1/orgs/:orgId/keyring': {
    async probe(w, role, mode) {
      return { who: await orgCaller(w, role, mode), url: `/v1/orgs/${orgOf(w, role, mode)}/keyring` };
    },
  },
  'POST /v1/orgs/:orgId/keyring': {
    /**
     * In scope: a holder of the organisation key seals it to another member (the supervisor holds
     * the mechanism key; an officer is made a holder first; the partner holds its organisation's).
     * Out of scope: a member who holds no entry (officer B, supervisor 2; partner Q for P's key).
     */
    async probe(w, role, mode) {
      if (mode !== 'in') {
        const who = await callerFor(w, role, null, mode);
        const orgId = role === 'partner' ? w.orgP.id : w.dep.mechanismId;
        return { who, url: `/v1/orgs/${orgId}/keyring`, body: { userId: w.officerA.id, entry: sealKeyringEntry(w.mechanismKey.privateKey, w.officerA.keyPair.publicKey).entry } };
      }
      if (role === 'partner') {
        const newcomer = await w.spareActor('partner');
        return { who: w.orgP.member, url: `/v1/orgs/${w.orgP.id}/keyring`, body: { userId: newcomer.id, entry: sealKeyringEntry(w.orgP.keyPair.privateKey, newcomer.keyPair.publicKey).entry } };
      }
      let holder: Actor = w.supervisor;
      if (role === 'officer') {
        holder = await w.spareActor('officer');
        await w.must(w.supervisor, 'POST', `/v1/orgs/${w.dep.mechanismId}/keyring`, { userId: holder.id, entry: sealKeyringEntry(w.mechanismKey.privateKey, holder.keyPair.publicKey).entry }, 201);
      }
      const newcomer = await w.spareActor('supervisor');
      return { who: holder, url: `/v1/orgs/${w.dep.mechanismId}/keyring`, body: { userId: newcomer.id, entry: sealKeyringEntry(w.mechanismKey.privateKey, newcomer.keyPair.publicKey).entry } };
    },
  },
  'DELETE /v1/orgs/:orgId/keyring/:userId': {
    async probe(w, role, mode) {
      let userId = w.supervisor.id;
      if (mode === 'in') {
        const member = await w.spareActor('supervisor');
        await w.must(w.supervisor, 'POST', `/v1/orgs/${w.dep.mechanismId}/keyring`, { userId: member.id, entry: sealKeyringEntry(w.mechanismKey.privateKey, member.keyPair.publicKey).entry }, 201);
        userId = member.id;
      }
      return { who: await callerFor(w, role, null, mode), url: `/v1/orgs/${w.dep.mechanismId}/keyring/${userId}?reason=${encodeURIComponent('Départ du mécanisme')}` };
    },
  },

  // custody of the mechanism key
  'GET /v1/custody': {
    async probe(w, role, mode) {
      return { who: await callerFor(w, role, null, mode), url: '/v1/custody' };
    },
  },
  'POST /v1/custody/backups': {
    // In scope: the supervisor who holds the current mechanism key; out of scope: supervisor 2, who holds none.
    async probe(w, role, mode) {
      const custodians = ['Aminata Traoré', 'Moussa Diarra', 'Fatoumata Coulibaly', 'Ibrahim Keïta', 'Awa Sangaré'];
      return { who: await callerFor(w, role, null, mode), url: '/v1/custody/backups', body: { keyId: w.dep.mechanismKeyId, threshold: 3, shares: 5, custodians } };
    },
  },
  'POST /v1/custody/restore/challenge': {
    async probe(w, role, mode) {
      return { who: await callerFor(w, role, null, mode), url: '/v1/custody/restore/challenge', body: {} };
    },
  },
  'POST /v1/custody/restore': {
    // The supervisor's client holds the mechanism key: it opens its own challenge (the proof) and re-seals its own entry.
    async probe(w, role, mode) {
      const who = await callerFor(w, role, null, mode);
      const start = await w.must(w.supervisor, 'POST', '/v1/custody/restore/challenge', {}, 200);
      const answer = toB64u(openSecret(start.challenge as string, w.mechanismKey, 'challenge'));
      return { who, url: '/v1/custody/restore', body: { challengeId: start.challengeId, answer, entry: sealKeyringEntry(w.mechanismKey.privateKey, w.supervisor.keyPair.publicKey).entry } };
    },
  },
  'GET /v1/custody/rewrap': {
    // In scope: the supervisor who holds the current mechanism key (nothing sealed to a retired key yet: an empty batch); out: supervisor 2, who holds none.
    async probe(w, role, mode) {
      return { who: await callerFor(w, role, null, mode), url: '/v1/custody/rewrap?limit=5' };
    },
  },
  'POST /v1/custody/rewrap/:caseId': {
    // The case is on the current key already: a holder's move answers `moved: false` (idempotent); supervisor 2 holds no key.
    async probe(w, role, mode) {
      const c = await sharedCase(w, 'received');
      const { keyId, envelope } = sealEnvelope(randomBytes(32), w.mechanismKey.publicKey);
      return { who: await callerFor(w, role, null, mode), url: `/v1/custody/rewrap/${c.id}`, body: { epoch: 1, fromKeyId: w.dep.mechanismKeyId, keyId, envelope } };
    },
  },

  // the blind index
  'POST /v1/search-key': {
    ok: { status: 409, code: 'already_exists', why: 'the staff keyring is made once and the matrix world made it (test/search/blind-index.test.ts makes one)' },
    async probe(w, role, mode) {
      await searchKeyring(w);
      return { who: await callerFor(w, role, null, mode), url: '/v1/search-key', body: { entries: [{ userId: w.supervisor.id, ...sealSearchKeyEntry(generateSearchKey(), w.supervisor.keyPair.publicKey) }] } };
    },
  },
  'GET /v1/me/search-key': {
    async probe(w, role, mode) {
      await searchKeyring(w);
      return { who: await callerFor(w, role, null, mode), url: '/v1/me/search-key' };
    },
  },
  'GET /v1/search-key/entries': {
    async probe(w, role, mode) {
      await searchKeyring(w);
      return { who: await callerFor(w, role, null, mode), url: '/v1/search-key/entries', listed: (json) => (json.items as Array<{ userId: string }>).some((i) => i.userId === w.officerA.id) };
    },
  },
  'POST /v1/search-key/entries': {
    // In scope: a holder (the supervisor, officer A) seals it to a newcomer; out of scope: a member who holds none (officer B, supervisor 2).
    async probe(w, role, mode) {
      const { key } = await searchKeyring(w);
      const who = await callerFor(w, role, null, mode);
      const newcomer = mode === 'in' ? await w.spareActor('officer') : w.officerB;
      return { who, url: '/v1/search-key/entries', body: { userId: newcomer.id, entry: sealSearchKeyEntry(key, newcomer.keyPair.publicKey).entry } };
    },
  },
  'DELETE /v1/search-key/entries/:userId': {
    async probe(w, role, mode) {
      const { key } = await searchKeyring(w);
      let userId = w.officerA.id;
      if (mode === 'in') {
        const member = await w.spareActor('officer');
        await w.must(w.supervisor, 'POST', '/v1/search-key/entries', { userId: member.id, entry: sealSearchKeyEntry(key, member.keyPair.publicKey).entry }, 201);
        userId = member.id;
      }
      return { who: await callerFor(w, role, null, mode), url: `/v1/search-key/entries/${userId}?reason=${encodeURIComponent('Départ du mécanisme')}` };
    },
  },
  'POST /v1/search-key/reissue': {
    // In scope: the supervisor (holds the search key and the mechanism key); out of scope: supervisor 2, who holds neither.
    ok: { status: 409, code: 'search_key_changed', why: 'a real re-issue would change the key every other entry searches with: the probe names a generation that is not the current one (test/search/search-key-reissue.test.ts re-issues)' },
    async probe(w, role, mode) {
      const { searcher } = await searchKeyring(w);
      const key = generateSearchKey();
      const entries = [w.supervisor, w.officerA, searcher].map((m) => ({ userId: m.id, ...sealSearchKeyEntry(key, m.keyPair.publicKey) }));
      return { who: await callerFor(w, role, null, mode), url: '/v1/search-key/reissue', body: { generation: 99, entries } };
    },
  },
  'GET /v1/search-key/reindex': {
    // In scope: the supervisor (nothing indexed with an older key: an empty batch); out of scope: supervisor 2.
    async probe(w, role, mode) {
      await searchKeyring(w);
      return { who: await callerFor(w, role, null, mode), url: '/v1/search-key/reindex?limit=5' };
    },
  },
  'POST /v1/search-key/reindex/:caseId': {
    // A case of its own (the shared ones' tokens are replaced by other entries), indexed with the
    // current key already: a holder's re-index answers `reindexed: false` (idempotent); supervisor 2 holds no key.
    async probe(w, role, mode) {
      const c = await w.shared('case:triage:reindexed', async () => {
        const { key } = await searchKeyring(w);
        const made = await w.newCase('triage');
        await w.must(made.assignee ?? w.officerA, 'PUT', `/v1/cases/${made.id}/search-tokens`, { tokens: padTokens(searchTokens(key, { name: 'Oumou Matrice Diallo' })) });
        return made;
      });
      return { who: await callerFor(w, role, null, mode), url: `/v1/search-key/reindex/${c.id}`, body: { generation: 1, tokens: padTokens([]) } };
    },
  },
  'PUT /v1/cases/:caseId/search-tokens': onCase({
    stage: 'triage',
    outStage: 'assessment',
    path: '/search-tokens',
    body: async (w) => {
      await searchKeyring(w);
      return { tokens: padTokens([]) };
    },
  }),
  'POST /v1/cases/search': {
    // In scope for the officer: the case assigned to them; out of scope: an officer who holds the key but not the case.
    async probe(w, role, mode) {
      const { key, searcher } = await searchKeyring(w);
      const c = await searchableCase(w);
      const who = role === 'officer' && mode === 'out' ? searcher : await callerFor(w, role, c, mode);
      return { who, url: '/v1/cases/search', body: { tokens: queryTokens(key, 'sangare awa') }, listed: (json) => (json.items as Array<{ case: { id: string } }>).some((i) => i.case.id === c.id) };
    },
  },

  // audit
  'GET /v1/audit/events': { probe: async (w, role, mode) => ({ who: await callerFor(w, role, null, mode), url: '/v1/audit/events?limit=5' }) },
  'GET /v1/audit/export': { probe: async (w, role, mode) => ({ who: await callerFor(w, role, null, mode), url: `/v1/audit/export?from=${encodeURIComponent(w.T.clock.now().toISOString())}` }) },
  'GET /v1/audit/head': { probe: async (w, role, mode) => ({ who: await callerFor(w, role, null, mode), url: '/v1/audit/head' }) },
  'GET /v1/audit/checkpoints': { probe: async (w, role, mode) => ({ who: await callerFor(w, role, null, mode), url: `/v1/audit/checkpoints?to=${encodeURIComponent(w.T.clock.now().toISOString())}` }) },
  'POST /v1/audit/verify': { probe: async (w, role, mode) => ({ who: await callerFor(w, role, null, mode), url: '/v1/audit/verify' }) },

  // cases
  'POST /v1/cases/on-behalf': {
    async probe(w, role, mode) {
      const who = await callerFor(w, role, null, mode);
      const intakeKey = (await w.call(null, 'GET', '/v1/keys/intake')).json();
      const filer = 'keyPair' in who ? who.keyPair.publicKey : w.officerA.keyPair.publicKey;
      const filing = prepareFiling({ intakeKey, pinnedKeyId: w.dep.mechanismKeyId, metadata: { ...baseMetadata, filedFor: 'relative' }, secrets: { identity: 'Identité', contact: 'Contact', narrative: 'Récit' }, alsoSealTo: [filer] });
      return { who, url: '/v1/cases/on-behalf', body: { ...filing.body, source: 'oral_statement', consent: 'given', filer: filing.extraEnvelopes[0] } };
    },
  },
  'GET /v1/cases': {
    // In scope for the officer: the case assigned to them; out of scope: another officer's.
    async probe(w, role, mode) {
      const c = await sharedCase(w, 'triage');
      const who = await callerFor(w, role, c, mode);
      return { who, url: '/v1/cases?limit=100', listed: (json) => (json.items as Array<{ id: string }>).some((i) => i.id === c.id) };
    },
  },
  'GET /v1/cases/:caseId': onCase({ stage: 'triage', path: '' }),
  'GET /v1/cases/:caseId/actions': onCase({ stage: 'triage', path: '/actions' }),
  'GET /v1/cases/counts': {
    okFor: { officer: { status: 200, why: "the counts are of the caller's own scope (the pool and their cases): there is nothing to be out of" } },
    async probe(w, role, mode) {
      return { who: await callerFor(w, role, null, mode), url: '/v1/cases/counts' };
    },
  },
  'POST /v1/cases/:caseId/envelopes': onCase({
    stage: 'triage',
    outStage: 'assessment',
    path: '/envelopes',
    body: async (w, c) => {
      const reader = await w.shared('reader', () => w.spareActor('officer'));
      return { userId: reader.id, ...sealEnvelope(c.dek, reader.keyPair.publicKey) };
    },
  }),
  'GET /v1/cases/:caseId/sealed': onCase({ stage: 'triage', outStage: 'assessment', path: '/sealed' }),
  // A hand-over to the other officer, with the case key sealed to them (a supervisor outside an admitted case needs a break-glass).
  'POST /v1/cases/:caseId/reassign': onCase({
    stage: 'triage',
    outStage: 'assessment',
    path: '/reassign',
    changes: true,
    body: (w, c) => ({ reason: 'Congé de longue durée de l’agent', assigneeId: w.officerB.id, ...sealEnvelope(c.dek, w.officerB.keyPair.publicKey) }),
  }),
  'POST /v1/cases/:caseId/break-glass': onCase({ stage: 'assessment', path: '/break-glass', changes: true, body: () => ({ reason: 'Alerte de nuit, agent injoignable : lecture pour décider d’une mesure urgente.' }) }),
  'POST /v1/cases/:caseId/acknowledge': {
    // The intake pool: in scope, a received case; out of scope, a case another officer holds.
    async probe(w, role, mode) {
      const c = mode === 'in' ? await w.newCase('received') : await sharedCase(w, 'triage');
      const who = await callerFor(w, role, c, mode);
      return { who, url: `/v1/cases/${c.id}/acknowledge`, body: role === 'supervisor' ? { assigneeId: w.officerA.id } : {} };
    },
  },
  'POST /v1/cases/:caseId/admit': step('triage', '/admit'),
  'POST /v1/cases/:caseId/decline': step('triage', '/decline', { ...reason, declineReason: 'outside_mandate' }),
  'POST /v1/cases/:caseId/request-info': step('triage', '/request-info', reason),
  'POST /v1/cases/:caseId/provide-info': step('info_requested', '/provide-info'),
  'POST /v1/cases/:caseId/close-unreachable': step('info_requested', '/close-unreachable', reason),
  'POST /v1/cases/:caseId/close': step('triage', '/close', { ...reason, closeReason: 'duplicate' }),
  'POST /v1/cases/:caseId/reopen': step('declined', '/reopen', reason),
  'POST /v1/cases/:caseId/complete-assessment': step('assessed', '/complete-assessment'),
  'POST /v1/cases/:caseId/decide-no-measures': step('decision', '/decide-no-measures', reason),
  // A case reassessed in protection: back in decision, with its measures in place.
  'POST /v1/cases/:caseId/continue-protection': step('reassessed', '/continue-protection', reason),
  'POST /v1/cases/:caseId/reassess': step('protection', '/reassess', reason),
  'POST /v1/cases/:caseId/urgency': step('triage', '/urgency', { urgent: true, reason: 'Menace de mort, passage à l’acte possible cette semaine' }),
  'POST /v1/cases/:caseId/verification': step('triage', '/verification', { status: 'verified', reason: 'Confirmé par deux sources indépendantes' }),
  'POST /v1/cases/:caseId/messages': onCase({
    stage: 'triage',
    outStage: 'assessment',
    path: '/messages',
    body: (_w, c, who) => {
      const id = randomUUID();
      const sender = 'username' in who ? `u:${who.id}` : `d:${c.id}`;
      return { id, body: toSealed(c, id, sender) };
    },
  }),
  'GET /v1/cases/:caseId/messages': onCase({ stage: 'triage', outStage: 'assessment', path: '/messages' }),
  'POST /v1/cases/:caseId/messages/read': onCase({ stage: 'triage', outStage: 'assessment', path: '/messages/read', body: async (w, c) => ({ upTo: await messageOn(w, c) }) }),
  'POST /v1/cases/:caseId/staff-key': onCase({ stage: 'triage', outStage: 'assessment', path: '/staff-key', changes: true, body: async (w, c) => ({ envelopes: (await staffKeyFor(w, c)).envelopes }) }),
  'POST /v1/cases/:caseId/notes': onCase({
    stage: 'triage',
    outStage: 'assessment',
    path: '/notes',
    body: async (w, c, who) => {
      const id = randomUUID();
      const author = 'username' in who ? `u:${who.id}` : `d:${c.id}`;
      return { id, body: sealNote({ text: 'Note interne' }, await staffKeyOf(w, c), { caseId: c.id, noteId: id, author }) };
    },
  }),
  'GET /v1/cases/:caseId/notes': onCase({ stage: 'triage', outStage: 'assessment', path: '/notes' }),

  // evidence files: uploads (tus) bound to their case and uploader, attach, list, download
  'POST /v1/uploads': {
    async probe(w, role, mode) {
      const { c, who } = await fileCaller(w, role, mode);
      return { who, url: '/v1/uploads', headers: creationHeaders(newUpload(c)) };
    },
  },
  'HEAD /v1/uploads/:fileId': onUpload('created', async () => ({ headers: TUS })),
  'PATCH /v1/uploads/:fileId': onUpload('created', async (u) => ({ headers: appendHeaders, body: await ciphertextOf(u) })),
  'DELETE /v1/uploads/:fileId': onUpload('created', async () => ({ headers: TUS })),
  'PUT /v1/cases/:caseId/files/:fileId': onUpload('received', async (u) => ({ body: descriptionOf(u) }), (u) => `/v1/cases/${u.c.id}/files/${u.fileId}`),
  'GET /v1/cases/:caseId/files': {
    // A partner reads the files a referral to its organisation carries, never a case's list.
    okFor: { partner: { status: 404, code: 'not_found', why: 'a partner reads only the files a live referral to its organisation carries, never the list of a case' } },
    async probe(w, role, mode) {
      const { c, who } = await fileCaller(w, role, mode);
      const listed = mode === 'in' ? (await sharedFiles(w)).triage.fileId : null;
      return { who, url: `/v1/cases/${c.id}/files`, ...(listed ? { listed: (json: { items: Array<{ id: string }> }) => json.items.some((f) => f.id === listed) } : {}) };
    },
  },
  'GET /v1/cases/:caseId/files/:fileId/content': onSharedFile('/content'),
  'GET /v1/cases/:caseId/files/:fileId/timestamp': onSharedFile('/timestamp'),
  'POST /v1/cases/:caseId/assessments': onCase({ stage: 'assessment', path: '/assessments', body: (w, c) => w.assessmentBody(c) }),
  'GET /v1/cases/:caseId/assessments': onCase({ stage: 'assessed', path: '/assessments' }),
  'GET /v1/measures/catalogue': { probe: async (w, role, mode) => ({ who: await callerFor(w, role, null, mode), url: '/v1/measures/catalogue' }) },
  'GET /v1/cases/:caseId/measures': onCase({ stage: 'protection', path: '/measures' }),
  'POST /v1/cases/:caseId/measures': onCase({ stage: 'decision', path: '/measures', body: () => ({ id: randomUUID(), code: 'legal_assistance', implementer: 'cndh' }) }),
  'POST /v1/measures/:measureId/consent': onMeasure('decision', 'proposed', '/consent', (w, _c, who) =>
    'username' in who ? { decision: 'consent', attestation: { channel: 'phone_call', takenAt: new Date(w.T.clock.now().getTime() - 1000).toISOString(), statement: 'Accord donné par téléphone après lecture de l’avertissement.' } } : { decision: 'consent' },
  ),
  'POST /v1/measures/:measureId/decision': onMeasure('decision', 'consented', '/decision', () => ({ decision: 'approve', reason: 'Menaces confirmées par l’évaluation.' })),
  'POST /v1/measures/:measureId/confirm': {
    // An urgent measure approved in triage on an urgent case, confirmed once the assessment is done.
    async probe(w, role, mode) {
      const make = async () => {
        const c = await w.newCase('triage', { metadata: { claimedUrgent: true } });
        await w.must(c.assignee!, 'POST', `/v1/cases/${c.id}/urgency`, { urgent: true, reason: 'Menace de mort, passage à l’acte possible cette semaine' });
        const id = randomUUID();
        await w.must(c.assignee!, 'POST', `/v1/cases/${c.id}/measures`, { id, code: 'emergency_communication_device', implementer: 'cndh' }, 201);
        await w.must(c.defender, 'POST', `/v1/measures/${id}/consent`, { decision: 'consent' });
        await w.must(w.supervisor, 'POST', `/v1/measures/${id}/decision`, { decision: 'approve', reason: 'Urgence avérée.' });
        await w.must(c.assignee!, 'POST', `/v1/cases/${c.id}/admit`, {});
        await w.record(c);
        await w.must(c.assignee!, 'POST', `/v1/cases/${c.id}/complete-assessment`, {});
        return { c, id };
      };
      const { c, id } = mode === 'in' ? await make() : await w.shared('measure:urgent', make);
      return { who: await callerFor(w, role, c, mode), url: `/v1/measures/${id}/confirm`, body: { reason: 'Évaluation terminée : le risque justifie la mesure.' } };
    },
  },
  'POST /v1/measures/:measureId/implement': onMeasure('decision', 'approved', '/implement', () => ({ reason: 'Prestataire mandaté.' })),
  'POST /v1/measures/:measureId/activate': onMeasure('decision', 'implementing', '/activate', () => ({})),
  'POST /v1/measures/:measureId/review': onMeasure('decision', 'active', '/review', () => ({ reason: 'Menaces toujours actives.', extendDays: 30 })),
  'POST /v1/measures/:measureId/lift': onMeasure('decision', 'active', '/lift', () => ({ reason: 'Risque redevenu faible.' })),

  // referrals
  'POST /v1/cases/:caseId/referrals': onCase({ stage: 'decision', path: '/referrals', body: (w) => ({ id: randomUUID(), orgId: w.orgP.id, fields: ['identity'], purpose: 'legal_assistance' }) }),
  'GET /v1/cases/:caseId/referrals': { ...onCase({ stage: 'decision', path: '/referrals' }), okFor: { partner: partnerNotOnCase } },
  'GET /v1/referrals': {
    // The partner's inbox: P's member lists the referral sent to P; Q's member does not.
    async probe(w, role, mode) {
      const { c, id } = await w.shared('referral:sent', async () => {
        const c = await w.newCase('decision');
        return { c, id: await w.referral(c, 'sent') };
      });
      return { who: await callerFor(w, role, c, mode), url: '/v1/referrals?limit=100', listed: (json) => (json.items as Array<{ id: string }>).some((i) => i.id === id) };
    },
    okFor: {
      defender: { status: 404, code: 'not_found', why: "the defender's referrals are those of their case: GET /v1/cases/:caseId/referrals" },
      officer: { status: 404, code: 'not_found', why: "an officer's referrals are those of their cases: GET /v1/cases/:caseId/referrals" },
    },
  },
  // The defender sees a referral while it awaits their consent; the partner once it is sent.
  'GET /v1/referrals/:referralId': onReferral((role) => (role === 'defender' ? 'awaiting_consent' : 'sent'), '', () => undefined, false),
  'POST /v1/referrals/:referralId/consent': onReferral('awaiting_consent', '/consent', (w, _c, _id, who) =>
    'username' in who ? { decision: 'consent', attestation: { channel: 'phone_call', takenAt: new Date(w.T.clock.now().getTime() - 1000).toISOString(), statement: 'Destinataire et objet lus par téléphone ; accord donné.' } } : { decision: 'consent' },
  ),
  'POST /v1/referrals/:referralId/packet': onReferral('consented', '/packet', async (w, c, id, who) => {
    // A supervisor outside the case (it is in decision) reads its fields to re-seal them through a break-glass.
    if (who === w.supervisor) await w.must(w.supervisor, 'POST', `/v1/cases/${c.id}/break-glass`, { reason: 'Orientation urgente, agent absent : envoi du dossier au partenaire.' }, 201);
    return (await w.packet(c, id, who === w.supervisor ? w.supervisor : c.assignee!)).body;
  }),
  'POST /v1/referrals/:referralId/accept': onReferral('sent', '/accept', () => undefined),
  'POST /v1/referrals/:referralId/decline': onReferral('sent', '/decline', () => ({ reason: 'Capacité d’accueil atteinte ce trimestre.' })),
  'POST /v1/referrals/:referralId/reports': onReferral('accepted', '/reports', () => ({ id: randomUUID(), status: 'in_progress' })),
  'POST /v1/referrals/:referralId/withdraw': onReferral('sent', '/withdraw', () => ({ reason: 'Besoin désormais couvert par une mesure.' })),

  // around the case
  'POST /v1/cases/:caseId/incidents': onCase({ stage: 'protection', path: '/incidents', changes: true, body: (w, c) => ({ id: randomUUID(), code: 'death_threat' }) }),
  'POST /v1/cases/:caseId/checkins': onCase({ stage: 'protection', path: '/checkins', body: () => ({ id: randomUUID(), code: 'ok' }) }),
  'POST /v1/cases/:caseId/alerts': onCase({ stage: 'protection', path: '/alerts', body: () => ({ id: randomUUID() }) }),
  'GET /v1/cases/:caseId/reports': onCase({ stage: 'protection', path: '/reports' }),
  'POST /v1/cases/:caseId/appeals': onCase({
    stage: 'declined',
    path: '/appeals',
    changes: true,
    body: (_w, c) => {
      const id = randomUUID();
      return { id, subject: 'decline', grounds: toSealedAd(c, appealGroundsAd(id)) };
    },
  }),
  'POST /v1/appeals/:appealId/decision': {
    async probe(w, role, mode) {
      const make = async () => {
        const c = await w.newCase('declined');
        const id = randomUUID();
        await w.must(c.defender, 'POST', `/v1/cases/${c.id}/appeals`, { id, subject: 'decline' }, 201);
        return { c, id };
      };
      const { c, id } = mode === 'in' ? await make() : await w.shared('appeal', make);
      return { who: await callerFor(w, role, c, mode), url: `/v1/appeals/${id}/decision`, body: { outcome: 'dismissed', reason: 'Hors du mandat, confirmé.' } };
    },
  },
  'GET /v1/cases/:caseId/appeals': onCase({ stage: 'declined', path: '/appeals' }),
  'GET /v1/cases/:caseId/timeline': onCase({ stage: 'triage', path: '/timeline' }),
  'POST /v1/cases/:caseId/exports': onCase({ stage: 'triage', outStage: 'assessment', path: '/exports', body: () => ({ sections: ['meta', 'facts', 'files'] }) }),
  'POST /v1/cases/:caseId/withdraw': step('triage', '/withdraw', { reason: 'Je ne souhaite plus être suivie.' }),
  'GET /v1/cases/:caseId/rekey': onCase({ stage: 'triage', outStage: 'assessment', path: '/rekey' }),
  'POST /v1/cases/:caseId/rekey': onCase({
    stage: 'triage',
    outStage: 'assessment',
    path: '/rekey',
    changes: true,
    // Re-keying revokes nobody here: every reader keeps an envelope under the new key.
    body: async (w, c, caller) => {
      // Made by a reader of the case (the caller when they are one, else its officer): a valid body either way.
      const who = caller === w.supervisor ? w.supervisor : c.assignee!;
      const r = await w.call(who, 'GET', `/v1/cases/${c.id}/rekey`);
      if (r.statusCode !== 200) throw new Error(`rekey bundle: ${r.statusCode} ${r.body}`);
      const bundle = r.json() as RekeyBundle;
      const keys = [who.keyPair, ...(who === w.supervisor ? [w.mechanismKey] : [])];
      const oldDek = openRekeyDek(bundle, keys);
      // The remaining readers as the client resolves them: the mechanism key it pins, the public keys the bundle gives.
      const recipients = bundle.envelopes.map((e) => ({
        keyId: e.currentKeyId!,
        publicKey: e.recipientType === 'org' ? w.mechanismKey.publicKey : fromB64u(e.publicKey!),
        recipientType: e.recipientType,
        recipientId: e.recipientId,
      }));
      return prepareRekey({ bundle, oldDek, revoke: [], recipients }).body;
    },
  }),
  'POST /v1/cases/:caseId/receipt': onCase({
    stage: 'triage',
    outStage: 'assessment',
    path: '/receipt',
    changes: true,
    // A new receipt drawn by a reader of the case, the case re-keyed to its key.
    body: async (w, c, caller) => {
      const who = caller === w.supervisor ? w.supervisor : c.assignee!;
      const r = await w.call(who, 'GET', `/v1/cases/${c.id}/rekey`);
      if (r.statusCode !== 200) throw new Error(`rekey bundle: ${r.statusCode} ${r.body}`);
      const bundle = r.json() as RekeyBundle;
      const oldDek = openRekeyDek(bundle, [who.keyPair, ...(who === w.supervisor ? [w.mechanismKey] : [])]);
      const recipients = bundle.envelopes
        .filter((e) => e.recipientType !== 'defender')
        .map((e) => ({ keyId: e.currentKeyId!, publicKey: e.recipientType === 'org' ? w.mechanismKey.publicKey : fromB64u(e.publicKey!), recipientType: e.recipientType, recipientId: e.recipientId }));
      return prepareReceiptReissue({ bundle, oldDek, receiptSalt: w.dep.receiptSalt, recipients, cause: 'lost' }).body;
    },
  }),

  // notifications
  'GET /v1/notifications': selfRoute(async () => ({ url: '/v1/notifications' })),
  // saved views of the case list (one's own)
  'GET /v1/me/views': selfRoute(async () => ({ url: '/v1/me/views' })),
  'POST /v1/me/views': selfRoute(async () => ({ url: '/v1/me/views', body: { name: 'Urgents', query: { urgent: 'true' } } })),
  'DELETE /v1/me/views/:id': {
    async probe(w, role, mode) {
      if (mode === 'out') return null;
      const who: Who = role === 'defender' ? (await sharedCase(w, 'triage')).defender : await callerFor(w, role, null, mode);
      // A refused call (a role without views, or a view that is not there) needs no view of its own.
      if (mode !== 'in' || (role !== 'officer' && role !== 'supervisor')) return { who, url: `/v1/me/views/${randomUUID()}` };
      const view = await w.call(who, 'POST', '/v1/me/views', { name: 'À supprimer', query: {} });
      if (view.statusCode !== 201) throw new Error(`saving a view: ${view.statusCode} ${view.body}`);
      return { who, url: `/v1/me/views/${view.json().id}` };
    },
  },
  'POST /v1/notifications/:id/read': {
    // In scope: one's own notification; out of scope: someone else's.
    async probe(w, role, mode) {
      const who = await callerFor(w, role, null, mode === 'out' ? 'in' : mode);
      const owner = mode === 'out' ? w.officerB : who;
      const id = 'username' in owner ? await notificationOf(w, owner) : randomUUID();
      return { who, url: `/v1/notifications/${id}/read` };
    },
  },
  'POST /v1/notifications/read-all': selfRoute(async () => ({ url: '/v1/notifications/read-all' })),
  // on call: the roster (staff read it, supervisors replace it) and one's own pages
  'GET /v1/on-call/roster': {
    async probe(w, role, mode) {
      return { who: await callerFor(w, role, null, mode), url: '/v1/on-call/roster' };
    },
  },
  'PUT /v1/on-call/roster': {
    async probe(w, role, mode) {
      const now = w.T.clock.now().getTime();
      const entry = { userId: w.officerA.id, position: 1, startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3600_000).toISOString(), email: null, phone: null, language: 'fr' };
      return { who: await callerFor(w, role, null, mode), url: '/v1/on-call/roster', body: { entries: [entry] } };
    },
  },
  'GET /v1/on-call/pages': selfRoute(async () => ({ url: '/v1/on-call/pages' })),
  'POST /v1/on-call/pages/:id/acknowledge': {
    // In scope: one's own page; out of scope: someone else's.
    async probe(w, role, mode) {
      const who = await callerFor(w, role, null, mode === 'out' ? 'in' : mode);
      const owner = mode === 'out' ? w.officerB : who;
      const id = 'username' in owner && (role === 'officer' || role === 'supervisor') ? await pageOf(w, owner) : randomUUID();
      return { who, url: `/v1/on-call/pages/${id}/acknowledge` };
    },
  },
  'GET /v1/cases/:caseId/notices': onCase({ stage: 'triage', path: '/notices' }),
  'POST /v1/orgs/:orgId/webhooks': { probe: async (w, role, mode) => ({ who: await callerFor(w, role, null, mode), url: `/v1/orgs/${w.orgP.id}/webhooks`, body: { url: 'https://93.184.215.14/egide' } }) },
  'GET /v1/orgs/:orgId/webhooks': { probe: async (w, role, mode) => ({ who: await callerFor(w, role, null, mode), url: `/v1/orgs/${w.orgP.id}/webhooks` }) },
  'POST /v1/orgs/:orgId/webhooks/:id/disable': {
    async probe(w, role, mode) {
      const hook = await w.must<{ id: string }>(w.admin, 'POST', `/v1/orgs/${w.orgP.id}/webhooks`, { url: 'https://93.184.215.14/egide' }, 201);
      return { who: await callerFor(w, role, null, mode), url: `/v1/orgs/${w.orgP.id}/webhooks/${hook.id}/disable` };
    },
  },

  'GET /v1/orgs/:orgId/webhooks/:id/deliveries': {
    async probe(w, role, mode) {
      const hook = await w.must<{ id: string }>(w.admin, 'POST', `/v1/orgs/${w.orgP.id}/webhooks`, { url: 'https://93.184.215.14/egide' }, 201);
      return { who: await callerFor(w, role, null, mode), url: `/v1/orgs/${w.orgP.id}/webhooks/${hook.id}/deliveries` };
    },
  },
  'POST /v1/orgs/:orgId/webhooks/:id/ping': {
    async probe(w, role, mode) {
      const hook = await w.must<{ id: string }>(w.admin, 'POST', `/v1/orgs/${w.orgP.id}/webhooks`, { url: 'https://93.184.215.14/egide' }, 201);
      return { who: await callerFor(w, role, null, mode), url: `/v1/orgs/${w.orgP.id}/webhooks/${hook.id}/ping` };
    },
  },
  'POST /v1/orgs/:orgId/webhooks/:id/deliveries/:deliveryId/redeliver': {
    async probe(w, role, mode) {
      const hook = await w.must<{ id: string }>(w.admin, 'POST', `/v1/orgs/${w.orgP.id}/webhooks`, { url: 'https://93.184.215.14/egide' }, 201);
      // A delivery whose attempts all failed, as the worker leaves it.
      const deliveryId = randomUUID();
      await w.T.database.sql`insert into webhook_deliveries (id, endpoint_id, outbox_id, topic, body, status, attempts, last_error, created_at)
        values (${deliveryId}, ${hook.id}, ${-Math.floor(Math.random() * 1e9)}, 'referral.sent', '{}', 'failed', 5, 'HTTP 500', now())`;
      return { who: await callerFor(w, role, null, mode), url: `/v1/orgs/${w.orgP.id}/webhooks/${hook.id}/deliveries/${deliveryId}/redeliver` };
    },
  },

  // deadlines and retention
  'GET /v1/deadlines': {
    async probe(w, role, mode) {
      if (role === 'partner') {
        const { c, id } = await w.shared('referral:sent', async () => {
          const c = await w.newCase('decision');
          return { c, id: await w.referral(c, 'sent') };
        });
        return { who: await callerFor(w, role, c, mode), url: '/v1/deadlines?limit=100', listed: (json) => JSON.stringify(json).includes(id) || JSON.stringify(json).includes(c.reference) };
      }
      const c = await sharedCase(w, 'triage');
      return { who: await callerFor(w, role, c, mode), url: '/v1/deadlines?limit=100', listed: (json) => JSON.stringify(json).includes(c.reference) };
    },
    okFor: {
      defender: { status: 404, code: 'not_found', why: "the list across cases is out of a defender's scope: their deadlines are on their case (GET /v1/cases/:caseId)" },
    },
  },
  'GET /v1/cases/:caseId/deadlines': { ...onCase({ stage: 'triage', path: '/deadlines' }), okFor: { partner: partnerNotOnCase } },
  'GET /v1/retention': { probe: async (w, role, mode) => ({ who: await callerFor(w, role, null, mode), url: '/v1/retention' }) },
  'GET /v1/approvals': { probe: async (w, role, mode) => ({ who: await callerFor(w, role, null, mode), url: '/v1/approvals' }) },
  'POST /v1/cases/:caseId/retention-hold': step('declined', '/retention-hold', { reason: 'Procédure judiciaire en cours' }),
  'POST /v1/cases/:caseId/retention-hold/release': step('declined', '/retention-hold/release', { reason: 'Procédure close' }, {
    status: 409,
    code: 'invalid_transition',
    why: 'a release needs a hold first (test/retention/hold.test.ts covers it); the supervisor passes authorisation and scope',
  }),
  'POST /v1/cases/:caseId/purge': step('declined', '/purge', { reason: 'Fin de la durée de conservation' }, {
    status: 409,
    code: 'retention_not_due',
    why: 'a purge needs a retention period of years to have run (test/retention covers it); the supervisor passes authorisation and scope',
  }),
};

/** A sealed message body as the caller's client seals it (AD binds it to id and sender). */
function toSealed(c: Case, id: string, sender: string): string {
  return toSealedAd(c, messageBodyAd(id, sender));
}
function toSealedAd(c: Case, ad: string): string {
  // imported lazily to keep the list of SDK imports above short
  return sealFieldSdk({ text: 'Texte scellé' }, c.dek, ad);
}
import { sealField as sealFieldSdk } from '../../../src/sdk/index.js';

/** A message on a shared case (from its defender), for a read marker to point at. */
const messageOn = (w: World, c: Case): Promise<string> =>
  w.shared(`message:${c.id}`, async () => {
    const id = randomUUID();
    await w.must(c.defender, 'POST', `/v1/cases/${c.id}/messages`, { id, body: toSealed(c, id, `d:${c.id}`) }, 201);
    return id;
  });

/** A new staff key of `c`, sealed to the staff holders its officer's client reads (the mechanism key pinned). */
async function staffKeyFor(w: World, c: Case) {
  const { holders } = await w.must<{ holders: Array<{ keyId: string; recipientType: 'org' | 'user'; recipientId: string; publicKey: string | null }> }>(c.assignee!, 'GET', `/v1/cases/${c.id}/notes`);
  return createStaffKey(holders.map((h) => ({ ...h, publicKey: h.recipientType === 'org' ? w.mechanismKey.publicKey : h.publicKey! })));
}

/** The staff key of a shared case, made once by its officer. */
const staffKeyOf = (w: World, c: Case): Promise<Uint8Array> =>
  w.shared(`staff-key:${c.id}`, async () => {
    const { staffKey, envelopes } = await staffKeyFor(w, c);
    await w.must(c.assignee!, 'POST', `/v1/cases/${c.id}/staff-key`, { envelopes }, 201);
    return staffKey;
  });

/**
 * A notification in `owner`'s inbox. The outbox dispatcher (a worker) writes them; the matrix runs
 * no worker, so the row is written as the dispatcher would write it.
 */
/** A page put to `owner` by the on-call pager (as the workers write it). */
async function pageOf(w: World, owner: Actor): Promise<string> {
  const id = randomUUID();
  await w.T.database.sql`insert into on_call_pages (id, event_id, rank, topic, recipient_user_id, language, email_status, sms_status, created_at)
    values (${id}, ${Math.floor(Math.random() * 1e9)}, 1, 'alert.raised', ${owner.id}, 'fr', 'none', 'none', ${w.T.clock.now().toISOString()}::timestamptz)`;
  return id;
}

async function notificationOf(w: World, owner: Actor): Promise<string> {
  const id = randomUUID();
  await w.T.database.sql`insert into notifications (id, audience, recipient_user_id, topic, payload, outbox_id, created_at)
    values (${id}, 'user', ${owner.id}, 'deadline.step', ${JSON.stringify({ rule: 'triage' })}::jsonb, ${Math.floor(Math.random() * 1e9)}, ${w.T.clock.now().toISOString()}::timestamptz)`;
  return id;
}

/** The dashboard's routes all take one entry shape; the test adds them from the route table. */
export function dashboardEntry(method: string, url: string): Entry | undefined {
  return url.startsWith('/admin/queues') ? dashboard(method, url) : undefined;
}
