/**
 * What the two end-to-end stories (ordinary-path, urgent-path) share: calling the API as a person
 * whose tokens are kept fresh, partner organisations with their keys, the referring client's
 * packet, and the checks of who can open what. Not a test file itself.
 */
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../helpers/app.js';
import { refreshIfStale, type Actor, caseKeyOf, type DefenderSession } from '../helpers/world.js';
import {
  caseFieldAd,
  openEnvelope,
  openField,
  type BoxKeyPair,
  type JsonValue,
} from '../../src/sdk/index.js';

export type Who = Actor | DefenderSession;
type Method = 'GET' | 'POST';

/** Tokens last 15 minutes of the test clock: staff refresh, the defender logs in again with the receipt. */
const defenderIssued = new WeakMap<DefenderSession, number>();

export function createCaller(T: TestApp) {
  async function fresh(who: Who): Promise<void> {
    const now = T.clock.now().getTime();
    if ('username' in who) return refreshIfStale(T, who);
    const issued = defenderIssued.get(who);
    if (issued === undefined) defenderIssued.set(who, now);
    else if (now - issued >= 10 * 60_000) {
      await who.relogin();
      defenderIssued.set(who, now);
    }
  }

  /** One HTTP call as `who`, through the app. */
  async function as(who: Who, method: Method, url: string, payload?: object): Promise<LightMyRequestResponse> {
    await fresh(who);
    return T.app.inject({ method, url, headers: who.auth(), ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  }

  /** The same, for setup steps that must succeed: throws with the body otherwise. */
  async function must<R = Record<string, unknown>>(p: Promise<LightMyRequestResponse>, status = 200): Promise<R> {
    const r = await p;
    if (r.statusCode !== status) throw new Error(`expected ${status}, got ${r.statusCode}: ${r.body}`);
    return r.json() as R;
  }

  /** A defender session that has just logged in: its token is fresh now. */
  const loggedIn = (d: DefenderSession) => defenderIssued.set(d, T.clock.now().getTime());

  /** The case key as the staff member's client opens it (helpers/world.ts caseKeyOf), with a fresh token. */
  async function caseKey(who: Actor, caseId: string): Promise<Uint8Array> {
    await fresh(who);
    return caseKeyOf(T, who, caseId);
  }

  return { as, must, fresh, loggedIn, caseKey };
}

export { buildPacket, partnerOrg } from '../helpers/world.js';

/** Opens every sealed case field with `dek`, or throws (decrypt_failed) if the key is not the case's. */
export function openCaseFields(fields: Record<string, string>, dek: Uint8Array, caseId: string): Record<string, JsonValue> {
  return Object.fromEntries(Object.entries(fields).map(([f, v]) => [f, openField(v, dek, caseFieldAd(caseId, f))]));
}

/** True when no envelope of the case (as the database holds them) opens with `keyPair`. */
export async function noCaseEnvelopeOpens(T: TestApp, caseId: string, keyPair: BoxKeyPair): Promise<{ tried: number; opened: number }> {
  const rows = await T.database.sql`select envelope from case_envelopes where case_id = ${caseId}`;
  let opened = 0;
  for (const r of rows) {
    try {
      openEnvelope(r.envelope as string, keyPair);
      opened++;
    } catch {
      // expected: sealed to someone else's key
    }
  }
  return { tried: rows.length, opened };
}

/** GET routes of a case that hold or lead to its content. */
export const CASE_READS = ['', '/sealed', '/messages', '/assessments', '/measures', '/reports', '/appeals', '/timeline'] as const;

/** Deadline rows of a case, as `rule:state` (subject-less first), for readable assertions. */
export async function deadlineStates(T: TestApp, caseId: string): Promise<Array<{ id: string; rule: string; state: string; subjectId: string | null; dueAt: string; startedAt: string; settledAt: string | null; urgent: boolean }>> {
  const rows = await T.database.sql`select id, rule, state, subject_id, due_at, started_at, settled_at, urgent from deadlines where case_id = ${caseId} order by started_at, id`;
  return rows.map((d) => ({
    id: d.id as string,
    rule: d.rule as string,
    state: d.state as string,
    subjectId: (d.subject_id as string | null) ?? null,
    dueAt: new Date(d.due_at as string).toISOString(),
    startedAt: new Date(d.started_at as string).toISOString(),
    settledAt: d.settled_at ? new Date(d.settled_at as string).toISOString() : null,
    urgent: d.urgent as boolean,
  }));
}

/** Open (or paused) deadline rules of a case, sorted. */
export async function liveRules(T: TestApp, caseId: string): Promise<string[]> {
  return (await deadlineStates(T, caseId))
    .filter((d) => d.state === 'open' || d.state === 'paused')
    .map((d) => d.rule)
    .sort();
}
