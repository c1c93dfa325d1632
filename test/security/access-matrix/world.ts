/**
 * The people and resources the access matrix needs, built through the API with the SDK as each
 * role's client would: two officers, two supervisors (one holding the mechanism key, one not),
 * two partner organisations with their keys, an admin, and cases in every state, each with the
 * defender's receipt session. Resources a call changes are made fresh for that call; resources
 * only read are made once and shared.
 */
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../../helpers/app.js';
import { bootstrap, buildPacket, enrolActor, fileCase, headersOf, logIn, mechanismKeyOf, partnerOrg, refreshIfStale, type Actor, type DefenderSession, type Deployment, type PartnerOrg } from '../../helpers/world.js';
import {
  assessmentFieldAd,
  caseReportNoteAd,
  keyIdOf,
  measureDetailsAd,
  ready,
  sealEnvelope,
  sealField,
  type BoxKeyPair,
  type FilingMetadata,
  type FilingSecrets,
} from '../../../src/sdk/index.js';
import type { Role } from '../../../src/access/policy.js';

export type Who = Actor | DefenderSession;

/** A case as its defender and its officer hold it. */
export interface Case {
  id: string;
  reference: string;
  defender: DefenderSession;
  /** the case key (DEK) */
  dek: Uint8Array;
  /** the officer the case is assigned to (officer A unless said otherwise), once acknowledged */
  assignee: Actor | null;
  /** what the receipt derives to log in (for a second defender session) */
  authKey: string;
}

export type Stage = 'received' | 'triage' | 'info_requested' | 'assessment' | 'assessed' | 'decision' | 'protection' | 'reassessed' | 'declined';

const ORDER: Stage[] = ['received', 'triage', 'info_requested', 'assessment', 'assessed', 'decision', 'protection'];

export type World = Awaited<ReturnType<typeof buildWorld>>;

