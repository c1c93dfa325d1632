/**
 * A case as the tests of the workflow need it: filed through HTTP with the SDK, the defender
 * logged in with the receipt and holding the case key, and helpers that drive the case through
 * its transitions as the role that takes each one.
 */
import { randomUUID } from 'node:crypto';
import type { TestApp } from './app.js';
import type { Actor, Deployment } from './actors.js';
import { keyIdOf, openEnvelope, openKeyringEntry, prepareFiling, sealEnvelope, toB64u, type BoxKeyPair, type FilingMetadata, type FilingSecrets, type KeyEnvelope } from '../../src/sdk/index.js';

export type Headers = Record<string, string>;
export type Caller = { auth(): Headers } | Headers;

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
  const intakeKey = (await T.app.inject({ method: 'GET', url: '/v1/keys/intake' })).json();
  const secrets: FilingSecrets = opts.secrets ?? { identity: `Aminata ${randomUUID()}`, contact: `+223 ${randomUUID()}`, narrative: `Menaces ${randomUUID()}` };
  const filing = prepareFiling({ intakeKey, pinnedKeyId: dep.mechanismKeyId, metadata: { ...baseMetadata, ...opts.metadata }, secrets });
  const filed = await T.app.inject({ method: 'POST', url: '/v1/cases', payload: filing.body });
  if (filed.statusCode !== 201) throw new Error(`filing failed: ${filed.statusCode} ${filed.body}`);
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
    auth: () => ({ authorization: `Bearer ${token}` }),
    async relogin() {
      const r = await T.app.inject({ method: 'POST', url: '/v1/auth/receipt', payload: { authKey: toB64u(keys.authKey) } });
      if (r.statusCode !== 200) throw new Error(`receipt login failed: ${r.statusCode} ${r.body}`);
      token = r.json().accessToken;
    },
  };
  await defender.relogin();
  const sealed = (await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/sealed`, headers: defender.auth() })).json();
  defender.dek = openEnvelope(sealed.envelopes[0], keys.keyPair);
  return { caseId, reference: filed.json().reference, defender, secrets };
}

/**
 * The mechanism's private key as a supervisor's client holds it (from their keyring entry; the
 * actor's own key pair is already in memory, which spares the test an Argon2 unwrap).
 */
export async function mechanismKeyOf(T: TestApp, holder: Actor): Promise<BoxKeyPair> {
  const me = (await T.app.inject({ method: 'GET', url: '/v1/me', headers: holder.auth() })).json();
  return openKeyringEntry(me.keyring[0], holder.keyPair);
}

/** The case key as a staff member's client opens it from the envelope the server gives them. */
export async function caseKeyOf(T: TestApp, who: Actor, caseId: string): Promise<Uint8Array> {
  const r = await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/sealed`, headers: who.auth() });
  if (r.statusCode !== 200) throw new Error(`sealed read failed: ${r.statusCode} ${r.body}`);
  const envelope = r.json().envelopes[0] as KeyEnvelope;
  return openEnvelope(envelope, envelope.keyId === keyIdOf(who.keyPair.publicKey) ? who.keyPair : await mechanismKeyOf(T, who));
}

/** A key holder (the supervisor, through the mechanism key) gives an officer the case key. */
export async function grantCaseKey(T: TestApp, holder: Actor, caseId: string, to: Actor): Promise<void> {
  const dek = await caseKeyOf(T, holder, caseId);
  const r = await T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/envelopes`, headers: holder.auth(), payload: { userId: to.id, ...sealEnvelope(dek, to.keyPair.publicKey) } });
  if (r.statusCode !== 201) throw new Error(`grant failed: ${r.statusCode} ${r.body}`);
}

/** POST /v1/cases/:id/<step> as `who`. */
export const act = (T: TestApp, who: Caller, caseId: string, step: string, body: object = {}) =>
  T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/${step}`, headers: headersOf(who), payload: body });

/** The case row as the database holds it (tests look behind the API). */
export const caseRow = async (T: TestApp, caseId: string) => (await T.database.sql`select * from cases where id = ${caseId}`)[0]!;

/**
 * Takes a received case to triage (the officer acknowledges it), grants the officer the case key,
 * and admits it (assessment), as each role would.
 */
export async function admitCase(T: TestApp, dep: Deployment, officer: Actor, caseId: string): Promise<void> {
  for (const [step, body] of [
    ['acknowledge', {}],
    ['admit', {}],
  ] as const) {
    const r = await act(T, officer, caseId, step, body);
    if (r.statusCode !== 200) throw new Error(`${step} failed: ${r.statusCode} ${r.body}`);
    if (step === 'acknowledge') await grantCaseKey(T, dep.supervisor, caseId, officer);
  }
}
