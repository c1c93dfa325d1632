/**
 * The world a test arranges, built as the people in it would build it: the deployment
 * bootstrapped as the CLI does, staff enrolled from their own clients (keys and TOTP made there)
 * and logged in through HTTP, partner organisations with their keyrings, cases filed by a
 * defender's phone (sealed by the SDK) and taken to a given state by the role that takes each
 * step. Every call goes through the SDK's typed client (over app.inject), so the builder's
 * requests and the answers it reads are typed by the routes' own contracts (src/contracts); the
 * deployment is bootstrapped through the services, as the CLI does, and the one fact no route sets
 * yet (a case's supervisor) is in `assignCaseSupervisor`, the only SQL here. The helpers that hand
 * a test the raw answer to inspect (`act`, `expectStatus`) stay on app.inject.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import {
  assessmentFieldAd,
  caseFieldAd,
  createOrgKey,
  generateDek,
  openField,
  pinnedPublicKey,
  referralFieldAd,
  enrol,
  keyIdOf,
  login,
  measureDetailsAd,
  openAccount,
  openEnvelope,
  openKeyringEntry,
  prepareFiling,
  ready,
  sealEnvelope,
  sealField,
  toB64u,
  KDF_PARAMS,
  type BoxKeyPair,
  type DerivedKeys,
  type PreloginParams,
  type FilingMetadata,
  type FilingSecrets,
  type KeyEnvelope,
} from '../../src/sdk/index.js';
import { bootstrapDeployment } from '../../src/orgs/bootstrap.js';
import { generateTotpSecret, totpCode } from '../../src/auth/totp.js';
import { loadServerKeys } from '../../src/lib/server-keys.js';
import type { StaffRole } from '../../src/access/principal.js';
import type { TransitionBody } from '../../src/contracts/case-workflow.js';
import { ApiError, type ApiClient, type CallArgs, type InputOf, type KeyringEntry, type OperationId, type ResponseOf } from '../../src/sdk/index.js';
import type { TestApp } from './app.js';
import { apiClient } from './api-client.js';

// ---------------------------------------------------------------------------------------------
// People: staff with the keys their own client holds
// ---------------------------------------------------------------------------------------------

/** A person using the service through HTTP, with the keys their own client holds. */
export interface Actor {
  id: string;
  username: string;
  role: StaffRole;
  orgId: string;
  password: string;
  totpSecret: string;
  recoveryCode: string;
  keyPair: BoxKeyPair;
  accessToken: string;
  refreshToken: string;
  /** Test-clock time the access token was issued: tests move the clock, real clients refresh. */
  issuedAt: number;
  auth(): { authorization: string };
}

/** Logs the actor in again (after a test moved the clock by days: every token has expired). */
export async function reauth(t: TestApp, actor: Actor): Promise<void> {
  const tokens = await logIn(t, actor);
  actor.accessToken = tokens.accessToken;
  actor.refreshToken = tokens.refreshToken;
  actor.issuedAt = t.clock.now().getTime();
}

/** Rotates the actor's tokens through /v1/auth/refresh when the test clock has moved close to expiry. */
export async function refreshIfStale(t: TestApp, actor: Actor): Promise<void> {
  if (t.clock.now().getTime() - actor.issuedAt < 10 * 60_000) return;
  const tokens = await must('refresh', apiClient(t.app).call('refreshSession', { body: { refreshToken: actor.refreshToken } }));
  actor.accessToken = tokens.accessToken;
  actor.refreshToken = tokens.refreshToken;
  actor.issuedAt = t.clock.now().getTime();
}

