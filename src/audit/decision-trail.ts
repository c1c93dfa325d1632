/**
 * What one request has decided and audited so far. A request makes one decision (allowed,
 * denied by policy, out of scope, refused by the service) and the audit log holds exactly one
 * event for it: the trail lets the layers that write events (the access service, the audit
 * service, the command runner, the HTTP refusal hook) see what the others did, so that a refusal
 * found after access was granted is audited once, with the target the decision was about.
 */
export interface DecisionTarget {
  action: string;
  resource: string;
  caseId: string | null;
}

export interface DecisionTrail {
  /** the target of the latest policy decision the service asked for (set by the access service) */
  target: DecisionTarget | null;
  /** a denial of this request is in the log (or in the transaction that records it) */
  denied: boolean;
  /**
   * an allowed event of this request was committed outside any transaction (a read's group
   * commit): nothing may refuse the request after it, or it would hold two events
   */
  allowedCommitted: boolean;
  /** a public read the service never audits (anyone could grow the chain with it): its refusals neither */
  unaudited: boolean;
}

export const newDecisionTrail = (): DecisionTrail => ({ target: null, denied: false, allowedCommitted: false, unaudited: false });

/** At most this much of a refusal's explanation goes into the log (details are written by the service, never by the caller). */
const REASON_MAX = 1000;

/**
 * The `reason` of a denied event: the problem's stable code (what the caller was answered),
 * then why, e.g. `not_found: out of scope`, `already_exists: a message with this id exists`,
 * `validation_failed: the envelope is malformed (/body/envelope)`. Auditors filter on the code
 * before the colon; the chained fields stay as they are (docs/crypto-v1.md, audit chain).
 */
export function denialReason(code: string, why?: string | null, fields: readonly string[] = []): string {
  const where = fields.length > 0 ? ` (${fields.slice(0, 5).join(', ')}${fields.length > 5 ? ', …' : ''})` : '';
  const text = why ? `${code}: ${why}${where}` : `${code}${where}`;
  return text.length > REASON_MAX ? `${text.slice(0, REASON_MAX - 1)}…` : text;
}
