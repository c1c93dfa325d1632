import type { OutboxTopic } from '../outbox/topics.js';

/**
 * Who an outbox event is for, read from its payload. Services name their audience in one of a
 * few ways (`recipients` user ids or role words, `to`, `notify`); a topic that names none goes to
 * the case's officer, or to the supervisors while nobody is assigned, so no event is lost.
 */
export interface Audience {
  /** Staff user ids, as named in the payload (checked against active accounts when delivered). */
  userIds: string[];
  assignee: boolean;
  supervisors: boolean;
  defender: boolean;
  /** Partner organisations whose webhooks receive the event. */
  orgIds: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Events a partner organisation is told about by webhook (it has no inbox of its own here). */
const PARTNER_TOPICS = new Set<string>(['referral.sent', 'referral.withdrawn', 'deadline.step', 'webhook.test'] satisfies OutboxTopic[]);
/** Events about a partner's own answer: the referring officer is told, the partner already knows. */
const DEFENDER_TOPICS = new Set<string>(['referral.consent_requested', 'appeal.decided'] satisfies OutboxTopic[]);

export function audienceOf(topic: string, payload: Record<string, unknown>): Audience {
  const a: Audience = { userIds: [], assignee: false, supervisors: false, defender: false, orgIds: [] };
  const word = (w: string) => {
    if (UUID.test(w)) a.userIds.push(w);
    else if (w === 'officer' || w === 'assignee') a.assignee = true;
    else if (w === 'supervisors' || w === 'supervisor') a.supervisors = true;
    else if (w === 'defender') a.defender = true;
    else if (w.startsWith('org:') && UUID.test(w.slice(4))) a.orgIds.push(w.slice(4));
  };
  let named = false;
  if (Array.isArray(payload.recipients)) {
    named = true;
    for (const r of payload.recipients) if (typeof r === 'string') word(r);
  }
  for (const key of ['to', 'notify'] as const) {
    const v = str(payload[key]);
    if (v) {
      named = true;
      word(v);
    }
  }
  const orgId = str(payload.orgId);
  if (orgId && PARTNER_TOPICS.has(topic) && UUID.test(orgId)) a.orgIds.push(orgId);

  if (topic === 'message.created' || topic === 'file.added') {
    // The other side of the conversation: a defender's message or file to the officer (or
    // supervisors while nobody holds the case), a staff message or file to the defender.
    named = true;
    if (payload.senderRole === 'defender') a.assignee = true;
    else a.defender = true;
  } else if (topic === 'deadline.step') {
    // Supervisors see every escalation of the ladder in their inbox.
    const step = str(payload.step);
    if (step === 'level1' || step === 'level2') {
      named = true;
      a.supervisors = true;
    }
  } else if (DEFENDER_TOPICS.has(topic) && !named) {
    named = true;
    a.defender = true;
  } else if (topic === 'referral.sent' || topic === 'referral.withdrawn' || topic === 'webhook.test') {
    named = true; // the partner's event; the staff who sent or withdrew it know already
  }
  if (!named) a.assignee = true;
  a.userIds = [...new Set(a.userIds)];
  a.orgIds = [...new Set(a.orgIds)];
  return a;
}

/**
 * What an inbox row keeps of the payload: ids and codes under known keys, short strings and
 * numbers only. Anything else (and anything shaped like a sealed value, `v1.` or `v2.`) is dropped, so a
 * service that one day puts content in an outbox payload still cannot leak it into an inbox.
 */
const KEPT = ['caseId', 'deadlineId', 'measureId', 'referralId', 'reportId', 'appealId', 'messageId', 'orgId', 'rule', 'step', 'dueAt', 'action', 'code', 'decision', 'reason', 'subject', 'outcome', 'effect', 'status', 'senderRole', 'purpose', 'reassessment', 'breakGlassId', 'expiresAt'] as const;

export function contentFree(payload: Record<string, unknown>, keys: readonly string[] = KEPT): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const k of keys) {
    const v = payload[k];
    if (typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (typeof v === 'string' && v.length <= 64 && !/^v\d+\./.test(v) && /^[\w.:+-]*$/.test(v)) out[k] = v;
  }
  return out;
}

/** What a partner may see: no case id or reference (referral-views: the partner sees its referral, not the case). */
export const PARTNER_KEYS = ['referralId', 'orgId', 'testId', 'deadlineId', 'rule', 'step', 'dueAt', 'action', 'purpose'] as const;
