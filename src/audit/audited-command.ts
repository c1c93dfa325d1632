/**
 * The command path. Every state-changing service call runs here: the service authorises from
 * policy data (`access.authorize`, the only entry point) inside `command`, does its work in the
 * one transaction the runner opens, and the allowed event and the outbox rows commit with the
 * change; jobs are enqueued only after the commit, by the outbox relay.
 *
 * One way to refuse: throw an AppError (the problem the caller is answered). Not an `Outcome`
 * value: a throw unwinds every layer at once, so no caller can forget to check a result and
 * carry on writing, and it rolls the transaction back by itself (postgres.js rolls back on any
 * throw), taking the allowed event with it. What is left is the refusal, which the runner then
 * audits as the request's one `denied` event, its reason starting with the problem's code, in
 * the audit log's own write (the transaction it would have joined is gone). A refusal the
 * access service decided is audited there already and not again (the request's decision trail
 * says so). An error that is not an AppError of a client status is a failure, not a decision:
 * it is never audited as a denial.
 *
 * Sensitive reads do not open a write transaction: they authorise with `read: true` (the allowed
 * event joins the group commit, decision-trail.ts `allowedCommitted`, or overlaps the query with
 * `deferAudit`), and refuse the same way, with a thrown AppError: one the service knows before
 * the read is given to `authorize` as the target's `refusal`, so that the denial is the
 * request's one event; the refusal hook (plugins/refusal-audit.ts) audits, with `auditRefusal`
 * below, whatever a request was refused outside a command.
 */
import type { Db, Tx } from '../db/client.js';
import { AppError } from '../lib/problem.js';
import type { RequestContext } from '../access/principal.js';
import type { AuditService } from './audit-service.js';
import { denialReason, newDecisionTrail, type DecisionTarget } from './decision-trail.js';

/** The refusal an error stands for: an AppError answering 4xx. Anything else is a failure, not a decision. */
export function refusalOf(err: unknown): AppError | null {
  return err instanceof AppError && err.status < 500 ? err : null;
}

export interface CommandTarget {
  action: string;
  resource: string;
  /** the case concerned, or a function giving it once the command has found it */
  caseId: string | null | (() => string | null);
}

/**
 * Audits a refusal as the request's one denied event, after whatever the request wrote has
 * rolled back, in its own write (the group commit). Nothing is written when the request has a
 * denial in the log already (the access service audited it) or is a public read nobody audits.
 * The target is the decision's: what the access service last decided for this request, else
 * the caller's.
 */
export async function auditRefusal(audit: Pick<AuditService, 'record'>, ctx: RequestContext, target: DecisionTarget, error: AppError): Promise<void> {
  const trail = ctx.trail;
  if (trail?.denied || trail?.unaudited) return;
  const fields = (error.extra.errors ?? []).map((e) => e.field);
  await audit.record(ctx, { action: target.action, resource: target.resource, caseId: target.caseId, outcome: 'denied', reason: denialReason(error.code, error.extra.auditReason ?? error.detail, fields) });
}

/**
 * Runs each command as one transaction: every write, the audit event of the allowed decision and
 * the outbox rows commit together or not at all; a refusal (an AppError of a client status)
 * leaves nothing but its denial in the audit log.
 */
export function createCommandRunner(deps: { db: Db; audit: Pick<AuditService, 'record'> }) {
  return async function command<T>(ctx: RequestContext, target: CommandTarget, work: (tx: Tx) => Promise<T>): Promise<T> {
    // Outside HTTP (a test, the CLI) the context gets a trail here, so that a denial the access
    // service audited inside the command is not audited twice.
    ctx.trail ??= newDecisionTrail();
    try {
      return await deps.db.transaction(work);
    } catch (err) {
      const refusal = refusalOf(err);
      if (!refusal) throw err;
      const caseId = typeof target.caseId === 'function' ? target.caseId() : target.caseId;
      await auditRefusal(deps.audit, ctx, { action: target.action, resource: target.resource, caseId }, refusal);
      throw refusal;
    }
  };
}
