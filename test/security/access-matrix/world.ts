/**
 * The people and resources the access matrix needs, on top of the one world builder
 * (test/helpers/world.ts): two officers, two supervisors (one holding the mechanism key, one not),
 * two partner organisations with their keys, an admin, and cases in every state, each with the
 * defender's receipt session. Resources a call changes are made fresh for that call; resources
 * only read are made once and shared. `call` hands the cells the raw answer they check.
 */
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../../helpers/app.js';
import {
  assessmentBody,
  buildPacket,
  buildWorld as buildBaseWorld,
  caseAt,
  enrolActor,
  freshen,
  headersOf,
  mechanismKeyOf,
  measureAt,
  partnerOrg,
  recordAssessment,
  referralAt,
  secondSession,
  type Actor,
  type CaseStage,
  type DefenderSession,
  type MeasureStage,
  type PartnerOrg,
  type ReferralStage,
  type StagedCase,
} from '../../helpers/world.js';
import { caseReportNoteAd, keyIdOf, sealField, type BoxKeyPair, type FilingMetadata, type FilingSecrets } from '../../../src/sdk/index.js';
import type { Role } from '../../../src/access/policy.js';

export type Who = Actor | DefenderSession;

/** A staged case under the names the entries read: its id, its assignee and the receipt's authKey (for a second defender session). */
export interface Case extends StagedCase {
  id: string;
  assignee: Actor | null;
  authKey: string;
}

export type Stage = CaseStage;

export type World = Awaited<ReturnType<typeof buildWorld>>;

export async function buildWorld(T: TestApp) {
  const base = await buildBaseWorld(T, { officers: ['a', 'b'], supervisors: ['2'] });
  const { dep, admin } = base;
  /** holds the mechanism keyring entry: an envelope of every case through it */
  const supervisor = base.supervisor;
  const { a: officerA, b: officerB } = base.officers;
  /** a supervisor without the mechanism key: metadata of every case, no envelope of any */
  const supervisor2 = base.supervisors['2'];
  const orgP: PartnerOrg = await partnerOrg(T, admin, { name: 'Avocats sans frontières', username: 'partner-p' });
  const orgQ: PartnerOrg = await partnerOrg(T, admin, { name: 'Réseau du Sahel', category: 'lawyers', username: 'partner-q' });
  const mechanismKey: BoxKeyPair = await mechanismKeyOf(T, supervisor);

  /** Every staff actor, so that tokens can be refreshed before each call (the test clock moves with TOTP logins). */
  const staff = [admin, supervisor, supervisor2, officerA, officerB, orgP.member, orgQ.member];

  /** Renews `who`'s session if the test clock has moved close to its expiry. */
  const fresh = (who: Who): Promise<void> => freshen(T, who);

  /** Where the app's log stood when the last call was sent (see requestIdOf). */
  let logMark = 0;

  /** One HTTP call as `who` (or anonymous), through the app: the raw answer a cell checks. */
  async function call(who: Who | null, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    if (who) await fresh(who);
    logMark = T.logs.length;
    return T.app.inject({ method: method as 'GET', url, headers: { ...(who ? headersOf(who) : {}), ...headers }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  }

  /**
   * The request id of the last call's answer: its problem document's `instance`. A HEAD answer
   * has no body (RFC 9110 §9.3.2), so there it is read from the app's log line of the request
   * the last call completed (the walks send one request at a time). '' when there is neither.
   */
  function requestIdOf(res: LightMyRequestResponse): string {
    try {
      const instance = (JSON.parse(res.body) as { instance?: string }).instance;
      if (instance) return instance.replace(/^urn:egide:request:/, '');
    } catch {
      // no JSON body: the log says which request it was
    }
    if (res.body !== '') return '';
    for (const line of T.logs.slice(logMark).reverse()) {
      const id = /"reqId":"([0-9a-f-]{36})".*"msg":"request completed"/.exec(line)?.[1];
      if (id) return id;
    }
    return '';
  }

  /** A raw call that must answer `status`: its JSON. */
  async function must<R = Record<string, any>>(who: Who, method: string, url: string, payload?: unknown, status = 200): Promise<R> {
    const r = await call(who, method, url, payload);
    if (r.statusCode !== status) throw new Error(`${method} ${url}: expected ${status}, got ${r.statusCode}: ${r.body}`);
    return r.json() as R;
  }

  const asCase = (c: StagedCase): Case => ({ ...c, id: c.caseId, assignee: c.officer, authKey: c.defender.authKey });

  /** Files a case and takes it to `stage` (assigned to officer A unless said otherwise). */
  async function newCase(stage: Stage = 'received', opts: { metadata?: Partial<FilingMetadata>; officer?: Actor; secrets?: FilingSecrets } = {}): Promise<Case> {
    return asCase(await caseAt(T, dep, stage, { ...opts, officer: opts.officer ?? officerA }));
  }

  /** An assessment version that records `c` high, its narrative sealed with the case key. */
  const assessmentOf = (c: Case) => assessmentBody(c.dek);
  const record = (c: Case, who: Actor = c.assignee ?? officerA) => recordAssessment(T, who, c.id, c.dek);

  /** A measure on a case in decision or protection, taken to `status` by the roles who take each step. */
  async function measure(c: Case, status: MeasureStage, code = 'security_training'): Promise<string> {
    await fresh(c.defender);
    return measureAt(T, c, { officer: c.assignee ?? officerA, supervisor }, status, { code });
  }

  /** A referral of a case (in decision or protection) to `org`, taken to `stage`. */
  async function referral(c: Case, stage: Exclude<ReferralStage, 'declined'>, org: PartnerOrg = orgP): Promise<string> {
    await fresh(c.defender);
    return referralAt(T, c, { officer: c.assignee ?? officerA, org }, stage);
  }

  /** The referral packet as the sending staff client builds it. */
  async function packet(c: Case, referralId: string, sender: Actor, org: PartnerOrg = orgP) {
    await fresh(sender);
    return buildPacket(T, sender, c.dek, c.id, referralId, ['identity', 'narrative'], org.id);
  }

  /** A sealed note for a report of `kind` on a case. */
  const reportNote = (c: Case, kind: 'incident' | 'checkin' | 'alert', id: string) => sealField({ text: 'Note' }, c.dek, caseReportNoteAd(kind, id));

  /** An actor of a staff role who may be spent (logged out, password changed, disabled). */
  let spare = 0;
  async function spareActor(role: Exclude<Role, 'defender'>): Promise<Actor> {
    spare++;
    const orgId = role === 'partner' ? orgP.id : dep.mechanismId;
    return enrolActor(T, admin, { username: `spare-${role}-${spare}`, role, orgId });
  }

  /** Memoised shared resources: built once, only read (or refused) afterwards. */
  const memo = new Map<string, Promise<unknown>>();
  function shared<R>(key: string, make: () => Promise<R>): Promise<R> {
    if (!memo.has(key)) memo.set(key, make());
    return memo.get(key) as Promise<R>;
  }

  return {
    T,
    dep,
    admin,
    supervisor,
    supervisor2,
    officerA,
    officerB,
    orgP,
    orgQ,
    mechanismKey,
    staff,
    call,
    requestIdOf,
    must,
    fresh,
    newCase,
    assessmentBody: assessmentOf,
    record,
    measure,
    referral,
    packet,
    reportNote,
    spareActor,
    secondSession: (who: Actor) => secondSession(T, who),
    shared,
    keyIdOf,
  };
}