/** `actor`'s raw request through the app, their tokens refreshed first when stale: for tests that look at statuses and problems. */
export function requestAs(t: TestApp) {
  return async (actor: Actor, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => {
    await refreshIfStale(t, actor);
    return t.app.inject({ method, url, headers: actor.auth(), ...(payload !== undefined ? { payload } : {}) });
  };
}

/** A fresh TOTP code: the clock moves past the last used step, since a code is accepted only once. */
export function nextTotp(t: TestApp, secret: string): string {
  t.clock.advance(31_000);
  return totpCode(secret, t.clock.now());
}

/**
 * What this process's clients derived from a password, by password and KDF parameters. Argon2id
 * is deterministic and a client keeps what it derived (at enrolment, at login) for its session,
 * so logging the same person in again does not pay the derivation twice; a changed password or
 * salt is another entry.
 */
const derived = new Map<string, Partial<DerivedKeys> & { authKey: Uint8Array }>();
const derivedKey = (password: string, p: PreloginParams) => JSON.stringify([password, p.salt, p.opslimit, p.memlimit, p.alg]);

function remember(password: string, p: PreloginParams, keys: Partial<DerivedKeys> & { authKey: Uint8Array }): void {
  derived.set(derivedKey(password, p), keys);
}

function derivedKeys(password: string, p: PreloginParams, need: 'authKey' | 'wrapKey'): Partial<DerivedKeys> & { authKey: Uint8Array } {
  const known = derived.get(derivedKey(password, p));
  if (known?.[need]) return known;
  const keys = login(password, p);
  remember(password, p, keys);
  return keys;
}

/** Logs an actor in through HTTP as their client would (prelogin, Argon2id, login). */
export async function logIn(t: TestApp, actor: Pick<Actor, 'username' | 'password' | 'totpSecret'>): Promise<{ accessToken: string; refreshToken: string }> {
  const client = apiClient(t.app);
  const pre = await must('prelogin', client.call('prelogin', { body: { username: actor.username } }));
  const keys = derivedKeys(actor.password, pre, 'authKey');
  const { accessToken, refreshToken } = await must('login', client.call('login', { body: { username: actor.username, authKey: toB64u(keys.authKey), totp: nextTotp(t, actor.totpSecret) } }));
  return { accessToken, refreshToken };
}

function actorOf(t: TestApp, base: Omit<Actor, 'accessToken' | 'refreshToken' | 'auth' | 'issuedAt'>, tokens: { accessToken: string; refreshToken: string }): Actor {
  const a: Actor = { ...base, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, issuedAt: t.clock.now().getTime(), auth: () => ({ authorization: `Bearer ${a.accessToken}` }) };
  return a;
}

/** A second session of the same person (another login, its own tokens), e.g. one to end by a logout. */
export async function secondSession(t: TestApp, actor: Actor): Promise<Actor> {
  const { accessToken: _a, refreshToken: _r, issuedAt: _i, auth: _f, ...base } = actor;
  return actorOf(t, base, await logIn(t, actor));
}

export interface Deployment {
  mechanismId: string;
  mechanismKey: BoxKeyPair;
  mechanismKeyId: string;
  receiptSalt: string;
  admin: Actor;
  supervisor: Actor;
}

/** Bootstraps the deployment as the CLI does (keys made client-side), then logs both first users in. */
export async function bootstrap(t: TestApp): Promise<Deployment> {
  await ready();
  const people = ['admin', 'supervisor'].map((role) => {
    const password = `pw-${role}-${randomBytes(4).toString('hex')}`;
    const enrolment = enrol(password);
    remember(password, { salt: enrolment.upload.salt, ...KDF_PARAMS }, { authKey: enrolment.authKey });
    return { role: role as StaffRole, username: `first-${role}`, password, totpSecret: generateTotpSecret(), enrolment };
  });
  const [admin, supervisor] = people as [(typeof people)[0], (typeof people)[0]];
  const mechanism = createOrgKey([supervisor.enrolment.keyPair.publicKey]);
  const receiptSalt = toB64u(randomBytes(16));
  const svc = t.app.container.services;
  const result = await bootstrapDeployment(
    { db: svc.db, orgs: svc.repos.orgs, users: svc.repos.users, audit: svc.audit, clock: t.clock, keys: await loadServerKeys(t.config) },
    {
      mechanismName: 'CNDH Mali',
      receiptSalt,
      mechanismKey: { publicKey: mechanism.publicKey, keyId: mechanism.keyId },
      admin: { username: admin.username, upload: admin.enrolment.upload, totpSecret: admin.totpSecret },
      supervisor: { username: supervisor.username, upload: supervisor.enrolment.upload, totpSecret: supervisor.totpSecret, keyringEntry: mechanism.entries[0]!.entry },
    },
  );
  const make = async (p: typeof admin, id: string) =>
    actorOf(t, { id, username: p.username, role: p.role, orgId: result.mechanismId, password: p.password, totpSecret: p.totpSecret, recoveryCode: p.enrolment.recoveryCode, keyPair: p.enrolment.keyPair }, await logIn(t, p));
  return {
    mechanismId: result.mechanismId,
    mechanismKey: mechanism.keyPair,
    mechanismKeyId: mechanism.keyId,
    receiptSalt,
    admin: await make(admin, result.adminId),
    supervisor: await make(supervisor, result.supervisorId),
  };
}

/** The admin invites, the person enrols from their own client (keys and TOTP made there), then logs in. */
export async function enrolActor(t: TestApp, admin: Actor, input: { username: string; role: StaffRole; orgId: string }): Promise<Actor> {
  const inv = await callAs(t, admin, 'inviteUser', { body: input });
  const password = `pw-${input.username}-${randomBytes(4).toString('hex')}`;
  const e = enrol(password);
  remember(password, { salt: e.upload.salt, ...KDF_PARAMS }, { authKey: e.authKey });
  const totpSecret = generateTotpSecret();
  const user = await callAs(t, null, 'completeEnrolment', { body: { token: inv.token, ...e.upload, totpSecret, totpCode: nextTotp(t, totpSecret) } });
  return actorOf(t, { id: user.id, username: input.username, role: input.role, orgId: input.orgId, password, totpSecret, recoveryCode: e.recoveryCode, keyPair: e.keyPair }, await logIn(t, { username: input.username, password, totpSecret }));
}

/** An actor's client after login: the account bundle fetched and the private key unwrapped with the password. */
export async function openOwnKeys(t: TestApp, actor: Actor): Promise<BoxKeyPair> {
  const pre = await callHeld(t, null, 'prelogin', { body: { username: actor.username } });
  const me = await callHeld(t, actor, 'getMe');
  return openAccount(derivedKeys(actor.password, pre, 'wrapKey') as DerivedKeys, me.wrappedPrivateKey);
}

// ---------------------------------------------------------------------------------------------
// Cases: filed by the defender's phone, keys as each client opens them
// ---------------------------------------------------------------------------------------------

export type Headers = Record<string, string>;
export type Caller = { auth(): Headers } | Headers;

/** What the contracts accept for an organisation's category and a measure's implementer. */
type OrgCategory = NonNullable<InputOf<'createOrg'>['body']['category']>;
type Implementer = InputOf<'proposeMeasure'>['body']['implementer'];

export const baseMetadata: FilingMetadata = {
  region: 'bamako',
  defenderCategory: 'journalist',
  gender: 'female',
  disability: 'none',
  threatTypes: ['death_threat'],
  claimedUrgent: false,
  preferredLanguage: 'fr',
  contactChannel: 'signal',
  filedFor: 'self',
};

export interface DefenderSession {
  caseId: string;
  receipt: string;
  keyPair: BoxKeyPair;
  /** the case key, opened from the defender's own envelope */
  dek: Uint8Array;
  auth(): Headers;
  /** what the receipt login sends (base64url), derived from the receipt on the phone */
  authKey: string;
  /** logs in again with the receipt (tokens last 15 minutes of the test clock) */
  relogin(): Promise<void>;
  /** test-clock time of the last receipt login */
  issuedAt: number;
}

export interface FiledCase {
  caseId: string;
  reference: string;
  defender: DefenderSession;
  /** the plaintext that was sealed, to look for in leak searches */
  secrets: FilingSecrets;
}

export const headersOf = (who: Caller): Headers => ('auth' in who && typeof who.auth === 'function' ? (who as { auth(): Headers }).auth() : (who as Headers));

/** Files a case as a defender's phone would (sealed by prepareFiling), then logs the defender in. */
export async function fileCase(T: TestApp, dep: Deployment, opts: { metadata?: Partial<FilingMetadata>; secrets?: FilingSecrets } = {}): Promise<FiledCase> {
  const intakeKey = await callHeld(T, null, 'getIntakeKey');
  const secrets: FilingSecrets = opts.secrets ?? { identity: `Aminata ${randomUUID()}`, contact: `+223 ${randomUUID()}`, narrative: `Menaces ${randomUUID()}` };
  const filing = prepareFiling({ intakeKey, pinnedKeyId: dep.mechanismKeyId, metadata: { ...baseMetadata, ...opts.metadata }, secrets });
  const filed = await must('filing failed:', apiClient(T.app).call('fileCase', { body: filing.body }));
  const caseId = filing.body.caseId;
  // prepareFiling derived the receipt keys already (Argon2id): the defender's phone keeps them.
  const keys = filing.receiptKeys;
  let token = '';
  const defender: DefenderSession = {
    caseId,
    receipt: filing.receipt,
    keyPair: keys.keyPair,
    dek: new Uint8Array(),
    authKey: toB64u(keys.authKey),
    issuedAt: 0,
    auth: () => ({ authorization: `Bearer ${token}` }),
    async relogin() {
      token = (await must('receipt login failed:', apiClient(T.app).call('loginWithReceipt', { body: { authKey: toB64u(keys.authKey) } }))).accessToken;
      defender.issuedAt = T.clock.now().getTime();
    },
  };
  await defender.relogin();
  const sealed = await callHeld(T, defender, 'getCaseSealed', { params: { caseId } });
  // The contract types an envelope as a string; the SDK checks its format when it opens it.
  defender.dek = openEnvelope(sealed.envelopes[0] as KeyEnvelope, keys.keyPair);
  return { caseId, reference: filed.reference, defender, secrets };
}

/**
 * The mechanism's private key as a supervisor's client holds it (from their keyring entry; the
 * actor's own key pair is already in memory, which spares the test an Argon2 unwrap).
 */
export async function mechanismKeyOf(T: TestApp, holder: Actor): Promise<BoxKeyPair> {
  const me = await callHeld(T, holder, 'getMe');
  return openKeyringEntry(me.keyring[0] as KeyringEntry, holder.keyPair);
}

/** The case key as a staff member's client opens it from the envelope the server gives them. */
export async function caseKeyOf(T: TestApp, who: Actor, caseId: string): Promise<Uint8Array> {
  const sealed = await must('sealed read failed:', clientFor(T, who).call('getCaseSealed', { params: { caseId } }));
  const envelope = sealed.envelopes[0] as KeyEnvelope;
  return openEnvelope(envelope, envelope.keyId === keyIdOf(who.keyPair.publicKey) ? who.keyPair : await mechanismKeyOf(T, who));
}

/** A key holder (the supervisor, through the mechanism key) gives an officer the case key. */
export async function grantCaseKey(T: TestApp, holder: Actor, caseId: string, to: Actor): Promise<void> {
  const dek = await caseKeyOf(T, holder, caseId);
  await must('grant failed:', clientFor(T, holder).call('grantCaseEnvelope', { params: { caseId }, body: { userId: to.id, ...sealEnvelope(dek, to.keyPair.publicKey) } }));
}

/** POST /v1/cases/:id/<step> as `who`: the raw answer, for tests that look at a refusal. */
export const act = (T: TestApp, who: Caller, caseId: string, step: string, body: object = {}) =>
  T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/${step}`, headers: headersOf(who), payload: body });

/** The case row as the database holds it (tests look behind the API). */
export const caseRow = async (T: TestApp, caseId: string) => (await T.database.sql`select * from cases where id = ${caseId}`)[0]!;

/**
 * Takes a received case to triage (the officer acknowledges it), grants the officer the case key,
 * and admits it (assessment), as each role would.
 */
export async function admitCase(T: TestApp, dep: Deployment, officer: Actor, caseId: string): Promise<void> {
  await must('acknowledge failed:', clientFor(T, officer).transition(caseId, 'acknowledge', {}));
  await grantCaseKey(T, dep.supervisor, caseId, officer);
  await must('admit failed:', clientFor(T, officer).transition(caseId, 'admit', {}));
}

/** A setup call (a raw answer) that must succeed: its JSON, or an error with the body. */
export async function expectStatus<R = Record<string, any>>(p: Promise<LightMyRequestResponse>, status = 200): Promise<R> {
  const r = await p;
  if (r.statusCode !== status) throw new Error(`expected ${status}, got ${r.statusCode}: ${r.body}`);
  return r.json() as R;
}

// ---------------------------------------------------------------------------------------------
// Calls through the typed client
// ---------------------------------------------------------------------------------------------

const isActor = (who: Actor | Caller): who is Actor => 'refreshToken' in who && 'username' in who;
const isDefender = (who: Actor | Caller): who is DefenderSession => 'relogin' in who && 'issuedAt' in who;

/** A call that must succeed: its answer, or an error that names it with the status and the problem. */
async function must<R>(label: string, p: Promise<R>): Promise<R> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof ApiError) throw new Error(`${label} ${err.status} ${JSON.stringify(err.problem ?? err.code)}`);
    throw err;
  }
}

/**
 * The typed client of `who`: a staff member's token pair (a pair the client renews is kept on the
 * actor), or no session (anonymous, or a caller known by its headers).
 */
function clientFor(T: TestApp, who: Actor | Caller | null): ApiClient {
  if (!who || !isActor(who)) return apiClient(T.app);
  return apiClient(T.app, {
    tokens: { accessToken: who.accessToken, refreshToken: who.refreshToken },
    onTokens: (pair) => {
      if (!pair) return;
      who.accessToken = pair.accessToken;
      who.refreshToken = pair.refreshToken;
      who.issuedAt = T.clock.now().getTime();
    },
  });
}

/** Renews `who`'s session when the test clock has moved close to its expiry (tests move it by days). */
export async function freshen(T: TestApp, who: Actor | Caller): Promise<void> {
  if (isActor(who)) await refreshIfStale(T, who);
  else if (isDefender(who) && T.clock.now().getTime() - who.issuedAt >= 10 * 60_000) await who.relogin();
}

/** One call as `who` (null: anonymous) with the session as it is; answers the operation's typed body. */
function callHeld<Id extends OperationId>(T: TestApp, who: Actor | Caller | null, operationId: Id, ...args: CallArgs<Id>): Promise<ResponseOf<Id>> {
  const input = ((args as unknown[])[0] ?? {}) as { headers?: Record<string, string> };
  const headers = who && !isActor(who) ? { ...headersOf(who), ...input.headers } : input.headers;
  const withHeaders = [{ ...input, ...(headers ? { headers } : {}) }] as unknown as CallArgs<Id>;
  return must(operationId, clientFor(T, who).call(operationId, ...withHeaders));
}

/** One call as `who`, the session renewed first when the test clock has moved. */
async function callAs<Id extends OperationId>(T: TestApp, who: Actor | Caller | null, operationId: Id, ...args: CallArgs<Id>): Promise<ResponseOf<Id>> {
  if (who) await freshen(T, who);
  return callHeld(T, who, operationId, ...args);
}

/** A case transition of policies/workflow.yaml (`acknowledge`, `request_info`...) as `who`, session renewed first. */
export async function transitionAs(T: TestApp, who: Actor, caseId: string, name: string, body: TransitionBody = {}): Promise<void> {
  await freshen(T, who);
  await must(name, clientFor(T, who).transition(caseId, name, body));
}

// ---------------------------------------------------------------------------------------------
// Partner organisations and their keyrings
// ---------------------------------------------------------------------------------------------

export interface PartnerOrg {
  id: string;
  name: string;
  category: string;
  member: Actor;
  /** the organisation key pair, as the member's client holds it (from its keyring entry) */
  keyPair: BoxKeyPair;
  keyId: string;
}

/** The admin creates a partner organisation; its first member enrols and makes the organisation key. */
export async function partnerOrg(T: TestApp, admin: Actor, input: { name: string; category?: OrgCategory; username: string }): Promise<PartnerOrg> {
  const org = await callAs(T, admin, 'createOrg', { body: { name: input.name, ...(input.category ? { category: input.category } : {}) } });
  const member = await enrolActor(T, admin, { username: input.username, role: 'partner', orgId: org.id });
  const k = createOrgKey([member.keyPair.publicKey]);
  const entry = k.entries[0]!;
  await callAs(T, member, 'createOrgKey', { params: { orgId: org.id }, body: { publicKey: k.publicKey, keyId: k.keyId, entries: [{ userId: member.id, memberKeyId: entry.memberKeyId, entry: entry.entry }] } });
  // The member's client opens the organisation key from its keyring entry, as after login.
  const me = await callAs(T, member, 'getMe');
  const mine = me.keyring.find((e) => e.orgKeyId === k.keyId);
  if (!mine) throw new Error('the member holds no keyring entry for the new key');
  return { ...org, member, keyPair: openKeyringEntry(mine.entry, member.keyPair), keyId: k.keyId };
}

/**
 * The referring staff client: opens the chosen case fields with the case key, re-seals each
 * under a fresh referral DEK (AD egide/v1/referral/<id>/<field>), seals that DEK to the
 * organisation's current key (checked against the keyId the server lists) and to the sender.
 */
export async function buildPacket(T: TestApp, sender: Actor, caseDek: Uint8Array, caseId: string, referralId: string, fields: string[], orgId: string) {
  const sealed = await callAs(T, sender, 'getCaseSealed', { params: { caseId } });
  const keys = await callAs(T, sender, 'listOrgKeys', { params: { orgId } });
  const current = keys.keys.find((k) => k.current);
  if (!current) throw new Error('the organisation has no current key');
  const orgPublicKey = pinnedPublicKey(current.publicKey, current.keyId);
  const dek = generateDek();
  const packet = Object.fromEntries(fields.map((f) => [f, sealField(openField(sealed.fields[f]!, caseDek, caseFieldAd(caseId, f)), dek, referralFieldAd(referralId, f))]));
  const envelopes = [
    { ...sealEnvelope(dek, orgPublicKey), recipientType: 'org' as const, recipientId: orgId },
    { ...sealEnvelope(dek, sender.keyPair.publicKey), recipientType: 'user' as const, recipientId: sender.id },
  ];
  return { dek, body: { packet, envelopes } };
}

// ---------------------------------------------------------------------------------------------
// Cases in a given state
// ---------------------------------------------------------------------------------------------

/**
 * A risk assessment version (high by default: T 4 x V 3 / C 2 = 6), its narrative sealed with
 * the case key; with no key (a client that opens nothing on this path) it carries no sealed field.
 */
export function assessmentBody(dek: Uint8Array | null, opts: { id?: string; T?: number; V?: number; C?: number; facts?: string } = {}) {
  const id = opts.id ?? randomUUID();
  return {
    id,
    threats: [{ kind: 'declared' as const, source: 'armed_group', canBeCarriedOut: 'yes' as const, imminent: false, rating: opts.T ?? 4 }],
    vulnerability: { factors: ['exposed_location'], rating: opts.V ?? 3 },
    capacity: { factors: ['support_network'], rating: opts.C ?? 2 },
    sealed: dek ? { 'threats.0.facts': sealField(opts.facts ?? 'Des hommes armés au domicile', dek, assessmentFieldAd(id, 'threats.0.facts')) } : {},
  };
}

/** The assigned officer records an assessment version (high by default). */
export async function recordAssessment(T: TestApp, officer: Actor, caseId: string, dek: Uint8Array | null, opts: Parameters<typeof assessmentBody>[1] = {}): Promise<void> {
  await callAs(T, officer, 'recordAssessment', { params: { caseId }, body: assessmentBody(dek, opts) });
}

/** The assigned officer records an assessment version and completes the assessment: the case goes to decision. */
export async function assessToDecision(T: TestApp, officer: Actor, caseId: string, dek: Uint8Array | null, opts: Parameters<typeof assessmentBody>[1] = {}): Promise<void> {
  await recordAssessment(T, officer, caseId, dek, opts);
  await transitionAs(T, officer, caseId, 'complete_assessment');
}

export type MeasureStage = 'proposed' | 'consented' | 'approved' | 'implementing' | 'active' | 'lifted' | 'rejected';

/**
 * A measure on a case in decision or protection, taken to `status` by the roles who take each
 * step: proposed by the officer, consented by the defender, decided by the supervisor, carried
 * out and lifted by the officer. An approval moves a case in decision to protection.
 */
export async function measureAt(
  T: TestApp,
  c: { caseId: string; dek: Uint8Array | null; defender: DefenderSession },
  roles: { officer: Actor; supervisor: Actor },
  status: MeasureStage,
  opts: { code?: string; implementer?: Implementer; text?: string } = {},
): Promise<string> {
  const id = randomUUID();
  const { officer, supervisor } = roles;
  // Without the case key (a client that opens nothing on this path) the measure has no sealed details.
  const details = c.dek ? { details: sealField({ text: opts.text ?? 'Formation' }, c.dek, measureDetailsAd(id)) } : {};
  await callAs(T, officer, 'proposeMeasure', { params: { caseId: c.caseId }, body: { id, code: opts.code ?? 'security_training', implementer: opts.implementer ?? 'cndh', ...details } });
  if (status === 'proposed') return id;
  await callAs(T, c.defender, 'consentToMeasure', { params: { measureId: id }, body: { decision: 'consent' } });
  if (status === 'consented') return id;
  await callAs(T, supervisor, 'decideMeasure', { params: { measureId: id }, body: { decision: status === 'rejected' ? 'reject' : 'approve', reason: 'Décision motivée par l’évaluation.' } });
  if (status === 'approved' || status === 'rejected') return id;
  await callAs(T, officer, 'implementMeasure', { params: { measureId: id }, body: { reason: 'Prestataire mandaté.' } });
  if (status === 'implementing') return id;
  await callAs(T, officer, 'activateMeasure', { params: { measureId: id }, body: {} });
  if (status === 'active') return id;
  await callAs(T, officer, 'liftMeasure', { params: { measureId: id }, body: { reason: 'Risque redevenu faible.' } });
  return id;
}

export type ReferralStage = 'awaiting_consent' | 'consented' | 'sent' | 'accepted' | 'declined';

/**
 * A referral of a case (in decision or protection) to a partner organisation, taken to `stage`:
 * proposed by the officer, consented by the defender, its packet built and sent by the officer's
 * client, accepted or declined by the organisation's member.
 */
export async function referralAt(
  T: TestApp,
  c: { caseId: string; dek: Uint8Array; defender: DefenderSession },
  roles: { officer: Actor; org: PartnerOrg },
  stage: ReferralStage,
  fields: string[] = ['identity', 'narrative'],
): Promise<string> {
  const id = randomUUID();
  const { officer, org } = roles;
  await callAs(T, officer, 'proposeReferral', { params: { caseId: c.caseId }, body: { id, orgId: org.id, fields, purpose: 'legal_assistance' } });
  if (stage === 'awaiting_consent') return id;
  await callAs(T, c.defender, 'consentToReferral', { params: { referralId: id }, body: { decision: 'consent' } });
  if (stage === 'consented') return id;
  await refreshIfStale(T, officer);
  await callAs(T, officer, 'uploadReferralPacket', { params: { referralId: id }, body: (await buildPacket(T, officer, c.dek, c.caseId, id, fields, org.id)).body });
  if (stage === 'sent') return id;
  if (stage === 'declined') await callAs(T, org.member, 'declineReferral', { params: { referralId: id }, body: { reason: 'Hors de notre mandat' } });
  else await callAs(T, org.member, 'acceptReferral', { params: { referralId: id } });
  return id;
}

export type CaseStage = 'received' | 'triage' | 'info_requested' | 'declined' | 'assessment' | 'assessed' | 'decision' | 'protection' | 'reassessed';

const STAGE_ORDER = ['received', 'triage', 'info_requested', 'assessment', 'assessed', 'decision', 'protection'] as const;

/** A case as the test holds it: filed, its defender logged in, the officer it is assigned to (from triage on) holding its key. */
export interface StagedCase extends FiledCase {
  /** the case key */
  dek: Uint8Array;
  /** the officer the case is assigned to, once acknowledged */
  officer: Actor | null;
  /** the measure approved to reach protection */
  measureId: string | null;
}

/**
 * Files a case and takes it to `stage` as the roles who take each step: the officer acknowledges
 * it (triage) and receives the case key from the supervisor, asks for information or declines,
 * admits it (assessment), records a high-risk assessment (assessed), completes it (decision); a
 * measure proposed, consented and approved puts it in protection; a case in protection reassessed
 * (a new incident) and assessed again is back in decision (reassessed).
 */
export async function caseAt(
  T: TestApp,
  dep: Deployment,
  stage: CaseStage,
  opts: { officer?: Actor; metadata?: Partial<FilingMetadata>; secrets?: FilingSecrets } = {},
): Promise<StagedCase> {
  const filed = await fileCase(T, dep, { ...(opts.metadata ? { metadata: opts.metadata } : {}), ...(opts.secrets ? { secrets: opts.secrets } : {}) });
  const c: StagedCase = { ...filed, dek: filed.defender.dek, officer: null, measureId: null };
  if (stage === 'received') return c;
  const officer = opts.officer;
  if (!officer) throw new Error(`a case in ${stage} needs the officer who takes it`);
  const reach = stage === 'declined' ? 'triage' : stage === 'reassessed' ? 'protection' : stage;
  const upTo = STAGE_ORDER.indexOf(reach);
  const step = (name: string, body: TransitionBody = {}) => transitionAs(T, officer, c.caseId, name, body);
  await step('acknowledge');
  await refreshIfStale(T, dep.supervisor);
  await grantCaseKey(T, dep.supervisor, c.caseId, officer);
  c.officer = officer;
  if (stage === 'declined') await step('decline', { reason: 'Hors du mandat du mécanisme', declineReason: 'outside_mandate' });
  if (stage === 'info_requested') await step('request_info', { reason: 'Date de la menace manquante' });
  if (upTo >= STAGE_ORDER.indexOf('assessment')) await step('admit');
  if (upTo >= STAGE_ORDER.indexOf('assessed')) await recordAssessment(T, officer, c.caseId, c.dek);
  if (upTo >= STAGE_ORDER.indexOf('decision')) await step('complete_assessment');
  if (upTo >= STAGE_ORDER.indexOf('protection')) c.measureId = await measureAt(T, c, { officer, supervisor: dep.supervisor }, 'approved');
  if (stage === 'reassessed') {
    await step('reassess', { reason: 'Nouvel incident signalé' });
    await recordAssessment(T, officer, c.caseId, c.dek);
    await step('complete_assessment');
  }
  return c;
}

/**
 * Names `supervisor` as the case's supervisor (part of the case, with no break-glass). No route
 * sets this fact yet (the supervisors' console will), so it is written here, the one place the
 * world builder goes around the API.
 */
export async function assignCaseSupervisor(T: TestApp, caseId: string, supervisor: Pick<Actor, 'id'>): Promise<void> {
  await T.database.sql`update cases set supervisor_id = ${supervisor.id} where id = ${caseId}`;
}

// ---------------------------------------------------------------------------------------------
// The world: a deployment and the named people a test needs
// ---------------------------------------------------------------------------------------------

export interface World<O extends string, S extends string> {
  T: TestApp;
  dep: Deployment;
  admin: Actor;
  /** the first supervisor, who holds the mechanism key (an envelope of every case through it) */
  supervisor: Actor;
  officers: Record<O, Actor>;
  /** further supervisors (without the mechanism key) */
  supervisors: Record<S, Actor>;
  /** files a case and takes it to `stage` (officer: the first named one unless given) */
  caseAt(stage: CaseStage, opts?: { officer?: Actor; metadata?: Partial<FilingMetadata>; secrets?: FilingSecrets }): Promise<StagedCase>;
}

/**
 * Bootstraps the deployment and enrols the named officers (`officer-<name>`) and supervisors
 * (`supervisor-<name>`) of the mechanism, in order.
 */
export async function buildWorld<O extends string = never, S extends string = never>(T: TestApp, spec: { officers?: readonly O[]; supervisors?: readonly S[] } = {}): Promise<World<O, S>> {
  await ready();
  const dep = await bootstrap(T);
  const enrolAll = async <N extends string>(names: readonly N[], role: StaffRole): Promise<Record<N, Actor>> => {
    const out = {} as Record<N, Actor>;
    for (const name of names) out[name] = await enrolActor(T, dep.admin, { username: `${role}-${name}`, role, orgId: dep.mechanismId });
    return out;
  };
  const officers = await enrolAll(spec.officers ?? [], 'officer');
  const supervisors = await enrolAll(spec.supervisors ?? [], 'supervisor');
  const firstOfficer = spec.officers?.[0] !== undefined ? officers[spec.officers[0]] : undefined;
  return {
    T,
    dep,
    admin: dep.admin,
    supervisor: dep.supervisor,
    officers,
    supervisors,
    caseAt: (stage, opts = {}) => {
      const officer = opts.officer ?? firstOfficer;
      return caseAt(T, dep, stage, { ...opts, ...(officer ? { officer } : {}) });
    },
  };
}