export async function buildWorld(T: TestApp) {
  await ready();
  const dep: Deployment = await bootstrap(T);
  const admin = dep.admin;
  /** holds the mechanism keyring entry: an envelope of every case through it */
  const supervisor = dep.supervisor;
  const officerA = await enrolActor(T, admin, { username: 'officer-a', role: 'officer', orgId: dep.mechanismId });
  const officerB = await enrolActor(T, admin, { username: 'officer-b', role: 'officer', orgId: dep.mechanismId });
  /** a supervisor without the mechanism key: metadata of every case, no envelope of any */
  const supervisor2 = await enrolActor(T, admin, { username: 'supervisor-2', role: 'supervisor', orgId: dep.mechanismId });
  const orgP: PartnerOrg = await partnerOrg(T, admin, { name: 'Avocats sans frontières', username: 'partner-p' });
  const orgQ: PartnerOrg = await partnerOrg(T, admin, { name: 'Réseau du Sahel', category: 'lawyers', username: 'partner-q' });
  const mechanismKey: BoxKeyPair = await mechanismKeyOf(T, supervisor);

  /** Every staff actor, so that tokens can be refreshed before each call (the test clock moves with TOTP logins). */
  const staff = [admin, supervisor, supervisor2, officerA, officerB, orgP.member, orgQ.member];
  const defenderIssued = new WeakMap<DefenderSession, number>();

  async function fresh(who: Who): Promise<void> {
    if ('username' in who) return refreshIfStale(T, who);
    const issued = defenderIssued.get(who) ?? 0;
    if (T.clock.now().getTime() - issued >= 10 * 60_000) {
      await who.relogin();
      defenderIssued.set(who, T.clock.now().getTime());
    }
  }

  /** One HTTP call as `who` (or anonymous), through the app. */
  async function call(who: Who | null, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    if (who) await fresh(who);
    return T.app.inject({ method: method as 'GET', url, headers: { ...(who ? headersOf(who) : {}), ...headers }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  }

  async function must<R = Record<string, any>>(who: Who, method: string, url: string, payload?: unknown, status = 200): Promise<R> {
    const r = await call(who, method, url, payload);
    if (r.statusCode !== status) throw new Error(`${method} ${url}: expected ${status}, got ${r.statusCode}: ${r.body}`);
    return r.json() as R;
  }

  /**
   * Files a case as the defender's phone does (one Argon2id, in prepareFiling: its receipt keys
   * log the defender in), then takes it to `stage` as the roles who take each step.
   */
  async function newCase(stage: Stage = 'received', opts: { metadata?: Partial<FilingMetadata>; officer?: Actor; secrets?: FilingSecrets } = {}): Promise<Case> {
    const officer = opts.officer ?? officerA;
    const secrets = opts.secrets ?? { identity: `Identité ${randomUUID()}`, contact: `Contact ${randomUUID()}`, narrative: `Récit ${randomUUID()}` };
    const filed = await fileCase(T, dep, { secrets, ...(opts.metadata ? { metadata: opts.metadata } : {}) });
    const { caseId, defender } = filed;
    defenderIssued.set(defender, T.clock.now().getTime());
    const c: Case = { id: caseId, reference: filed.reference, defender, dek: defender.dek, assignee: null, authKey: defender.authKey };
    const reach = stage === 'declined' ? 'triage' : stage === 'reassessed' ? 'protection' : stage;
    const upTo = ORDER.indexOf(reach);
    const step = (who: Who, name: string, body: object = {}) => must(who, 'POST', `/v1/cases/${caseId}/${name}`, body);
    if (upTo >= 1) {
      await step(officer, 'acknowledge');
      await must(supervisor, 'POST', `/v1/cases/${caseId}/envelopes`, { userId: officer.id, ...sealEnvelope(c.dek, officer.keyPair.publicKey) }, 201);
      c.assignee = officer;
    }
    if (stage === 'declined') await step(officer, 'decline', { reason: 'Hors du mandat du mécanisme' });
    if (reach === 'info_requested') await step(officer, 'request-info', { reason: 'Date de la menace manquante' });
    if (upTo >= 3) await step(officer, 'admit');
    if (upTo >= 4) await record(c, officer);
    if (upTo >= 5) await step(officer, 'complete-assessment');
    if (upTo >= 6) await measure(c, 'approved');
    if (stage === 'reassessed') {
      await step(officer, 'reassess', { reason: 'Nouvel incident signalé' });
      await record(c, officer);
      await step(officer, 'complete-assessment');
    }
    return c;
  }

  /** A risk assessment version (high), its narrative sealed with the case key. */
  function assessmentBody(c: Case) {
    const id = randomUUID();
    return {
      id,
      threats: [{ kind: 'declared', source: 'armed_group', canBeCarriedOut: 'yes', imminent: false, rating: 4 }],
      vulnerability: { factors: ['exposed_location'], rating: 3 },
      capacity: { factors: ['support_network'], rating: 2 },
      sealed: { 'threats.0.facts': sealField('Des hommes armés au domicile', c.dek, assessmentFieldAd(id, 'threats.0.facts')) },
    };
  }
  async function record(c: Case, who: Actor = c.assignee ?? officerA) {
    await must(who, 'POST', `/v1/cases/${c.id}/assessments`, assessmentBody(c), 201);
  }

  type MeasureStage = 'proposed' | 'consented' | 'approved' | 'implementing' | 'active' | 'lifted' | 'rejected';
  /** A measure on a case in decision or protection, taken to `status` by the roles who take each step. */
  async function measure(c: Case, status: MeasureStage, code = 'security_training'): Promise<string> {
    const id = randomUUID();
    const officer = c.assignee ?? officerA;
    await must(officer, 'POST', `/v1/cases/${c.id}/measures`, { id, code, implementer: 'cndh', details: sealField({ text: 'Formation' }, c.dek, measureDetailsAd(id)) }, 201);
    if (status === 'proposed') return id;
    await must(c.defender, 'POST', `/v1/measures/${id}/consent`, { decision: 'consent' });
    if (status === 'consented') return id;
    await must(supervisor, 'POST', `/v1/measures/${id}/decision`, { decision: status === 'rejected' ? 'reject' : 'approve', reason: 'Décision motivée par l’évaluation.' });
    if (status === 'approved' || status === 'rejected') return id;
    await must(officer, 'POST', `/v1/measures/${id}/implement`, { reason: 'Prestataire mandaté.' });
    if (status === 'implementing') return id;
    await must(officer, 'POST', `/v1/measures/${id}/activate`, {});
    if (status === 'active') return id;
    await must(officer, 'POST', `/v1/measures/${id}/lift`, { reason: 'Risque redevenu faible.' });
    return id;
  }

  type ReferralStage = 'awaiting_consent' | 'consented' | 'sent' | 'accepted';
  /** A referral of a case (in decision or protection) to `org`, taken to `stage`. */
  async function referral(c: Case, stage: ReferralStage, org: PartnerOrg = orgP): Promise<string> {
    const id = randomUUID();
    const officer = c.assignee ?? officerA;
    const fields = ['identity', 'narrative'];
    await must(officer, 'POST', `/v1/cases/${c.id}/referrals`, { id, orgId: org.id, fields, purpose: 'legal_assistance' }, 201);
    if (stage === 'awaiting_consent') return id;
    await must(c.defender, 'POST', `/v1/referrals/${id}/consent`, { decision: 'consent' });
    if (stage === 'consented') return id;
    await fresh(officer);
    await must(officer, 'POST', `/v1/referrals/${id}/packet`, (await packet(c, id, officer, org)).body);
    if (stage === 'sent') return id;
    await must(org.member, 'POST', `/v1/referrals/${id}/accept`);
    return id;
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

  /** A second session of `who`, to be ended by a logout. */
  async function secondSession(who: Actor): Promise<Actor> {
    const tokens = await logIn(T, who);
    const a: Actor = { ...who, ...tokens, issuedAt: T.clock.now().getTime(), auth: () => ({ authorization: `Bearer ${a.accessToken}` }) };
    return a;
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
    must,
    fresh,
    newCase,
    assessmentBody,
    record,
    measure,
    referral,
    packet,
    reportNote,
    spareActor,
    secondSession,
    shared,
    keyIdOf,
  };
}
